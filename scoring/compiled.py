"""A checklist prepared once for scoring many submissions quickly.

Scoring a backlog means running the same checklist against thousands of answer sets, so
everything that depends on the checklist alone is worked out here once: the section of each
item, what every possible answer earns, and how show_if conditions compare. Points are kept as
integers over one common denominator, so that adding them up stays exact without paying for
`Fraction` arithmetic on every item.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from scoring._numbers import is_number, to_fraction
from scoring.checklist import is_scored
from scoring.types import Answer, Checklist, Item

ZERO = Fraction(0)


@dataclass(frozen=True, slots=True)
class CompiledItem:
    """One item with what scoring it needs precomputed.

    `units` are points in multiples of 1 / `CompiledChecklist.denominator`; `fractions` holds the
    same amounts as `Fraction`s so the explanation does not have to build new ones.
    """

    item: Item
    key: str
    section_index: int
    scored: bool
    bonus: bool
    critical: bool
    possible_units: int
    possible: Fraction
    # yes_no / scale / choice: answer value -> (units, Fraction). Keys are matched by exact type
    # first, because True == 1 in Python and a yes/no answer must not score a scale item.
    earned_by_value: dict[Any, tuple[int, Fraction]]
    value_type: type | None
    # number: (upper bound or None, units, Fraction) in ascending order.
    bands: tuple[tuple[Fraction | None, int, Fraction], ...]
    show_if_item: str | None
    show_if_equals: Any

    def earned(self, value: Any) -> tuple[int, Fraction]:
        """Units and points earned by answer `value`; ValueError when it is not a valid value."""
        if self.bands:
            if not is_number(value):
                raise ValueError(f"answer to {self.key!r} is not a number")
            number = value if type(value) is int else to_fraction(value)
            for upper, units, points in self.bands:
                if upper is None or number <= upper:
                    return units, points
            return 0, ZERO
        if type(value) is self.value_type:
            found = self.earned_by_value.get(value)
            if found is not None:
                return found
        raise ValueError(f"answer {value!r} to {self.key!r} is not a possible answer")

    def shown_by(self, answer: Answer | None) -> bool:
        """Whether the answer to the show_if item (known to be shown) reveals this item."""
        if answer is None or answer.na:
            return False
        value, equals = answer.value, self.show_if_equals
        if isinstance(equals, Fraction):
            return is_number(value) and to_fraction(value) == equals
        # Compare types too: a yes/no True must not equal a scale 1.
        return type(value) is type(equals) and value == equals


@dataclass(frozen=True, slots=True)
class CompiledChecklist:
    checklist_ref: weakref.ref
    items: tuple[CompiledItem, ...]
    by_key: dict[str, CompiledItem]
    section_keys: tuple[str, ...]
    section_dimensions: tuple[str, ...]
    section_weights: tuple[Fraction | None, ...]
    denominator: int
    has_section_weights: bool

    def visible_keys(self, answers_by_key: Mapping[str, Answer]) -> set[str]:
        """Keys of the items shown for these answers, evaluating show_if in checklist order."""
        visible: set[str] = set()
        for compiled in self.items:
            parent = compiled.show_if_item
            if parent is None or (
                parent in visible and compiled.shown_by(answers_by_key.get(parent))
            ):
                visible.add(compiled.key)
        return visible


def answers_by_key(answers: Sequence[Answer]) -> dict[str, Answer]:
    """Answers keyed by item; when an item is answered twice the first answer counts."""
    return {answer.item: answer for answer in reversed(answers)}


_cache: dict[int, CompiledChecklist] = {}


def compile_checklist(checklist: Checklist) -> CompiledChecklist:
    """The compiled form of `checklist`, built once per checklist object and then reused.

    The cache is keyed by object identity (hashing a whole checklist on every call would cost as
    much as scoring it) and the entry is dropped when the checklist is garbage-collected.
    """
    key = id(checklist)
    cached = _cache.get(key)
    if cached is not None and cached.checklist_ref() is checklist:
        return cached
    compiled = _compile(checklist)
    _cache[key] = compiled
    weakref.finalize(checklist, _cache.pop, key, None)
    return compiled


def _item_earnings(item: Item) -> tuple[dict[Any, Fraction], type | None, list[tuple]]:
    """What each answer to `item` earns, as exact points before the common denominator."""
    weight = item.weight
    if item.type == "yes_no":
        return {True: weight, False: ZERO}, bool, []
    if item.type == "scale":
        top = item.scale_max or 2
        return {v: weight * Fraction(v - 1, top - 1) for v in range(1, top + 1)}, int, []
    if item.type == "choice":
        return {o.key: weight * o.points for o in item.options}, str, []
    if item.type == "number" and item.bands:
        return {}, None, [(band.max, weight * band.points) for band in item.bands]
    return {}, None, []


def _compile(checklist: Checklist) -> CompiledChecklist:
    plans = []
    denominators = [1]
    for section_index, section in enumerate(checklist.sections):
        for item in section.items:
            by_value, value_type, bands = _item_earnings(item)
            denominators.append(item.weight.denominator)
            denominators.extend(points.denominator for points in by_value.values())
            denominators.extend(points.denominator for _, points in bands)
            plans.append((section_index, item, by_value, value_type, bands))
    denominator = math.lcm(*denominators)

    def units(points: Fraction) -> int:
        return points.numerator * (denominator // points.denominator)

    items = []
    for section_index, item, by_value, value_type, bands in plans:
        scored = is_scored(item)
        possible = item.weight if scored and not item.bonus else ZERO
        items.append(
            CompiledItem(
                item=item,
                key=item.key,
                section_index=section_index,
                scored=scored,
                bonus=item.bonus,
                critical=item.critical and not item.bonus,
                possible_units=units(possible),
                possible=possible,
                earned_by_value={value: (units(p), p) for value, p in by_value.items()},
                value_type=value_type,
                bands=tuple((upper, units(p), p) for upper, p in bands),
                show_if_item=item.show_if.item if item.show_if else None,
                show_if_equals=item.show_if.equals if item.show_if else None,
            )
        )
    return CompiledChecklist(
        checklist_ref=weakref.ref(checklist),
        items=tuple(items),
        by_key={compiled.key: compiled for compiled in items},
        section_keys=tuple(section.key for section in checklist.sections),
        section_dimensions=tuple(section.dimension for section in checklist.sections),
        section_weights=tuple(section.weight for section in checklist.sections),
        denominator=denominator,
        has_section_weights=any(section.weight is not None for section in checklist.sections),
    )
