"""Queued submissions made through the real submission service, for the pipeline tests."""

from __future__ import annotations

from audits.models import Submission
from support.helpers import new_assignment, stored_submission


def queued_submission(world, *, branch=None, answers=None) -> Submission:
    """A stored, queued submission whose scoring task was never sent (no on-commit run)."""
    submission = stored_submission(new_assignment(world, branch=branch), answers=answers)
    assert submission.status == "queued"
    return submission


def queued_backlog(world, count: int) -> list[int]:
    return [queued_submission(world).pk for _ in range(count)]
