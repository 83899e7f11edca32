"""How soon a released audit shows in its league table, with a real worker: issue 14 asks for
60 s (p95) on a brand of 1,000 branches.

    .venv/bin/python bench/league_freshness.py [--branches 1000] [--months 12]
        [--releases 40] [--interval 2.5] [--delay SECONDS]
        [--database-url postgres://postgres@127.0.0.1:5432/tp_bench_league_freshness]
        [--broker-url redis://127.0.0.1:6379/14]

It seeds the demo brand (demo/seed.py, --branches branches, --months months of visits) into a
scratch PostgreSQL database, takes --releases of this month's released audits, on as many
branches, back to `scored` (waiting for review), and builds the league tables without them. A
real Celery worker (one process, the project's settings, BENCHMARK_REFRESH_DELAY_SECONDS =
--delay, by default what the settings give) then runs the refreshes while this process
releases the held audits one every --interval seconds through the review service, as head
office's release does. An audit counts as shown in a league table once its branch's row in
that table (overall) counts one audit more than before; the latency is from the release's
commit to that moment, polled every 0.25 s, for the month's table (built first) and for the
last of its four (month, quarter, year, rolling four quarters; each period's dimensions are
stored in one transaction with its overall).

It prints p50, p95 and the largest latency of both, and as the baseline the refresh runs the worker
made in the same run (from its log: how many, and how long each took), since a release can
show no sooner than the debounce window plus one refresh. The database is dropped at the end;
the broker's database (--broker-url) is flushed before and after.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.scratch import (  # noqa: E402
    add_brand_arguments,
    add_database_argument,
    flush_broker,
    percentile,
    scratch_database,
    seed_brand,
    start_worker,
    stop_process,
)

TASK_DONE = re.compile(
    r"Task audits\.tasks\.refresh_stale_benchmarks\[[^\]]+\] succeeded in ([0-9.]+)s: (\d+)"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_brand_arguments(parser, branches=1000, shoppers=300)
    parser.add_argument("--releases", type=int, default=40)
    parser.add_argument("--interval", type=float, default=2.5, help="seconds between releases")
    parser.add_argument("--delay", type=int, default=None, help="debounce window, seconds")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for all")
    add_database_argument(parser, "tp_bench_league_freshness")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    print("command:", shlex.join([".venv/bin/python", "bench/league_freshness.py", *sys.argv[1:]]))
    extra = {"CELERY_BROKER_URL": args.broker_url, "CELERY_QUEUE": "tp-bench-freshness"}
    if args.delay is not None:
        extra["BENCHMARK_REFRESH_DELAY_SECONDS"] = str(args.delay)
    flush_broker(args.broker_url)
    try:
        with scratch_database(args.database_url, **extra):
            run(args)
    finally:
        flush_broker(args.broker_url)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from audits.services.benchmarks.building import benchmarks_refresh_brand

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    brand = seed_brand(args).brand
    held = hold_back(brand, args.releases)
    benchmarks_refresh_brand(brand=brand)
    forget_seeded_refreshes(args.broker_url)
    print(f"seeded and built in {time.perf_counter() - started:.1f} s; {len(held)} audits held")
    print(f"debounce window BENCHMARK_REFRESH_DELAY = {settings.BENCHMARK_REFRESH_DELAY} s")

    with tempfile.TemporaryDirectory(prefix="tp-freshness-") as workdir:
        log = Path(workdir) / "worker.log"
        worker = start_worker(log, os.environ["CELERY_QUEUE"])
        try:
            time.sleep(5)  # the worker connects and is ready
            latencies = release_and_watch(brand, held, args)
        finally:
            stop_process(worker)
        runs = [(float(s), int(n)) for s, n in TASK_DONE.findall(log.read_text())]
    report(latencies, runs, args)


def forget_seeded_refreshes(broker_url: str) -> None:
    """The seed's own releases queued a refresh and marked periods stale: drop them (the
    league tables were just built whole), so the worker starts with nothing to do."""
    from audits.models import BenchmarkRefreshWindow, BenchmarkStalePeriod

    flush_broker(broker_url)
    BenchmarkStalePeriod.objects.all().delete()
    BenchmarkRefreshWindow.objects.all().delete()


def hold_back(brand, count: int) -> list:
    """This month's latest released audits, one per branch, put back to `scored` (as if
    waiting for review): returns them as (submission, branch id, the (kind, key) of each of
    the four league tables the audit counts in)."""
    from django.utils import timezone

    from audits.models import Submission, SubmissionStatus
    from audits.services.benchmarks.collecting import counted_scores
    from scoring.benchmark import period_of

    month = period_of(timezone.now().date(), "month")
    seen, picked = set(), []
    rows = (
        counted_scores(brand)
        .filter(submission__started_at__date__gte=month.start, calculated_overall__isnull=False)
        .order_by("-submission__started_at")
        .values_list("submission_id", "submission__assignment__branch_id")
    )
    for submission_id, branch_id in rows.iterator():
        if branch_id not in seen:
            seen.add(branch_id)
            picked.append((submission_id, branch_id))
        if len(picked) == count:
            break
    Submission.objects.filter(pk__in=[s for s, _ in picked]).update(
        status=SubmissionStatus.SCORED, released_at=None
    )
    today = timezone.now().date()
    tables = [
        ("month", month.key),
        ("quarter", period_of(today, "quarter").key),
        ("year", period_of(today, "year").key),
        ("rolling4q", period_of(today, "quarter").key),
    ]
    return [(s, b, tables) for s, b in picked]


def branch_count(brand, branch_id: int, table: tuple[str, str]) -> int:
    """The audits a league table (kind, key; overall) counts for the branch (0: no row)."""
    from audits.models import BenchmarkRow

    kind, key = table
    row = (
        BenchmarkRow.objects.filter(
            snapshot__brand=brand,
            snapshot__period_kind=kind,
            snapshot__period=key,
            snapshot__dimension="overall",
            level="branch",
            unit_id=branch_id,
        )
        .values_list("row", flat=True)
        .first()
    )
    return 0 if row is None else row["n"]


def release_and_watch(brand, held: list, args: argparse.Namespace) -> dict[str, list[float]]:
    """Release the held audits one every `interval` seconds; poll until each shows in each of
    its tables. Returns the latencies to the month's table and to the last of the four."""
    from audits.models import Membership, Role, Submission
    from audits.services.review import submission_review

    hq = Membership.objects.filter(brand=brand, role=Role.HEAD_OFFICE).first().user
    before = {(b, t): branch_count(brand, b, t) for _, b, tables in held for t in tables}
    released: dict[int, float] = {}  # branch -> when its release committed
    shown: dict[tuple[int, tuple[str, str]], float] = {}
    waiting = {(b, t) for _, b, tables in held for t in tables}
    next_release, pending = time.monotonic(), list(held)
    deadline = time.monotonic() + args.timeout + args.interval * len(held)
    while waiting and time.monotonic() < deadline:
        now = time.monotonic()
        if pending and now >= next_release:
            submission_id, branch_id, _ = pending.pop(0)
            submission = Submission.objects.get(pk=submission_id)
            submission_review(submission=submission, by=hq, action="release")
            released[branch_id] = time.monotonic()
            next_release = now + args.interval
        for branch_id, table in sorted(waiting):
            if (
                branch_id in released
                and branch_count(brand, branch_id, table) > before[(branch_id, table)]
            ):
                shown[(branch_id, table)] = time.monotonic() - released[branch_id]
                waiting.discard((branch_id, table))
        time.sleep(0.25)
    if waiting:
        print(f"{len(waiting)} tables never showed their release within {args.timeout:.0f} s")
    month_table = {b: shown.get((b, tables[0])) for _, b, tables in held}
    every_table = {
        b: max(shown[(b, t)] for t in tables)
        for _, b, tables in held
        if all((b, t) in shown for t in tables)
    }
    return {
        "the month's table": [v for v in month_table.values() if v is not None],
        "all four tables": list(every_table.values()),
    }


def report(latencies: dict[str, list[float]], runs: list[tuple[float, int]], args) -> None:
    print(
        f"\n{args.releases} releases, one every {args.interval} s, on a brand of "
        f"{args.branches} branches ({args.months} months of visits); target p95 under 60 s"
    )
    for label, values in latencies.items():
        if values:
            print(
                f"release to {label}: {len(values)} shown, p50 {percentile(values, 0.5):.1f} s, "
                f"p95 {percentile(values, 0.95):.1f} s, max {max(values):.1f} s"
            )
    if runs:
        durations = [seconds for seconds, _ in runs]
        print(
            f"baseline, the worker's stale refreshes in this run: {len(runs)} runs, "
            f"{percentile(durations, 0.5):.1f} s median, {max(durations):.1f} s longest, "
            f"{sum(n for _, n in runs)} snapshots written"
        )


if __name__ == "__main__":
    main()
