"""Turning queued submissions into score rows, exactly once each.

The worker claims a submission with a conditional update inside the transaction that also
writes its score: if the worker dies half-way the transaction rolls back, the row is still
`queued`, and the redelivered message (late ack) or the periodic sweep scores it again. A
second delivery of a task that already succeeded finds nothing to claim and does nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audits.models import Answer, Assignment, AssignmentStatus, Score, Submission, SubmissionStatus
from scoring.engine import ENGINE_VERSION, result_to_dict, score
from scoring.types import Answer as AnswerData
from scoring.types import ScoreResult


def answers_as_data(answers: list[Answer]) -> list[AnswerData]:
    """Map stored answer rows to the scoring package's dataclasses (the one place it happens)."""
    return [
        AnswerData(item=a.item, value=a.value, na=a.na, comment=a.comment)
        for a in sorted(answers, key=lambda a: a.position)
    ]


def score_fields(result: ScoreResult) -> dict:
    """The Score row's columns for an engine result, rounded to 2 decimals for storage."""
    data = result_to_dict(result)
    overall = data["overall"]
    return {
        "overall": None if overall is None else Decimal(str(overall)),
        "passed": data["passed"],
        "critical_failures": data["critical_failures"],
        "sections": data["sections"],
        "dimensions": data["dimensions"],
        "items": data["items"],
    }


def submission_score(*, submission_id: int) -> Score | None:
    """Score a queued submission; None when it is not (or no longer) queued."""
    with transaction.atomic():
        claimed = Submission.objects.filter(
            pk=submission_id, status=SubmissionStatus.QUEUED
        ).update(status=SubmissionStatus.SCORED, scored_at=timezone.now())
        if not claimed:
            return None
        submission = (
            Submission.objects.select_related("assignment__checklist")
            .prefetch_related("answers")
            .get(pk=submission_id)
        )
        checklist_version = submission.assignment.checklist
        result = score(checklist_version.checklist, answers_as_data(list(submission.answers.all())))
        Score.objects.filter(submission=submission, is_current=True).update(is_current=False)
        score_row = Score.objects.create(
            submission=submission,
            checklist=checklist_version,
            engine_version=ENGINE_VERSION,
            **score_fields(result),
        )
        Assignment.objects.filter(pk=submission.assignment_id).update(
            status=AssignmentStatus.SCORED
        )
    return score_row


def stuck_submission_ids(*, limit: int = 1000) -> list[int]:
    """Submissions queued longer ago than SCORING_STUCK_AFTER: their message was lost."""
    cutoff = timezone.now() - settings.SCORING_STUCK_AFTER
    return list(
        Submission.objects.filter(status=SubmissionStatus.QUEUED, queued_at__lt=cutoff)
        .order_by("queued_at")
        .values_list("pk", flat=True)[:limit]
    )
