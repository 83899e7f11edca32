"""How a brand's full league-table rebuild, split into one task per period and dimension,
scales with the number of worker processes: issue 14 asks for a 5,000-branch, 1,000-shopper,
250,000-audit brand in under 5 minutes on this machine.

    .venv/bin/python bench/league_rebuild.py [--branches 5000] [--shoppers 1000] [--months 12]
        [--workers 1 2] [--serial]
        [--database-url postgres://postgres@127.0.0.1:5432/tp_bench_league_rebuild]
        [--broker-url redis://127.0.0.1:6379/15]

It seeds the demo brand (demo/seed.py: 4.2 visits a month per branch, so 5,000 branches over
12 months is about 250,000 audits) into a scratch PostgreSQL database. Then, for each count
in --workers, one round: every snapshot deleted, a real Celery worker started with that many
processes (prefork, one BLAS thread each), `benchmarks_refresh_in_tasks` (the first, full
build: every period with audits, every dimension) sent, and the time from the send to the
last task's end, read from the worker's log, printed with the largest resident memory of a
worker process. The first round is the baseline of the others' speed-ups. With --serial it
also times `benchmarks_refresh_brand` in this process (the unsplit build) first. The database
is dropped at the end; the broker's database is flushed before and after.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.scratch import (  # noqa: E402
    add_brand_arguments,
    add_database_argument,
    flush_broker,
    scratch_database,
    seed_brand,
    start_worker,
    stop_process,
)
from bench.submit_load import children, rss_kb  # noqa: E402

QUEUE = "tp-bench-rebuild"
TASK_END = re.compile(r"Task audits\.tasks\.build_benchmark\[[^\]]+\] (succeeded|raised|failed)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_brand_arguments(parser, branches=5000, shoppers=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--serial", action="store_true", help="also the unsplit build")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--timeout", type=float, default=3600)
    add_database_argument(parser, "tp_bench_league_rebuild")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    print("command:", shlex.join([".venv/bin/python", "bench/league_rebuild.py", *sys.argv[1:]]))
    flush_broker(args.broker_url)
    extra = {
        "CELERY_BROKER_URL": args.broker_url,
        "CELERY_QUEUE": QUEUE,
        # The seed's releases queue debounced refreshes: a day's window keeps them out.
        "BENCHMARK_REFRESH_DELAY_SECONDS": "86400",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    try:
        with scratch_database(args.database_url, **extra):
            run(args)
    finally:
        flush_broker(args.broker_url)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from audits.models import BenchmarkSnapshot
    from audits.services.benchmarks.building import benchmarks_refresh_brand
    from audits.services.benchmarks.parallel import benchmarks_refresh_in_tasks

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    summary = seed_brand(args)
    brand = summary.brand
    print(
        f"seeded {summary.counts['submissions']} submissions over {args.branches} branches "
        f"and {args.shoppers} shoppers in {time.perf_counter() - started:.0f} s"
    )
    flush_broker(args.broker_url)

    if args.serial:
        BenchmarkSnapshot.objects.filter(brand=brand).delete()
        started = time.perf_counter()
        built = benchmarks_refresh_brand(brand=brand)
        print(f"serial build in this process: {time.perf_counter() - started:.1f} s, {built}")

    baseline = None
    for workers in args.workers:
        BenchmarkSnapshot.objects.filter(brand=brand).delete()
        with tempfile.TemporaryDirectory(prefix="tp-rebuild-") as workdir:
            log = Path(workdir) / "worker.log"
            worker = start_worker(log, QUEUE, processes=workers)
            sampler = PeakMemory(worker.pid)
            sampler.start()
            try:
                time.sleep(8)  # the worker and its processes are up
                started = time.perf_counter()
                sent = benchmarks_refresh_in_tasks(brand=brand)
                outcomes = wait_for_tasks(log, sent, args.timeout)
                seconds = time.perf_counter() - started
            finally:
                sampler.stop()
                stop_process(worker)
        stored = BenchmarkSnapshot.objects.filter(brand=brand).count()
        baseline = baseline or seconds
        failed = sum(1 for outcome in outcomes if outcome != "succeeded")
        print(
            f"{workers} worker process(es): {seconds:.1f} s for {sent} tasks "
            f"({failed} failed), {stored} snapshots; speed-up {baseline / seconds:.2f}x; "
            f"largest worker process {sampler.peak_kb / 1024:.0f} MB"
        )


def wait_for_tasks(log: Path, sent: int, timeout: float) -> list[str]:
    """Until `sent` build tasks have ended in the worker's log; their outcomes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        outcomes = TASK_END.findall(log.read_text())
        if len(outcomes) >= sent:
            return outcomes
        time.sleep(0.5)
    raise SystemExit(f"the rebuild did not finish within {timeout:.0f} s")


class PeakMemory(threading.Thread):
    """The largest resident set of any of the worker's child processes, every 0.5 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb = pid, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.5):
            for child in children(self.pid):
                self.peak_kb = max(self.peak_kb, rss_kb(child))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


if __name__ == "__main__":
    main()
