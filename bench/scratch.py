"""What every database benchmark shares: a scratch PostgreSQL database, the environment its
Django runs with, the seeded demo brand, a Celery worker and its broker, a percentile, and
stopping a child process.

A benchmark creates its own database (dropping one left by an interrupted run), runs against
it and drops it at the end, so it never touches the project's or the tests' data: only names
containing `bench` are ever created or dropped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def add_database_argument(parser, name: str) -> None:
    """`--database-url`: the scratch database `name` on this machine's PostgreSQL by default,
    or $BENCH_DATABASE_URL."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{name}"),
    )


def add_brand_arguments(parser, *, branches: int, shoppers: int) -> None:
    """`--branches`, `--shoppers` and `--months` of the demo brand `seed_brand` writes."""
    parser.add_argument("--branches", type=int, default=branches)
    parser.add_argument("--shoppers", type=int, default=shoppers)
    parser.add_argument("--months", type=int, default=12)


def seed_brand(args):
    """Seed the demo brand of `args` into the migrated scratch database (demo/seed.py: no
    photos, league tables not built); its DemoSummary. Needs `django.setup()` done."""
    from demo.seed import DemoOptions, seed_demo

    options = DemoOptions(
        branches=args.branches,
        shoppers=args.shoppers,
        months=args.months,
        photos=0,
        benchmarks=False,
    )
    return seed_demo(options)


def flush_broker(url: str) -> None:
    """Empty the Redis database a benchmark uses as its broker."""
    import redis

    redis.Redis.from_url(url).flushdb()


def start_worker(log: Path, queue: str, *, processes: int = 1) -> subprocess.Popen:
    """A real Celery worker (prefork, `processes` processes) on `queue`, logging at INFO to
    `log`, with this process's environment (the scratch database and broker)."""
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "backend",
        "worker",
        f"--concurrency={processes}",
        "--pool=prefork",
        "--loglevel=INFO",
        "-Q",
        queue,
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=dict(os.environ), stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _admin_connection(database_url: str):
    """An autocommit connection to the server's `postgres` database, and the target's name."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(database_url)
    name = config["NAME"]
    if "bench" not in name:
        raise SystemExit(f"refusing to create and drop {name!r}: its name must contain 'bench'")
    connection = psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    return connection, name


def recreate_database(database_url: str, *, drop_only: bool = False) -> None:
    """Drop the scratch database `database_url` names, then (unless `drop_only`) create it."""
    from psycopg import sql

    connection, name = _admin_connection(database_url)
    with connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure_django(database_url: str, **extra: str) -> None:
    """The environment the benchmark's Django (and its gunicorn and worker) run with.

    DEBUG off (no query log: time what production runs), a throwaway secret, no throttling of
    a benchmark's many posts, and whatever `extra` adds (a broker URL, say).
    """
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + os.urandom(16).hex())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    os.environ["THROTTLE_SUBMISSIONS"] = "100000000/hour"
    os.environ.update(extra)
    (ROOT / "var" / "static").mkdir(parents=True, exist_ok=True)  # whitenoise warns without


@contextmanager
def scratch_database(database_url: str, *, keep: bool = False, **extra: str) -> Iterator[None]:
    """Configure Django for a new scratch database; drop it afterwards (unless `keep`)."""
    configure_django(database_url, **extra)
    recreate_database(database_url)
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            recreate_database(database_url, drop_only=True)


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q` quantile (0 to 1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def stop_process(process: subprocess.Popen, *, timeout: float = 30) -> None:
    """SIGTERM (a warm shutdown), then SIGKILL if it does not exit within `timeout`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
