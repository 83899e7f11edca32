"""Pages of 50 audits and submissions on the demo brand, as owner and as head office.

    .venv/bin/python bench/list_pages.py [--requests 100] [--branches 24] [--months 6]
        [--database-url postgres://postgres@127.0.0.1:5432/tp_bench_list_pages]

It seeds the demo brand (demo/seed.py, league tables skipped) into a scratch PostgreSQL
database, then times through Django's test Client, with a real JWT and DEBUG off, the first
and a middle page of 50 of GET /api/v1/audits/ and /api/v1/submissions/, light (the default)
and with ?include=answers, for the demo's owner and head office, interleaved with
GET /api/v1/me/ (the floor of any authenticated request). It prints each page's median and p95
milliseconds, its size in KB and its ratio to /me/. The target (issue 14) is a median under
50 ms for a page of 50 as owner and as head office. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path and bench/scoring.py would shadow the
# `scoring` package: put the repository root first instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.scratch import add_database_argument, percentile, scratch_database  # noqa: E402
from bench.submission_world import access_token  # noqa: E402

TARGET_MS = 50.0
PAGE = 50


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--branches", type=int, default=24)
    parser.add_argument("--months", type=int, default=6)
    add_database_argument(parser, "tp_bench_list_pages")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    print("command:", shlex.join([".venv/bin/python", "bench/list_pages.py", *sys.argv[1:]]))
    with scratch_database(args.database_url):
        run(args)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from audits.models import User
    from demo.seed import DemoOptions, seed_demo

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    options = DemoOptions(branches=args.branches, months=args.months, photos=0, benchmarks=False)
    summary = seed_demo(options)
    visits = summary.counts["submissions"]
    print(f"demo seeded in {time.perf_counter() - started:.1f} s: {visits} submissions")

    readers = {name: User.objects.get(username=name) for name in ("owner", "hq")}
    clients = {
        name: Client(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
        for name, user in readers.items()
    }
    pages: dict[str, tuple[str, str, dict]] = {}
    for reader, client in clients.items():
        for path in ("/api/v1/audits/", "/api/v1/submissions/"):
            count = client.get(path, {"page_size": PAGE}).json()["count"]
            middle = max(1, -(-count // PAGE) // 2)
            for include in ("", "answers"):
                params = {"page_size": PAGE, "page": middle}
                if include:
                    params["include"] = include
                label = f"{reader} {path.split('/')[3]} p{middle}/{-(-count // PAGE)}"
                pages[label + (" +answers" if include else "")] = (reader, path, params)
        pages[f"{reader} /me/"] = (reader, "/api/v1/me/", {})

    sizes: dict[str, int] = {}
    for name, (reader, path, params) in pages.items():  # warm up, and check every page
        for _ in range(3):
            response = clients[reader].get(path, params)
            assert response.status_code == 200, (name, response.content[:300])
        sizes[name] = len(response.content)
    times: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(args.requests):
        for name, (reader, path, params) in pages.items():
            t0 = time.perf_counter()
            clients[reader].get(path, params)
            times[name].append((time.perf_counter() - t0) * 1000)

    print(f"\n{args.requests} requests each, interleaved; milliseconds, KB, ratio to /me/")
    print(f"{'':36} {'median':>8} {'p95':>8} {'KB':>8} {'x /me/':>8}")
    worst = 0.0
    for name, values in times.items():
        median = statistics.median(values)
        me = statistics.median(times[f"{pages[name][0]} /me/"])
        print(
            f"{name:36} {median:8.2f} {percentile(values, 0.95):8.2f} "
            f"{sizes[name] / 1024:8.1f} {median / me:8.2f}"
        )
        if "+answers" not in name and "/me/" not in name:
            worst = max(worst, median)
    verdict = "PASS" if worst < TARGET_MS else "FAIL"
    print(f"\n{verdict}: slowest light page median {worst:.2f} ms (target < {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
