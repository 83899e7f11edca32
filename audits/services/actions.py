"""Action plans: what a released audit found becomes a fix the branch owes, signed off.

When an audit is released (by a reviewer, head office, or the brand's release rules), each
failed critical item and each item of the brand's `action_items` that lost points opens an
action for the branch, due `action_days` later, unless one for that item is still open or
awaiting verification there. The owner completes it with a note; head office verifies or
reopens it with a reason; a later released audit that passes the item verifies it on its own,
recorded as such. Every step is a trail event (owners read them, staff by role).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audits.errors import InvalidInput, InvalidTransition
from audits.models import (
    OWED_STATUSES,
    Action,
    ActionStatus,
    BrandSettings,
    EventKind,
    EvidencePhoto,
    Score,
    Submission,
    SubmissionStatus,
    User,
)
from audits.services import evidence, notifications, trail
from audits.services.brand_settings import brand_settings_for
from audits.services.uploads import files_discard

A = ActionStatus


def overdue(actions: QuerySet[Action], now: datetime | None = None) -> QuerySet[Action]:
    """Open actions past their due date."""
    return actions.filter(status=A.OPEN, due__lt=now or timezone.now())


def _failed_and_passed(score: Score, wanted: set[str]) -> tuple[list[dict], set[str]]:
    """The score's items that open an action (failed critical, or a wanted item that lost
    points) and the keys it passed in full."""
    critical = set(score.critical_failures)
    opening, passed = [], set()
    for row in score.items:
        key, earned, possible = row["item"], row["earned"], row["possible"]
        if key in critical or (key in wanted and possible and earned < possible):
            opening.append(row)
        elif possible and earned >= possible and key not in critical:
            passed.add(key)
    return opening, passed


def actions_on_release(submission_ids: Iterable[int]) -> list[Action]:
    """Open the actions of just-released audits, and verify those their passes close.

    Runs in the release's transaction; only `released` audits count (one released excluded
    from the scores opens and closes nothing). Returns the actions opened.
    """
    audits = (
        Submission.objects.filter(pk__in=list(submission_ids), status=SubmissionStatus.RELEASED)
        .select_related("assignment__branch__brand", "assignment__checklist")
        .order_by("released_at", "pk")
    )
    opened: list[Action] = []
    settings_of: dict[int, BrandSettings] = {}  # one read per brand, not per audit
    for audit in audits:
        score = Score.objects.filter(submission=audit, is_current=True).first()
        if score is None:
            continue
        branch = audit.assignment.branch
        if branch.brand_id not in settings_of:
            settings_of[branch.brand_id] = brand_settings_for(branch.brand)
        settings = settings_of[branch.brand_id]
        opening, passed = _failed_and_passed(score, set(settings.action_items))
        _close_passed(audit, passed)
        owed = set(
            Action.objects.filter(branch=branch, status__in=OWED_STATUSES).values_list(
                "item", flat=True
            )
        )
        opening = [row for row in opening if row["item"] not in owed]
        if not opening:
            continue  # most releases: nothing to open, and no checklist to read
        texts = {item.key: item.text for item in audit.assignment.checklist.checklist.items()}
        now = timezone.now()
        for row in opening:
            action = Action.objects.create(
                branch=branch,
                submission=audit,
                item=row["item"],
                title=texts.get(row["item"], row["item"])[:2000],
                opened_at=now,
                due=now + timedelta(days=settings.action_days),
            )
            opened.append(action)
            _event(EventKind.ACTION_OPENED, action, by=None, after={"status": A.OPEN})
    return opened


def _still_failed(score: Score | None, item: str) -> bool:
    """The item is still a finding: a critical failure, or points lost (N/A loses none)."""
    if score is None:
        return False
    if item in score.critical_failures:
        return True
    row = next((r for r in score.items if r["item"] == item), None)
    return bool(row and row["possible"] and row["earned"] < row["possible"])


def actions_on_correction(
    audit: Submission, *, by: User, reasons: Mapping[str, str]
) -> list[Action]:
    """Withdraw what the audit's corrected score no longer finds (an upheld appeal, a
    reviewer's correction): its owed actions whose item now passes or is N/A.

    Runs in the correction's transaction, after the re-score; an action another audit opened
    stays (that audit still found it). `reasons` gives each corrected item's reason, which
    becomes its withdrawal's. Returns the actions withdrawn.
    """
    owed = list(
        Action.objects.select_for_update()
        .select_related("branch")
        .filter(submission=audit, status__in=OWED_STATUSES)
    )
    if not owed:
        return []
    score = Score.objects.filter(submission=audit, is_current=True).first()
    withdrawn = []
    for action in owed:
        if _still_failed(score, action.item):
            continue
        reason = reasons.get(action.item) or f"Audit {audit.pk} was corrected."
        withdrawn.append(
            _step(
                action,
                EventKind.ACTION_WITHDRAWN,
                by=by,
                text=reason,
                before=OWED_STATUSES,
                to=A.WITHDRAWN,
                reason=reason[:1000],
            )
        )
    return withdrawn


def _close_passed(audit: Submission, passed: set[str]) -> None:
    branch = audit.assignment.branch
    closing = Action.objects.select_for_update().filter(
        branch=branch, status__in=OWED_STATUSES, item__in=passed
    )
    now = timezone.now()
    for action in closing:
        before = action.status
        Action.objects.filter(pk=action.pk, status=before).update(
            status=A.VERIFIED, verified_at=now, closed_by_audit=audit
        )
        action.refresh_from_db()
        _event(
            EventKind.ACTION_VERIFIED,
            action,
            by=None,
            reason=f"Audit {audit.pk} passed the item.",
            before={"status": before},
            after={"status": A.VERIFIED, "closed_by_audit": audit.pk},
        )


def _event(kind: str, action: Action, *, by: User | None, reason: str = "", **values) -> None:
    trail.record(
        kind,
        brand_id=action.branch.brand_id,
        by=by,
        submission_id=action.submission_id,
        action_id=action.pk,
        reason=reason,
        **values,
    )


def _move(action: Action, before: tuple[str, ...], to: str, **fields) -> str:
    """One conditional UPDATE from a status in `before`; a 409 naming the status otherwise."""
    current = Action.objects.values_list("status", flat=True).get(pk=action.pk)
    if current not in before:
        raise InvalidTransition(f"This action is {current}: it cannot become {to}.")
    if Action.objects.filter(pk=action.pk, status=current).update(status=to, **fields) != 1:
        raise InvalidTransition(f"This action changed meanwhile (it was {current}).")
    return current


def _required(text: str, attr: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput({attr: ["Say what was done." if attr == "note" else "Say why."]})
    return text


def _step(
    action: Action, kind: str, *, by: User, text: str, before: tuple[str, ...], to: str, **fields
) -> Action:
    """One person's step: the conditional move, then its trail event with the why."""
    left = _move(action, before, to, **fields)
    _event(kind, action, by=by, reason=text, before={"status": left}, after={"status": to})
    return Action.objects.select_related("branch").get(pk=action.pk)


def action_complete(
    *, action: Action, by: User, note: str, photos: Sequence[UploadedFile] = ()
) -> Action:
    """The owner reports the fix done (open -> completed), with a note and optional photos.

    The photos are checked and stripped first (a refused one is a 4xx on `photos.<i>` and
    nothing changes), then stored in the completion's transaction.
    """
    note = _required(note, "note")
    prepared = [evidence.evidence_prepare(upload, f"photos.{i}") for i, upload in enumerate(photos)]
    written: list[EvidencePhoto] = []
    try:
        with transaction.atomic():
            done = _step(
                action,
                EventKind.ACTION_COMPLETED,
                by=by,
                text=note,
                before=(A.OPEN,),
                to=A.COMPLETED,
                notes=note,
                completed_at=timezone.now(),
                completed_by=by,
            )
            if prepared:
                evidence.completion_photos_store(
                    action=done, by=by, photos=prepared, written=written
                )
            notifications.on_action_completed(done)
    except BaseException:
        for row in written:  # storage is not transactional
            files_discard(row)
        raise
    return done


@transaction.atomic
def action_verify(*, action: Action, by: User, reason: str) -> Action:
    """Head office signs a completed fix off (completed -> verified), with a reason."""
    reason = _required(reason, "reason")
    return _step(
        action,
        EventKind.ACTION_VERIFIED,
        by=by,
        text=reason,
        before=(A.COMPLETED,),
        to=A.VERIFIED,
        verified_at=timezone.now(),
        verified_by=by,
        reason=reason,
    )


@transaction.atomic
def action_reopen(*, action: Action, by: User, reason: str) -> Action:
    """Head office sends a fix back (completed or verified -> open), with a reason; a
    reopened verified action is refused while another is open for the item (a 409)."""
    reason = _required(reason, "reason")
    if Action.objects.filter(
        ~Q(pk=action.pk), branch_id=action.branch_id, item=action.item, status__in=OWED_STATUSES
    ).exists():
        raise InvalidTransition("Another action for this item is open at the branch.")
    return _step(
        action,
        EventKind.ACTION_REOPENED,
        by=by,
        text=reason,
        before=(A.COMPLETED, A.VERIFIED),
        to=A.OPEN,
        reason=reason,
        verified_at=None,
        verified_by=None,
        closed_by_audit=None,
    )
