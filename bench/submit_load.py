"""POST /api/v1/submissions/ under load, against a raw-SQL ceiling in the same run.

    .venv/bin/python bench/submit_load.py [--rounds 3] [--seconds 10] [--connections 8]
        [--workers 2] [--rate 10] [--steady-seconds 30] [--no-worker]
        [--database-url postgres://postgres@127.0.0.1:5432/tp_bench_submit_load]
        [--broker-url redis://127.0.0.1:6379/11]

What it does, on this machine's PostgreSQL and Redis:

1. creates the scratch database and enough accepted assignments
   (bench/submission_world.py: 500 shoppers, 500 branches); bodies are the default
   checklist's 35 to 41 answers;
2. starts gunicorn (--workers sync workers, as the Dockerfile serves the API) on
   bench/load/settings.py: the project's settings plus `POST /bench/ceiling/`, a bare Django
   view writing the same rows with raw SQL (bench/load/urls.py); and a real Celery worker
   (one process) scoring what the endpoint queues, unless --no-worker;
3. runs wrk (-c --connections, 2 threads) for --seconds on the endpoint, then on the ceiling,
   --rounds times in turn, every request a fresh assignment and client_id, and waits between
   rounds for the worker to score everything queued, so that each round starts alike;
4. prints, per side, requests a second and p50/p95/p99 latency (the median round's, and each
   round's), the endpoint's throughput as a ratio of the ceiling's round by round, and the
   largest resident memory of a gunicorn worker and of the Celery worker during the rounds;
5. posts at a steady --rate per second for --steady-seconds (one keep-alive connection, each
   post on its own schedule) and prints submission to score (`scored_at - received_at`)
   p50/p95/max.

Targets (issue 14): throughput at least 0.6 of the ceiling, p99 under 100 ms, submission to
score p95 under 2 s at 10/s, a web worker under 250 MB. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path and bench/scoring.py would shadow the
# `scoring` package: put the repository root first instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.scratch import (  # noqa: E402
    add_database_argument,
    flush_broker,
    scratch_database,
    stop_process,
)
from bench.submission_world import SubmissionWorld, build_world, submission_body  # noqa: E402

LUA = ROOT / "bench" / "load" / "submit.lua"
ENDPOINT = "/api/v1/submissions/"
CEILING = "/bench/ceiling/"
WRK_THREADS = 2
PLACEHOLDER_ASSIGNMENT = 999_999_999


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rate", type=float, default=10.0, help="steady posts a second")
    parser.add_argument("--steady-seconds", type=int, default=30)
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=0)
    add_database_argument(parser, "tp_bench_submit_load")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/11")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    print("command:", shlex.join([".venv/bin/python", "bench/submit_load.py", *sys.argv[1:]]))
    processes: list[subprocess.Popen] = []
    with scratch_database(
        args.database_url, CELERY_BROKER_URL=args.broker_url, CELERY_QUEUE="touchpoint-bench-load"
    ):
        try:
            run(args, processes)
        finally:
            for process in processes:
                stop_process(process, timeout=20)


def run(args: argparse.Namespace, processes: list[subprocess.Popen]) -> None:
    import django

    django.setup()
    flush_broker(args.broker_url)
    rng = random.Random(args.seed)
    # Fresh assignments for every request: enough for the endpoint at 800/s and the ceiling
    # at 2,000/s (wrk reports a round that ran out); the steady phase takes its own.
    per_round = {ENDPOINT: 800 * args.seconds, CEILING: 2000 * args.seconds}
    steady = int(args.rate * args.steady_seconds) + 10
    started = time.perf_counter()
    world = build_world(sum(per_round.values()) * (args.rounds + 1) + steady, seed=args.seed)
    print(f"database ready in {time.perf_counter() - started:.1f} s")
    pool = iter(world.assignments)

    workdir = Path(tempfile.mkdtemp(prefix="tp-bench-load-"))
    bodies = workdir / "bodies.jsonl"
    with bodies.open("w") as out:
        for answers in world.answer_sets[:50]:
            body = submission_body(PLACEHOLDER_ASSIGNMENT, answers, rng)
            body["client_id"] = "@CLIENT@"
            line = json.dumps(body).replace(str(PLACEHOLDER_ASSIGNMENT), "@ASSIGNMENT@")
            out.write(line + "\n")
    answers = [len(a) for a in world.answer_sets[:50]]
    print(f"bodies: {min(answers)} to {max(answers)} answers, {bodies.stat().st_size // 50} bytes")

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.load.settings", PYTHONPATH=str(ROOT))
    bin_dir = Path(sys.executable).parent
    web = spawn(
        [
            str(bin_dir / "gunicorn"),
            "backend.wsgi:application",
            f"--bind=127.0.0.1:{args.port}",
            f"--workers={args.workers}",
            "--timeout=60",
        ],
        env,
        workdir / "gunicorn.log",
        processes,
    )
    worker = None
    if not args.no_worker:
        worker = spawn(
            [
                str(bin_dir / "celery"),
                "--app=backend",
                "worker",
                "--queues=touchpoint-bench-load",
                "--concurrency=1",
                "--loglevel=WARNING",
                "--without-mingle",
                "--without-gossip",
            ],
            env,
            workdir / "worker.log",
            processes,
        )
    wait_for_http(args.port)

    sampler = MemorySampler(web.pid, worker.pid if worker else None)
    sampler.start()
    results: dict[str, list[dict]] = {ENDPOINT: [], CEILING: []}
    for warm_up, side in enumerate((ENDPOINT, CEILING), start=1000):  # not counted
        ids = take(pool, per_round[side])
        wrk(args, side, ids, world, bodies, round_id=warm_up, seconds=2)
    wait_scored(worker is not None)
    sampler.reset()
    for number in range(1, args.rounds + 1):
        for side in (ENDPOINT, CEILING):
            round_id = number * 2 + (side == CEILING)
            ids = take(pool, per_round[side])
            figures = wrk(args, side, ids, world, bodies, round_id=round_id)
            results[side].append(figures)
            wait_scored(worker is not None)
    sampler.stop()
    report(args, results, sampler)
    if worker is not None:
        steady_latency(args, take(pool, steady), world, rng)
    else:
        print("\nsubmission to score: not measured (--no-worker)")


def spawn(command, env, log: Path, processes) -> subprocess.Popen:
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    processes.append(process)
    return process


def take(pool, count: int) -> list[tuple[int, int]]:
    return [next(pool) for _ in range(count)]


def wait_for_http(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz")


def wrk(
    args,
    side: str,
    visits: list[tuple[int, int]],
    world: SubmissionWorld,
    bodies: Path,
    *,
    round_id: int,
    seconds=None,
):
    with tempfile.NamedTemporaryFile("w", suffix=".visits", delete=False) as out:
        out.write("\n".join(f"{visit[0]} {world.token_of(visit)}" for visit in visits))
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{args.connections}",
        f"-d{seconds or args.seconds}s",
        "--timeout=10s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{args.port}{side}",
        "--",
        out.name,
        str(bodies),
        str(round_id),
        str(WRK_THREADS),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    os.unlink(out.name)
    line = next(row for row in finished.stdout.splitlines() if row.startswith("{"))
    figures = json.loads(line)
    figures["rate"] = figures["requests"] / (figures["duration_us"] / 1e6)
    if figures["non_2xx"] or figures["out_of_ids"] or figures["socket_errors"]:
        print(f"  warning: {side} round {round_id}: {line}")
    return figures


def wait_scored(with_worker: bool, timeout: float = 300) -> None:
    """Until no submission is queued (the worker has caught up), when a worker runs."""
    from audits.models import Submission, SubmissionStatus

    if not with_worker:
        return
    deadline = time.monotonic() + timeout
    while Submission.objects.filter(status=SubmissionStatus.QUEUED).exists():
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not catch up")
        time.sleep(0.2)


class MemorySampler(threading.Thread):
    """The largest resident set of each gunicorn worker, and of the Celery worker's processes,
    read from /proc every 0.2 s."""

    def __init__(self, web_pid: int, worker_pid: int | None) -> None:
        super().__init__(daemon=True)
        self.roots = {"gunicorn worker": web_pid, "celery": worker_pid}
        self.peak: dict[str, int] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.2):
            for name, pid in self.roots.items():
                if pid is None:
                    continue
                pids = children(pid) if name == "gunicorn worker" else [pid, *children(pid)]
                for each in pids:
                    self.peak[name] = max(self.peak.get(name, 0), rss_kb(each))

    def reset(self) -> None:
        self.peak = {}

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def report(args, results: dict[str, list[dict]], sampler: MemorySampler) -> None:
    def median_of(side: str, key: str) -> float:
        return statistics.median(figure[key] for figure in results[side])

    print(
        f"\n{args.rounds} rounds of {args.seconds} s each, in turn; wrk {WRK_THREADS} threads, "
        f"{args.connections} connections; gunicorn {args.workers} sync workers; "
        f"{'no worker' if args.no_worker else 'a Celery worker (1 process) scoring'}"
    )
    print(f"{'':28} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  rounds (req/s)")
    for side, name in ((ENDPOINT, "POST /api/v1/submissions/"), (CEILING, "raw-SQL ceiling")):
        rounds = " ".join(f"{figure['rate']:.0f}" for figure in results[side])
        print(
            f"{name:28} {median_of(side, 'rate'):8.1f} {median_of(side, 'p50') / 1000:8.1f} "
            f"{median_of(side, 'p95') / 1000:8.1f} {median_of(side, 'p99') / 1000:8.1f}  {rounds}"
        )
    ratios = [
        endpoint["rate"] / ceiling["rate"]
        for endpoint, ceiling in zip(results[ENDPOINT], results[CEILING], strict=True)
    ]
    print(
        f"endpoint / ceiling, round by round: {' '.join(f'{r:.2f}' for r in ratios)} "
        f"(median {statistics.median(ratios):.2f}; target at least 0.6)"
    )
    worst_p99 = max(figure["p99"] for figure in results[ENDPOINT]) / 1000
    print(f"endpoint p99, worst round: {worst_p99:.1f} ms (target under 100 ms)")
    for name, kb in sampler.peak.items():
        print(f"largest resident memory, {name}: {kb / 1024:.0f} MB")


def steady_latency(args, visits: list[tuple[int, int]], world: SubmissionWorld, rng) -> None:
    """Post at a fixed rate, then read how long each submission waited for its score."""
    from django.db.models import F

    from audits.models import Submission

    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
    interval = 1 / args.rate
    count = int(args.rate * args.steady_seconds)
    start = time.monotonic()
    posted: list[int] = []
    for index in range(count):
        delay = start + index * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body = submission_body(visits[index][0], rng.choice(world.answer_sets), rng)
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {world.token_of(visits[index])}",
        }
        connection.request("POST", ENDPOINT, json.dumps(body), headers)
        response = connection.getresponse()
        payload = response.read()
        if response.status != 201:
            raise SystemExit(f"steady post answered {response.status}: {payload[:300]!r}")
        posted.append(json.loads(payload)["id"])
    wait_scored(True)
    waits = sorted(
        (row.total_seconds())
        for row in Submission.objects.filter(pk__in=posted)
        .annotate(wait=F("scored_at") - F("received_at"))
        .values_list("wait", flat=True)
    )
    p95 = waits[min(len(waits) - 1, round(0.95 * (len(waits) - 1)))]
    print(
        f"\nsubmission to score at {args.rate:g}/s for {args.steady_seconds} s ({len(waits)} "
        f"posts): p50 {statistics.median(waits):.3f} s, p95 {p95:.3f} s, max {waits[-1]:.3f} s "
        "(target p95 under 2 s)"
    )


if __name__ == "__main__":
    main()
