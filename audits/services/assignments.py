"""Offering visits to shoppers and their acceptance."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audits.errors import Conflict, InvalidInput
from audits.models import (
    Assignment,
    AssignmentStatus,
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


@transaction.atomic
def assignment_accept(*, assignment: Assignment) -> Assignment:
    """Accept an offered visit; accepting twice is harmless (phones retry)."""
    locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.status == AssignmentStatus.ACCEPTED:
        return locked
    if locked.status != AssignmentStatus.OFFERED:
        raise Conflict(f"This assignment is {locked.status} and cannot be accepted.")
    if locked.window_end <= timezone.now():
        raise Conflict("This assignment's visit window has passed.")
    locked.status = AssignmentStatus.ACCEPTED
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["status", "accepted_at"])
    return locked
