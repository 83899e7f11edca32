#!/usr/bin/env python3
"""One entry point for a fresh machine that has only Python 3.11+.

    python3 dev.py demo   # install, migrate, load demo data, serve on http://127.0.0.1:8000/
    python3 dev.py test   # install, run the whole test suite (extra arguments go to pytest)
    python3 dev.py lint   # install, run ruff (lint and format) and the import contracts

Each makes `.venv/` beside this file and installs the project into it (again only when
pyproject.toml changes). The demo runs on the embedded default: a SQLite file under var/
and Celery tasks in-process, so there is no server to install. Only the standard library is
used here, because nothing else exists yet when it first runs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".touchpoint-installed"
DEMO_ADDRESS = os.environ.get("DEMO_ADDRESS", "127.0.0.1:8000")


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    """Run a command from the project root; stop with its exit code if it fails."""
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def ensure_installed() -> None:
    """Create the virtualenv and install the project with its dev extras, once per pyproject."""
    if sys.version_info < (3, 11):  # noqa: UP036 - runs before the venv, on any python3
        sys.exit(f"Touchpoint needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating {VENV.relative_to(ROOT)} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    print("Installing Touchpoint and its dependencies ...", flush=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def demo_env() -> dict[str, str]:
    """The embedded default: SQLite, in-process tasks, debug on, a local-only secret."""
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    env.setdefault("SECRET_KEY", "touchpoint-demo-only-not-for-production")
    env.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    return env


def demo(extra: list[str]) -> None:
    env = demo_env()
    run(PYTHON, "manage.py", "migrate", "--no-input", env=env)
    run(PYTHON, "manage.py", "seed_demo", *extra, env=env)
    password = env.get("DEMO_PASSWORD", "touchpoint-demo")
    print(
        f"\nTouchpoint is starting at http://{DEMO_ADDRESS}/\n"
        f"  API:          http://{DEMO_ADDRESS}/api/v1/\n"
        f"  OpenAPI docs: http://{DEMO_ADDRESS}/api/docs/\n"
        f"  Admin:        http://{DEMO_ADDRESS}/admin/\n"
        f"  Logins (password {password}): shopper, owner, hq, reviewer, admin\n",
        flush=True,
    )
    run(PYTHON, "manage.py", "runserver", DEMO_ADDRESS, env=env)


def test(extra: list[str]) -> None:
    run(PYTHON, "-m", "pytest", *extra)


def lint(extra: list[str]) -> None:
    """Every linter CI runs, each even when an earlier one fails; exit 1 if any failed."""
    checks = [
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
        ("lint-imports", "--no-logo"),
    ]
    failed = []
    for tool, *args in checks:
        print(f"$ {tool} {' '.join(args)}", flush=True)
        if subprocess.run([str(BIN / tool), *args], cwd=ROOT).returncode != 0:
            failed.append(" ".join([tool, *args]))
    if failed:
        sys.exit("lint failed: " + "; ".join(failed))


COMMANDS = {"demo": demo, "test": test, "lint": lint}


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in COMMANDS:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(COMMANDS)}}} [arguments]")
    ensure_installed()
    COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
