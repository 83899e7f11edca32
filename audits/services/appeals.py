"""Appeals: a franchise owner contests items of a released audit; head office decides each.

The trade's practice (docs/appeals-and-actions.md): a few percent of reports are queried,
within about a week, and answered within a set time with a visible outcome. Here an owner
appeals within the brand's `appeal_days` of the release, one open appeal per audit, each item
with a reason; the phone or browser may retry (idempotent on `client_id`, as submissions
are). Head office decides every appealed item with a reason; an upheld item is corrected
through the corrections service (N/A when no value is given), which re-scores the audit and
its league tables. Both steps are trail events an owner reads, staff shown by role.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.errors import (
    AppealAlreadyOpen,
    AppealNotOpen,
    AppealWindowClosed,
    Conflict,
    InvalidInput,
    NotReleased,
)
from audits.models import (
    RELEASED_STATUSES,
    Appeal,
    AppealItem,
    AppealStatus,
    EventKind,
    Submission,
    User,
)
from audits.services import notifications, trail
from audits.services.brand_settings import brand_settings_for
from audits.services.corrections import ItemCorrection, submission_correct
from audits.services.keyed_rows import keyed_row_problems
from scoring.benchmark.periods import parse_period

MAX_APPEALED_ITEMS = 100


@dataclass(frozen=True)
class AppealedItem:
    item: str
    reason: str


@dataclass(frozen=True)
class ItemDecision:
    """Head office's decision on one appealed item; `correction` {value} or {na: true} (or
    None: N/A) applies to an upheld item."""

    item: str
    upheld: bool
    reason: str
    correction: dict[str, Any] | None = None


def _fingerprint(audit_id: int, items: Sequence[AppealedItem]) -> str:
    body = {"audit": audit_id, "items": [[i.item, i.reason.strip()] for i in items]}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _replay(by: User, client_id: uuid.UUID, fingerprint: str) -> Appeal | None:
    """The appeal this `client_id` already made, if any; a 409 if its body differed."""
    stored = Appeal.objects.filter(opened_by=by, client_id=client_id).first()
    if stored is not None and stored.payload_hash != fingerprint:
        raise Conflict("This client_id was used for another appeal; make a new one.")
    return stored


def _checked_items(audit: Submission, items: Sequence[AppealedItem]) -> None:
    problems: dict[str, list[str]] = {}
    if not items:
        problems["items"] = ["Appeal at least one item."]
    if len(items) > MAX_APPEALED_ITEMS:
        problems["items"] = [f"At most {MAX_APPEALED_ITEMS} items."]
    known = {item.key for item in audit.assignment.checklist.checklist.items()}
    problems |= keyed_row_problems(
        items,
        name="items",
        known=known,
        unknown="Not an item of this audit.",
        repeated="Appealed more than once.",
    )
    if problems:
        raise InvalidInput(problems)


def _check_window(audit: Submission) -> None:
    if audit.status not in RELEASED_STATUSES or audit.released_at is None:
        raise NotReleased(f"This audit is {audit.status}: only released audits are appealed.")
    days = brand_settings_for(audit.assignment.branch.brand).appeal_days
    closes = audit.released_at + timedelta(days=days)
    if timezone.now() > closes:
        raise AppealWindowClosed(
            f"Appeals close {days} days after release; this audit's closed on "
            f"{closes:%Y-%m-%d %H:%M} UTC."
        )


def appeal_open(
    *, audit: Submission, by: User, client_id: uuid.UUID, items: Sequence[AppealedItem]
) -> tuple[Appeal, bool]:
    """Open an appeal of a released audit; returns (appeal, created).

    The same `client_id` and body again is the same appeal (created False), another body a
    409; a 409 names why otherwise: not released (`not_released`), past the brand's
    `appeal_days` (`appeal_window_closed`), an appeal already open (`appeal_open`).
    """
    fingerprint = _fingerprint(audit.pk, items)
    replayed = _replay(by, client_id, fingerprint)
    if replayed is not None:
        return replayed, False
    _checked_items(audit, items)
    try:
        with transaction.atomic():
            locked = (
                Submission.objects.select_for_update(of=("self",))
                .select_related("assignment__branch__brand", "assignment__checklist")
                .get(pk=audit.pk)
            )
            _check_window(locked)
            if Appeal.objects.filter(submission=locked, status=AppealStatus.OPEN).exists():
                raise AppealAlreadyOpen("This audit already has an open appeal; wait for it.")
            appeal = Appeal.objects.create(
                submission=locked, client_id=client_id, payload_hash=fingerprint, opened_by=by
            )
            AppealItem.objects.bulk_create(
                AppealItem(appeal=appeal, item=i.item, reason=i.reason.strip(), position=n)
                for n, i in enumerate(items)
            )
            trail.record(
                EventKind.APPEAL_OPENED,
                brand_id=locked.assignment.branch.brand_id,
                by=by,
                submission_id=locked.pk,
                appeal_id=appeal.pk,
                after={"items": [{"item": i.item, "reason": i.reason.strip()} for i in items]},
                at=appeal.opened_at,
            )
            notifications.on_appeal_opened(appeal)
    except IntegrityError:
        # A retry of the same appeal committed first, or another appeal opened meanwhile.
        replayed = _replay(by, client_id, fingerprint)
        if replayed is None:
            raise AppealAlreadyOpen("This audit already has an open appeal; wait for it.") from None
        return replayed, False
    return appeal, True


def _checked_decisions(appeal: Appeal, decisions: Sequence[ItemDecision]) -> None:
    problems: dict[str, list[str]] = {}
    appealed = [i.item for i in appeal.items.all()]
    problems |= keyed_row_problems(
        decisions,
        name="decisions",
        known=appealed,
        unknown="Not appealed.",
        repeated="Decided more than once.",
    )
    for index, decision in enumerate(decisions):
        if not decision.upheld and decision.correction is not None:
            problems.setdefault(f"decisions.{index}.correction", []).append(
                "Only an upheld item is corrected."
            )
    missing = [item for item in appealed if item not in {d.item for d in decisions}]
    if missing:
        problems.setdefault("decisions", []).append(f"Decide every item: {', '.join(missing)}.")
    if problems:
        raise InvalidInput(problems)


def _correction_of(decision: ItemDecision) -> ItemCorrection:
    """The upheld item's correction: its value, or N/A when none is given."""
    given = decision.correction or {}
    if "value" in given and not given.get("na"):
        return ItemCorrection(item=decision.item, reason=decision.reason, value=given["value"])
    return ItemCorrection(item=decision.item, reason=decision.reason, na=True)


def appeal_decide(*, appeal: Appeal, by: User, decisions: Sequence[ItemDecision]) -> Appeal:
    """Decide every item of an open appeal (a 409 `appeal_not_open` if decided already).

    Upheld items are corrected (their values, or N/A) and the audit re-scored in the same
    transaction; a correction the item cannot take is a 400 naming `decisions.<i>.correction`.
    """
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if locked.status != AppealStatus.OPEN:
            raise AppealNotOpen("This appeal is already decided.")
        _checked_decisions(locked, decisions)
        upheld = [d for d in decisions if d.upheld]
        if upheld:
            try:
                submission_correct(
                    submission=locked.submission,
                    by=by,
                    items=[_correction_of(d) for d in upheld],
                )
            except InvalidInput as error:
                raise _renamed(error, upheld, decisions) from None
        by_item = {d.item: d for d in decisions}
        for item in locked.items.all():
            decision = by_item[item.item]
            item.upheld = decision.upheld
            item.decision_reason = decision.reason.strip()
            item.correction = _applied(decision) if decision.upheld else None
            item.save(update_fields=["upheld", "decision_reason", "correction"])
        now = timezone.now()
        Appeal.objects.filter(pk=locked.pk, status=AppealStatus.OPEN).update(
            status=AppealStatus.DECIDED, decided_by=by, decided_at=now
        )
        submission = locked.submission
        trail.record(
            EventKind.APPEAL_DECIDED,
            brand_id=submission.assignment.branch.brand_id,
            by=by,
            submission_id=submission.pk,
            appeal_id=locked.pk,
            before={"status": AppealStatus.OPEN},
            after={
                "status": AppealStatus.DECIDED,
                "items": [
                    {"item": d.item, "upheld": d.upheld, "reason": d.reason.strip()}
                    for d in decisions
                ],
            },
            at=now,
        )
        decided = Appeal.objects.get(pk=locked.pk)
        notifications.on_appeal_decided(decided)
    return decided


def _applied(decision: ItemDecision) -> dict[str, Any]:
    correction = _correction_of(decision)
    return {"na": True} if correction.na else {"value": correction.value}


def _renamed(
    error: InvalidInput, upheld: Sequence[ItemDecision], decisions: Sequence[ItemDecision]
) -> InvalidInput:
    """The correction's 400 (`items.<i>.value`) named after the decision it came from."""
    index_of = {d.item: n for n, d in enumerate(decisions)}
    renamed: dict[str, list[str]] = {}
    for problem in error.problems:
        attr = problem.attr or "decisions"
        parts = attr.split(".")
        if parts[0] == "items" and len(parts) > 1 and parts[1].isdigit():
            attr = f"decisions.{index_of[upheld[int(parts[1])].item]}.correction"
        renamed.setdefault(attr, []).append(problem.message)
    return InvalidInput(renamed)


# --- Statistics -----------------------------------------------------------------------------


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _figures(items: list[AppealItem]) -> dict[str, Any]:
    """Appealed, decided and upheld items, the upheld share of the decided ones, and the
    median hours from opening to decision over the appeals they belong to."""
    decided = [i for i in items if i.upheld is not None]
    upheld = sum(1 for i in decided if i.upheld)
    hours = {
        i.appeal_id: (i.appeal.decided_at - i.appeal.opened_at).total_seconds() / 3600
        for i in decided
        if i.appeal.decided_at is not None
    }
    median = _median(list(hours.values()))
    return {
        "appealed": len(items),
        "decided": len(decided),
        "upheld": upheld,
        "upheld_rate": round(upheld / len(decided), 4) if decided else None,
        "median_hours_to_decision": None if median is None else round(median, 2),
    }


def appeal_stats(appeals, period_key: str) -> dict[str, Any]:
    """Appeals opened in the period (a quarter, month or year key, UTC days), by item, branch
    and franchisee: what head office needs to see whether its reports hold up.

    `appeals` is the caller's scope (selectors.appeals_visible_to); a bad key is a 400.
    """
    try:
        period = parse_period(period_key)
    except ValueError as error:
        raise InvalidInput({"period": [str(error)]}) from None
    start = datetime.combine(period.start, time.min, tzinfo=UTC)
    end = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=UTC)
    items = list(
        AppealItem.objects.filter(
            appeal__in=appeals.filter(opened_at__gte=start, opened_at__lt=end).values("pk")
        ).select_related(
            "appeal__submission__assignment__branch__franchisee",
        )
    )

    def grouped(key, label) -> list[dict[str, Any]]:
        groups: dict[Any, list[AppealItem]] = {}
        for item in items:
            groups.setdefault(key(item), []).append(item)
        rows = [{**label(members[0]), **_figures(members)} for members in groups.values()]
        return sorted(
            rows, key=lambda row: (-row["appealed"], str(row.get("name", row.get("item"))))
        )

    def branch(item: AppealItem):
        return item.appeal.submission.assignment.branch

    return {
        "period": period.key,
        **_figures(items),
        "by_item": grouped(lambda i: i.item, lambda i: {"item": i.item}),
        "by_branch": grouped(
            lambda i: branch(i).pk, lambda i: {"id": branch(i).pk, "name": branch(i).name}
        ),
        "by_franchisee": grouped(
            lambda i: branch(i).franchisee_id,
            lambda i: {"id": branch(i).franchisee_id, "name": branch(i).franchisee.name},
        ),
    }
