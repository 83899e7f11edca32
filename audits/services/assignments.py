"""Offering visits to shoppers, and their lifecycle: accept, decline, cancel, expire."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audits.errors import Conflict, InvalidInput, InvalidTransition
from audits.models import (
    Assignment,
    AssignmentStatus,
    AssignmentTransition,
    Branch,
    Brand,
    ChecklistVersion,
    Membership,
    Role,
    User,
)


def assignment_create(
    *,
    brand: Brand,
    branch: int,
    shopper: int,
    checklist: int,
    window_start: datetime,
    window_end: datetime,
    scenario: str = "",
) -> Assignment:
    """Offer a visit; every id must belong to the caller's brand, each is checked by name."""
    errors: dict[str, list[str]] = {}
    branch_obj = Branch.objects.filter(pk=branch, brand=brand).first()
    if branch_obj is None:
        errors["branch"] = ["Unknown branch."]
    shopper_obj = User.objects.filter(
        pk=shopper,
        is_active=True,
        memberships__role=Role.SHOPPER,
        memberships__brand=brand,
    ).first()
    if shopper_obj is None:
        errors["shopper"] = ["Unknown shopper."]
    checklist_obj = ChecklistVersion.objects.filter(pk=checklist, template__brand=brand).first()
    if checklist_obj is None:
        errors["checklist"] = ["Unknown checklist version."]
    if window_end <= window_start:
        errors["window_end"] = ["The window must end after it starts."]
    if shopper_obj is not None and branch_obj is not None and _works_there(shopper_obj, branch_obj):
        errors["shopper"] = ["This shopper also has a role at the branch and cannot audit it."]
    if errors:
        raise InvalidInput(errors)
    return Assignment.objects.create(
        branch=branch_obj,
        shopper=shopper_obj,
        checklist=checklist_obj,
        scenario=scenario,
        window_start=window_start,
        window_end=window_end,
    )


def _works_there(shopper: User, branch: Branch) -> bool:
    """A shopper never audits a branch they (also) own: the ethics of the trade."""
    return Membership.objects.filter(
        user=shopper, role=Role.OWNER, franchisee_id=branch.franchisee_id
    ).exists()


# The whole assignment lifecycle: (from, to) pairs a service may make. A submission moves an
# assignment to submitted itself (audits.services.submissions).
TRANSITIONS = {
    (AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED),  # the shopper
    (AssignmentStatus.OFFERED, AssignmentStatus.DECLINED),  # the shopper, with a reason
    (AssignmentStatus.OFFERED, AssignmentStatus.CANCELLED),  # head office, with a reason
    (AssignmentStatus.ACCEPTED, AssignmentStatus.CANCELLED),  # head office, with a reason
    (AssignmentStatus.OFFERED, AssignmentStatus.EXPIRED),  # the window ended, nothing sent
    (AssignmentStatus.ACCEPTED, AssignmentStatus.EXPIRED),
}
WINDOW_ENDED = "window_ended"


def _transition(
    *, assignment: Assignment, to: str, by: User | None, reason: str = "", **fields
) -> Assignment:
    """Move `assignment` to `to` by a conditional update from the status it has now.

    409 `invalid_transition`, naming the current status, when the lifecycle has no such step;
    the change is recorded (who, when, why) in the same transaction.
    """
    with transaction.atomic():
        current = (
            Assignment.objects.filter(pk=assignment.pk).values_list("status", flat=True).first()
        )
        if (current, to) not in TRANSITIONS:
            raise InvalidTransition(f"This assignment is {current}: it cannot become {to}.")
        changed = Assignment.objects.filter(pk=assignment.pk, status=current).update(
            status=to, **fields
        )
        if changed != 1:  # another request moved it between the read and the update
            raise InvalidTransition("This assignment changed meanwhile; read it again.")
        AssignmentTransition.objects.create(
            assignment_id=assignment.pk, from_status=current, to_status=to, by=by, reason=reason
        )
    return Assignment.objects.get(pk=assignment.pk)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": ["Say why."]}, code="required")
    return reason


def assignment_accept(*, assignment: Assignment, by: User | None = None) -> Assignment:
    """Accept an offered visit; accepting twice is harmless (phones retry)."""
    current = Assignment.objects.get(pk=assignment.pk)
    if current.status == AssignmentStatus.ACCEPTED:
        return current
    if current.status == AssignmentStatus.OFFERED and current.window_end <= timezone.now():
        raise Conflict("This assignment's visit window has passed.")
    return _transition(
        assignment=current,
        to=AssignmentStatus.ACCEPTED,
        by=by or current.shopper,
        accepted_at=timezone.now(),
    )


def assignment_decline(*, assignment: Assignment, by: User, reason: str) -> Assignment:
    """The shopper turns an offer down, saying why; an accepted visit can no longer be."""
    return _transition(
        assignment=assignment, to=AssignmentStatus.DECLINED, by=by, reason=_reason(reason)
    )


def assignment_cancel(*, assignment: Assignment, by: User, reason: str) -> Assignment:
    """Head office calls an offered or accepted visit off, saying why; a submitted one stays."""
    return _transition(
        assignment=assignment, to=AssignmentStatus.CANCELLED, by=by, reason=_reason(reason)
    )


EXPIRE_BATCH = 1000


@transaction.atomic
def _expire_batch(stale, from_status: str, now) -> int:
    """Expire up to EXPIRE_BATCH of `stale` (locked, skipping rows others hold); how many."""
    ids = list(
        stale.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[
            :EXPIRE_BATCH
        ]
    )
    if not ids:
        return 0
    Assignment.objects.filter(pk__in=ids, status=from_status).update(
        status=AssignmentStatus.EXPIRED
    )
    AssignmentTransition.objects.bulk_create(
        AssignmentTransition(
            assignment_id=pk,
            from_status=from_status,
            to_status=AssignmentStatus.EXPIRED,
            at=now,
            reason=WINDOW_ENDED,
        )
        for pk in ids
    )
    return len(ids)


def assignments_expire(*, now=None) -> int:
    """Offered and accepted visits whose window ended with nothing sent become expired.

    One conditional UPDATE per batch (rows a submission took meanwhile are left alone);
    returns how many expired. Periodic (beat).
    """
    now = now or timezone.now()
    stale = Assignment.objects.filter(
        status__in=(AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED),
        window_end__lte=now,
        submission__isnull=True,
    )
    expired = 0
    for from_status in (AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED):
        while batch := _expire_batch(stale.filter(status=from_status), from_status, now):
            expired += batch
    return expired
