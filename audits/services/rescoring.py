"""Scoring already-scored submissions again, keeping every earlier score for the audit trail.

Re-scoring is how a new engine version (or a corrected rule) reaches existing audits: each
submission gets a new current Score row and the old one stays, no longer current, so every
figure ever shown can still be traced to the rules and answers that produced it. Queued
submissions are left to the worker: claiming them here would race it for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet

from audits.models import (
    RELEASED_STATUSES,
    SCORED_STATUSES,
    EventKind,
    Score,
    Submission,
    User,
    parsed_checklists,
)
from audits.services import trail
from audits.services.benchmarks.scheduling import benchmarks_refresh_on_commit
from audits.services.scoring import (
    BACKLOG_BATCH_SIZE,
    ScoredSubmission,
    score_fields,
    score_many,
    score_summary,
    write_scores,
)
from scoring.types import Checklist

# The columns a re-score compares to tell a changed score from the same one scored again.
COMPARED_FIELDS = (
    "overall",
    "calculated_overall",
    "passed",
    "critical_failures",
    "sections",
    "dimensions",
    "items",
)


@dataclass
class RescoreSummary:
    """What a re-scoring run did (or, in a dry run, would do)."""

    rescored: int = 0
    changed: int = 0
    dry_run: bool = False
    changed_ids: list[int] = field(default_factory=list)


def rescorable_submissions(
    *,
    submission_ids: Iterable[int] | None = None,
    brand_id: int | None = None,
    checklist_id: int | None = None,
    include_released: bool = False,
) -> QuerySet[Submission]:
    """Submissions with a score matching every selector given; released audits only with
    `include_released`.

    Released scores are frozen: owners have read them and league tables count them, so a
    new engine version reaches them only when head office says so, with a reason that the
    trail records on every audit (`manage.py rescore --released --reason`). Corrections and
    upheld appeals re-score a released audit on their own, on the record.
    """
    submissions = Submission.objects.filter(status__in=SCORED_STATUSES)
    if not include_released:
        submissions = submissions.exclude(status__in=RELEASED_STATUSES)
    if submission_ids is not None:
        submissions = submissions.filter(pk__in=list(submission_ids))
    if brand_id is not None:
        submissions = submissions.filter(assignment__branch__brand_id=brand_id)
    if checklist_id is not None:
        submissions = submissions.filter(assignment__checklist_id=checklist_id)
    return submissions


def _is_changed(entry: ScoredSubmission, current: Score | None) -> bool:
    if current is None:
        return True
    new = score_fields(entry.result)
    return any(getattr(current, name) != new[name] for name in COMPARED_FIELDS)


def rescore_batch(
    submission_ids: Iterable[int],
    *,
    dry_run: bool = False,
    checklists: dict[int, Checklist] | None = None,
    by: User | None = None,
    reason: str = "",
) -> RescoreSummary:
    """Re-score the scored ones among `submission_ids` in one transaction.

    A fixed number of queries whatever the batch size: the submissions (locked, so two runs
    cannot both take the next revision number), their checklist versions unless already in
    `checklists` (which this fills, for the next batch), the answers and current scores, and
    in a real run the writes of `write_scores`. A dry run reads the same and writes nothing.
    """
    summary = RescoreSummary(dry_run=dry_run)
    with transaction.atomic():
        locked = list(
            Submission.objects.select_for_update(of=("self",))
            .filter(pk__in=list(submission_ids), status__in=SCORED_STATUSES)
            .order_by("pk")
            .values_list("pk", "assignment__checklist_id", "assignment__branch__brand_id")
        )
        checklist_of = {pk: checklist_id for pk, checklist_id, _ in locked}
        brand_of = {pk: brand_id for pk, _, brand_id in locked}
        if not checklist_of:
            return summary
        if checklists is None:
            checklists = {}
        missing = set(checklist_of.values()) - checklists.keys()
        if missing:
            checklists.update(parsed_checklists(missing))
        scored = score_many(checklist_of, checklists=checklists)
        current = {
            row.submission_id: row
            for row in Score.objects.filter(submission_id__in=checklist_of, is_current=True)
        }
        for entry in scored:
            if _is_changed(entry, current.get(entry.submission_id)):
                summary.changed_ids.append(entry.submission_id)
        summary.rescored = len(scored)
        summary.changed = len(summary.changed_ids)
        if not dry_run:
            rows = write_scores(scored)
            trail.record_all(
                trail.event(
                    EventKind.RESCORE,
                    brand_id=brand_of[row.submission_id],
                    by=by,
                    submission_id=row.submission_id,
                    reason=reason,
                    before=score_summary(current.get(row.submission_id)),
                    after=score_summary(row),
                )
                for row in rows
            )
            # The brands' fair league tables are rebuilt (debounced) once these rows commit.
            benchmarks_refresh_on_commit(checklist_of)
    return summary


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def rescore_submissions(
    submissions: QuerySet[Submission],
    *,
    dry_run: bool = False,
    batch_size: int = BACKLOG_BATCH_SIZE,
    reason: str = "",
) -> RescoreSummary:
    """Re-score every scored submission of `submissions`, one transaction per batch.

    A batch that commits stays committed if a later one fails; running the command again
    simply adds one more revision, so a partial run is never harmful.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ids = list(
        submissions.filter(status__in=SCORED_STATUSES).order_by("pk").values_list("pk", flat=True)
    )
    total = RescoreSummary(dry_run=dry_run)
    checklists: dict[int, Checklist] = {}
    for batch in _batches(ids, batch_size):
        done = rescore_batch(batch, dry_run=dry_run, checklists=checklists, reason=reason)
        total.rescored += done.rescored
        total.changed += done.changed
        total.changed_ids.extend(done.changed_ids)
    return total
