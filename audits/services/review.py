"""Quality control: a report reaches owners only once a reviewer (or the brand's rule) releases it.

Reviewers claim a scored report (`in_review`, held for the brand's `claim_minutes`), then
release it, release it excluded from the scores, return it to its shopper with questions, or
reject it. A brand may let low-risk reports release themselves at once (`auto_release`) or
after `review_sla_hours` unreviewed (`sla_release_max_risk`). Periodic sweeps queue reports
whose photos never came and reject returns left unanswered past their deadline.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audits.errors import Conflict, HeldByAnother, InvalidInput
from audits.models import (
    RISK_ORDER,
    Brand,
    BrandSettings,
    RiskLevel,
    Submission,
    SubmissionStatus,
    User,
)
from audits.services import notifications
from audits.services import submission_states as states
from audits.services.actions import actions_on_release
from audits.services.benchmarks.scheduling import benchmarks_refresh_on_commit
from audits.services.brand_settings import brand_settings_for
from audits.services.integrity import Checked
from audits.services.submissions import submission_queue_for_scoring

S = SubmissionStatus
ACTIONS = {
    "release": S.RELEASED,
    "release_excluded": S.RELEASED_EXCLUDED,
    "return": S.RETURNED,
    "reject": S.REJECTED,
}
MAX_QUESTIONS = 20
MAX_RETURN = timedelta(days=30)

logger = logging.getLogger(__name__)


def risks_up_to(level: str) -> tuple[str, ...]:
    """The risks a release rule at `level` lets through (`off`: none)."""
    if level == RiskLevel.OFF:
        return ()
    return RISK_ORDER[: RISK_ORDER.index(level) + 1]


def _claim_lapsed_before(submission: Submission, now: datetime) -> datetime:
    minutes = brand_settings_for(submission.assignment.branch.brand).claim_minutes
    return now - timedelta(minutes=minutes)


def _free_for(user: User, lapsed_before: datetime) -> Q:
    """Rows the caller may take: unclaimed, claimed by them, or held past the claim time."""
    return Q(claimed_by__isnull=True) | Q(claimed_by=user) | Q(claimed_at__lt=lapsed_before)


def _held_error(submission_id: int) -> HeldByAnother:
    row = Submission.objects.select_related("claimed_by").get(pk=submission_id)
    holder = row.claimed_by.username if row.claimed_by else "another reviewer"
    return HeldByAnother(
        f"{holder} holds this report in review since {row.claimed_at:%Y-%m-%d %H:%M} UTC."
    )


def _move_as_reviewer(
    submission: Submission, to: str, by: User, lapsed_before: datetime, **fields
) -> None:
    """A reviewer's step: only on a report nobody else holds (unclaimed, theirs, or lapsed);
    one another reviewer holds is 409 `held_by_another`, naming them."""
    try:
        states.move(submission.pk, to, by=by, when=_free_for(by, lapsed_before), **fields)
    except Conflict:
        if Submission.objects.filter(pk=submission.pk, status=S.IN_REVIEW).exists():
            raise _held_error(submission.pk) from None
        raise


def submission_claim(*, submission: Submission, by: User) -> Submission:
    """Put a scored report `in_review` for `by`; claiming one's own again renews the hold.

    409 `held_by_another` while another reviewer's claim stands, `invalid_transition` for a
    report that is not waiting for review.
    """
    now = timezone.now()
    lapsed_before = _claim_lapsed_before(submission, now)
    current = Submission.objects.values_list("status", flat=True).get(pk=submission.pk)
    if current not in states.REVIEWABLE:
        raise states.refused(current, S.IN_REVIEW)
    _move_as_reviewer(
        submission, S.IN_REVIEW, by, lapsed_before, reason="claim", claimed_by=by, claimed_at=now
    )
    return Submission.objects.get(pk=submission.pk)


def _questions(questions: Sequence[str] | None) -> list[str]:
    cleaned = [str(q).strip() for q in (questions or []) if str(q).strip()]
    if not cleaned:
        raise InvalidInput(
            {"questions": ["Ask the shopper at least one question."]}, code="required"
        )
    if len(cleaned) > MAX_QUESTIONS:
        raise InvalidInput({"questions": [f"At most {MAX_QUESTIONS} questions."]})
    return cleaned


def _deadline(deadline: datetime | None, settings: BrandSettings, now: datetime) -> datetime:
    if deadline is None:
        return now + timedelta(hours=settings.return_hours)
    if not now < deadline <= now + MAX_RETURN:
        raise InvalidInput({"deadline": ["Must be in the future and within 30 days."]})
    return deadline


@transaction.atomic
def submission_review(
    *,
    submission: Submission,
    by: User,
    action: str,
    reason: str = "",
    questions: Sequence[str] | None = None,
    deadline: datetime | None = None,
) -> Submission:
    """Decide a report waiting for review (claimed by the caller, or by nobody now).

    `reason` is required for every action but `release`; `return` needs `questions` and
    gives the shopper until `deadline` (default: the brand's `return_hours`). Release
    schedules the brand's league-table refresh.
    """
    if action not in ACTIONS:
        raise InvalidInput({"action": [f"Expected one of: {', '.join(ACTIONS)}."]})
    reason = (reason or "").strip()
    if action != "release" and not reason:
        raise InvalidInput({"reason": ["Say why."]}, code="required")
    now = timezone.now()
    settings = brand_settings_for(submission.assignment.branch.brand)
    fields: dict = {"review_reason": reason, "claimed_by": None, "claimed_at": None}
    to = ACTIONS[action]
    if to == S.RETURNED:
        fields["questions"] = _questions(questions)
        fields["return_deadline"] = _deadline(deadline, settings, now)
    if to in (S.RELEASED, S.RELEASED_EXCLUDED):
        fields["released_at"] = now
    lapsed_before = now - timedelta(minutes=settings.claim_minutes)
    _move_as_reviewer(submission, to, by, lapsed_before, reason=reason, **fields)
    decided = Submission.objects.select_related("assignment__branch", "shopper").get(
        pk=submission.pk
    )
    if to == S.RELEASED:
        actions_on_release([submission.pk])
        benchmarks_refresh_on_commit([submission.pk])
    if to in (S.RELEASED, S.RELEASED_EXCLUDED):
        notifications.on_released([decided])
    if to == S.RETURNED:
        notifications.on_returned(decided)
    return decided


# --- Rules and sweeps the system runs (`by` None) -------------------------------------------


@transaction.atomic
def _release(ids: Iterable[int], before: str, reason: str) -> list[int]:
    released = states.move_many(
        ids,
        before,
        S.RELEASED,
        reason=reason,
        released_at=timezone.now(),
        claimed_by=None,
        claimed_at=None,
    )
    actions_on_release(released)
    benchmarks_refresh_on_commit(released)
    notifications.on_released(
        Submission.objects.filter(pk__in=released).select_related("assignment__branch")
    )
    return released


def auto_release(checked: Sequence[Checked]) -> list[int]:
    """Just-checked reports whose risk the brand's `auto_release` lets through release now.

    Never a resubmission: a reviewer asked its shopper questions and reads the answers.
    """
    chosen = [
        report.submission_id
        for report in checked
        if report.version == 1 and report.risk in risks_up_to(report.settings.auto_release)
    ]
    return _release(chosen, S.SCORED, states.AUTO_RELEASE) if chosen else []


def _settings_of_brands_with(status: str) -> list[BrandSettings]:
    brand_ids = (
        Submission.objects.filter(status=status)
        .values_list("assignment__branch__brand_id", flat=True)
        .distinct()
    )
    return [brand_settings_for(brand) for brand in Brand.objects.filter(pk__in=brand_ids)]


def _of_brand(settings: BrandSettings, status: str):
    return Submission.objects.filter(status=status, assignment__branch__brand_id=settings.pk)


def reviews_release_overdue(*, now: datetime | None = None) -> int:
    """Reports unreviewed for `review_sla_hours`, at or below `sla_release_max_risk`, release.

    A report a reviewer holds (in review, claim not lapsed) is left to them; one whose claim
    lapsed is as unreviewed as one never claimed.
    """
    now = now or timezone.now()
    released = 0
    brands = {
        settings.pk: settings
        for status in states.REVIEWABLE
        for settings in _settings_of_brands_with(status)
    }
    for settings in brands.values():
        allowed = risks_up_to(settings.sla_release_max_risk)
        if not allowed:
            continue
        due = Q(scored_at__lt=now - timedelta(hours=settings.review_sla_hours), risk__in=allowed)
        lapsed = Q(claimed_at__lt=now - timedelta(minutes=settings.claim_minutes))
        for status, rows in (
            (S.SCORED, _of_brand(settings, S.SCORED).filter(due)),
            (S.IN_REVIEW, _of_brand(settings, S.IN_REVIEW).filter(due, lapsed)),
        ):
            released += len(_release(rows.values_list("pk", flat=True), status, states.REVIEW_SLA))
    return released


def returns_expire(*, now: datetime | None = None) -> int:
    """Returned reports whose shopper did not answer by the deadline become rejected."""
    now = now or timezone.now()
    overdue = Submission.objects.filter(status=S.RETURNED, return_deadline__lt=now)
    moved = states.move_many(
        overdue.values_list("pk", flat=True),
        S.RETURNED,
        S.REJECTED,
        reason=states.RETURN_EXPIRED,
        review_reason=states.RETURN_EXPIRED,
    )
    if moved:
        logger.info("rejected %d returned report(s) past their deadline", len(moved))
    return len(moved)


def submissions_queue_overdue_media(*, now: datetime | None = None) -> int:
    """Reports still waiting for photos past the brand's `media_deadline_hours` are scored
    as they are (their missing photos are then signalled)."""
    now = now or timezone.now()
    queued = 0
    for settings in _settings_of_brands_with(S.AWAITING_MEDIA):
        cutoff = now - timedelta(hours=settings.media_deadline_hours)
        late = _of_brand(settings, S.AWAITING_MEDIA).filter(received_at__lt=cutoff)
        for submission in late:
            try:
                with transaction.atomic():
                    states.move(submission.pk, S.QUEUED, by=None, reason=states.MEDIA_DEADLINE)
                    submission_queue_for_scoring(submission=submission)
            except Conflict:  # its last photo arrived meanwhile and queued it
                continue
            queued += 1
    return queued
