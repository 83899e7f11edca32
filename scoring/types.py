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

# Bounds every checklist and answer keeps, so that no request carries unbounded work or text.
# A number item without its own range takes 0 to a day's seconds: a count or a duration (the
# wait before a greeting, the time at the till), never negative, never 10^30.
DEFAULT_NUMBER_MIN = Fraction(0)
DEFAULT_NUMBER_MAX = Fraction(86_400)
# The widest range a checklist may give a number item (beyond it floats lose whole units).
NUMBER_LIMIT = Fraction(10**9)
# A text answer's length unless its item sets `max_length`, and the most an item may allow.
DEFAULT_TEXT_MAX_LENGTH = 2_000
TEXT_MAX_LENGTH_LIMIT = 10_000
# A checklist's size and its labels: a visit's answers are bounded by the item count.
MAX_ITEMS = 500
KEY_MAX_LENGTH = 100
LABEL_MAX_LENGTH = 2_000


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
    # A number item's range (None: DEFAULT_NUMBER_MIN / DEFAULT_NUMBER_MAX) and a text item's
    # longest answer (None: DEFAULT_TEXT_MAX_LENGTH), so no answer is unbounded.
    min_value: Fraction | None = None
    max_value: Fraction | None = None
    max_length: int | None = None
    options: tuple[Option, ...] = ()
    bands: tuple[Band, ...] = ()
    show_if: ShowIf | None = None

    @property
    def number_range(self) -> tuple[Fraction, Fraction]:
        """The values a number answer may take: the item's own range or the default one."""
        low = DEFAULT_NUMBER_MIN if self.min_value is None else self.min_value
        high = DEFAULT_NUMBER_MAX if self.max_value is None else self.max_value
        return low, high

    @property
    def text_max_length(self) -> int:
        """The longest text answer the item takes, in characters."""
        return DEFAULT_TEXT_MAX_LENGTH if self.max_length is None else self.max_length


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
