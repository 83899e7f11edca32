"""`manage.py check --deploy` is clean with the production environment the README shows
(issue 12: it warned about HSTS, SSL redirect and secure cookies, and no setting turned them
on). The environment is read from the README's block, so the two cannot drift apart."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_production_environment() -> dict[str, str]:
    """The variables of the README's "Production environment" block, $(...) evaluated."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Production environment", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    env: dict[str, str] = {}
    for line in block.splitlines():
        if not line.startswith("export "):
            continue
        # The one command substitution there makes a key, as the shell would.
        line = re.sub(r"\$\(python3 -c '[^']*'\)", secrets.token_urlsafe(50), line)
        for assignment in shlex.split(line[len("export ") :], posix=True):
            name, _, value = assignment.partition("=")
            env[name] = value
    return env


def test_the_readme_block_sets_the_https_settings():
    env = readme_production_environment()
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE"):
        assert name in env
    assert env["DEBUG"] == "false"


def _check_deploy(environment: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, **environment, "DJANGO_SETTINGS_MODULE": "backend.settings"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}"  # no server needed
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_the_readme_production_environment(tmp_path):
    result = _check_deploy(readme_production_environment(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_the_https_settings_check_deploy_warns(tmp_path):
    env = readme_production_environment()
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE"):
        env.pop(name)
    result = _check_deploy(env, tmp_path)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # HSTS
