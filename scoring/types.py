"""Plain dataclasses shared by the checklist, validation and scoring modules.

These are the contract between the pure scoring package and the Django app: `audits/` maps
its ORM rows to these types in one place, and `scoring/` never imports Django. Numbers that
take part in scoring are `Fraction`s so that scores are exact until they are rounded for
display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

ITEM_TYPES = ("yes_no", "scale", "choice", "number", "text", "photo")
CRITICAL_POLICIES = ("flag", "zero")


@dataclass(frozen=True)
class Option:
    """One answer of a `choice` item; `points` is the fraction 0..1 of the weight it earns."""

    key: str
    label: str
    points: Fraction


@dataclass(frozen=True)
class Band:
    """A range of a `number` item: values up to `max` (None: no upper bound) earn `points`."""

    max: Fraction | None
    points: Fraction


@dataclass(frozen=True)
class ShowIf:
    """The item is shown only when the earlier item `item` is shown and answered `equals`."""

    item: str
    equals: Any


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    type: str
    weight: Fraction = Fraction(1)
    critical: bool = False
    na_allowed: bool = False
    bonus: bool = False
    requires_photo: bool = False
    # Its photos are for head office and reviewers only (a receipt an owner could match to a
    # card payment at the till would name the shopper).
    staff_only: bool = False
    scale_max: int | None = None
    options: tuple[Option, ...] = ()
    bands: tuple[Band, ...] = ()
    show_if: ShowIf | None = None


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    dimension: str
    items: tuple[Item, ...]
    weight: Fraction | None = None


@dataclass(frozen=True)
class Checklist:
    title: str
    sections: tuple[Section, ...]
    pass_mark: Fraction = Fraction(80)
    critical_policy: str = "flag"

    def items(self) -> tuple[Item, ...]:
        """All items in checklist order (section by section)."""
        return tuple(item for section in self.sections for item in section.items)


@dataclass(frozen=True)
class Answer:
    """A shopper's answer to one item: a value, or N/A."""

    item: str
    value: Any = None
    na: bool = False
    comment: str = ""


# Reasons an item earned what it did, shown on the scorecard.
REASON_ANSWERED = "answered"
REASON_NA = "na"
REASON_HIDDEN = "hidden"
REASON_BONUS = "bonus"
REASON_CRITICAL_FAILURE = "critical_failure"
REASON_UNSCORED = "unscored"


@dataclass(frozen=True)
class ItemScore:
    item: str
    section: str
    earned: Fraction
    possible: Fraction
    reason: str


@dataclass(frozen=True)
class ScoreResult:
    """An exact score with its explanation; `overall` is None when nothing was scorable.

    `calculated_overall` is the overall before the critical policy: the same as `overall`
    unless a `zero` policy replaced it with 0 for a critical failure. League tables rank it,
    since a kill item is its own yes/no outcome there.
    """

    overall: Fraction | None
    calculated_overall: Fraction | None
    passed: bool
    critical_failures: tuple[str, ...]
    sections: dict[str, Fraction | None]
    dimensions: dict[str, Fraction | None]
    items: tuple[ItemScore, ...] = field(default=())
