"""The audit trail records every change with who, role, when, what and why, and is never
changed or deleted (issue 13): the model refuses, and on PostgreSQL a trigger refuses raw SQL
too. The one sanctioned deletion is a whole brand's trail, with the brand (the demo reset)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from audits.models import ActorRole, Event, EventKind, Score, TrailIsAppendOnly
from audits.services.brand_settings import brand_settings_update
from audits.services.review import submission_claim, submission_review
from audits.services.trail import trail_purge_brand
from support.factories import BrandFactory
from support.helpers import scored_submission

pytestmark = pytest.mark.django_db


def _trail(submission) -> list[tuple[str, str, dict | None, dict | None]]:
    return [
        (e.kind, e.role, e.before, e.after) for e in Event.objects.filter(submission=submission)
    ]


def test_a_visit_scored_claimed_and_released_leaves_each_step_with_its_actor(world):
    submission = scored_submission(world, release=False)
    submission_claim(submission=submission, by=world.reviewer)
    submission_review(submission=submission, by=world.reviewer, action="release")
    trail = _trail(submission)
    assert [(kind, role) for kind, role, *_ in trail] == [
        (EventKind.STATUS, ActorRole.SYSTEM),  # scored by the worker
        (EventKind.CLAIM, ActorRole.REVIEWER),
        (EventKind.STATUS, ActorRole.REVIEWER),
    ]
    score = Score.objects.get(submission=submission)
    assert trail[0][2:] == (
        {"status": "queued"},
        {
            "status": "scored",
            "overall": float(score.overall),
            "passed": score.passed,
            "revision": 0,
            "engine_version": score.engine_version,
        },
    )
    assert trail[2][2:] == ({"status": "in_review"}, {"status": "released"})
    released = Event.objects.filter(submission=submission).last()
    assert released.by == world.reviewer


def test_a_settings_change_is_an_event_with_old_and_new_values(world):
    brand_settings_update(brand=world.brand, by=world.hq, changes={"review_sla_hours": 24})
    event = Event.objects.get(kind=EventKind.SETTINGS)
    assert (event.role, event.before, event.after) == (
        ActorRole.HEAD_OFFICE,
        {"review_sla_hours": 72},
        {"review_sla_hours": 24},
    )


def test_the_model_refuses_to_change_or_delete_an_event(world):
    scored_submission(world)
    event = Event.objects.first()
    event.reason = "rewritten"
    with pytest.raises(TrailIsAppendOnly):
        event.save()
    with pytest.raises(TrailIsAppendOnly):
        event.delete()
    with pytest.raises(TrailIsAppendOnly):
        Event.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(TrailIsAppendOnly):
        Event.objects.all().delete()
    assert Event.objects.get(pk=event.pk).reason == ""


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audits_event SET reason = 'rewritten' WHERE id = %s",
        "DELETE FROM audits_event WHERE id = %s",
    ],
)
def test_postgresql_refuses_raw_sql_that_changes_or_deletes_an_event(world, sql):
    scored_submission(world)
    event = Event.objects.first()
    refused = pytest.raises(IntegrityError, match="never changed or deleted")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert Event.objects.get(pk=event.pk).reason == ""


def test_a_brand_purge_deletes_that_brands_trail_only_and_the_guard_comes_back(world):
    scored_submission(world)
    other = BrandFactory()
    brand_settings_update(brand=other, by=world.hq, changes={"review_sla_hours": 24})
    kept = Event.objects.filter(brand=world.brand).count()
    assert kept > 0
    assert trail_purge_brand(other.pk) == 1
    assert Event.objects.filter(brand=world.brand).count() == kept
    if connection.vendor == "postgresql":
        refused = pytest.raises(IntegrityError)
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audits_event")
