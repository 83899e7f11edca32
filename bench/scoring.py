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

With `--worker` it then measures submissions scored per second through a real Celery worker on
PostgreSQL:

    .venv/bin/python bench/scoring.py --worker [--submissions 10000] [--batch-size 200]
        [--database-url postgres://postgres@127.0.0.1:5432/tp_bench_scoring]
        [--broker-url redis://127.0.0.1:6379/14] [--concurrency 2]

It creates the scratch database (its name must contain "bench"; it is dropped at the end),
migrates it, stores two equal backlogs of queued submissions (the same answers), starts
`celery --app=backend worker --pool=prefork` on a queue of its own, and times, after a
warm-up, the backlog sent as `score_backlog` batches and the same backlog sent as one
`score_submission` task per submission (the baseline), each from the first message sent to
the last submission scored. It checks that both backlogs got the same scores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its own name would shadow
# the `scoring` package: put the repository root first instead.
ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.scratch import recreate_database, stop_process  # noqa: E402
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


DEFAULT_BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tp_bench_scoring"
DEFAULT_BENCH_BROKER_URL = "redis://127.0.0.1:6379/14"
WORKER_START_TIMEOUT = 60.0
WARM_UP = 200


def _store_backlog(version, branch, shopper, answer_sets: Sequence[Sequence[Answer]]) -> list[int]:
    """Queued submissions with their answers, written in bulk; returns their ids in order."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from audits.bulk import insert_rows
    from audits.models import Answer as AnswerRow
    from audits.models import Assignment, AssignmentStatus, Submission, SubmissionStatus

    now = timezone.now()
    with transaction.atomic():
        assignments = Assignment.objects.bulk_create(
            [
                Assignment(
                    branch=branch,
                    shopper=shopper,
                    checklist=version,
                    window_start=now - timedelta(days=1),
                    window_end=now + timedelta(days=1),
                    status=AssignmentStatus.SUBMITTED,
                )
                for _ in answer_sets
            ],
            batch_size=2000,
        )
        submissions = Submission.objects.bulk_create(
            [
                Submission(
                    assignment=assignment,
                    shopper=shopper,
                    client_id=uuid.uuid4(),
                    payload_hash="bench",
                    started_at=now - timedelta(hours=2),
                    finished_at=now - timedelta(hours=1),
                    status=SubmissionStatus.QUEUED,
                    queued_at=now,
                )
                for assignment in assignments
            ],
            batch_size=2000,
        )
        insert_rows(
            AnswerRow,
            ["submission_id", "item", "value", "na", "comment", "position"],
            (
                (submission.pk, a.item, None if a.na else a.value, a.na, a.comment, position)
                for submission, answers in zip(submissions, answer_sets, strict=True)
                for position, a in enumerate(answers)
            ),
        )
    return [submission.pk for submission in submissions]


def _queued(ids: Sequence[int]) -> int:
    from audits.models import Submission, SubmissionStatus

    return Submission.objects.filter(
        pk__gte=min(ids), pk__lte=max(ids), status=SubmissionStatus.QUEUED
    ).count()


def _wait_until_scored(
    ids: Sequence[int], worker: subprocess.Popen, log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while _queued(ids):
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited ({worker.returncode}); log: {log_path}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{_queued(ids)} still queued after {timeout:.0f} s; log: {log_path}")
        time.sleep(0.05)


def _timed(send: Callable[[], None], ids: Sequence[int], worker, log_path: Path) -> float:
    """Seconds from the first message sent to the last of `ids` scored."""
    start = time.perf_counter()
    send()
    _wait_until_scored(ids, worker, log_path, timeout=3600)
    return time.perf_counter() - start


def _start_worker(env: dict[str, str], queue: str, concurrency: int, log_path: Path):
    celery = Path(sys.executable).with_name("celery")
    command = [
        str(celery),
        "--app=backend",
        "worker",
        f"--queues={queue}",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        f"--hostname=bench-{queue}@%h",
        f"--loglevel={os.environ.get('BENCH_WORKER_LOGLEVEL', 'WARNING')}",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    return process, shlex.join(command)


def _wait_for_worker(app, hostname: str, worker, log_path: Path) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while not app.control.ping(destination=[hostname], timeout=0.5):
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited ({worker.returncode}); log: {log_path}")
        if time.monotonic() > deadline:
            raise SystemExit(
                f"the worker did not answer in {WORKER_START_TIMEOUT:.0f} s: {log_path}"
            )


def worker_postgres_benchmark(
    *,
    submissions: int = 10_000,
    seed: int = 1,
    checklist_path: Path = DEFAULT_CHECKLIST,
    database_url: str = DEFAULT_BENCH_DATABASE_URL,
    broker_url: str = DEFAULT_BENCH_BROKER_URL,
    batch_size: int = 200,
    concurrency: int = 2,
    keep_database: bool = False,
) -> dict[str, Any]:
    """Submissions scored per second by a Celery worker on PostgreSQL, batched and one by one.

    Sets the environment (DATABASE_URL, CELERY_BROKER_URL, a queue of its own) before Django
    starts in this process, so the tasks sent here go to the worker started here.
    """
    queue = f"bench-scoring-{uuid.uuid4().hex[:10]}"
    env_updates = {
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_QUEUE": queue,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-" + uuid.uuid4().hex,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        # Scoring schedules a debounced benchmark refresh; keep it out of the timed window.
        "BENCHMARK_REFRESH_DELAY_SECONDS": "86400",
    }
    os.environ.update(env_updates)
    recreate_database(database_url)
    log_dir = Path(tempfile.mkdtemp(prefix="touchpoint-bench-worker-"))
    log_path = log_dir / "worker.log"
    worker = None
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        from audits.models import (
            Branch,
            Brand,
            ChecklistTemplate,
            ChecklistVersion,
            Franchisee,
            Role,
            Score,
            User,
        )
        from audits.models import Membership as MembershipRow
        from audits.services.scoring import BACKLOG_BATCH_SIZE
        from audits.tasks import score_backlog, score_submission
        from backend.celery import app

        assert not settings.CELERY_TASK_ALWAYS_EAGER, "tasks must go to the worker"
        call_command("migrate", verbosity=0)

        checklist = load_checklist(checklist_path)
        brand = Brand.objects.create(name="Bench brand")
        franchisee = Franchisee.objects.create(brand=brand, name="Bench franchisee")
        branch = Branch.objects.create(
            brand=brand,
            franchisee=franchisee,
            name="Bench branch",
            latitude=51.5,
            longitude=-0.12,
            timezone="Europe/London",
        )
        shopper = User.objects.create_user(username="bench-shopper", password=None)
        MembershipRow.objects.create(user=shopper, role=Role.SHOPPER, brand=brand)
        template = ChecklistTemplate.objects.create(brand=brand, name="Bench checklist")
        version = ChecklistVersion.objects.create(
            template=template,
            version=1,
            title=checklist.title,
            definition=json.loads(checklist_path.read_text(encoding="utf-8")),
        )
        answer_sets = synthetic_backlog(checklist, submissions, seed)
        warm_sets = synthetic_backlog(checklist, WARM_UP, seed + 1)

        store_start = time.perf_counter()
        warm_ids = _store_backlog(version, branch, shopper, warm_sets)
        batched_ids = _store_backlog(version, branch, shopper, answer_sets)
        single_ids = _store_backlog(version, branch, shopper, answer_sets)
        store_seconds = time.perf_counter() - store_start
        connection.close()

        worker_env = {**os.environ, **env_updates}
        worker, worker_command = _start_worker(worker_env, queue, concurrency, log_path)
        hostname = f"bench-{queue}@{os.uname().nodename}"
        _wait_for_worker(app, hostname, worker, log_path)

        def send_batches(ids: Sequence[int]) -> Callable[[], None]:
            def send() -> None:
                for start in range(0, len(ids), batch_size):
                    score_backlog.delay(list(ids[start : start + batch_size]))

            return send

        def send_singles(ids: Sequence[int]) -> Callable[[], None]:
            def send() -> None:
                for submission_id in ids:
                    score_submission.delay(submission_id)

            return send

        # Warm-up: every pool process opens its database connection and imports what the
        # tasks need, with both kinds of task, before anything is timed.
        half = len(warm_ids) // 2
        _timed(send_singles(warm_ids[:half]), warm_ids[:half], worker, log_path)
        _timed(send_batches(warm_ids[half:]), warm_ids[half:], worker, log_path)

        batched_seconds = _timed(send_batches(batched_ids), batched_ids, worker, log_path)
        single_seconds = _timed(send_singles(single_ids), single_ids, worker, log_path)

        # Both backlogs hold the same answers in the same order, so they must score the same.
        def overalls(ids: Sequence[int]) -> list:
            return list(
                Score.objects.filter(
                    submission_id__gte=min(ids), submission_id__lte=max(ids), is_current=True
                )
                .order_by("submission_id")
                .values_list("overall", "passed", "items")
            )

        batched_scores, single_scores = overalls(batched_ids), overalls(single_ids)
        scores_agree = batched_scores == single_scores and len(batched_scores) == submissions
        one_row_each = Score.objects.count() == len(warm_ids) + 2 * submissions
        connection.close()
    finally:
        if worker is not None:
            stop_process(worker)
            _delete_queue(broker_url, queue)
        if not keep_database:
            recreate_database(database_url, drop_only=True)

    log_text = log_path.read_text(errors="replace")
    return {
        "submissions": submissions,
        "items_per_submission": len(checklist.items()),
        "answers_per_submission": sum(map(len, answer_sets)) / submissions,
        "batch_size": batch_size,
        "default_batch_size": BACKLOG_BATCH_SIZE,
        "concurrency": concurrency,
        "worker_command": worker_command,
        "database": database_url,
        "broker": broker_url,
        "store_seconds": store_seconds,
        "batched": {"seconds": batched_seconds, "per_second": submissions / batched_seconds},
        "one_task_each": {"seconds": single_seconds, "per_second": submissions / single_seconds},
        "batched_vs_one_task_each": single_seconds / batched_seconds,
        "scores_agree": scores_agree,
        "one_row_each": one_row_each,
        "worker_errors": [line for line in log_text.splitlines() if "ERROR" in line][:5],
        "worker_log": str(log_path),
    }


def _delete_queue(broker_url: str, queue: str) -> None:
    """Leave nothing behind in the broker's Redis database.

    Besides the queue, kombu keeps binding keys, and a worker's warm shutdown puts messages
    it held for later (e.g. the debounced benchmark refresh) back on the queue, so the keys
    are deleted by name after the worker has exited.
    """
    from kombu import Connection

    try:
        with Connection(broker_url, connect_timeout=3) as connection:
            channel = connection.default_channel
            channel.queue_delete(queue)
            channel.client.delete(
                queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
            )
    except Exception as exc:  # best effort: report, do not hide the figures
        print(f"  (could not delete queue {queue}: {exc})")


def _print_worker(figures: dict[str, Any], pure: dict[str, Any] | None) -> None:
    print(
        f"worker on PostgreSQL: {figures['submissions']:,} queued submissions x "
        f"{figures['items_per_submission']} items ({figures['answers_per_submission']:.1f} "
        f"answers each), twice (stored in {figures['store_seconds']:.1f} s)"
    )
    print(f"  database {figures['database']}, broker {figures['broker']}")
    print(f"  worker: {figures['worker_command']}")
    print(f"  worker log: {figures['worker_log']}")
    batched, single = figures["batched"], figures["one_task_each"]
    print(
        f"  {'score_backlog, ' + str(figures['batch_size']) + ' per task':<34} "
        f"{batched['per_second']:>9,.0f} submissions/s ({batched['seconds']:.2f} s)"
    )
    print(
        f"  {'score_submission, one per task':<34} "
        f"{single['per_second']:>9,.0f} submissions/s ({single['seconds']:.2f} s)"
    )
    print(f"  batched / one task each: {figures['batched_vs_one_task_each']:.2f}x")
    if pure is not None:
        engine_subs = pure["submissions"] / pure["engine"]["seconds"]
        print(
            f"  pure engine in one process: {engine_subs:,.0f} submissions/s; the batched "
            f"worker reaches {batched['per_second'] / engine_subs:.0%} of it"
        )
    print(
        f"  checks: both backlogs scored alike: {figures['scores_agree']}; "
        f"one score row per submission: {figures['one_row_each']}"
    )
    for line in figures["worker_errors"]:
        print(f"  worker log: {line}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checklist", type=Path, default=DEFAULT_CHECKLIST)
    parser.add_argument(
        "--worker", action="store_true", help="also time a Celery worker on PostgreSQL"
    )
    parser.add_argument("--database-url", default=DEFAULT_BENCH_DATABASE_URL)
    parser.add_argument("--broker-url", default=DEFAULT_BENCH_BROKER_URL)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--keep-database", action="store_true", help="do not drop the scratch database"
    )
    args = parser.parse_args(argv)

    print("command:", shlex.join(sys.orig_argv))
    figures = pure_engine_benchmark(
        checklist=load_checklist(args.checklist), submissions=args.submissions, seed=args.seed
    )
    _print_pure(figures)
    if args.worker:
        worker = worker_postgres_benchmark(
            submissions=args.submissions,
            seed=args.seed,
            checklist_path=args.checklist,
            database_url=args.database_url,
            broker_url=args.broker_url,
            batch_size=args.batch_size,
            concurrency=args.concurrency,
            keep_database=args.keep_database,
        )
        _print_worker(worker, figures)


if __name__ == "__main__":
    main()
