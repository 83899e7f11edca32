"""The default checklist shipped as data is valid and has the shape the product promises."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from scoring.answers import validate_answers, visible_item_keys
from scoring.checklist import checklist_to_dict, parse_checklist
from scoring.engine import result_to_dict, score
from scoring.types import Answer, Checklist

FIXTURE = Path(__file__).resolve().parents[2] / "audits" / "fixtures" / "default_checklist.json"

SECTIONS = [
    "first_impression",
    "before_purchase",
    "care_and_concern",
    "problem_solving",
    "spontaneity",
    "during_purchase",
    "after_purchase",
    "recovery",
]
RECOVERY_ITEMS = {"rc_acknowledged", "rc_apology", "rc_effort", "rc_resolved"}


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def default(raw) -> Checklist:
    return parse_checklist(raw)


def best_answers(checklist: Checklist, something_went_wrong: bool) -> list[Answer]:
    chosen = []
    for item in checklist.items():
        if item.type == "photo":
            continue
        if item.key == "rc_anything_wrong":
            value = something_went_wrong
        elif item.type == "yes_no":
            value = True
        elif item.type == "scale":
            value = item.scale_max
        elif item.type == "choice":
            value = max(item.options, key=lambda option: option.points).key
        elif item.type == "number":
            value = 20
        else:
            value = "Friendly and quick."
        chosen.append(Answer(item.key, value))
    visible = visible_item_keys(checklist, chosen)
    return [answer for answer in chosen if answer.item in visible]


def test_it_parses_and_round_trips(default):
    assert parse_checklist(checklist_to_dict(default)) == default


def test_it_covers_the_service_cycle_in_order(default):
    keys = [section.key for section in default.sections]

    assert keys[: len(SECTIONS)] == SECTIONS
    assert all(section.dimension for section in default.sections)
    assert default.title == "Branch visit — service standard"


def test_it_has_a_workable_number_of_items(default):
    assert 35 <= len(default.items()) <= 45


def test_it_uses_every_feature_the_engine_offers(default):
    items = default.items()
    types = Counter(item.type for item in items)

    assert set(types) == {"yes_no", "scale", "choice", "number", "text", "photo"}
    assert all(item.scale_max == 5 for item in items if item.type == "scale")
    assert any(0 < option.points < 1 for item in items for option in item.options)
    assert any(item.bands for item in items if item.type == "number")
    assert {item.key for item in items if item.requires_photo} >= {
        "fi_storefront_photo",
        "dp_receipt_photo",
    }
    assert any(item.critical for item in items)
    assert any(item.na_allowed for item in items)
    assert sum(item.bonus for item in items) == 1
    assert any(section.weight for section in default.sections)


def test_recovery_questions_appear_only_when_something_went_wrong(default):
    went_well = best_answers(default, something_went_wrong=False)
    went_wrong = best_answers(default, something_went_wrong=True)

    assert not RECOVERY_ITEMS & visible_item_keys(default, went_well)
    assert visible_item_keys(default, went_wrong) >= RECOVERY_ITEMS
    rc = next(item for item in default.items() if item.key == "rc_anything_wrong")
    assert rc.weight == 0


@pytest.mark.parametrize("something_went_wrong", [False, True])
def test_a_flawless_visit_scores_100_and_passes(default, something_went_wrong):
    answers = best_answers(default, something_went_wrong)
    assert validate_answers(default, answers) == {}

    result = score(default, answers)

    assert result.overall == 100
    assert result.passed
    data = result_to_dict(result)
    assert data["sections"]["visit_notes"] is None
    assert data["sections"]["recovery"] == (100.0 if something_went_wrong else None)


def test_rudeness_fails_the_visit_whatever_the_score(default):
    answers = [
        Answer(a.item, False) if a.item == "cc_courteous" else a
        for a in best_answers(default, something_went_wrong=False)
    ]

    result = score(default, answers)

    assert result.critical_failures == ("cc_courteous",)
    assert result.overall > 80
    assert not result.passed


def test_a_slow_greeting_earns_less(default):
    def greeting_points(seconds):
        answers = [
            Answer(a.item, seconds) if a.item == "fi_greeting_seconds" else a
            for a in best_answers(default, something_went_wrong=False)
        ]
        result = score(default, answers)
        return next(e.earned for e in result.items if e.item == "fi_greeting_seconds")

    assert greeting_points(10) > greeting_points(45) > greeting_points(100) > greeting_points(600)
