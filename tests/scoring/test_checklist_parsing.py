"""parse_checklist turns the JSON shape into dataclasses and reports every problem by path."""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from typing import Any

import pytest

from scoring.checklist import ChecklistError, checklist_to_dict, parse_checklist
from scoring.types import Band, Option, ShowIf
from support.scoring_builders import checklist_data, item, section


def errors_of(data: Any) -> dict[str, list[str]]:
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(data)
    return caught.value.errors


def test_minimal_checklist_gets_the_documented_defaults():
    parsed = parse_checklist(checklist_data(section("s", item("a"))))

    assert parsed.pass_mark == 80
    assert parsed.critical_policy == "flag"
    only = parsed.sections[0].items[0]
    assert parsed.sections[0].weight is None
    assert (only.weight, only.critical, only.na_allowed, only.bonus) == (1, False, False, False)
    assert (only.requires_photo, only.scale_max, only.options, only.bands) == (False, None, (), ())
    assert only.show_if is None


def test_float_inputs_are_read_as_their_decimal_value():
    data = checklist_data(
        section("s", item("a", weight=0.1), item("c", "choice")),
        pass_mark=72.5,
    )

    parsed = parse_checklist(data)

    assert parsed.sections[0].items[0].weight == Fraction(1, 10)
    assert parsed.sections[0].items[1].options[1] == Option("partly", "Partly", Fraction(1, 2))
    assert parsed.pass_mark == Fraction(145, 2)


def test_unknown_keys_such_as_ids_and_versions_are_ignored():
    data = checklist_data(section("s", item("a", id=7)), id=3, template=1, version=2)
    data["sections"][0]["id"] = 9

    assert parse_checklist(data).sections[0].items[0].key == "a"


def test_bands_and_show_if_are_parsed():
    data = checklist_data(
        section(
            "s",
            item("wait", "number", bands=[{"max": 30, "points": 1}, {"max": None, "points": 0}]),
            item("went_wrong"),
            item("apology", show_if={"item": "went_wrong", "equals": True}),
            item("slow", show_if={"item": "wait", "equals": 45.5}),
        )
    )

    items = parse_checklist(data).sections[0].items

    assert items[0].bands == (Band(Fraction(30), Fraction(1)), Band(None, Fraction(0)))
    assert items[2].show_if == ShowIf("went_wrong", True)
    assert items[3].show_if == ShowIf("wait", Fraction(91, 2))


def test_round_trip_keeps_ints_as_ints_and_fractions_as_floats():
    data = checklist_data(
        section(
            "s",
            item("a", weight=2),
            item("b", "choice", weight=0.25),
            item("c", "number", bands=[{"max": 12.5, "points": 0.5}, {"max": None, "points": 0}]),
            item("d", "scale", show_if={"item": "c", "equals": 3}),
            weight=1.5,
        ),
        pass_mark=75,
    )

    out = checklist_to_dict(parse_checklist(data))

    assert json.loads(json.dumps(out)) == out
    assert out["pass_mark"] == 75 and isinstance(out["pass_mark"], int)
    assert out["sections"][0]["weight"] == 1.5
    first, choice, number, scale = out["sections"][0]["items"]
    assert first["weight"] == 2 and isinstance(first["weight"], int)
    assert choice["weight"] == 0.25
    assert [o["points"] for o in choice["options"]] == [1, 0.5, 0]
    assert number["bands"] == [{"max": 12.5, "points": 0.5}, {"max": None, "points": 0}]
    assert scale["show_if"] == {"item": "c", "equals": 3}
    assert parse_checklist(out) == parse_checklist(data)


def test_the_input_is_not_modified():
    data = checklist_data(section("s", item("a"), item("b", show_if={"item": "a", "equals": 1})))
    before = copy.deepcopy(data)

    errors_of(data)

    assert data == before


def with_item(**fields: Any) -> dict[str, Any]:
    """A checklist whose second item has `fields` (the first is a plain yes/no 'a')."""
    return checklist_data(section("s", item("a"), {"key": "b", "text": "B", **fields}))


ITEM = "sections[0].items[1]"

INVALID = [
    # (description, data, path, message fragment)
    ("missing title", checklist_data(section("s", item("a")), title=None), "title", "required"),
    ("blank title", checklist_data(section("s", item("a")), title="  "), "title", "non-empty"),
    (
        "pass mark above 100",
        checklist_data(section("s", item("a")), pass_mark=101),
        "pass_mark",
        "0 to 100",
    ),
    (
        "pass mark negative",
        checklist_data(section("s", item("a")), pass_mark=-1),
        "pass_mark",
        "0 to 100",
    ),
    (
        "pass mark as bool",
        checklist_data(section("s", item("a")), pass_mark=True),
        "pass_mark",
        "number",
    ),
    (
        "pass mark as text",
        checklist_data(section("s", item("a")), pass_mark="80"),
        "pass_mark",
        "number",
    ),
    (
        "bad critical policy",
        checklist_data(section("s", item("a")), critical_policy="halve"),
        "critical_policy",
        "flag, zero",
    ),
    ("empty sections", checklist_data(), "sections", "at least one section"),
    ("sections not a list", {"title": "t", "sections": "abc"}, "sections", "list"),
    ("section without items", checklist_data(section("s")), "sections[0].items", "at least one"),
    ("blank section key", checklist_data(section(" ", item("a"))), "sections[0].key", "non-empty"),
    (
        "missing section title",
        checklist_data(section("s", item("a"), title=None)),
        "sections[0].title",
        "required",
    ),
    (
        "missing dimension",
        checklist_data(section("s", item("a"), dimension="")),
        "sections[0].dimension",
        "non-empty",
    ),
    (
        "duplicate section key",
        checklist_data(section("s", item("a")), section("s", item("b"))),
        "sections[1].key",
        "duplicate section key 's'",
    ),
    (
        "zero section weight",
        checklist_data(section("s", item("a"), weight=0)),
        "sections[0].weight",
        "greater than 0",
    ),
    (
        "bool section weight",
        checklist_data(section("s", item("a"), weight=True)),
        "sections[0].weight",
        "number",
    ),
    (
        "duplicate item key across sections",
        checklist_data(section("s", item("a")), section("t", item("a"))),
        "sections[1].items[0].key",
        "duplicate item key 'a'",
    ),
    ("missing item key", with_item(key=None, type="yes_no"), f"{ITEM}.key", "required"),
    ("blank item text", with_item(text="", type="yes_no"), f"{ITEM}.text", "non-empty"),
    ("bad type", with_item(type="stars"), f"{ITEM}.type", "must be one of"),
    ("missing type", with_item(), f"{ITEM}.type", "required"),
    ("negative weight", with_item(type="yes_no", weight=-1), f"{ITEM}.weight", "negative"),
    ("bool weight", with_item(type="yes_no", weight=False), f"{ITEM}.weight", "number"),
    ("nan weight", with_item(type="yes_no", weight=float("nan")), f"{ITEM}.weight", "number"),
    (
        "non-bool flag",
        with_item(type="yes_no", critical="yes"),
        f"{ITEM}.critical",
        "true or false",
    ),
    ("scale without scale_max", with_item(type="scale"), f"{ITEM}.scale_max", "required"),
    ("scale_max of 1", with_item(type="scale", scale_max=1), f"{ITEM}.scale_max", "at least 2"),
    ("scale_max as bool", with_item(type="scale", scale_max=True), f"{ITEM}.scale_max", "integer"),
    (
        "scale_max on yes/no",
        with_item(type="yes_no", scale_max=5),
        f"{ITEM}.scale_max",
        "only scale",
    ),
    ("choice without options", with_item(type="choice"), f"{ITEM}.options", "required"),
    (
        "choice with empty options",
        with_item(type="choice", options=[]),
        f"{ITEM}.options",
        "at least one option",
    ),
    (
        "duplicate option keys",
        with_item(
            type="choice",
            options=[
                {"key": "x", "label": "X", "points": 1},
                {"key": "x", "label": "Y", "points": 0},
            ],
        ),
        f"{ITEM}.options[1].key",
        "duplicate option key 'x'",
    ),
    (
        "option points above 1",
        with_item(type="choice", options=[{"key": "x", "label": "X", "points": 1.5}]),
        f"{ITEM}.options[0].points",
        "0 to 1",
    ),
    (
        "option points negative",
        with_item(type="choice", options=[{"key": "x", "label": "X", "points": -0.1}]),
        f"{ITEM}.options[0].points",
        "0 to 1",
    ),
    (
        "option without points",
        with_item(type="choice", options=[{"key": "x", "label": "X"}]),
        f"{ITEM}.options[0].points",
        "required",
    ),
    (
        "options on a yes/no",
        with_item(type="yes_no", options=[{"key": "x", "label": "X", "points": 1}]),
        f"{ITEM}.options",
        "only choice",
    ),
    (
        "bands on a yes/no",
        with_item(type="yes_no", bands=[{"max": None, "points": 1}]),
        f"{ITEM}.bands",
        "only number",
    ),
    (
        "bands out of order",
        with_item(type="number", bands=[{"max": 10, "points": 1}, {"max": 5, "points": 0}]),
        f"{ITEM}.bands[1].max",
        "ascending",
    ),
    (
        "unbounded band not last",
        with_item(type="number", bands=[{"max": None, "points": 1}, {"max": 5, "points": 0}]),
        f"{ITEM}.bands[0].max",
        "last band",
    ),
    (
        "band points above 1",
        with_item(type="number", bands=[{"max": None, "points": 2}]),
        f"{ITEM}.bands[0].points",
        "0 to 1",
    ),
    (
        "bonus and critical",
        with_item(type="yes_no", bonus=True, critical=True),
        f"{ITEM}.critical",
        "bonus item cannot be critical",
    ),
    (
        "critical text item",
        with_item(type="text", critical=True),
        f"{ITEM}.critical",
        "cannot be critical",
    ),
    (
        "critical with no weight",
        with_item(type="yes_no", critical=True, weight=0),
        f"{ITEM}.critical",
        "weight above 0",
    ),
    (
        "show_if on an unknown item",
        with_item(type="yes_no", show_if={"item": "z", "equals": 1}),
        f"{ITEM}.show_if.item",
        "unknown item 'z'",
    ),
    (
        "show_if on itself",
        with_item(type="yes_no", show_if={"item": "b", "equals": True}),
        f"{ITEM}.show_if.item",
        "itself",
    ),
    (
        "show_if without equals",
        with_item(type="yes_no", show_if={"item": "a"}),
        f"{ITEM}.show_if.equals",
        "required",
    ),
    (
        "show_if equals not a yes/no value",
        with_item(type="yes_no", show_if={"item": "a", "equals": 1}),
        f"{ITEM}.show_if.equals",
        "true or false",
    ),
]


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_checklists_are_rejected_at_their_path(data, path, fragment):
    errors = errors_of(data)

    assert path in errors, errors
    assert any(fragment in message for message in errors[path]), errors[path]


def test_show_if_on_a_later_item_is_rejected():
    data = checklist_data(
        section("s", item("a", show_if={"item": "b", "equals": True})), section("t", item("b"))
    )

    assert "later" in errors_of(data)["sections[0].items[0].show_if.item"][0]


@pytest.mark.parametrize(
    ("target", "equals"),
    [
        (item("t", "scale"), 6),
        (item("t", "scale"), True),
        (item("t", "choice"), "excellent"),
        (item("t", "number"), "12"),
        (item("t", "number"), False),
        (item("t", "text"), 3),
    ],
)
def test_show_if_equals_must_be_a_possible_answer_of_the_referenced_item(target, equals):
    data = checklist_data(section("s", target, item("b", show_if={"item": "t", "equals": equals})))

    assert (
        "not a possible answer to 't'" in errors_of(data)["sections[0].items[1].show_if.equals"][0]
    )


def test_show_if_on_a_photo_item_is_rejected():
    data = checklist_data(
        section("s", item("p", "photo"), item("b", show_if={"item": "p", "equals": None}))
    )

    assert "photo" in errors_of(data)["sections[0].items[1].show_if.item"][0]


def test_all_errors_are_collected_not_just_the_first():
    data = {
        "title": "",
        "critical_policy": "maybe",
        "sections": [
            section("s", item("a", weight=-1), item("b", "scale", scale_max=None)),
            section("s", item("a"), {"key": "c", "text": "C", "type": "choice", "options": []}),
        ],
    }

    errors = errors_of(data)

    assert set(errors) == {
        "title",
        "critical_policy",
        "sections[0].items[0].weight",
        "sections[0].items[1].scale_max",
        "sections[1].key",
        "sections[1].items[0].key",
        "sections[1].items[1].options",
    }


def test_not_an_object_is_rejected():
    assert errors_of(["not", "a", "checklist"]) == {"checklist": ["expected an object"]}


def test_checklist_error_is_an_exception_that_summarises():
    with pytest.raises(ChecklistError, match="invalid checklist: 1 error"):
        parse_checklist(checklist_data(section("s", item("a")), title=""))
