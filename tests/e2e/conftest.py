"""End-to-end fixtures: the API over real HTTP, a real Celery worker process, real PostgreSQL.

The API tests call views through Django's test client and run Celery tasks in-process
(eager), so they never exercise what production depends on: a task published to Redis only
after its transaction commits, picked up by another process that must find the committed
rows, with photos written by the web process and read back over HTTP. Here the live server
(a thread of this process) publishes to a real broker on a queue of its own, and a worker
subprocess started from this virtualenv consumes that queue against the pytest test
database. Tests therefore need committed data: `django_db(transaction=True)`.

A missing broker fails the run in CI (CI=true) and skips, with the reason, elsewhere; the
root conftest does the same for PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/15"
WORKER_START_TIMEOUT = 30.0
# Nothing listens on port 1: connections are refused at once, as when Redis is down.
UNREACHABLE_BROKER_URL = "redis://127.0.0.1:1/0"


def broker_url() -> str:
    """The broker of the e2e tests: a Redis database of its own, not the app's."""
    return os.environ.get("TEST_CELERY_BROKER_URL", DEFAULT_BROKER_URL)


def in_ci() -> bool:
    return bool(getattr(django_settings, "IN_CI", False))


def _unavailable(reason: str) -> None:
    """In CI a missing service is a failure; on a laptop a skip that says why."""
    if in_ci():
        pytest.fail(f"CI needs {reason}", pytrace=False)
    pytest.skip(f"needs {reason}")


def _broker_unreachable(url: str) -> str | None:
    """None when the broker accepts a connection, else why it does not."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=3)
    except Exception as exc:  # kombu wraps transport errors in many types
        return f"{exc.__class__.__name__}: {exc}"
    return None


def test_database_url() -> str:
    """The URL of the database pytest created, for a process that did not create it."""
    from django.db import connection

    s = connection.settings_dict
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = s.get("HOST") or "localhost"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(s['NAME'], safe='')}"


# --- The worker ------------------------------------------------------------------------------


@dataclass
class CeleryWorker:
    """A `celery worker` subprocess consuming one queue; its log is a file we can read."""

    process: subprocess.Popen
    queue: str
    hostname: str
    broker_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, *, count: int = 1, timeout: float = 30.0) -> list[str]:
        """Block until `pattern` (a regex) matched `count` log lines; return those lines.

        The worker's own log is the one witness that a task ran there (and not eagerly in
        this process) and the barrier that says a message was consumed.
        """
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in self.log().splitlines() if regex.search(line)]
            if len(lines) >= count:
                return lines
            if self.process.poll() is not None:
                pytest.fail(
                    f"the Celery worker exited ({self.process.returncode}):\n{self.log()[-6000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no {count} worker log line(s) matching {pattern!r} in {timeout:.0f} s:\n"
                    f"{self.log()[-6000:]}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Warm shutdown, then kill: it must not hold a connection when the test DB is dropped."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def delete_queue(self) -> None:
        """Leave nothing behind in the shared Redis database: kombu keeps binding keys."""
        from kombu import Connection

        if not self.broker_url.startswith(("redis://", "rediss://")):
            return
        keys = [self.queue, f"_kombu.binding.{self.queue}"]
        keys.append(f"_kombu.binding_permanent.{self.queue}")
        try:
            with Connection(self.broker_url, connect_timeout=3) as connection:
                connection.default_channel.client.delete(*keys)
        except Exception:  # best effort: the broker may be the thing that went away
            pass


def worker_env(*, broker: str, queue: str, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Celery process (worker or beat) of these tests: the test
    database, a broker and queue of the test's, this run's media and secret; `extra` on top."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DATABASE_URL": database_url,
        # No idle connection survives a task: nothing lingers when pytest drops the test DB.
        "CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker,
        "CELERY_QUEUE": queue,
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "STORAGE_BACKEND": "filesystem",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def _celery_process(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    celery = Path(sys.executable).with_name("celery")
    with log_path.open("wb") as log_file:
        return subprocess.Popen(
            [str(celery), "--app=backend", *args],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


def start_worker(
    *, broker: str, queue: str, database_url: str, log_path: Path, **extra_env: str
) -> CeleryWorker:
    """A solo `celery worker` on `queue`, ready (its log says so) when this returns."""
    token = uuid.uuid4().hex[:12]
    hostname = f"e2e-{token}@%h"
    args = [
        "worker",
        f"--queues={queue}",
        f"--hostname={hostname}",
        "--concurrency=1",
        "--pool=solo",
        "--loglevel=info",
        # Mingle waits for other workers' replies; gossip and heartbeats are noise here.
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]
    env = worker_env(broker=broker, queue=queue, database_url=database_url, **extra_env)
    worker = CeleryWorker(
        process=_celery_process(args, env, log_path),
        queue=queue,
        hostname=hostname.replace("%h", ""),
        broker_url=broker,
        log_path=log_path,
    )
    try:
        worker.wait_for_log(r"\bready\.", timeout=WORKER_START_TIMEOUT)
    except BaseException:
        worker.stop()
        raise
    return worker


def start_beat(
    *, broker: str, queue: str, database_url: str, directory: Path, **extra_env: str
) -> CeleryWorker:
    """`celery beat` sending the project's schedule to `queue`; its schedule file and log in
    `directory`. (A CeleryWorker for its log and stop; it consumes nothing.)"""
    log_path = directory / "beat.log"
    args = ["beat", "--loglevel=info", f"--schedule={directory / 'beat-schedule'}"]
    env = worker_env(broker=broker, queue=queue, database_url=database_url, **extra_env)
    beat = CeleryWorker(
        process=_celery_process(args, env, log_path),
        queue=queue,
        hostname="beat",
        broker_url=broker,
        log_path=log_path,
    )
    beat.wait_for_log(r"beat: Starting", timeout=WORKER_START_TIMEOUT)
    return beat


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[CeleryWorker]:
    """One worker for the whole e2e run, on a queue nobody else uses, against the test DB."""
    url = broker_url()
    reason = _broker_unreachable(url)
    if reason:
        _unavailable(f"the Celery broker at {url} ({reason}); set TEST_CELERY_BROKER_URL")
    with django_db_blocker.unblock():
        database_url = test_database_url()
    queue = f"touchpoint-e2e-{uuid.uuid4().hex[:12]}"
    log_dir = Path(tempfile.mkdtemp(prefix="touchpoint-e2e-worker-"))
    worker = start_worker(
        broker=url, queue=queue, database_url=database_url, log_path=log_dir / "worker.log"
    )
    try:
        yield worker
    finally:
        worker.stop()
        worker.delete_queue()
        shutil.rmtree(log_dir, ignore_errors=True)


@contextmanager
def publishing_to(broker: str, queue: str) -> Iterator[None]:
    """Make this process publish tasks to `broker` and `queue` instead of running them eagerly.

    The Celery app read Django settings once, at its first use, so overriding settings is
    not enough: its configuration is updated in place, its cached broker pool and routing
    (`app.amqp` holds the default queue) are dropped, and all of it is put back afterwards
    so the rest of the suite runs eagerly again.
    """
    from kombu import pools as kombu_pools

    from backend.celery import app

    conf = app.conf
    keys = ("broker_url", "task_always_eager", "task_default_queue")
    saved = {key: conf[key] for key in keys}  # also finalises the lazy configuration
    saved_amqp = app.__dict__.pop("amqp", None)
    app._pool = None
    conf.update(broker_url=broker, task_always_eager=False, task_default_queue=queue)
    try:
        yield
    finally:
        # Close every broker connection and forget the pools (kombu keeps them in a global
        # registry, and a closed pool left there would be handed out again); whoever
        # publishes next, an outer `publishing_to` included, opens a fresh one.
        kombu_pools.reset()
        app._pool = None
        app.__dict__.pop("amqp", None)
        if saved_amqp is not None:
            saved_amqp._producer_pool = None
            app.__dict__["amqp"] = saved_amqp
        conf.update(saved)


@pytest.fixture
def web_publishing(settings):
    """`with web_publishing(broker, queue):` the web side (live server and test code)
    publishes to that broker and queue, Celery's configuration and Django's settings alike.

    `publishing_to` is entered before the Django settings change: it saves Celery's
    configuration to restore, and a configuration not read yet would otherwise be read from
    the changed settings, leaving the rest of the suite publishing to a broker that is gone.
    """

    @contextmanager
    def publishing(broker: str, queue: str) -> Iterator[None]:
        with publishing_to(broker, queue):
            settings.CELERY_BROKER_URL = broker
            settings.CELERY_TASK_ALWAYS_EAGER = False
            settings.CELERY_TASK_DEFAULT_QUEUE = queue
            yield

    return publishing


@pytest.fixture
def celery_publishing(celery_worker: CeleryWorker, web_publishing) -> Iterator[CeleryWorker]:
    """The web side publishes to the session worker's broker and queue."""
    with web_publishing(celery_worker.broker_url, celery_worker.queue):
        yield celery_worker


@pytest.fixture
def broker_outage(celery_publishing: CeleryWorker):
    """`with broker_outage():` this process publishes to a broker that refuses connections."""
    return lambda: publishing_to(UNREACHABLE_BROKER_URL, celery_publishing.queue)


# --- A Redis of the test's own ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RedisServer:
    """A `redis-server` this test starts, stops and starts again on the same port.

    Like the production one (docker-compose.yml: `--appendonly yes`), it keeps what it holds
    across a restart in an append-only file, so messages queued before an outage survive it.
    The machine's Redis is never touched.
    """

    directory: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--save", "",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while _broker_unreachable(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "redis.log").read_text(errors="replace")
                pytest.fail(f"redis-server on port {self.port} did not start:\n{log[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        """A clean shutdown (SIGTERM: the append-only file is flushed), as a restart does."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    """A running Redis of this test's own, on a free port; stopped at the end whatever
    state the test left it in."""
    if shutil.which("redis-server") is None:
        _unavailable("redis-server (apt-get install redis-server) for a broker of the test's own")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def e2e_database_url(django_db_blocker) -> str:
    """The test database's URL, for a process or connection of the test's own."""
    with django_db_blocker.unblock():
        return test_database_url()


@pytest.fixture
def shared_broker() -> str:
    """The e2e tests' database of the machine's Redis, checked: for tests that need a broker
    but do not stop it (a queue of their own keeps them apart)."""
    url = broker_url()
    reason = _broker_unreachable(url)
    if reason:
        _unavailable(f"the Celery broker at {url} ({reason}); set TEST_CELERY_BROKER_URL")
    return url


@pytest.fixture
def celery_processes(e2e_database_url, tmp_path):
    """`start(kind, broker, queue, **env)`: a worker or beat of this test, stopped at its end.

    For tests that kill, slow or reconfigure a worker: the session's worker is left alone.
    """
    database_url = e2e_database_url
    started: list[CeleryWorker] = []

    def start(kind: str, *, broker: str, queue: str, **env: str) -> CeleryWorker:
        directory = tmp_path / f"{kind}-{len(started)}"
        directory.mkdir()
        common = {
            "broker": broker,
            "queue": queue,
            "database_url": env.pop("DATABASE_URL", database_url),
        }
        if kind == "beat":
            process = start_beat(directory=directory, **common, **env)
        else:
            process = start_worker(log_path=directory / "worker.log", **common, **env)
        started.append(process)
        return process

    start.started = started  # for the failure report's logs
    yield start
    for process in reversed(started):
        process.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the worker's log to a failing e2e test's report: the other half of the story."""
    outcome = yield
    report = outcome.get_result()
    funcargs = getattr(item, "funcargs", {})
    if not report.failed:
        return
    worker = funcargs.get("celery_worker")
    if worker is not None:
        report.sections.append(("celery worker log", worker.log()[-20000:]))
    for process in getattr(funcargs.get("celery_processes"), "started", []):
        report.sections.append((f"celery {process.hostname} log", process.log()[-12000:]))


# --- HTTP -----------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


@dataclass
class Http:
    """A tiny client over urllib (no extra dependency): JSON, multipart and a bearer token."""

    base_url: str
    token: str | None = None
    timeout: float = 10.0
    history: list[str] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body=None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        data: dict[str, str] | None = None,
    ) -> Response:
        url = path if path.startswith("http") else self.base_url.rstrip("/") + path
        headers = {"Accept": "application/json"}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif files is not None or data is not None:
            body, headers["Content-Type"] = _multipart(data or {}, files or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        self.history.append(f"{method} {url}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, body=None, **kwargs) -> Response:
        return self.request("POST", path, json_body=body, **kwargs)

    def login(self, username: str, password: str) -> Http:
        """Sign in through the token endpoint, as a phone does; a client carrying the token."""
        response = self.post("/api/v1/auth/token/", {"username": username, "password": password})
        assert response.status == 200, response.text
        return Http(self.base_url, token=response.json()["access"])


def _multipart(data: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = f"touchpoint-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in data.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + str(value).encode()
            + b"\r\n"
        )
    for name, (filename, content, content_type) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def http(live_server) -> Http:
    """An anonymous client of the live server; `.login()` gives a signed-in one."""
    return Http(live_server.url)
