"""manage.py rescore: a new current row per submission, the old ones kept, reads use the latest."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audits.models import Answer, Event, EventKind, Score
from audits.services import scoring as scoring_services
from audits.services.rescoring import rescore_batch
from support.factories import ChecklistVersionFactory, good_answers
from support.helpers import scored_submission
from support.pipeline_builders import queued_submission

pytestmark = pytest.mark.django_db


# Unreleased audits: released ones are frozen (tests at the end of this module).


def rescore(*args: str) -> str:
    out = StringIO()
    call_command("rescore", *args, stdout=out)
    return out.getvalue()


def test_rescore_writes_a_new_row_and_keeps_the_old(world, api):
    submission = scored_submission(world, release=False)
    old = Score.objects.get(submission=submission)
    output = rescore("--submission", str(submission.pk))
    assert "re-scored 1 submission(s)" in output
    assert "0 changed" in output
    rows = list(Score.objects.filter(submission=submission).order_by("revision"))
    assert [(row.revision, row.is_current) for row in rows] == [(0, False), (1, True)]
    assert rows[0].pk == old.pk
    assert rows[1].overall == old.overall
    assert rows[1].engine_version == old.engine_version


def test_a_corrected_answer_changes_the_score_and_reads_use_the_latest(world, api):
    submission = scored_submission(world, answers=good_answers(greeted=True), release=False)
    before = Score.objects.get(submission=submission).overall
    Answer.objects.filter(submission=submission, item="greeted").update(value=False)
    output = rescore("--submission", str(submission.pk))
    assert "re-scored 1 submission(s)" in output and "1 changed" in output
    current = Score.objects.get(submission=submission, is_current=True)
    assert current.overall < before
    assert Score.objects.get(submission=submission, is_current=False).overall == before
    for path in (f"/api/v1/submissions/{submission.pk}/", f"/api/v1/audits/{submission.pk}/"):
        shown = api(world.hq).get(path).json()["score"]
        assert shown["overall"] == float(current.overall)
        assert {row["item"]: row["earned"] for row in shown["items"]}["greeted"] == 0


def test_a_new_engine_version_starts_again_at_revision_zero(world, monkeypatch):
    submission = scored_submission(world, release=False)
    rescore("--submission", str(submission.pk))
    monkeypatch.setattr(scoring_services, "ENGINE_VERSION", "9.0.0")
    rescore("--submission", str(submission.pk))
    rescore("--submission", str(submission.pk))
    rows = Score.objects.filter(submission=submission).order_by("id")
    assert [(row.engine_version, row.revision, row.is_current) for row in rows] == [
        ("1.0.0", 0, False),
        ("1.0.0", 1, False),
        ("9.0.0", 0, False),
        ("9.0.0", 1, True),
    ]


def test_dry_run_writes_nothing(world):
    submission = scored_submission(world, release=False)
    Answer.objects.filter(submission=submission, item="greeted").update(value=False)
    rows_before = list(Score.objects.values_list("id", "is_current", "overall"))
    output = rescore("--all", "--dry-run")
    assert "would re-score 1 submission(s)" in output
    assert "1 changed" in output and "nothing written" in output
    assert list(Score.objects.values_list("id", "is_current", "overall")) == rows_before


def test_queued_submissions_are_left_to_the_worker(world):
    scored = scored_submission(world, release=False)
    queued = queued_submission(world)
    output = rescore("--submission", str(scored.pk), "--submission", str(queued.pk))
    assert "re-scored 1 submission(s)" in output
    queued.refresh_from_db()
    assert queued.status == "queued"
    assert not Score.objects.filter(submission=queued).exists()


def test_brand_and_checklist_select(world):
    mine = scored_submission(world, release=False)
    other_version = ChecklistVersionFactory(template__brand=world.brand)
    other_checklist = scored_submission(world, release=False)
    other_checklist.assignment.checklist = other_version
    other_checklist.assignment.save(update_fields=["checklist"])
    Score.objects.filter(submission=other_checklist).update(checklist=other_version)
    foreign_submission = scored_submission(world, branch=world.other_branch, release=False)

    assert "re-scored 2 submission(s)" in rescore("--brand", str(world.brand.pk))
    output = rescore("--brand", str(world.brand.pk), "--checklist", str(world.checklist.pk))
    assert "re-scored 1 submission(s)" in output
    counts = {
        sub.pk: Score.objects.filter(submission=sub).count()
        for sub in (mine, other_checklist, foreign_submission)
    }
    assert counts == {mine.pk: 3, other_checklist.pk: 2, foreign_submission.pk: 1}


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "Say what to re-score"),
        (("--all", "--brand", "1"), "cannot be combined"),
        (("--all", "--batch-size", "0"), "at least 1"),
        (("--brand", "999999"), "No brand"),
        (("--checklist", "999999"), "No checklist version"),
    ],
)
def test_refusals(world, args, message):
    with pytest.raises(CommandError, match=message):
        rescore(*args)


def test_batches_commit_separately_and_all_are_done(world):
    ids = [scored_submission(world, release=False).pk for _ in range(5)]
    assert "re-scored 5 submission(s)" in rescore("--all", "--batch-size", "2")
    assert Score.objects.filter(submission_id__in=ids, revision=1, is_current=True).count() == 5


@pytest.mark.parametrize("size", [2, 12])
def test_rescore_batch_query_count_is_fixed(world, size, django_assert_num_queries):
    ids = [scored_submission(world, release=False).pk for _ in range(size)]
    # Lock+read, versions, answers, current scores, revisions, un-current, insert, the trail's
    # events (one INSERT), savepoints.
    with django_assert_num_queries(10):
        summary = rescore_batch(ids)
    assert summary.rescored == size


# --- Released audits are frozen -----------------------------------------------------------


def test_released_audits_are_left_alone_by_default(world):
    released = scored_submission(world)
    output = rescore("--all")
    assert "re-scored 0 submission(s)" in output
    assert Score.objects.filter(submission=released).count() == 1


def test_released_audits_need_a_reason(world):
    scored_submission(world)
    with pytest.raises(CommandError, match="--reason"):
        rescore("--all", "--released")
    with pytest.raises(CommandError, match="--reason"):
        rescore("--all", "--released", "--reason", "   ")


def test_released_with_a_reason_are_rescored_each_on_its_trail(world):
    released = [scored_submission(world) for _ in range(2)]
    reason = "Engine 1.1 fixes the rounding of scale items."
    output = rescore("--all", "--released", "--reason", reason)
    assert "re-scored 2 submission(s)" in output
    events = Event.objects.filter(kind=EventKind.RESCORE).order_by("submission_id")
    assert [(e.submission_id, e.role, e.reason) for e in events] == [
        (s.pk, "system", reason) for s in released
    ]
