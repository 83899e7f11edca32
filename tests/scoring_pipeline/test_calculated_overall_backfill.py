"""Migration 0003 fills `Score.calculated_overall` for rows written before the column existed.

Why: the league tables rank the calculated overall; an old score left without one would drop
out of every table. Where the zero policy did not apply it is the stored overall; where it
zeroed a critical failure it is computed from the stored explanation, and must agree with what
the engine writes today (to the cent: the explanation is stored rounded).
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from audits.models import Score
from support.factories import SMALL_CHECKLIST, ChecklistVersionFactory
from support.helpers import scored_submission
from support.league_data import answers_at

pytestmark = pytest.mark.django_db

migration = importlib.import_module("audits.migrations.0003_score_calculated_overall")


def _backfill() -> None:
    migration.fill_calculated_overall(apps, SimpleNamespace(connection=connection))


def _scored(world, policy: str, answers, definition=SMALL_CHECKLIST) -> Score:
    world.checklist = ChecklistVersionFactory(
        template__brand=world.brand,
        critical_policy=policy,
        definition={**definition, "critical_policy": policy},
    )
    submission = scored_submission(
        world, answers=answers, started_at=datetime(2026, 8, 5, 10, tzinfo=UTC)
    )
    return submission.scores.get(is_current=True)


def _weighted(definition: dict) -> dict:
    weights = iter([3, None, 0.5, 2])
    return {
        **definition,
        "sections": [{**section, "weight": next(weights, 1)} for section in definition["sections"]],
    }


def test_the_backfill_matches_what_scoring_writes(world):
    written = [
        _scored(world, "zero", answers_at(3, courteous=False)),  # zeroed by the policy
        _scored(world, "zero", answers_at(3, courteous=False), _weighted(SMALL_CHECKLIST)),
        _scored(world, "flag", answers_at(3, courteous=False)),  # a failure, not zeroed
        _scored(world, "zero", answers_at(2)),  # no failure
    ]
    expected = {score.pk: score.calculated_overall for score in written}
    assert written[0].overall == 0 and expected[written[0].pk] > 50
    assert written[1].overall == 0 and expected[written[1].pk] > 50
    Score.objects.update(calculated_overall=None)  # as rows stood before the column

    _backfill()

    filled = dict(Score.objects.values_list("pk", "calculated_overall"))
    for score in written:
        assert filled[score.pk] == pytest.approx(expected[score.pk], abs=Decimal("0.01"))
    assert filled[written[2].pk] == written[2].overall
    assert filled[written[3].pk] == written[3].overall


def test_nothing_scorable_stays_empty(world):
    score = _scored(world, "flag", answers_at(3))
    Score.objects.filter(pk=score.pk).update(overall=None, calculated_overall=None)

    _backfill()

    assert Score.objects.get(pk=score.pk).calculated_overall is None
