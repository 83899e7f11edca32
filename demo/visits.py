"""Who visits which branch when, and what they answer.

The answers come from a small model, so that the league tables, shopper calibration and
scorecards have something true to find:

- every branch has a hidden quality (region + franchisee + branch effects, a monthly trend and
  per-dimension strengths and weaknesses, see `network`), and every visit a good or bad day;
- every shopper has a leniency: lenient ones grade softer, mostly on opinion items (scales,
  choices) and hardly at all on measured ones (seconds waited);
- each item has an ease: couriers are nearly always courteous, few staff go beyond the script;
- sometimes something goes wrong (a wrong order, a long wait, ...): the recovery items are then
  shown and answered, and the incident is described in comments.

The simulator works on any valid checklist (it reads item types, options, bands, N/A and
show_if from the compiled checklist); the tables below only tune the default checklist's items.
Nothing here touches the database.
"""

from __future__ import annotations

import math
import random
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from scoring.checklist import valid_value_error
from scoring.compiled import compile_checklist
from scoring.types import Answer as AnswerData
from scoring.types import Checklist

from .network import NetworkPlan

DAYS_PER_MONTH = 30.44

# Success log-odds of an item for an average branch on an average day.
EASE = {
    "fi_storefront_clean": 1.8,
    "fi_greeting_seconds": 1.3,
    "fi_staff_appearance": 1.4,
    "fi_welcome": 0.9,
    "bp_information_displayed": 2.0,
    "bp_offers_matched": 2.6,
    "bp_wait_explained": 0.2,
    "bp_easy_to_find": 1.5,
    "bp_availability": 1.9,
    "cc_individual": 0.6,
    "cc_listened": 1.8,
    "cc_questions": 0.5,
    "cc_eye_contact": 1.9,
    "cc_used_name": 0.8,
    "cc_courteous": 4.6,
    "ps_first_contact": 1.2,
    "ps_product_knowledge": 0.9,
    "ps_had_tools": 1.8,
    "ps_information_accurate": 2.3,
    "sp_beyond_script": -0.3,
    "sp_offered_unasked": -0.5,
    "sp_sensible_flexibility": 0.6,
    "sp_worth_telling": -1.3,
    "dp_order_accurate": 2.9,
    "dp_price_correct": 3.0,
    "dp_handed_over_safely": 5.0,
    "dp_payment_smooth": 1.5,
    "dp_receipt_offered": 0.8,
    "ap_thanked": 1.8,
    "ap_aftercare": -0.2,
    "ap_invited_back": 0.0,
    "ap_last_impression": 1.0,
    "rc_acknowledged": 3.4,
    "rc_apology": 0.9,
    "rc_effort": 0.6,
    "rc_resolved": 0.8,
}
DEFAULT_EASE = {"yes_no": 1.2, "scale": 1.0, "choice": 0.8, "number": 1.0}

# How much a shopper's leniency moves an answer, by item type.
LENIENCY_WEIGHT = {"yes_no": 0.5, "scale": 1.0, "choice": 0.8, "number": 0.3}

# How often an item that allows N/A is answered N/A.
NA_RATE = {
    "bp_offers_matched": 0.10,
    "bp_wait_explained": 0.15,  # and mostly N/A when there was no wait, see _na
    "cc_used_name": 0.75,
    "ps_had_tools": 0.15,
    "sp_sensible_flexibility": 0.55,
    "ap_aftercare": 0.20,
    "dp_till_seconds": 0.05,
}
DEFAULT_NA_RATE = 0.08

VISIT_SPREAD = 0.45  # a branch's good and bad days
WRONG_BASE = -1.8  # log-odds that something goes wrong on an average visit (~14%)
WRONG_SLOPE = 0.9  # ... and how much a better branch lowers it

# What went wrong: (item forced to fail, its failing value, what the shopper wrote).
INCIDENTS = (
    ("dp_order_accurate", False, "My order was wrong: a latte, not the flat white I asked for."),
    ("dp_order_accurate", False, "One item was missing from the bag; I noticed at the table."),
    ("fi_greeting_seconds", 240, "I waited about four minutes before anyone noticed me."),
    (
        "bp_availability",
        "unavailable",
        "The sandwich on the board had sold out; nothing else offered.",
    ),
    ("dp_price_correct", False, "I was charged more than the price on the board."),
    ("fi_storefront_clean", False, "The window tables had not been cleared; the floor was sticky."),
    (
        "dp_handed_over_safely",
        False,
        "The lid was not on properly and the drink spilled on my hand.",
    ),
)
INCIDENT_WEIGHTS = (5, 3, 4, 3, 2, 3, 1)

NEGATIVE_COMMENTS = {
    "fi_storefront_clean": ("Bins outside were overflowing.", "The windows were smeared."),
    "fi_welcome": ("Nobody looked up when I came in.", "The greeting sounded rehearsed."),
    "bp_information_displayed": ("The opening hours on the door were out of date.",),
    "bp_wait_explained": ("Nobody said how long the wait would be.",),
    "cc_listened": ("I was interrupted before I had finished my question.",),
    "cc_questions": ("No questions were asked about what I wanted.",),
    "cc_eye_contact": ("The staff member kept looking at the screen.",),
    "cc_courteous": ("A remark about my order was dismissive.", "I was told to hurry up."),
    "ps_first_contact": ("I had to ask twice and was sent to another counter.",),
    "ps_information_accurate": ("I was told the oat milk was free; it was charged.",),
    "sp_offered_unasked": ("Nothing was suggested beyond what I asked for.",),
    "dp_receipt_offered": ("I had to ask for the receipt.",),
    "dp_payment_smooth": ("The card machine failed twice.", "The queue at the till barely moved."),
    "dp_handed_over_safely": ("The cup was handed over without a lid.",),
    "ap_thanked": ("No thanks or goodbye when I left.",),
    "ap_invited_back": ("Nothing to bring me back was mentioned.",),
    "rc_apology": ("No apology was offered for the mistake.",),
    "rc_resolved": ("I left without the problem being fixed.",),
}
GENERIC_NEGATIVE = ("Could have been better.", "Below what I expected.", "Felt rushed.")
POSITIVE_COMMENTS = {
    "fi_welcome": ("A warm hello the moment I walked in.",),
    "cc_individual": ("The barista remembered how I had ordered the first time.",),
    "ps_product_knowledge": ("Explained the difference between the two roasts clearly.",),
    "sp_beyond_script": ("Offered to warm up the pastry without my asking.",),
    "sp_worth_telling": ("A small free sample of the new blend: a lovely touch.",),
    "rc_effort": ("Remade the order straight away, without fuss.",),
}
GENERIC_POSITIVE = ("Very good.", "Exactly as it should be.")

NOTES = {
    "good": (
        "A relaxed, friendly visit; I would happily come back.",
        "Quick, warm service and a spotless seating area.",
        "The team worked well together even with a queue out of the door.",
        "Felt welcome from start to finish.",
    ),
    "fair": (
        "A perfectly fine visit, but nothing stood out.",
        "Service was efficient but a bit impersonal.",
        "Busy at the time; the staff coped, though without much warmth.",
        "Polite throughout; a suggestion or two would have made it better.",
    ),
    "poor": (
        "The visit felt rushed and nobody seemed to care whether I enjoyed it.",
        "Long waits and little communication; I would not hurry back.",
        "Several small things went wrong and nobody took ownership.",
        "The branch felt understaffed and the counter area was untidy.",
    ),
}

# Local opening hours and when visits happen: a morning, lunch and afternoon peak.
VISIT_HOURS = tuple(range(7, 19))
VISIT_HOUR_WEIGHTS = (3, 6, 6, 5, 6, 9, 9, 6, 6, 6, 5, 3)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class _ItemSim:
    key: str
    type: str
    dimension: str
    ease: float
    leniency_weight: float
    na_rate: float | None  # None: N/A not allowed
    scale_max: int
    options: tuple[tuple[str, float], ...]  # best first
    bands: tuple[tuple[float, float, float], ...]  # (lower, upper, points), ascending
    integer_bands: bool
    show_if_item: str | None
    is_trigger: bool  # an unscored yes/no that opens other items: "did anything go wrong?"
    compiled: Any


@dataclass(frozen=True)
class SimulatedVisit:
    """One visit's answers as the phone sends them, plus what the model decided."""

    answers: list[dict[str, Any]]
    went_wrong: bool
    level: float


class AnswerSimulator:
    """Answers for a checklist, precomputed once and drawn for thousands of visits."""

    def __init__(self, checklist: Checklist) -> None:
        compiled = compile_checklist(checklist)
        parents = {c.show_if_item for c in compiled.items if c.show_if_item}
        self.incident_items = {key for key, _, _ in INCIDENTS}
        self.items: list[_ItemSim] = []
        for section in checklist.sections:
            for item in section.items:
                c = compiled.by_key[item.key]
                options = tuple(
                    sorted(((o.key, float(o.points)) for o in item.options), key=lambda o: -o[1])
                )
                bands = []
                lower = 0.0
                for band in item.bands:
                    upper = None if band.max is None else float(band.max)
                    if upper is None:
                        upper = max(lower * 3, lower + 120)
                    bands.append((lower, upper, float(band.points)))
                    lower = upper
                integer_bands = all(
                    band.max is None or band.max.denominator == 1 for band in item.bands
                )
                self.items.append(
                    _ItemSim(
                        key=item.key,
                        type=item.type,
                        dimension=section.dimension,
                        ease=EASE.get(item.key, DEFAULT_EASE.get(item.type, 1.0)),
                        leniency_weight=LENIENCY_WEIGHT.get(item.type, 0.0),
                        na_rate=NA_RATE.get(item.key, DEFAULT_NA_RATE) if item.na_allowed else None,
                        scale_max=item.scale_max or 2,
                        options=options,
                        bands=tuple(bands),
                        integer_bands=integer_bands,
                        show_if_item=c.show_if_item,
                        is_trigger=(
                            item.type == "yes_no" and item.weight == 0 and item.key in parents
                        ),
                        compiled=c,
                    )
                )

    def visit(
        self,
        rng: random.Random,
        *,
        quality: float,
        leniency: float,
        dimension_effects: dict[str, float],
    ) -> SimulatedVisit:
        """Draw one visit's answers for a branch of `quality` seen by a shopper of `leniency`."""
        level = quality + rng.gauss(0, VISIT_SPREAD)
        went_wrong = rng.random() < _sigmoid(WRONG_BASE - WRONG_SLOPE * level)
        forced: dict[str, tuple[Any, str]] = {}
        if went_wrong:
            key, value, comment = rng.choices(INCIDENTS, INCIDENT_WEIGHTS)[0]
            forced[key] = (value, comment)
        given: dict[str, AnswerData] = {}
        visible: set[str] = set()
        answers: list[dict[str, Any]] = []
        for sim in self.items:
            parent = sim.show_if_item
            if parent is not None and not (
                parent in visible and sim.compiled.shown_by(given.get(parent))
            ):
                continue
            visible.add(sim.key)
            if sim.type == "photo":
                continue  # the picture is uploaded on its own; the answer list skips it
            entry = self._answer(
                rng, sim, level, leniency, dimension_effects, went_wrong, forced, given
            )
            answers.append(entry)
            given[sim.key] = AnswerData(
                item=sim.key, value=entry.get("value"), na=entry.get("na", False)
            )
        return SimulatedVisit(answers=answers, went_wrong=went_wrong, level=level)

    def _answer(
        self,
        rng: random.Random,
        sim: _ItemSim,
        level: float,
        leniency: float,
        dimension_effects: dict[str, float],
        went_wrong: bool,
        forced: dict[str, tuple[Any, str]],
        given: dict[str, AnswerData],
    ) -> dict[str, Any]:
        key = sim.key
        if sim.is_trigger:
            return {"item": key, "value": went_wrong}
        if key in forced:
            value, comment = forced[key]
            if valid_value_error(sim.compiled.item, value) is None:  # else: another checklist
                return {"item": key, "value": value, "comment": comment}
        if sim.type == "text":
            return {"item": key, "value": self._notes(rng, level, forced)}
        if sim.na_rate is not None and self._na(rng, sim, given):
            return {"item": key, "na": True}
        p = _sigmoid(
            sim.ease
            + level
            + dimension_effects.get(sim.dimension, 0.0)
            + sim.leniency_weight * leniency
        )
        value, fraction = self._value(rng, sim, p)
        entry: dict[str, Any] = {"item": key, "value": value}
        if fraction is not None:
            if fraction < 0.5 and rng.random() < 0.35:
                entry["comment"] = rng.choice(NEGATIVE_COMMENTS.get(key, GENERIC_NEGATIVE))
            elif fraction >= 1 and rng.random() < 0.03:
                entry["comment"] = rng.choice(POSITIVE_COMMENTS.get(key, GENERIC_POSITIVE))
        return entry

    @staticmethod
    def _na(rng: random.Random, sim: _ItemSim, given: dict[str, AnswerData]) -> bool:
        if sim.key == "bp_wait_explained":
            waited = given.get("fi_greeting_seconds")
            if waited is not None and not waited.na and isinstance(waited.value, int | float):
                no_wait = waited.value < 45 and rng.random() < 0.85
                return no_wait or rng.random() < sim.na_rate
        return rng.random() < sim.na_rate

    @staticmethod
    def _value(rng: random.Random, sim: _ItemSim, p: float) -> tuple[Any, float | None]:
        """A value for success probability `p`, and the fraction of the points it earns."""
        if sim.type == "yes_no":
            value = rng.random() < p
            return value, 1.0 if value else 0.0
        if sim.type == "scale":
            steps = sim.scale_max - 1
            value = 1 + sum(rng.random() < p for _ in range(steps))
            return value, (value - 1) / steps
        if sim.type == "choice":
            key, points = _nearest(sim.options, rng, p)
            return key, points
        if sim.type == "number":
            if sim.bands:
                lower, upper, points = _nearest_band(sim.bands, rng, p)
                if sim.integer_bands:
                    low = int(lower) + 1 if lower > 0 else min(2, int(upper))
                    return rng.randint(low, max(low, int(upper))), points
                return round(rng.uniform(lower, upper), 1), points
            # A measured time with no bands (recorded, not scored): seconds, faster when good.
            median = 120 - 70 * p
            return round(median * math.exp(rng.gauss(0, 0.45))), None
        return None, None

    @staticmethod
    def _notes(rng: random.Random, level: float, forced: dict[str, tuple[Any, str]]) -> str:
        mood = "good" if level > 0.5 else "poor" if level < -0.7 else "fair"
        parts = [rng.choice(NOTES[mood])]
        parts.extend(comment for _, comment in forced.values())
        return " ".join(parts)


def _nearest(options: tuple[tuple[str, float], ...], rng: random.Random, p: float):
    """The option whose points are nearest a noisy draw around `p` (options best first)."""
    target = _sigmoid(_logit(p) + rng.gauss(0, 0.9))
    return min(options, key=lambda option: abs(option[1] - target))


def _nearest_band(bands: tuple[tuple[float, float, float], ...], rng: random.Random, p: float):
    target = _sigmoid(_logit(p) + rng.gauss(0, 0.9))
    return min(bands, key=lambda band: abs(band[2] - target))


@dataclass(frozen=True)
class VisitPlan:
    """One past visit: which branch and shopper, when, and how its assignment ended."""

    branch: int
    shopper: int
    started_at: datetime  # UTC
    minutes: int
    months_ago: float
    outcome: str  # "scored", or "expired"/"cancelled" for visits that never happened


def plan_visits(seed: object, plan: NetworkPlan, *, months: int, end: datetime) -> list[VisitPlan]:
    """Past visits over `months` months up to `end`, in the order they happened.

    Each branch gets a Poisson number of visits a month (its own rate), at plausible local
    times, each by a shopper who covers its region and, where possible, was not its last one.
    Every branch draws from its own stream (seeded by `seed` and its index), so one branch's
    visits never depend on another's.
    """
    start = end - timedelta(days=DAYS_PER_MONTH * months)
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    all_shoppers = list(range(len(plan.shoppers)))
    visits: list[VisitPlan] = []
    for branch_index, branch in enumerate(plan.branches):
        rng = random.Random(f"{seed}:plan:{branch_index}")
        tz = zones.setdefault(branch.timezone, zoneinfo.ZoneInfo(branch.timezone))
        pool = plan.shoppers_by_region.get(branch.region) or all_shoppers
        last_shopper = None
        times = []
        for month in range(months):
            block_start = start + timedelta(days=DAYS_PER_MONTH * month)
            for _ in range(_poisson(rng, branch.visits_per_month)):
                times.append(_local_visit_time(rng, block_start, tz))
        times = sorted(t for t in times if start <= t <= end - timedelta(hours=1))
        for started_at in times:
            shopper = rng.choice(pool)
            for _ in range(4):
                if shopper != last_shopper or len(pool) == 1:
                    break
                shopper = rng.choice(pool)
            last_shopper = shopper
            roll = rng.random()
            outcome = "expired" if roll < 0.03 else "cancelled" if roll < 0.04 else "scored"
            visits.append(
                VisitPlan(
                    branch=branch_index,
                    shopper=shopper,
                    started_at=started_at,
                    minutes=max(8, min(60, int(rng.gauss(22, 6)))),
                    months_ago=(end - started_at).total_seconds() / 86400 / DAYS_PER_MONTH,
                    outcome=outcome,
                )
            )
    visits.sort(key=lambda v: (v.started_at, v.branch))
    return visits


def _local_visit_time(rng: random.Random, block_start: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    day: date = (block_start + timedelta(days=rng.uniform(0, DAYS_PER_MONTH))).astimezone(tz).date()
    if day.weekday() == 6 and rng.random() < 0.5:  # fewer Sunday visits
        day += timedelta(days=rng.choice((-1, 1)))
    hour = rng.choices(VISIT_HOURS, VISIT_HOUR_WEIGHTS)[0]
    local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=tz)
    return local.astimezone(UTC)


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of visits per branch and month."""
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
