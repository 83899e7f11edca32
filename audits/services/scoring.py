"""Turning queued submissions into score rows, exactly once each, one or a backlog at a time.

The worker claims submissions with one conditional update (`status = queued` → `scored`)
inside the transaction that also writes their scores: if the worker dies half-way the
transaction rolls back, the rows are still `queued`, and the redelivered message (late ack) or
the periodic sweep scores them again. A second delivery of a task that already succeeded finds
nothing to claim and does nothing. A concurrent worker given overlapping ids waits for the
first one's commit, then finds those rows no longer queued and skips them.

A backlog is scored with a fixed number of queries per batch whatever its size: the claim,
the assignments, the checklist versions, the answers and the earlier revisions are each read
in one query, and the scores written with one `bulk_create`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from audits import dispatch
from audits.models import (
    Answer,
    Assignment,
    AssignmentStatus,
    EventKind,
    Score,
    Submission,
    SubmissionStatus,
    parsed_checklists,
)
from audits.services import trail
from audits.services.integrity import signals_record
from audits.services.review import auto_release
from scoring.engine import ENGINE_VERSION, result_to_dict, score
from scoring.types import Answer as AnswerData
from scoring.types import Checklist, ScoreResult

# Submissions per backlog task and per re-scoring transaction: big enough that the fixed
# queries are spread thin, small enough that a transaction (and its row locks) stays short.
BACKLOG_BATCH_SIZE = 200

logger = logging.getLogger(__name__)


def score_fields(result: ScoreResult) -> dict:
    """The Score row's columns for an engine result, rounded to 2 decimals for storage."""
    data = result_to_dict(result)
    overall, calculated = data["overall"], data["calculated_overall"]
    return {
        "overall": None if overall is None else Decimal(str(overall)),
        "calculated_overall": None if calculated is None else Decimal(str(calculated)),
        "passed": data["passed"],
        "critical_failures": data["critical_failures"],
        "sections": data["sections"],
        "dimensions": data["dimensions"],
        "items": data["items"],
    }


# --- Bulk reads shared by backlog scoring and re-scoring ---------------------------------------


def answers_by_submission(submission_ids: Iterable[int]) -> dict[int, list[AnswerData]]:
    """Every answer of these submissions in one query, as engine dataclasses in answer order.

    Read as tuples, not model instances: at backlog sizes (40 answers a submission) building
    instances costs more than scoring them.
    """
    rows = (
        Answer.objects.filter(submission_id__in=list(submission_ids))
        .order_by("submission_id", "position")
        .values_list("submission_id", "item", "value", "na", "comment")
    )
    answers: dict[int, list[AnswerData]] = defaultdict(list)
    for submission_id, item, value, na, comment in rows:
        answers[submission_id].append(AnswerData(item=item, value=value, na=na, comment=comment))
    return answers


@dataclass(frozen=True)
class ScoredSubmission:
    """An engine result waiting to be written, with the version it was scored against."""

    submission_id: int
    checklist_id: int
    result: ScoreResult


def score_many(
    checklist_of: Mapping[int, int], *, checklists: Mapping[int, Checklist] | None = None
) -> list[ScoredSubmission]:
    """Score submissions (id -> checklist version id) with the pure engine, reading in bulk.

    `checklists` may carry versions already parsed (re-scoring reuses them across batches);
    missing ones are read in one query. Raises whatever the engine raises: the caller's
    transaction then rolls back and nothing is half-written.
    """
    known = dict(checklists or {})
    missing = set(checklist_of.values()) - known.keys()
    if missing:
        known.update(parsed_checklists(missing))
    answers = answers_by_submission(checklist_of)
    return [
        ScoredSubmission(
            submission_id=submission_id,
            checklist_id=checklist_id,
            result=score(known[checklist_id], answers.get(submission_id, [])),
        )
        for submission_id, checklist_id in sorted(checklist_of.items())
    ]


def write_scores(scored: Sequence[ScoredSubmission]) -> list[Score]:
    """Store new current score rows, keeping the earlier ones as history (three queries).

    The new row's revision is one more than the highest revision already stored for the same
    engine version, or 0 for a version never used on that submission; earlier rows lose
    `is_current` first, so the one-current-row constraint holds at every statement.
    """
    if not scored:
        return []
    ids = [entry.submission_id for entry in scored]
    latest = dict(
        Score.objects.filter(submission_id__in=ids, engine_version=ENGINE_VERSION)
        .values("submission_id")
        .annotate(latest=Max("revision"))
        .values_list("submission_id", "latest")
    )
    Score.objects.filter(submission_id__in=ids, is_current=True).update(is_current=False)
    rows = [
        Score(
            submission_id=entry.submission_id,
            checklist_id=entry.checklist_id,
            engine_version=ENGINE_VERSION,
            revision=latest[entry.submission_id] + 1 if entry.submission_id in latest else 0,
            is_current=True,
            **score_fields(entry.result),
        )
        for entry in scored
    ]
    return Score.objects.bulk_create(rows)


def score_summary(score: Score | None) -> dict:
    """What a trail event keeps of a score: the figures a reader compares, not every item."""
    if score is None:
        return {}
    return {
        "overall": None if score.overall is None else float(score.overall),
        "passed": score.passed,
        "revision": score.revision,
        "engine_version": score.engine_version,
    }


# --- Claiming and scoring queued submissions ------------------------------------------------


def _claim_queued(submission_ids: Sequence[int]) -> dict[int, int]:
    """Mark the still-queued ones among `submission_ids` scored; returns id -> assignment id.

    One `UPDATE ... WHERE status = 'queued' RETURNING`: the database decides which caller gets
    each row, so two workers never score the same submission, and no row is read before it is
    ours. (Django's `update()` returns only a count, which cannot say which rows we won.)
    """
    if not submission_ids:
        return {}
    q, table = connection.ops.quote_name, _submission_table()
    placeholders = ", ".join(["%s"] * len(submission_ids))
    return _claimed(
        f"UPDATE {table} SET {q('status')} = %s, {q('scored_at')} = %s "
        f"WHERE {q('status')} = %s AND {q('id')} IN ({placeholders}) "
        f"RETURNING {q('id')}, {q('assignment_id')}",
        [*_scored_now(), SubmissionStatus.QUEUED.value, *submission_ids],
    )


def _claim_waiting(limit: int) -> dict[int, int]:
    """Claim up to `limit` other queued submissions, the longest waiting first, skipping rows
    another worker is claiming (`FOR UPDATE SKIP LOCKED`: no worker waits for another here).

    Their own tasks, still in the broker, later find them scored and do nothing. Databases
    without SKIP LOCKED (SQLite, the embedded default) claim none.
    """
    if limit <= 0 or not connection.features.has_select_for_update_skip_locked:
        return {}
    q, table = connection.ops.quote_name, _submission_table()
    # A CTE, not `id IN (SELECT ... LIMIT)`: PostgreSQL may run such a subquery more than
    # once, and with SKIP LOCKED each run can pick other rows, past the limit.
    return _claimed(
        f"WITH waiting AS (SELECT {q('id')} FROM {table} WHERE {q('status')} = %s "
        f"ORDER BY {q('queued_at')} LIMIT %s FOR UPDATE SKIP LOCKED) "
        f"UPDATE {table} SET {q('status')} = %s, {q('scored_at')} = %s "
        f"FROM waiting WHERE {table}.{q('id')} = waiting.{q('id')} "
        f"RETURNING {table}.{q('id')}, {table}.{q('assignment_id')}",
        [SubmissionStatus.QUEUED.value, limit, *_scored_now()],
    )


def _submission_table() -> str:
    return connection.ops.quote_name(Submission._meta.db_table)


def _scored_now() -> list:
    """The values of `SET status = %s, scored_at = %s` for a claim made now."""
    scored_at = Submission._meta.get_field("scored_at").get_db_prep_value(
        timezone.now(), connection
    )
    return [SubmissionStatus.SCORED.value, scored_at]


def _claimed(sql: str, params: list) -> dict[int, int]:
    """Run a claim's `UPDATE ... RETURNING id, assignment_id`; returns id -> assignment id."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def score_backlog(submission_ids: Iterable[int], *, also_waiting: int = 0) -> list[Score]:
    """Score the queued submissions among `submission_ids` in one transaction; returns new rows.

    Ids that are not queued (already scored, still awaiting photos, unknown) are skipped, so
    the call is safe to repeat. With `also_waiting`, up to that many other queued submissions
    are claimed and scored in the same batch (`_claim_waiting`). Eight queries for the scores
    whatever the number of ids, then a few per submission for its integrity signals; callers
    keep batches to a few hundred so that a transaction stays short.
    """
    ids = sorted({int(submission_id) for submission_id in submission_ids})
    if not ids:
        return []
    with transaction.atomic():
        claimed = _claim_queued(ids)
        if not claimed:
            return []
        claimed.update(_claim_waiting(also_waiting))  # ours are no longer queued
        assignments = {
            pk: (checklist_id, brand_id)
            for pk, checklist_id, brand_id in Assignment.objects.filter(
                pk__in=claimed.values()
            ).values_list("id", "checklist_id", "branch__brand_id")
        }
        scored = score_many(
            {
                submission_id: assignments[assignment_id][0]
                for submission_id, assignment_id in claimed.items()
            }
        )
        rows = write_scores(scored)
        trail.record_all(
            trail.event(
                EventKind.STATUS,
                brand_id=assignments[claimed[row.submission_id]][1],
                by=None,
                submission_id=row.submission_id,
                before={"status": SubmissionStatus.QUEUED},
                after={"status": SubmissionStatus.SCORED, **score_summary(row)},
            )
            for row in rows
        )
        Assignment.objects.filter(pk__in=claimed.values()).update(status=AssignmentStatus.SCORED)
        # Complete and scored: checked for integrity, then released at once if the brand's
        # rule lets its risk through (which schedules the league-table refresh), else queued
        # for review.
        auto_release(signals_record(claimed))
    return rows


# Errors that pass: a dropped or restarting database (OperationalError; InterfaceError when the
# connection was closed under the query), a broker gone mid-send, a network timeout. A task
# retries them; a batch is never split for them (the whole batch is tried again).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    dispatch.BrokerUnavailable,
    ConnectionError,
    TimeoutError,
)


def score_backlog_or_split(submission_ids: Sequence[int]) -> int:
    """Score the queued ones among `submission_ids` in one transaction; returns how many.

    If the batch fails for another reason, one bad submission must not hold the others back
    on every redelivery: each id is sent again as its own task, and only the bad one fails
    (0 is returned then). A lost connection is raised for the task to retry the batch.
    """
    try:
        return len(score_backlog(submission_ids))
    except TRANSIENT_ERRORS:
        raise
    except Exception:
        if len(submission_ids) <= 1:
            raise
        logger.exception("backlog batch of %d failed; scoring one by one", len(submission_ids))
        for submission_id in submission_ids:
            dispatch.send(dispatch.SCORE_SUBMISSION, submission_id)
        return 0


def submission_score(*, submission_id: int) -> Score | None:
    """Score one queued submission, and the others queued behind it as one batch; returns
    its score, or None when it is not (or no longer) queued.

    Under load a worker then scores about as fast as a backlog (a few queries a batch, not a
    task's fixed cost per submission), and the tasks of the rows it took find nothing to do.
    If the batch fails for another reason than a lost connection, this one is scored alone:
    the others' own tasks score them (or fail on their own).
    """
    try:
        rows = score_backlog([submission_id], also_waiting=BACKLOG_BATCH_SIZE - 1)
    except TRANSIENT_ERRORS:
        raise
    except Exception:
        logger.exception("batch around submission %s failed; scoring it alone", submission_id)
        rows = score_backlog([submission_id])
    return next((row for row in rows if row.submission_id == submission_id), None)


def stuck_submission_ids(*, limit: int = 1000) -> list[int]:
    """Queued submissions whose message is gone: never published (`send_failed_at`, the
    broker was down) or queued longer ago than SCORING_STUCK_AFTER (lost on the way)."""
    cutoff = timezone.now() - settings.SCORING_STUCK_AFTER
    return list(
        Submission.objects.filter(status=SubmissionStatus.QUEUED)
        .filter(Q(queued_at__lt=cutoff) | Q(send_failed_at__isnull=False))
        .order_by("queued_at")
        .values_list("pk", flat=True)[:limit]
    )


def stuck_submissions_resend() -> int:
    """Send again, in batches, the submissions whose message is gone; each batch sent
    clears its flags (a send that fails raises, and the flags stay for the next sweep)."""
    ids = stuck_submission_ids()
    size = BACKLOG_BATCH_SIZE
    for start in range(0, len(ids), size):
        batch = ids[start : start + size]
        dispatch.send(dispatch.SCORE_BACKLOG, batch)
        Submission.objects.filter(pk__in=batch, send_failed_at__isnull=False).update(
            send_failed_at=None
        )
    if ids:
        logger.warning("re-sent %d stuck submission(s) for scoring", len(ids))
    return len(ids)
