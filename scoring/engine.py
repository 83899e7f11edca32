"""Score one submission exactly, and explain every point.

The rules are documented with worked examples in docs/scoring.md. Every stored score records
`ENGINE_VERSION`; bump it whenever a rule changes what a submission scores, so that old scores
can be told apart from new ones instead of being silently rewritten.

`score` expects answers that passed `scoring.answers.validate_answers`; it does not repeat
that work (it is called for backlogs of thousands of submissions), but raises ValueError rather
than guess when it meets an answer it cannot score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from scoring._numbers import round_half_up, to_fraction
from scoring.compiled import ZERO, answers_by_key, compile_checklist
from scoring.types import (
    REASON_ANSWERED,
    REASON_BONUS,
    REASON_CRITICAL_FAILURE,
    REASON_HIDDEN,
    REASON_NA,
    REASON_UNSCORED,
    Answer,
    Checklist,
    ItemScore,
    ScoreResult,
)

ENGINE_VERSION = "1.0.0"

HUNDRED = Fraction(100)


def score(checklist: Checklist, answers: Sequence[Answer]) -> ScoreResult:
    """The exact score of `answers` on `checklist`, with the reason for each item's points."""
    compiled = compile_checklist(checklist)
    by_key = answers_by_key(answers)
    section_count = len(compiled.section_keys)
    earned_units = [0] * section_count
    possible_units = [0] * section_count
    hidden: set[str] = set()
    failures: list[str] = []
    explained: list[ItemScore] = []
    section_keys = compiled.section_keys

    for item in compiled.items:
        key = item.key
        section = section_keys[item.section_index]
        parent = item.show_if_item
        if parent is not None and (parent in hidden or not item.shown_by(by_key.get(parent))):
            hidden.add(key)
            explained.append(ItemScore(key, section, ZERO, ZERO, REASON_HIDDEN))
            continue
        answer = by_key.get(key)
        if answer is not None and answer.na:
            explained.append(ItemScore(key, section, ZERO, ZERO, REASON_NA))
            continue
        if not item.scored:
            explained.append(ItemScore(key, section, ZERO, ZERO, REASON_UNSCORED))
            continue
        if answer is None:
            raise ValueError(f"item {key!r} is shown but has no answer; validate answers first")
        units, earned = item.earned(answer.value)
        earned_units[item.section_index] += units
        if item.bonus:
            explained.append(ItemScore(key, section, earned, ZERO, REASON_BONUS))
            continue
        possible_units[item.section_index] += item.possible_units
        if item.critical and units == 0:
            failures.append(key)
            reason = REASON_CRITICAL_FAILURE
        else:
            reason = REASON_ANSWERED
        explained.append(ItemScore(key, section, earned, item.possible, reason))

    sections = {
        key: _percentage(earned_units[index], possible_units[index])
        for index, key in enumerate(section_keys)
    }
    dimensions = _pooled_by_dimension(compiled.section_dimensions, earned_units, possible_units)
    if compiled.has_section_weights:
        overall = _weighted_mean(list(sections.values()), compiled.section_weights)
    else:
        overall = _percentage(sum(earned_units), sum(possible_units))
    calculated = overall
    if failures and checklist.critical_policy == "zero":
        overall = ZERO
    passed = overall is not None and overall >= checklist.pass_mark and not failures
    return ScoreResult(
        overall=overall,
        calculated_overall=calculated,
        passed=passed,
        critical_failures=tuple(failures),
        sections=sections,
        dimensions=dimensions,
        items=tuple(explained),
    )


def _percentage(earned: int, possible: int) -> Fraction | None:
    """100 * earned / possible, capped at 100 (bonus points); None when nothing was scorable."""
    if possible == 0:
        return None
    if earned >= possible:
        return HUNDRED
    return Fraction(100 * earned, possible)


def _pooled_by_dimension(
    dimensions: Sequence[str], earned: Sequence[int], possible: Sequence[int]
) -> dict[str, Fraction | None]:
    pooled: dict[str, list[int]] = {}
    for dimension, section_earned, section_possible in zip(
        dimensions, earned, possible, strict=True
    ):
        totals = pooled.setdefault(dimension, [0, 0])
        totals[0] += section_earned
        totals[1] += section_possible
    return {dimension: _percentage(*totals) for dimension, totals in pooled.items()}


def _weighted_mean(
    scores: Sequence[Fraction | None], weights: Sequence[Fraction | None]
) -> Fraction | None:
    """Mean of the sections that have a score; unweighted sections weigh 1.

    Summed as one integer numerator and denominator and reduced once at the end: a third of
    the scoring time went into intermediate `Fraction` reductions before.
    """
    numerator, denominator = 0, 1
    weight_numerator, weight_denominator = 0, 1
    for section_score, weight in zip(scores, weights, strict=True):
        if section_score is None:
            continue
        weight = Fraction(1) if weight is None else weight
        term_numerator = weight.numerator * section_score.numerator
        term_denominator = weight.denominator * section_score.denominator
        numerator = numerator * term_denominator + term_numerator * denominator
        denominator *= term_denominator
        weight_numerator = weight_numerator * weight.denominator + weight.numerator * (
            weight_denominator
        )
        weight_denominator *= weight.denominator
    if weight_numerator == 0:
        return None
    return Fraction(numerator * weight_denominator, denominator * weight_numerator)


def _rounded(value: Fraction | None) -> float | None:
    return None if value is None else round_half_up(value)


def result_to_dict(result: ScoreResult) -> dict[str, Any]:
    """The JSON shape of a score: every number rounded half-up to 2 decimals."""
    return {
        "overall": _rounded(result.overall),
        "calculated_overall": _rounded(result.calculated_overall),
        "passed": result.passed,
        "critical_failures": list(result.critical_failures),
        "sections": {key: _rounded(value) for key, value in result.sections.items()},
        "dimensions": {key: _rounded(value) for key, value in result.dimensions.items()},
        "items": [
            {
                "item": item.item,
                "section": item.section,
                "earned": round_half_up(item.earned),
                "possible": round_half_up(item.possible),
                "reason": item.reason,
            }
            for item in result.items
        ],
    }


def result_from_dict(data: Mapping[str, Any]) -> ScoreResult:
    """Read back a stored `result_to_dict` (to the 2 decimals it was stored with)."""

    def number(value: Any) -> Fraction | None:
        return None if value is None else to_fraction(value)

    return ScoreResult(
        overall=number(data["overall"]),
        calculated_overall=number(data["calculated_overall"]),
        passed=bool(data["passed"]),
        critical_failures=tuple(data["critical_failures"]),
        sections={key: number(value) for key, value in data["sections"].items()},
        dimensions={key: number(value) for key, value in data["dimensions"].items()},
        items=tuple(
            ItemScore(
                item=entry["item"],
                section=entry["section"],
                earned=to_fraction(entry["earned"]),
                possible=to_fraction(entry["possible"]),
                reason=entry["reason"],
            )
            for entry in data.get("items", ())
        ),
    )
