"""Each scoring rule of docs/scoring.md, one test per rule, exact with Fractions."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from scoring.engine import ENGINE_VERSION, result_from_dict, result_to_dict, score
from scoring.types import ItemScore
from support.scoring_builders import NA, answers, checklist, item, one_section, section


def item_scores(result) -> dict[str, ItemScore]:
    return {entry.item: entry for entry in result.items}


def test_engine_version_is_semantic():
    assert ENGINE_VERSION == "1.0.0"


def test_worked_example_from_the_docs():
    """a: yes/no w2 false, b: scale 1..5 w1 4, c: yes/no N/A, d: bonus yes/no true."""
    example = one_section(
        item("a", weight=2),
        item("b", "scale"),
        item("c", na_allowed=True),
        item("d", bonus=True),
    )

    result = score(example, answers(a=False, b=4, c=NA, d=True))

    by_item = item_scores(result)
    assert (by_item["a"].earned, by_item["a"].possible) == (0, 2)
    assert (by_item["b"].earned, by_item["b"].possible) == (Fraction(3, 4), 1)
    assert (by_item["c"].earned, by_item["c"].possible, by_item["c"].reason) == (0, 0, "na")
    assert (by_item["d"].earned, by_item["d"].possible, by_item["d"].reason) == (1, 0, "bonus")
    assert result.overall == Fraction(175, 3)  # 100 * 1.75 / 3
    assert result_to_dict(result)["overall"] == 58.33
    assert result.passed is False


@pytest.mark.parametrize(("value", "earned"), [(True, 3), (False, 0)])
def test_yes_no_earns_all_or_nothing(value, earned):
    result = score(one_section(item("a", weight=3)), answers(a=value))

    assert item_scores(result)["a"].earned == earned


@pytest.mark.parametrize(
    ("scale_max", "value", "earned"),
    [(3, 1, 0), (3, 2, 1), (3, 3, 2), (5, 4, Fraction(3, 2)), (5, 5, 2)],
)
def test_scale_earns_in_proportion_above_the_bottom(scale_max, value, earned):
    checklist_ = one_section(item("a", "scale", scale_max=scale_max, weight=2))

    result = score(checklist_, answers(a=value))

    assert item_scores(result)["a"].earned == earned


def test_choice_earns_the_option_share_of_the_weight():
    result = score(one_section(item("a", "choice", weight=4)), answers(a="partly"))

    assert item_scores(result)["a"].earned == 2
    assert item_scores(result)["a"].possible == 4


BANDS = [{"max": 30, "points": 1}, {"max": 60, "points": 0.5}, {"max": 90.5, "points": 0.25}]


@pytest.mark.parametrize(
    ("value", "earned"),
    [(0, 2), (30, 2), (30.5, 1), (60, 1), (90.5, Fraction(1, 2)), (90.6, 0), (10**6, 0)],
)
def test_number_earns_the_first_band_whose_max_holds_it(value, earned):
    result = score(one_section(item("wait", "number", weight=2, bands=BANDS)), answers(wait=value))

    assert item_scores(result)["wait"].earned == earned
    assert item_scores(result)["wait"].possible == 2


def test_an_unbounded_last_band_holds_every_larger_value():
    bands = [{"max": 10, "points": 1}, {"max": None, "points": 0.2}]

    result = score(one_section(item("n", "number", bands=bands)), answers(n=10**9))

    assert item_scores(result)["n"].earned == Fraction(1, 5)


def test_band_edges_are_exact_for_decimal_floats():
    bands = [{"max": 0.3, "points": 1}, {"max": None, "points": 0}]

    result = score(one_section(item("n", "number", bands=bands)), answers(n=0.1 + 0.2))

    # 0.1 + 0.2 is 0.30000000000000004 as a float: just above the band, and read as such.
    assert item_scores(result)["n"].earned == 0
    assert (
        item_scores(score(one_section(item("n", "number", bands=bands)), answers(n=0.3)))[
            "n"
        ].earned
        == 1
    )


@pytest.mark.parametrize(
    ("kind", "value"), [("text", "Nice shop"), ("photo", None), ("number", 42)]
)
def test_text_photo_and_band_less_numbers_are_unscored(kind, value):
    result = score(one_section(item("a"), item("x", kind)), answers(a=True, x=value))

    assert item_scores(result)["x"] == ItemScore("x", "s", 0, 0, "unscored")
    assert result.overall == 100


def test_an_omitted_photo_is_unscored():
    result = score(one_section(item("a"), item("p", "photo")), answers(a=True))

    assert item_scores(result)["p"].reason == "unscored"


def test_na_counts_in_neither_earned_nor_possible():
    checklist_ = one_section(item("a"), item("b", na_allowed=True, weight=5))

    result = score(checklist_, answers(a=True, b=NA))

    assert item_scores(result)["b"] == ItemScore("b", "s", 0, 0, "na")
    assert result.overall == 100


def test_hidden_items_count_in_neither_earned_nor_possible():
    checklist_ = one_section(
        item("wrong", weight=0), item("apology", show_if={"item": "wrong", "equals": True})
    )

    nothing_wrong = score(checklist_, answers(wrong=False))
    apology_missing = score(checklist_, answers(wrong=True, apology=False))

    assert item_scores(nothing_wrong)["apology"] == ItemScore("apology", "s", 0, 0, "hidden")
    assert nothing_wrong.overall is None
    assert apology_missing.overall == 0


def test_bonus_adds_earned_points_only():
    checklist_ = one_section(item("a"), item("b"), item("extra", bonus=True))

    result = score(checklist_, answers(a=True, b=False, extra=True))

    assert item_scores(result)["extra"] == ItemScore("extra", "s", 1, 0, "bonus")
    assert result.overall == 100  # (1 + 1) / 2 capped


def test_bonus_never_lifts_a_score_above_100():
    checklist_ = one_section(item("a"), item("extra", bonus=True, weight=10))

    result = score(checklist_, answers(a=True, extra=True))

    assert result.overall == 100
    assert result.sections == {"s": 100}
    assert result.dimensions == {"s": 100}


def test_section_score_is_none_not_zero_when_nothing_is_scorable():
    checklist_ = checklist(
        section("s", item("a")),
        section("notes", item("comment", "text"), item("b", na_allowed=True)),
    )

    result = score(checklist_, answers(a=True, comment="ok", b=NA))

    assert result.sections == {"s": 100, "notes": None}


def test_dimension_scores_pool_points_over_their_sections():
    checklist_ = checklist(
        section("during", item("a", weight=3), dimension="delivery"),
        section("after", item("b"), dimension="delivery"),
        section("care", item("c"), dimension="care"),
    )

    result = score(checklist_, answers(a=True, b=False, c=False))

    assert result.sections == {"during": 100, "after": 0, "care": 0}
    assert result.dimensions == {"delivery": 75, "care": 0}  # pooled 3/4, not mean 50


def test_overall_pools_points_when_no_section_has_a_weight():
    checklist_ = checklist(section("s", item("a"), item("b")), section("t", item("c", weight=2)))

    result = score(checklist_, answers(a=True, b=False, c=True))

    assert result.overall == 75  # 3 of 4 points, not the mean of 50 and 100


def test_overall_is_the_weighted_mean_of_sections_when_any_has_a_weight():
    checklist_ = checklist(
        section("s", item("a"), item("b"), weight=3),  # 50
        section("t", item("c", weight=2)),  # 100, weighs 1
        section("u", item("d", na_allowed=True), weight=5),  # nothing scorable: left out
    )

    result = score(checklist_, answers(a=True, b=False, c=True, d=NA))

    assert result.sections == {"s": 50, "t": 100, "u": None}
    assert result.overall == Fraction(3 * 50 + 1 * 100, 4)  # 62.5


def test_overall_is_none_when_nothing_is_scorable():
    result = score(one_section(item("t", "text")), answers(t="hello"))

    assert result.overall is None
    assert result.calculated_overall is None
    assert result.passed is False
    assert result_to_dict(result)["overall"] is None


def test_critical_item_earning_nothing_fails_the_audit_but_the_score_stands_under_flag():
    checklist_ = one_section(item("a", weight=9), item("rude", critical=True))

    result = score(checklist_, answers(a=True, rude=False))

    assert result.overall == 90
    assert result.calculated_overall == 90  # the flag policy leaves the overall alone
    assert result.critical_failures == ("rude",)
    assert item_scores(result)["rude"].reason == "critical_failure"
    assert result.passed is False


def test_critical_failure_zeroes_the_overall_score_under_zero():
    checklist_ = one_section(
        item("a", weight=9), item("rude", critical=True), critical_policy="zero"
    )

    result = score(checklist_, answers(a=True, rude=False))

    assert result.overall == 0
    assert result.calculated_overall == 90  # what it was before the policy
    assert result.sections == {"s": 90}  # only the overall score is zeroed
    assert result.passed is False
    assert result_to_dict(result)["calculated_overall"] == 90.0


def test_the_calculated_overall_is_the_overall_without_a_critical_failure():
    checklist_ = one_section(item("a", weight=2), item("b", "scale"), critical_policy="zero")

    result = score(checklist_, answers(a=False, b=4))

    assert result.calculated_overall == result.overall == 25


def test_critical_item_earning_partial_credit_is_not_a_failure():
    checklist_ = one_section(item("c", "choice", critical=True), critical_policy="zero")

    result = score(checklist_, answers(c="partly"))

    assert result.critical_failures == ()
    assert result.overall == 50


@pytest.mark.parametrize("policy", ["flag", "zero"])
def test_critical_items_answered_na_or_hidden_cannot_fail(policy):
    checklist_ = one_section(
        item("a"),
        item("safe", critical=True, na_allowed=True),
        item("wrong", weight=0),
        item("acknowledged", critical=True, show_if={"item": "wrong", "equals": True}),
        critical_policy=policy,
    )

    result = score(checklist_, answers(a=True, safe=NA, wrong=False))

    assert result.critical_failures == ()
    assert result.overall == 100
    assert result.passed is True


@pytest.mark.parametrize(
    ("answer_a", "pass_mark", "passed"), [(True, 80, True), (False, 50, True), (False, 51, False)]
)
def test_passed_compares_the_overall_score_with_the_pass_mark(answer_a, pass_mark, passed):
    checklist_ = one_section(item("a"), item("b"), pass_mark=pass_mark)

    assert score(checklist_, answers(a=answer_a, b=True)).passed is passed


def test_a_zero_weight_item_changes_nothing():
    base = one_section(item("a"), item("b", "scale"))
    with_zero = one_section(item("a"), item("b", "scale"), item("z", "choice", weight=0))

    plain = score(base, answers(a=True, b=2))
    zeroed = score(with_zero, answers(a=True, b=2, z="bad"))

    assert zeroed.overall == plain.overall
    assert zeroed.sections == plain.sections
    assert zeroed.passed == plain.passed
    assert item_scores(zeroed)["z"] == ItemScore("z", "s", 0, 0, "answered")


def test_items_are_explained_in_checklist_order_with_their_section():
    checklist_ = checklist(section("s", item("a"), item("b")), section("t", item("c")))

    result = score(checklist_, answers(c=True, b=True, a=True))

    assert [(entry.item, entry.section) for entry in result.items] == [
        ("a", "s"),
        ("b", "s"),
        ("c", "t"),
    ]


def test_result_to_dict_rounds_half_up_to_two_decimals():
    checklist_ = one_section(
        item("a", "choice", weight=1)
        | {"options": [{"key": "x", "label": "X", "points": 0.12345}]},
        item("b", weight=Fraction(1, 1000)),
    )
    result = score(checklist_, answers(a="x", b=True))

    data = result_to_dict(result)

    # 100 * (0.12345 + 0.001) / 1.001 = 12.4325674... -> 12.43; earned 0.12345 -> 0.12
    assert data["overall"] == 12.43
    assert data["calculated_overall"] == 12.43
    assert data["items"][0] == {
        "item": "a",
        "section": "s",
        "earned": 0.12,
        "possible": 1.0,
        "reason": "answered",
    }
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize(("value", "rounded"), [(Fraction(1, 8), 0.13), (Fraction(-1, 8), -0.13)])
def test_halves_round_away_from_zero(value, rounded):
    from scoring._numbers import round_half_up

    assert round_half_up(value) == rounded


def test_result_from_dict_reads_back_the_stored_shape():
    checklist_ = one_section(item("a", weight=2), item("b", "scale"), item("c", critical=True))
    result = score(checklist_, answers(a=True, b=3, c=False))

    data = result_to_dict(result)
    again = result_from_dict(json.loads(json.dumps(data)))

    assert result_to_dict(again) == data
    assert again.critical_failures == ("c",)


def test_scoring_unvalidated_answers_raises_rather_than_guessing():
    checklist_ = one_section(item("a"), item("b", "scale"))

    with pytest.raises(ValueError, match="'b' is shown but has no answer"):
        score(checklist_, answers(a=True))
    with pytest.raises(ValueError, match="not a possible answer"):
        score(checklist_, answers(a=1, b=3))
