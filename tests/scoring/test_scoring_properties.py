"""Properties of the engine that must hold for every valid checklist and answer set.

Hypothesis builds random checklists in the JSON shape (every item type, bonus, critical, N/A,
bands, show_if chains, section weights) and answer sets that pass validation.
"""

from __future__ import annotations

import copy
import dataclasses
import random
from collections import defaultdict
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring._numbers import fraction_to_json, round_half_up, to_fraction
from scoring.answers import parse_answers, validate_answers, visible_item_keys
from scoring.checklist import checklist_to_dict, is_scored, parse_checklist
from scoring.engine import result_to_dict, score
from scoring.types import ITEM_TYPES, Answer, Checklist, Item, ScoreResult

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

POINTS = [0, 0.1, 0.25, 0.3, 0.5, 0.75, 1]
WEIGHTS = [0, 0.5, 1, 1, 1, 2, 3, 1.25]


# --- generators ---------------------------------------------------------------------------


def values_for(data: dict[str, Any]) -> st.SearchStrategy:
    """Any valid answer value of the item `data` (JSON shape)."""
    kind = data["type"]
    if kind == "yes_no":
        return st.booleans()
    if kind == "scale":
        return st.integers(1, data["scale_max"])
    if kind == "choice":
        return st.sampled_from([option["key"] for option in data["options"]])
    if kind == "number":
        edges = [band["max"] for band in data.get("bands", []) if band["max"] is not None]
        low = data.get("min_value", 0)  # the default range starts at 0
        return st.one_of(
            st.integers(low, 300),
            st.floats(low, 300, allow_nan=False, allow_infinity=False),
            st.sampled_from(edges or [0]),
        )
    if kind == "text":
        return st.text(max_size=5)
    return st.none()


@st.composite
def item_dicts(draw, key: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(ITEM_TYPES))
    data: dict[str, Any] = {
        "key": key,
        "text": f"Item {key}",
        "type": kind,
        "weight": draw(st.sampled_from(WEIGHTS)),
        "na_allowed": draw(st.booleans()),
        "bonus": draw(st.integers(0, 5)) == 0,
    }
    if kind == "scale":
        data["scale_max"] = draw(st.integers(2, 7))
    if kind == "choice":
        points = draw(st.lists(st.sampled_from(POINTS), min_size=1, max_size=4))
        points[draw(st.integers(0, len(points) - 1))] = 1  # a best answer earns everything
        data["options"] = [
            {"key": f"o{index}", "label": f"Option {index}", "points": share}
            for index, share in enumerate(points)
        ]
    if kind == "number" and draw(st.booleans()):
        data["min_value"] = -10  # a range of its own: negative answers are valid here
    if kind == "number" and draw(st.booleans()):
        maxes = sorted(draw(st.sets(st.integers(0, 200), min_size=1, max_size=4)))
        maxes = [edge / 2 for edge in maxes]  # some halves, to exercise decimal floats
        if draw(st.booleans()):
            maxes[-1] = None
        points = [draw(st.sampled_from(POINTS)) for _ in maxes]
        points[draw(st.integers(0, len(points) - 1))] = 1
        data["bands"] = [
            {"max": edge, "points": share} for edge, share in zip(maxes, points, strict=True)
        ]
    scorable = kind in ("yes_no", "scale", "choice") or bool(data.get("bands"))
    if scorable and data["weight"] > 0 and not data["bonus"]:
        data["critical"] = draw(st.integers(0, 4)) == 0
    return data


@st.composite
def checklist_dicts(draw) -> dict[str, Any]:
    weighted = draw(st.booleans())
    sections = []
    earlier: list[dict[str, Any]] = []
    for section_index in range(draw(st.integers(1, 4))):
        items = []
        for _ in range(draw(st.integers(1, 6))):
            data = draw(item_dicts(f"i{len(earlier)}"))
            parents = [other for other in earlier if other["type"] != "photo"]
            if parents and draw(st.integers(0, 3)) == 0:
                parent = draw(st.sampled_from(parents))
                data["show_if"] = {"item": parent["key"], "equals": draw(values_for(parent))}
            items.append(data)
            earlier.append(data)
        sections.append(
            {
                "key": f"s{section_index}",
                "title": f"Section {section_index}",
                "dimension": draw(st.sampled_from(["d0", "d1", "d2"])),
                "weight": draw(st.sampled_from([None, 0.5, 1, 2, 3])) if weighted else None,
                "items": items,
            }
        )
    return {
        "title": "Generated",
        "pass_mark": draw(st.sampled_from([0, 50, 72.5, 80, 100])),
        "critical_policy": draw(st.sampled_from(["flag", "zero"])),
        "sections": sections,
    }


def all_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in data["sections"] for item in section["items"]]


def only_visible(checklist: Checklist, answers: list[Answer]) -> list[Answer]:
    visible = visible_item_keys(checklist, answers)
    return [answer for answer in answers if answer.item in visible]


@st.composite
def scenarios(draw) -> tuple[dict[str, Any], Checklist, list[Answer]]:
    """A checklist (JSON and parsed) with a valid answer set: answers to hidden items dropped."""
    data = draw(checklist_dicts())
    checklist = parse_checklist(data)
    equals_by_parent: dict[str, list[Any]] = defaultdict(list)
    for item in all_items(data):
        if "show_if" in item:
            equals_by_parent[item["show_if"]["item"]].append(item["show_if"]["equals"])
    raw = []
    for item in all_items(data):
        key = item["key"]
        if item["na_allowed"] and draw(st.integers(0, 4)) == 0:
            raw.append({"item": key, "na": True})
        elif item["type"] == "photo":
            if draw(st.booleans()):
                raw.append({"item": key})
        elif equals_by_parent[key] and draw(st.booleans()):
            raw.append({"item": key, "value": draw(st.sampled_from(equals_by_parent[key]))})
        else:
            raw.append({"item": key, "value": draw(values_for(item))})
    return data, checklist, only_visible(checklist, parse_answers(raw))


# --- helpers ------------------------------------------------------------------------------


def share(item: Item, value: Any) -> Fraction:
    """Reference: the share 0..1 of the weight an answer earns, written the obvious way."""
    if item.type == "yes_no":
        return Fraction(1 if value else 0)
    if item.type == "scale":
        return Fraction(value - 1, item.scale_max - 1)
    if item.type == "choice":
        return next(option.points for option in item.options if option.key == value)
    number = to_fraction(value)
    for band in item.bands:
        if band.max is None or number <= band.max:
            return band.points
    return Fraction(0)


def every_score(result: ScoreResult) -> list[Fraction]:
    scores = [result.overall, *result.sections.values(), *result.dimensions.values()]
    return [value for value in scores if value is not None]


def free_items(checklist: Checklist) -> set[str]:
    """Items no show_if depends on: changing their answer changes no visibility."""
    parents = {item.show_if.item for item in checklist.items() if item.show_if}
    return {item.key for item in checklist.items()} - parents


def replace_answer(answers: list[Answer], new: Answer) -> list[Answer]:
    return [new if answer.item == new.item else answer for answer in answers]


def by_item(result: ScoreResult) -> dict[str, tuple]:
    return {entry.item: (entry.earned, entry.possible, entry.reason) for entry in result.items}


# --- properties ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(scenarios())
def test_generated_answers_are_valid_and_every_score_is_within_0_and_100(scenario):
    _, checklist, answers = scenario
    assert validate_answers(checklist, answers) == {}

    result = score(checklist, answers)

    assert all(0 <= value <= 100 for value in every_score(result))
    data = result_to_dict(result)
    assert all(entry["earned"] >= 0 for entry in data["items"])
    if data["overall"] is not None:
        assert 0 <= data["overall"] <= 100


@PROPERTY_SETTINGS
@given(scenarios())
def test_the_calculated_overall_differs_from_the_overall_only_by_the_zero_policy(scenario):
    _, checklist, answers = scenario
    flagged = score(dataclasses.replace(checklist, critical_policy="flag"), answers)
    zeroed = score(dataclasses.replace(checklist, critical_policy="zero"), answers)

    result = score(checklist, answers)

    # Without a critical failure the policy does nothing: calculated and stored agree.
    assert flagged.calculated_overall == flagged.overall
    if not result.critical_failures:
        assert zeroed == flagged
    else:
        assert zeroed.overall == 0
        # With one, everything but the stored overall is what the flag policy gives.
        assert dataclasses.replace(zeroed, overall=flagged.overall) == flagged
    assert result in (flagged, zeroed)
    data = result_to_dict(result)
    calculated = result.calculated_overall
    assert data["calculated_overall"] == (None if calculated is None else round_half_up(calculated))


@PROPERTY_SETTINGS
@given(scenarios())
def test_item_points_match_a_reference_computation(scenario):
    _, checklist, answers = scenario
    given_answers = {answer.item: answer for answer in answers}

    result = score(checklist, answers)

    items = {item.key: item for item in checklist.items()}
    for entry in result.items:
        item, answer = items[entry.item], given_answers.get(entry.item)
        if entry.reason in ("answered", "critical_failure", "bonus"):
            assert entry.earned == item.weight * share(item, answer.value)
            assert entry.possible == (0 if item.bonus else item.weight)
            assert (entry.reason == "critical_failure") == (item.critical and entry.earned == 0)
        else:
            assert (entry.earned, entry.possible) == (0, 0)
            assert entry.reason == "unscored" or (answer is None) == (entry.reason == "hidden")


def best_value(item: Item) -> Any:
    if item.type == "yes_no":
        return True
    if item.type == "scale":
        return item.scale_max
    if item.type == "choice":
        return max(item.options, key=lambda option: option.points).key
    if item.type == "number" and item.bands:
        best = max(range(len(item.bands)), key=lambda index: item.bands[index].points)
        if item.bands[best].max is not None:
            return fraction_to_json(item.bands[best].max)
        return 0 if best == 0 else fraction_to_json(item.bands[best - 1].max) + 1
    return {"number": 7, "text": "fine"}.get(item.type)


@PROPERTY_SETTINGS
@given(checklist_dicts())
def test_all_best_answers_score_100(data):
    checklist = parse_checklist(data)
    answers = [
        Answer(item.key, best_value(item)) for item in checklist.items() if item.type != "photo"
    ]
    answers = only_visible(checklist, answers)
    assert validate_answers(checklist, answers) == {}

    result = score(checklist, answers)

    assert all(value == 100 for value in every_score(result))
    assert result.critical_failures == ()
    assert result.passed == (result.overall is not None)


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_a_better_answer_never_lowers_a_score(scenario, draw):
    data, checklist, answers = scenario
    items = {item.key: item for item in checklist.items()}
    free = free_items(checklist)
    candidates = [
        answer
        for answer in answers
        if answer.item in free and not answer.na and is_scored(items[answer.item])
    ]
    if not candidates:
        return
    before = draw.draw(st.sampled_from(candidates))
    item = items[before.item]
    raw_item = next(raw for raw in all_items(data) if raw["key"] == item.key)
    better = draw.draw(
        values_for(raw_item).filter(lambda v: share(item, v) >= share(item, before.value))
    )

    old = score(checklist, answers)
    new = score(checklist, replace_answer(answers, Answer(item.key, better)))

    pairs = [(old.overall, new.overall)]
    pairs += [(old.sections[key], new.sections[key]) for key in old.sections]
    pairs += [(old.dimensions[key], new.dimensions[key]) for key in old.dimensions]
    for was, now in pairs:
        assert (was is None) == (now is None)
        assert was is None or now >= was
    assert new.passed or not old.passed
    assert set(new.critical_failures) <= set(old.critical_failures)


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_na_leaves_the_other_items_unchanged(scenario, draw):
    _, checklist, answers = scenario
    free = free_items(checklist)
    candidates = [answer for answer in answers if answer.item in free]
    if not candidates:
        return
    target = draw.draw(st.sampled_from(candidates)).item

    old = by_item(score(checklist, answers))
    new = by_item(score(checklist, replace_answer(answers, Answer(target, na=True))))

    assert new[target] == (0, 0, "na")
    del old[target], new[target]
    assert new == old


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_hiding_an_item_leaves_the_other_items_unchanged(scenario, draw):
    data, checklist, answers = scenario
    free = sorted(free_items(checklist))
    target = draw.draw(st.sampled_from(free))
    hidden_data = copy.deepcopy(data)
    gate = {"key": "gate", "text": "Gate", "type": "yes_no", "weight": 0}
    hidden_data["sections"][0]["items"].insert(0, gate)
    for item in all_items(hidden_data):
        if item["key"] == target:
            item["show_if"] = {"item": "gate", "equals": True}
    hidden_checklist = parse_checklist(hidden_data)
    gated = [Answer("gate", False), *(a for a in answers if a.item != target)]

    old = by_item(score(checklist, answers))
    new = by_item(score(hidden_checklist, gated))

    assert new.pop(target) == (0, 0, "hidden")
    assert new.pop("gate") == (0, 0, "answered")
    del old[target]
    assert new == old


def shuffled_keeping_show_if_backwards(data: dict[str, Any], rnd: random.Random) -> dict:
    """The same checklist with sections and items in a random order that keeps it valid."""
    sections = copy.deepcopy(data["sections"])
    home = {item["key"]: index for index, s in enumerate(sections) for item in s["items"]}

    def parent_of(item: dict[str, Any]) -> str | None:
        return item["show_if"]["item"] if "show_if" in item else None

    def random_topological(nodes: list, needs) -> list:
        placed: list = []
        waiting = list(nodes)
        while waiting:
            ready = [node for node in waiting if needs(node, placed)]
            chosen = rnd.choice(ready)
            waiting.remove(chosen)
            placed.append(chosen)
        return placed

    def section_ready(index: int, placed: list) -> bool:
        needed = {home[parent_of(i)] for i in sections[index]["items"] if parent_of(i)}
        return needed <= {index, *placed}

    order = random_topological(list(range(len(sections))), section_ready)
    for section in sections:
        local = {item["key"] for item in section["items"]}

        def item_ready(item, placed, local=local):
            parent = parent_of(item)
            return parent is None or parent not in local or parent in {p["key"] for p in placed}

        section["items"] = random_topological(section["items"], item_ready)
    return {**data, "sections": [sections[index] for index in order]}


@PROPERTY_SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_item_and_section_order_never_matter(scenario, rnd):
    data, checklist, answers = scenario
    reordered = parse_checklist(shuffled_keeping_show_if_backwards(data, rnd))
    shuffled_answers = list(answers)
    rnd.shuffle(shuffled_answers)

    old = score(checklist, answers)
    new = score(reordered, shuffled_answers)

    assert new.overall == old.overall
    assert new.passed == old.passed
    assert set(new.critical_failures) == set(old.critical_failures)
    assert new.sections == old.sections
    assert new.dimensions == old.dimensions
    assert set(new.items) == set(old.items)


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_a_zero_weight_item_changes_nothing(scenario, draw):
    data, checklist, answers = scenario
    extra = draw.draw(item_dicts("zero"))
    extra.update(weight=0, critical=False)
    extra.pop("show_if", None)
    with_zero = copy.deepcopy(data)
    section = draw.draw(st.sampled_from(with_zero["sections"]))
    section["items"].insert(draw.draw(st.integers(0, len(section["items"]))), extra)
    value = draw.draw(values_for(extra))

    old = score(checklist, answers)
    new = score(parse_checklist(with_zero), [*answers, Answer("zero", value)])

    assert new.overall == old.overall
    assert new.passed == old.passed
    assert new.critical_failures == old.critical_failures
    assert new.sections == old.sections
    assert new.dimensions == old.dimensions


@PROPERTY_SETTINGS
@given(checklist_dicts())
def test_checklists_survive_a_round_trip_through_json(data):
    checklist = parse_checklist(data)

    assert parse_checklist(checklist_to_dict(checklist)) == checklist


@given(
    st.fractions(max_denominator=10**6).filter(lambda f: abs(f) < 10**4),
    st.integers(min_value=0, max_value=4),
)
def test_round_half_up_agrees_with_decimal_half_up(value: Fraction, places: int):
    """The integer shortcut rounds exactly as Decimal's ROUND_HALF_UP on the exact value."""
    from decimal import ROUND_HALF_UP, Decimal, localcontext

    from scoring._numbers import round_half_up

    with localcontext() as context:
        context.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        expected = float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
    assert round_half_up(value, places) == expected
