"""parse_answers reads the raw shape; validate_answers checks answers against the checklist."""

from __future__ import annotations

import pytest

from scoring.answers import AnswersError, parse_answers, validate_answers, visible_item_keys
from scoring.types import Answer
from support.scoring_builders import NA, answers, item, one_section

# --- parse_answers ------------------------------------------------------------------------


def test_values_na_and_comments_are_read():
    parsed = parse_answers(
        [
            {"item": "a", "value": True, "comment": "Door was open"},
            {"item": "b", "na": True},
            {"item": "c", "value": None, "comment": None},
        ]
    )

    assert parsed == [
        Answer("a", True, False, "Door was open"),
        Answer("b", None, True, ""),
        Answer("c", None, False, ""),
    ]


def test_malformed_answers_are_reported_by_path():
    with pytest.raises(AnswersError) as caught:
        parse_answers([{"item": ""}, "x", {"item": "c", "na": "yes", "comment": 3}])

    assert set(caught.value.errors) == {
        "answers[0].item",
        "answers[1]",
        "answers[2].na",
        "answers[2].comment",
    }


def test_answers_must_be_a_list():
    with pytest.raises(AnswersError):
        parse_answers({"item": "a"})


# --- visible_item_keys --------------------------------------------------------------------

RECOVERY = one_section(
    item("wrong", na_allowed=True),
    item("apology", show_if={"item": "wrong", "equals": True}),
    item("effort", "scale", show_if={"item": "apology", "equals": True}),
    item("other"),
)


def test_show_if_item_is_shown_when_the_referenced_answer_matches():
    shown = visible_item_keys(RECOVERY, answers(wrong=True, apology=True, effort=4, other=True))

    assert shown == {"wrong", "apology", "effort", "other"}


def test_show_if_item_is_hidden_when_the_referenced_answer_differs():
    assert visible_item_keys(RECOVERY, answers(wrong=False, other=True)) == {"wrong", "other"}


def test_show_if_item_is_hidden_when_the_referenced_item_is_na_or_unanswered():
    assert visible_item_keys(RECOVERY, answers(wrong=NA, other=True)) == {"wrong", "other"}
    assert visible_item_keys(RECOVERY, []) == {"wrong", "other"}


def test_hiding_cascades_to_items_that_depend_on_a_hidden_item():
    # A stale answer 'apology: true' must not reveal 'effort' once 'apology' itself is hidden.
    shown = visible_item_keys(RECOVERY, answers(wrong=False, apology=True, other=True))

    assert shown == {"wrong", "other"}


def test_show_if_compares_types_strictly():
    checklist = one_section(item("n", "scale"), item("x", show_if={"item": "n", "equals": 1}))

    assert "x" not in visible_item_keys(checklist, answers(n=True))
    assert "x" in visible_item_keys(checklist, answers(n=1))


def test_show_if_on_a_number_compares_exact_values():
    checklist = one_section(item("n", "number"), item("x", show_if={"item": "n", "equals": 0.1}))

    assert "x" in visible_item_keys(checklist, answers(n=0.1))
    assert "x" not in visible_item_keys(checklist, answers(n=0.10000001))


# --- validate_answers ---------------------------------------------------------------------

ALL_TYPES = one_section(
    item("yn"),
    item("sc", "scale"),
    item("ch", "choice"),
    item("nu", "number"),
    item("tx", "text"),
    item("ph", "photo"),
    item("na_ok", na_allowed=True),
)

VALID = {"yn": True, "sc": 3, "ch": "partly", "nu": 12.5, "tx": "", "na_ok": NA}


def test_a_complete_valid_set_has_no_errors():
    assert validate_answers(ALL_TYPES, answers(**VALID)) == {}


def test_the_photo_item_may_carry_a_null_value():
    assert validate_answers(ALL_TYPES, answers(**VALID, ph=None)) == {}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("yn", 1, "expected true or false"),
        ("yn", "yes", "expected true or false"),
        ("sc", 0, "must be an integer from 1 to 5"),
        ("sc", 6, "must be an integer from 1 to 5"),
        ("sc", 3.0, "must be an integer from 1 to 5"),
        ("sc", True, "must be an integer from 1 to 5"),
        ("ch", "excellent", "must be one of 'good', 'partly', 'bad'"),
        ("ch", 1, "must be one of 'good', 'partly', 'bad'"),
        ("nu", True, "must be a finite number"),
        ("nu", "12", "must be a finite number"),
        ("nu", float("inf"), "must be a finite number"),
        ("nu", float("nan"), "must be a finite number"),
        ("tx", 5, "must be text"),
        ("ph", "photo.jpg", "a photo item takes no value; upload the photo instead"),
        ("yn", None, "answer required"),
    ],
)
def test_wrong_value_types_are_reported_on_the_item(key, value, message):
    given = {**VALID, key: value}

    assert validate_answers(ALL_TYPES, answers(**given)) == {key: [message]}


def test_unknown_items_are_reported():
    assert validate_answers(ALL_TYPES, answers(**VALID, ghost=True)) == {"ghost": ["unknown item"]}


def test_an_item_answered_twice_is_reported():
    given = [*answers(**VALID), Answer("yn", False)]

    assert validate_answers(ALL_TYPES, given) == {"yn": ["answered more than once"]}


def test_na_is_refused_where_it_is_not_allowed():
    given = {**VALID, "yn": NA}

    assert validate_answers(ALL_TYPES, answers(**given)) == {
        "yn": ["N/A is not allowed for this item"]
    }


def test_na_with_a_value_is_refused():
    given = [*answers(**{k: v for k, v in VALID.items() if k != "na_ok"})]
    given.append(Answer("na_ok", True, na=True))

    assert validate_answers(ALL_TYPES, given) == {
        "na_ok": ["an N/A answer cannot also have a value"]
    }


def test_missing_answers_to_shown_items_are_required_except_photos():
    errors = validate_answers(ALL_TYPES, [])

    assert errors == {key: ["answer required"] for key in VALID}


def test_missing_answers_to_hidden_items_are_fine():
    assert validate_answers(RECOVERY, answers(wrong=False, other=True)) == {}


def test_answers_to_hidden_items_are_refused():
    errors = validate_answers(RECOVERY, answers(wrong=False, apology=True, effort=3, other=True))

    assert errors == {
        "apology": ["this item is hidden by show_if on 'wrong'"],
        "effort": ["this item is hidden by show_if on 'apology'"],
    }


def test_an_answer_without_an_item_key_is_a_list_level_problem():
    given = [*answers(**VALID), Answer("", True)]

    assert validate_answers(ALL_TYPES, given) == {"answers": ["an answer has no item key"]}


def test_every_problem_is_reported_at_once():
    errors = validate_answers(ALL_TYPES, answers(yn=2, sc=9, ghost=1))

    assert set(errors) == {"yn", "sc", "ghost", "ch", "nu", "tx", "na_ok"}
