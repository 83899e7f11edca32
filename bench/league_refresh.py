"""How long a brand's league-table refresh takes, and where the time goes.

    .venv/bin/python bench/league_refresh.py [--branches 1000] [--months 12] [--profile 25]
        [--database-url postgres://postgres@127.0.0.1:5432/tp_bench_league_refresh]

It seeds the demo brand with --branches branches and --months months of visits into a scratch
PostgreSQL database (demo/seed.py, league tables skipped), then times, in process:

- the first build (`benchmarks_refresh_brand`: every period with audits, every dimension),
- a refresh of the recent periods (what the nightly job runs),
- the refresh of what one release of this month's visit marks stale (what the debounced task
  runs after a release: `benchmarks_refresh_stale`),
- as a baseline in the same run, reading the brand's counted audits alone
  (`collecting.read_audits` over the last twelve months), and one snapshot fitted from those
  records (`build_snapshot` for the latest quarter, overall), with no database writes.

With --profile N it prints the N functions with the most cumulative time of a second stale
refresh (cProfile), to show whether reading, fitting or storing dominates. Issue 14 asks for a
released audit in its league table within 60 s (p95) for 1,000 branches; this measures the
refresh that stands between the two. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shlex
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.scratch import (  # noqa: E402
    add_brand_arguments,
    add_database_argument,
    scratch_database,
    seed_brand,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_brand_arguments(parser, branches=1000, shoppers=300)
    parser.add_argument("--profile", type=int, default=0)
    add_database_argument(parser, "tp_bench_league_refresh")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    print("command:", shlex.join([".venv/bin/python", "bench/league_refresh.py", *sys.argv[1:]]))
    # The seed's appeals and corrections schedule a refresh; without a broker a background
    # thread would run it after the debounce window, in the middle of the timings: a day's
    # window keeps it asleep until the process ends.
    with scratch_database(args.database_url, BENCHMARK_REFRESH_DELAY_SECONDS="86400"):
        run(args)


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    print(f"{label:58} {time.perf_counter() - started:8.2f} s")
    return result


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from audits.models import BenchmarkSnapshot
    from audits.services.benchmarks.building import (
        benchmarks_refresh_brand,
        benchmarks_refresh_stale,
    )
    from audits.services.benchmarks.collecting import branch_units, counted_scores, read_audits
    from audits.services.benchmarks.scheduling import benchmarks_mark_stale
    from scoring.benchmark import build_snapshot, period_of

    call_command("migrate", verbosity=0)
    summary = timed("seed the demo brand", lambda: seed_brand(args))
    brand = summary.brand
    print(f"  {summary.counts['submissions']} submissions over {args.branches} branches")

    built = timed(
        "first build (every period, every dimension)",
        lambda: benchmarks_refresh_brand(brand=brand),
    )
    print(f"  {built} snapshots")
    recent = timed(
        "refresh of the recent periods (nightly)",
        lambda: benchmarks_refresh_brand(brand=brand),
    )
    print(f"  {recent} snapshots")
    latest = (
        counted_scores(brand)
        .order_by("-submission__started_at")
        .values_list("submission_id", flat=True)[:1]
    )

    def release_then_refresh() -> int:
        benchmarks_mark_stale(list(latest))
        return benchmarks_refresh_stale(brand=brand)

    stale = timed("refresh of what one release marks stale (debounced)", release_then_refresh)
    print(f"  {stale} snapshots")

    today = timezone.now().date()
    units, zones = branch_units(brand)
    counted = timed(
        "baseline: read the last 12 months' counted audits",
        lambda: read_audits(brand, today - timedelta(days=365), today, zones),
    )
    quarter = str(period_of(today, "quarter"))
    in_quarter = [
        c.record for c in counted if str(period_of(c.record.visited_on, "quarter")) == quarter
    ]
    timed(
        f"baseline: one snapshot, {quarter} overall ({len(in_quarter)} audits), no writes",
        lambda: build_snapshot(in_quarter, units, period=quarter),
    )
    print(f"  snapshots stored: {BenchmarkSnapshot.objects.filter(brand=brand).count()}")

    if args.profile:
        profile = cProfile.Profile()
        benchmarks_mark_stale(list(latest))
        profile.enable()
        benchmarks_refresh_stale(brand=brand)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print("\ncProfile of a stale refresh (one release), by cumulative time")
        print(out.getvalue())


if __name__ == "__main__":
    main()
