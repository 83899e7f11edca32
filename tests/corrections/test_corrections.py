"""Staff correct an audit's answers, each with a reason; it is re-scored as a new revision,
the old answer and score are kept, and the trail records who, when, why, before and after
(issue 13)."""

from __future__ import annotations

from unittest import mock

import pytest

from audits.models import Answer, AnswerVersion, Event, EventKind, Score, Submission
from support.helpers import client_for, new_assignment, scored_submission, stored_submission

pytestmark = pytest.mark.django_db


def _correct(user, submission, *items):
    return client_for(user).post(
        f"/api/v1/submissions/{submission.pk}/corrections/", {"items": list(items)}, format="json"
    )


def _errors(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return {error["attr"]: error for error in response.json()["errors"]}


def _nothing_changed(submission, scores_before: int) -> None:
    assert not AnswerVersion.objects.filter(submission=submission).exists()
    assert Score.objects.filter(submission=submission).count() == scores_before
    assert not Event.objects.filter(submission=submission, kind=EventKind.CORRECTION).exists()


def test_a_released_audit_corrected_keeps_the_old_answer_and_score_and_is_rescored(world):
    audit = scored_submission(world)
    first = Score.objects.get(submission=audit)
    with mock.patch("audits.services.rescoring.benchmarks_refresh_on_commit") as refresh:
        response = _correct(
            world.reviewer,
            audit,
            {"item": "courteous", "value": False, "reason": "The till recording shows otherwise."},
        )
    assert response.status_code == 200, response.content
    answer = Answer.objects.get(submission=audit, item="courteous")
    assert (answer.value, answer.version) == (False, 2)
    kept = AnswerVersion.objects.get(submission=audit, item="courteous")
    assert (kept.value, kept.version, kept.replaced_by, kept.reason) == (
        True,
        1,
        world.reviewer,
        "The till recording shows otherwise.",
    )
    current = Score.objects.get(submission=audit, is_current=True)
    assert current.pk != first.pk and current.revision == first.revision + 1
    assert Score.objects.filter(pk=first.pk, is_current=False).exists()
    assert current.critical_failures == ["courteous"]  # a critical item, now failed
    assert response.json()["score"]["overall"] == float(current.overall)
    refresh.assert_called_once_with({audit.pk: audit.assignment.checklist_id})
    correction = Event.objects.get(submission=audit, kind=EventKind.CORRECTION)
    assert (correction.by, correction.role) == (world.reviewer, "reviewer")
    assert correction.before == {"courteous": {"value": True, "na": False, "version": 1}}
    assert correction.after == {
        "courteous": {
            "value": False,
            "na": False,
            "version": 2,
            "reason": "The till recording shows otherwise.",
        }
    }
    rescore = Event.objects.get(submission=audit, kind=EventKind.RESCORE)
    assert rescore.before["overall"] == float(first.overall)
    assert rescore.after["overall"] == float(current.overall)


def test_staff_may_set_na_on_an_item_the_shopper_could_not(world):
    audit = scored_submission(world, release=False)
    response = _correct(world.hq, audit, {"item": "listened", "na": True, "reason": "Not asked."})
    assert response.status_code == 200, response.content
    assert Answer.objects.get(submission=audit, item="listened").na is True


@pytest.mark.parametrize(
    ("items", "attr"),
    [
        ([{"item": "listened", "value": 3, "reason": " "}], "items.0.reason"),
        ([{"item": "listened", "value": 3}], "items.0.reason"),
        ([{"item": "listened", "value": 9, "reason": "x"}], "items.0.value"),
        ([{"item": "listened", "value": "four", "reason": "x"}], "items.0.value"),
        ([{"item": "no_such_item", "value": 1, "reason": "x"}], "items.0.value"),
        (
            [
                {"item": "listened", "value": 3, "reason": "x"},
                {"item": "listened", "value": 2, "reason": "y"},
            ],
            "items.1.item",
        ),
        ([{"item": "listened", "value": 3, "na": True, "reason": "x"}], "items.0.value"),
        ([], "items.non_field_errors"),
    ],
)
def test_a_bad_correction_is_a_400_naming_the_item_and_changes_nothing(world, items, attr):
    audit = scored_submission(world)
    scores = Score.objects.filter(submission=audit).count()
    response = client_for(world.hq).post(
        f"/api/v1/submissions/{audit.pk}/corrections/", {"items": items}, format="json"
    )
    assert attr in _errors(response, 400)
    _nothing_changed(audit, scores)
    assert Answer.objects.get(submission=audit, item="listened").version == 1


def test_an_audit_not_yet_scored_is_a_409_not_correctable(world):
    queued = stored_submission(new_assignment(world))
    response = _correct(world.hq, queued, {"item": "listened", "value": 3, "reason": "x"})
    assert _errors(response, 409)[None]["code"] == "not_correctable"
    _nothing_changed(queued, 0)
    assert Submission.objects.get(pk=queued.pk).status == "queued"


def test_two_corrections_count_versions_up_and_keep_each_replaced_answer(world):
    audit = scored_submission(world)
    for value, reason in ((3, "first look"), (2, "second look")):
        response = _correct(world.hq, audit, {"item": "listened", "value": value, "reason": reason})
        assert response.status_code == 200, response.content
    assert Answer.objects.get(submission=audit, item="listened").version == 3
    kept = AnswerVersion.objects.filter(submission=audit, item="listened")
    assert [(v.version, v.value, v.reason) for v in kept] == [
        (1, 4, "first look"),
        (2, 3, "second look"),
    ]
    assert Score.objects.filter(submission=audit).count() == 3
