"""Where a POST /api/v1/submissions/ spends its time: one process, real PostgreSQL, profiled.

    .venv/bin/python bench/submit_path.py [--requests 100] [--profile 25] [--seed 0]
        [--database-url postgres://postgres@127.0.0.1:5432/tp_bench_submit_path]
        [--broker-url redis://127.0.0.1:6379/12]

It creates the scratch database, writes 500 shoppers with accepted assignments
(bench/submission_world.py), and posts --requests fresh 35 to 41-answer visits through Django's test
Client with a real JWT and DEBUG off, the broker set but no worker (so the on-commit send is
timed, the scoring is not). For each request it records wall and CPU milliseconds and the SQL
queries run (counted with `connection.execute_wrapper`, which also times them), then prints
their medians and p95, and the same for a replay of a stored body (the phone's retry), and
GET /api/v1/me/ as the floor any authenticated request pays. With --profile N it runs cProfile
over the first pass again and prints the N functions with the most cumulative time.

The scoring task is timed on its own too: `score_submission` run in process on the stored rows
(wall and CPU per submission), then `score_backlog` on a batch, the two ways the worker scores.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path and bench/scoring.py would shadow the
# `scoring` package: put the repository root first instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.scratch import add_database_argument, percentile, scratch_database  # noqa: E402
from bench.submission_world import build_world, submission_body  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--profile", type=int, default=0, help="Print the top N functions.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show-sql", action="store_true", help="Print one new visit's SQL.")
    add_database_argument(parser, "tp_bench_submit_path")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/12")
    return parser.parse_args()


class QueryTimer:
    """Counts and times the SQL of whatever runs inside it (a connection execute wrapper)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.statements: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.seconds += elapsed
            self.count += 1
            self.statements.append((elapsed * 1000, sql))


@contextmanager
def measured(row: dict[str, list[float]]):
    from django.db import connection

    timer = QueryTimer()
    wall, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(timer):
        yield
    row["wall"].append((time.perf_counter() - wall) * 1000)
    row["cpu"].append((time.process_time() - cpu) * 1000)
    row["sql"].append(timer.seconds * 1000)
    row["queries"].append(timer.count)


def new_row() -> dict[str, list[float]]:
    return {"wall": [], "cpu": [], "sql": [], "queries": []}


def report(name: str, row: dict[str, list[float]]) -> None:
    cells = [
        f"{statistics.median(row[key]):8.2f} {percentile(row[key], 0.95):8.2f}"
        for key in ("wall", "cpu", "sql")
    ]
    print(f"{name:30} {'  '.join(cells)}  {statistics.median(row['queries']):6.0f}")


def main() -> None:
    args = parse_args()
    print("command:", shlex.join([".venv/bin/python", "bench/submit_path.py", *sys.argv[1:]]))
    with scratch_database(args.database_url, CELERY_BROKER_URL=args.broker_url):
        run(args)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.test import Client

    rng = random.Random(args.seed)
    passes = 4 if args.profile else 3  # timed, batch-scored, profiled
    world = build_world(args.requests * passes + 10, seed=args.seed)
    client = Client()
    assignments = iter(world.assignments)
    me = {"HTTP_AUTHORIZATION": f"Bearer {next(iter(world.tokens.values()))}"}
    counts = sorted(len(answers) for answers in world.answer_sets)

    def post(visit: tuple[dict, str]) -> int:
        body, token = visit
        response = client.post(
            "/api/v1/submissions/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code in (200, 201), response.content[:500]
        return response.status_code

    def fresh() -> tuple[dict, str]:
        assignment = next(assignments)
        body = submission_body(assignment[0], rng.choice(world.answer_sets), rng)
        return body, world.token_of(assignment)

    for _ in range(10):  # warm up: imports, connections, caches
        post(fresh())
        client.get("/api/v1/me/", **me)

    if args.show_sql:
        from django.db import connection

        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            post(fresh())
        print(f"\nthe SQL of one new visit ({timer.count} statements, ms):")
        for elapsed, sql in timer.statements:
            print(f"{elapsed:7.2f}  {sql[:160]}")

    rows = {"POST, new visit": new_row(), "POST, replay": new_row(), "GET /me/": new_row()}
    for _ in range(args.requests):
        visit = fresh()
        with measured(rows["POST, new visit"]):
            assert post(visit) == 201
        with measured(rows["POST, replay"]):
            assert post(visit) == 200
        with measured(rows["GET /me/"]):
            client.get("/api/v1/me/", **me)

    print(
        f"\n{args.requests} requests each, {counts[0]} to {counts[-1]}-answer bodies, interleaved; "
        "milliseconds (median, p95) and SQL queries (median)"
    )
    print(f"{'':30} {'wall':>8} {'p95':>8}  {'cpu':>8} {'p95':>8}  {'sql':>8} {'p95':>8}  queries")
    for name, row in rows.items():
        report(name, row)
    for _ in range(args.requests):  # a backlog for the batch
        post(fresh())
    scoring_figures(rows=args.requests)

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            post(fresh())
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(args.profile)
        stats.sort_stats("tottime").print_stats(args.profile)
        print(f"\ncProfile of {args.requests} new visits, by cumulative then own time")
        print(out.getvalue())


def scoring_figures(*, rows: int) -> None:
    """The worker's two ways of scoring, on copies of stored rows: one task each, a batch."""
    from audits.models import Score, Submission, SubmissionStatus
    from audits.tasks import score_backlog, score_submission

    def timed(label: str, work: Callable[[], None], count: int) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{label:30} {wall * 1000 / count:8.2f} ms wall {cpu * 1000 / count:8.2f} ms CPU")

    queued = list(
        Submission.objects.filter(status=SubmissionStatus.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    one_by_one, batch = queued[:rows], queued[rows:]
    print(f"\nscoring, per submission ({len(one_by_one)} tasks, then a batch of {len(batch)})")
    timed("score_submission, one each", lambda: [score_submission(pk) for pk in one_by_one], rows)
    timed("score_backlog, one batch", lambda: score_backlog(batch), max(1, len(batch)))
    assert Score.objects.filter(submission_id__in=one_by_one).count() == len(one_by_one)


if __name__ == "__main__":
    main()
