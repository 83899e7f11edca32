"""The report's state machine: every status change of a submission goes through `move`.

A change is one conditional UPDATE from the status the row has now, recorded (who, when, why)
in the same transaction; a step the lifecycle does not have is a 409 `invalid_transition`
naming the current status. Status values only ever grow (phones and integrations read them).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audits.errors import InvalidTransition
from audits.models import EventKind, Submission, SubmissionStatus, SubmissionTransition, User
from audits.services import trail

S = SubmissionStatus
REVIEWABLE = (S.SCORED, S.IN_REVIEW)
DECISIONS = (S.RELEASED, S.RELEASED_EXCLUDED, S.RETURNED, S.REJECTED)

# Every (from, to) step a service may take. Scoring's own step (queued -> scored) is the
# worker's claim in audits.services.scoring, one UPDATE for a whole batch.
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (S.AWAITING_MEDIA, S.QUEUED),  # the last photo arrived, or the media deadline passed
        (S.QUEUED, S.SCORED),
        (S.SCORED, S.IN_REVIEW),  # a reviewer claims it
        (S.IN_REVIEW, S.IN_REVIEW),  # another reviewer takes over a lapsed claim
        *((before, after) for before in REVIEWABLE for after in DECISIONS),
        (S.RETURNED, S.AWAITING_MEDIA),  # the shopper resubmits, with photos to come
        (S.RETURNED, S.QUEUED),  # the shopper resubmits, complete
        (S.RETURNED, S.REJECTED),  # the return's deadline passed
    }
)

# Reasons the system records for the changes it makes itself (`by` is None).
AUTO_RELEASE = "auto_release"
REVIEW_SLA = "review_sla"
RETURN_EXPIRED = "return_expired"
MEDIA_DEADLINE = "media_deadline"


def refused(current: str, to: str) -> InvalidTransition:
    return InvalidTransition(f"This submission is {current}: it cannot become {to}.")


def move(
    submission_id: int,
    to: str,
    *,
    by: User | None,
    reason: str = "",
    when: Q | None = None,
    **fields,
) -> str:
    """Move one submission to `to`; returns the status it left.

    `when` narrows the conditional update further (a claim: nobody else holds it); if it
    fails, the caller's own error is raised by the caller, so `move` raises only for a step
    the lifecycle lacks or a row changed between the read and the update.
    """
    with transaction.atomic():
        current, brand_id, shopper_id = (
            Submission.objects.filter(pk=submission_id)
            .values_list("status", "assignment__branch__brand_id", "shopper_id")
            .first()
        ) or (None, None, None)
        if (current, to) not in TRANSITIONS:
            raise refused(current, to)
        rows = Submission.objects.filter(pk=submission_id, status=current)
        if when is not None:
            rows = rows.filter(when)
        if rows.update(status=to, **fields) != 1:
            raise InvalidTransition(f"This submission changed meanwhile (it was {current}).")
        SubmissionTransition.objects.create(
            submission_id=submission_id, from_status=current, to_status=to, by=by, reason=reason
        )
        trail.record(
            _kind(current, to),
            brand_id=brand_id,
            by=by,
            submission_id=submission_id,
            shopper_id=shopper_id,
            reason=reason,
            before={"status": current},
            after={"status": to},
        )
    return current


def _kind(before: str, to: str) -> str:
    """A claim (or a take-over of a lapsed one) is its own kind; every other step a status."""
    return EventKind.CLAIM if to == S.IN_REVIEW else EventKind.STATUS


def move_many(ids: Iterable[int], before: str, to: str, *, reason: str, **fields) -> list[int]:
    """The system moves many rows at once (`by` None): those still `before`; returns them.

    For periodic sweeps and automatic release: rows a person changed meanwhile are left alone
    (the UPDATE is conditional on `before`), and each moved row's change is recorded.
    """
    if (before, to) not in TRANSITIONS:
        raise refused(before, to)
    ids = list(ids)
    if not ids:
        return []
    with transaction.atomic():
        moved = list(
            Submission.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, status=before)
            .values_list("pk", flat=True)
        )
        if not moved:
            return []
        Submission.objects.filter(pk__in=moved, status=before).update(status=to, **fields)
        now = timezone.now()
        SubmissionTransition.objects.bulk_create(
            SubmissionTransition(
                submission_id=pk, from_status=before, to_status=to, at=now, reason=reason
            )
            for pk in moved
        )
        brands = dict(
            Submission.objects.filter(pk__in=moved).values_list(
                "pk", "assignment__branch__brand_id"
            )
        )
        trail.record_all(
            trail.event(
                _kind(before, to),
                brand_id=brands[pk],
                by=None,
                submission_id=pk,
                reason=reason,
                before={"status": before},
                after={"status": to},
                at=now,
            )
            for pk in moved
        )
    return moved
