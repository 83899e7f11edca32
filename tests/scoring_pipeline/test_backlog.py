"""Scoring a backlog: claims once, reads and writes in bulk, a fixed number of queries."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry
from django.db import connection, connections

from audits import tasks
from audits.models import Assignment, Score, Submission
from audits.services import scoring as scoring_services
from audits.services.scoring import answers_by_submission, score_backlog, score_fields
from scoring.engine import ENGINE_VERSION, score
from support.factories import good_answers
from support.helpers import new_assignment
from support.pipeline_builders import queued_backlog, queued_submission, queued_without_message

pytestmark = pytest.mark.django_db


def _expected_fields(submission: Submission) -> dict:
    checklist = submission.assignment.checklist.checklist
    return score_fields(score(checklist, answers_by_submission([submission.pk])[submission.pk]))


def test_backlog_scores_every_queued_submission_as_the_engine_does(world):
    bad = queued_submission(world, answers=good_answers(courteous=False, listened=1))
    good = queued_submission(world)
    rows = score_backlog([bad.pk, good.pk])
    assert sorted(row.submission_id for row in rows) == [bad.pk, good.pk]
    for submission in (bad, good):
        submission.refresh_from_db()
        assert submission.status == "scored"
        assert submission.scored_at is not None
        assert Assignment.objects.get(pk=submission.assignment_id).status == "scored"
        stored = Score.objects.get(submission=submission)
        assert (stored.engine_version, stored.revision, stored.is_current) == (
            ENGINE_VERSION,
            0,
            True,
        )
        assert stored.checklist_id == submission.assignment.checklist_id
        expected = _expected_fields(submission)
        assert {name: getattr(stored, name) for name in expected} == expected
    assert Score.objects.get(submission=bad).critical_failures == ["courteous"]


@pytest.mark.parametrize("size", [2, 20])
def test_query_count_does_not_grow_with_the_batch(world, size, django_assert_num_queries):
    ids = queued_backlog(world, size)
    # Claim, assignments, checklist versions, answers, revisions, un-current, insert, the
    # trail's events (one INSERT), update assignments, plus the savepoint pair of the atomic
    # block inside the test's transaction (11); then the integrity checks: the reports, their
    # photos and answers, earlier visits, the brand's photo hashes, its settings, one bulk
    # update of the signals (7). Automatic release reads the settings already read, and is
    # off by default.
    with django_assert_num_queries(18):
        rows = score_backlog(ids)
    assert len(rows) == size
    assert Score.objects.filter(submission_id__in=ids, is_current=True).count() == size


def test_only_queued_submissions_are_claimed(world):
    queued = queued_submission(world)
    done = queued_submission(world)
    score_backlog([done.pk])
    rows = score_backlog([queued.pk, done.pk, 999_999])
    assert [row.submission_id for row in rows] == [queued.pk]
    assert Score.objects.filter(submission=done).count() == 1


def test_awaiting_photos_is_not_scored(world):
    submission = queued_submission(world)
    Submission.objects.filter(pk=submission.pk).update(status="awaiting_media")
    assert score_backlog([submission.pk]) == []
    assert not Score.objects.filter(submission=submission).exists()


def test_score_backlog_task_takes_ids(world):
    ids = queued_backlog(world, 3)
    assert tasks.score_backlog.delay(ids).get() == 3
    assert tasks.score_backlog.delay(ids).get() == 0
    assert Score.objects.filter(submission_id__in=ids).count() == 3


def test_a_failing_batch_is_retried_one_by_one(world, monkeypatch):
    """One submission the engine cannot score must not hold back the rest of its batch."""
    poison = queued_submission(world, answers=good_answers(notes="poison"))
    others = queued_backlog(world, 2)
    real_score = scoring_services.score

    def score_unless_poison(checklist, answers):
        if any(answer.value == "poison" for answer in answers):
            raise ValueError("cannot score this one")
        return real_score(checklist, answers)

    monkeypatch.setattr(scoring_services, "score", score_unless_poison)
    sent: list[int] = []
    monkeypatch.setattr(tasks.score_submission, "apply_async", lambda args, **kw: sent.extend(args))
    assert tasks.score_backlog.delay([poison.pk, *others]).get() == 0
    # The batch rolled back as a whole, and each id went out again as its own task.
    assert not Score.objects.filter(submission_id__in=[poison.pk, *others]).exists()
    assert sorted(sent) == sorted([poison.pk, *others])
    for submission_id in others:
        assert tasks.score_submission.apply(args=[submission_id]).get() is not None
    with pytest.raises(ValueError, match="cannot score this one"):
        tasks.score_submission.apply(args=[poison.pk])
    assert Score.objects.filter(submission_id__in=others).count() == 2
    poison.refresh_from_db()
    assert poison.status == "queued"
    assert not Score.objects.filter(submission=poison).exists()


@pytest.mark.parametrize("error", ["OperationalError", "InterfaceError"])
def test_a_dropped_database_connection_retries_the_whole_batch_at_once(world, monkeypatch, error):
    """Issue 12: only ConnectionError/TimeoutError were retried, so a batch that lost its
    database connection waited 10 to 15 minutes for the sweep. Now the task tries again
    (with backoff; at once in eager mode) and never splits the batch for it."""
    from django import db

    ids = queued_backlog(world, 2)
    real_backlog = scoring_services.score_backlog
    attempts: list[list[int]] = []

    def drop_the_first_connection(submission_ids):
        attempts.append(list(submission_ids))
        if len(attempts) == 1:
            raise getattr(db, error)("server closed the connection unexpectedly")
        return real_backlog(submission_ids)

    monkeypatch.setattr(scoring_services, "score_backlog", drop_the_first_connection)
    split: list[int] = []
    monkeypatch.setattr(
        tasks.score_submission, "apply_async", lambda args, **kw: split.extend(args)
    )
    # The task asks Celery to run it again (a Retry, with backoff), rather than failing or
    # splitting the batch into one task per id.
    with pytest.raises(Retry):
        tasks.score_backlog.apply(args=[ids])
    assert split == [], "a lost connection must not split the batch"
    assert not Score.objects.filter(submission_id__in=ids).exists()
    assert tasks.score_backlog.apply(args=[ids]).get() == 2  # the retry, once it is back
    assert attempts == [ids, ids]


# --- A task scores what is queued behind it -------------------------------------------------

skip_locked = connection.features.has_select_for_update_skip_locked


def test_a_task_scores_the_submissions_queued_behind_its_own(world):
    """Under load one task claims its own row and up to a batch of the longest-waiting
    others; their own tasks then find nothing to do. SQLite (no SKIP LOCKED) scores one."""
    first, *behind = queued_backlog(world, 4)
    assert tasks.score_submission.delay(first).get() is not None
    scored = set(Score.objects.values_list("submission_id", flat=True))
    assert scored == ({first, *behind} if skip_locked else {first})
    for submission_id in behind:  # each one's own task: nothing left to do, with SKIP LOCKED
        assert (tasks.score_submission.delay(submission_id).get() is None) is skip_locked
    assert Score.objects.filter(submission_id__in=[first, *behind]).count() == 4
    for submission in Submission.objects.filter(pk__in=[first, *behind]):
        assert submission.status == "scored"
        expected = _expected_fields(submission)
        stored = Score.objects.get(submission=submission)
        assert {name: getattr(stored, name) for name in expected} == expected


def test_a_batch_is_capped_and_takes_the_longest_waiting_first(world, monkeypatch):
    monkeypatch.setattr(scoring_services, "BACKLOG_BATCH_SIZE", 3)
    ids = queued_backlog(world, 5)
    newest = ids[-1]
    assert tasks.score_submission.delay(newest).get() is not None
    scored = set(Score.objects.values_list("submission_id", flat=True))
    assert scored == ({newest, ids[0], ids[1]} if skip_locked else {newest})


@pytest.mark.skipif(not skip_locked, reason="needs SELECT ... SKIP LOCKED (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_rows_another_worker_holds_are_skipped_not_waited_for(world):
    """Two workers never wait for each other over the rows they take as extras."""
    # Committed at once here, so stored without their (eager) tasks, as a web process does.
    mine, held, free = (queued_without_message(new_assignment(world)).pk for _ in range(3))
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM audits_submission WHERE id = %s FOR UPDATE", [held])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")  # a wait would fail the test, not hang it
        assert tasks.score_submission.delay(mine).get() is not None
        assert set(Score.objects.values_list("submission_id", flat=True)) == {mine, free}
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert Submission.objects.get(pk=held).status == "queued"
