"""How fast the pure scoring engine works through a backlog, read against a naive baseline.

Usage (from the repository root):

    .venv/bin/python bench/scoring.py [--submissions 10000] [--seed 1] [--checklist PATH]

It builds a backlog of synthetic submissions on the default checklist (41 items: photos,
show_if recovery questions, N/A, bonus, bands), then times in the same run:

- the engine (`scoring.engine.score`: exact points, per-item explanation, sections,
  dimensions, critical failures), and
- a naive reference: a plain loop over the items summing pooled points with `Fraction`s and no
  explanation, the first thing one would write.

Absolute figures depend on the machine, so read the engine's figure as a ratio to the
reference measured in the same run. Validation (`validate_answers`) is timed too, as the API
runs it on every submission.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its own name would shadow
# the `scoring` package: put the repository root first instead.
ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from scoring.answers import validate_answers, visible_item_keys  # noqa: E402
from scoring.checklist import parse_checklist  # noqa: E402
from scoring.engine import ENGINE_VERSION, score  # noqa: E402
from scoring.types import Answer, Checklist, Item  # noqa: E402

DEFAULT_CHECKLIST = ROOT / "audits" / "fixtures" / "default_checklist.json"


def load_checklist(path: Path = DEFAULT_CHECKLIST) -> Checklist:
    return parse_checklist(json.loads(path.read_text(encoding="utf-8")))


def _synthetic_value(item: Item, rng: random.Random) -> Any:
    """A plausible answer: mostly good service, sometimes not, the way real audits cluster."""
    if item.type == "yes_no":
        if item.weight == 0:  # "did anything go wrong?" opens the recovery questions
            return rng.random() < 0.2
        return rng.random() < 0.85
    if item.type == "scale":
        return rng.choices(range(1, item.scale_max + 1), weights=range(1, item.scale_max + 1))[0]
    if item.type == "choice":
        keys = [option.key for option in item.options]
        return rng.choices(keys, weights=range(len(keys), 0, -1))[0]  # the first, best, most
    if item.type == "number":
        return round(rng.expovariate(1 / 40), 1)
    if item.type == "text":
        return rng.choice(["", "Friendly staff.", "Queue was long but moved quickly."])
    return None


def synthetic_backlog(checklist: Checklist, submissions: int, seed: int = 1) -> list[list[Answer]]:
    """`submissions` answer sets that pass validation, drawn reproducibly from `seed`."""
    rng = random.Random(seed)
    backlog = []
    for _ in range(submissions):
        answers = []
        for item in checklist.items():
            if item.type == "photo":
                continue  # photos are uploaded separately and carry no value
            if item.na_allowed and rng.random() < 0.1:
                answers.append(Answer(item.key, na=True))
            else:
                answers.append(Answer(item.key, _synthetic_value(item, rng)))
        visible = visible_item_keys(checklist, answers)
        backlog.append([answer for answer in answers if answer.item in visible])
    return backlog


def naive_pooled_score(checklist: Checklist, answers: Sequence[Answer]) -> Fraction | None:
    """Reference: pooled points only, a plain loop with Fractions, no explanation."""
    given = {answer.item: answer for answer in answers}
    earned = possible = Fraction(0)
    for item in checklist.items():
        answer = given.get(item.key)
        if answer is None or answer.na:
            continue
        value = answer.value
        if item.type == "yes_no":
            share = Fraction(1 if value else 0)
        elif item.type == "scale":
            share = Fraction(value - 1, item.scale_max - 1)
        elif item.type == "choice":
            share = next(option.points for option in item.options if option.key == value)
        elif item.type == "number" and item.bands:
            number = Fraction(str(value))
            share = next(
                (band.points for band in item.bands if band.max is None or number <= band.max),
                Fraction(0),
            )
        else:
            continue
        earned += item.weight * share
        if not item.bonus:
            possible += item.weight
    return None if possible == 0 else min(Fraction(100), 100 * earned / possible)


def _throughput(
    run: Callable[[Checklist, Sequence[Answer]], Any],
    checklist: Checklist,
    backlog: Sequence[Sequence[Answer]],
    items: int,
) -> dict[str, float]:
    start = time.perf_counter()
    for answers in backlog:
        run(checklist, answers)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "items_per_second": items / seconds}


def pure_engine_benchmark(
    *, checklist: Checklist | None = None, submissions: int = 10_000, seed: int = 1
) -> dict[str, Any]:
    """Time the engine, validation and the naive reference on one synthetic backlog.

    Items scored are counted as the engine counts them: every item of the checklist once per
    submission (hidden, N/A and unscored items are still explained).
    """
    checklist = checklist or load_checklist()
    backlog = synthetic_backlog(checklist, submissions, seed)
    items = submissions * len(checklist.items())
    engine = _throughput(score, checklist, backlog, items)
    reference = _throughput(naive_pooled_score, checklist, backlog, items)
    validation = _throughput(validate_answers, checklist, backlog, items)
    return {
        "engine_version": ENGINE_VERSION,
        "submissions": submissions,
        "items_per_submission": len(checklist.items()),
        "answers_per_submission": sum(map(len, backlog)) / submissions,
        "items": items,
        "engine": engine,
        "naive_reference": reference,
        "validation": validation,
        "engine_vs_reference": engine["items_per_second"] / reference["items_per_second"],
    }


def _print_pure(figures: dict[str, Any]) -> None:
    print(
        f"backlog: {figures['submissions']:,} submissions x {figures['items_per_submission']} "
        f"items ({figures['answers_per_submission']:.1f} answers each), "
        f"engine {figures['engine_version']}"
    )
    for name in ("engine", "naive_reference", "validation"):
        run = figures[name]
        print(
            f"  {name:<16} {run['items_per_second']:>12,.0f} items/s "
            f"({run['seconds']:.2f} s for {figures['items']:,} items)"
        )
    print(f"  engine / naive reference: {figures['engine_vs_reference']:.2f}x")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checklist", type=Path, default=DEFAULT_CHECKLIST)
    args = parser.parse_args(argv)

    print("command:", shlex.join(sys.orig_argv))
    figures = pure_engine_benchmark(
        checklist=load_checklist(args.checklist), submissions=args.submissions, seed=args.seed
    )
    _print_pure(figures)

    # Next measurement goes here: the scoring worker against PostgreSQL (submissions stored,
    # queued and scored by the Celery task, scores written back), reported the same way as a
    # dict from a `worker_postgres_benchmark(...)` function and printed beside the figures
    # above, so the worker's throughput reads as a ratio to the pure engine's.


if __name__ == "__main__":
    main()
