"""Schemathesis against the live schema, as every role: no 5xx, no response off the schema.

Where the other contract tests check the flows we thought of, schemathesis generates the
requests we did not: for every operation of `/api/schema/` it sends the document's examples,
the boundaries of every parameter and body (the coverage phase), random valid and invalid
data (fuzzing) and chains of calls that use what earlier calls returned (stateful). Every
check is on: no server error; statuses, content types, headers and bodies as documented;
invalid data refused and valid data accepted; no resource used after its deletion; an
operation that needs a sign-in refusing a request without one.

It runs the schemathesis command line, as an integrator would, against a live server of this
test (a thread of the pytest process, on the test database, committed data) once per role:
anonymous, shopper, owner, head office and reviewer, each with a token of its own. Every
response is also checked by the suite's own strict validator (`support.openapi`).

The run is bounded and repeatable: a fixed seed, `MAX_EXAMPLES` fuzzed cases an operation
on top of the coverage phase's boundary and invalid values of every parameter and body (most
of the cases: about 3,000 a role, 14,900 in all, 3 minutes on this 2-core machine with three
roles at a time). A larger run, for a quieter moment:
`SCHEMATHESIS_MAX_EXAMPLES=200 pytest tests/contract/test_schemathesis.py -s` (`-s` prints
each role's count of cases).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from support.factories import PhotoFactory
from support.helpers import scored_submission

# PostgreSQL: the edges schemathesis probes (NUL, bigint bounds, offsets) are the production
# database's; SQLite answers some of them differently.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))
PHASES = os.environ.get("SCHEMATHESIS_PHASES", "examples,coverage,fuzzing,stateful")
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "1"))
ROLES = ["anonymous", "shopper", "owner", "head_office", "reviewer"]
CONCURRENT_ROLES = int(os.environ.get("SCHEMATHESIS_CONCURRENT_ROLES", "3"))
# What a refusal may be. `positive_data_acceptance` asks that data valid by the schema be
# accepted, and the schema cannot say everything the rules refuse (an assignment that is not
# the caller's, a visit already sent, a state change that is illegal now): those are 4xx by
# design, each in the error shape (which response_schema_conformance checks).
# An upload the schema calls binary may still not be an image (415).
EXPECTED_STATUSES = ["200", "201", "204", "400", "401", "403", "404", "409", "413", "415", "429"]
# The coverage phase sends every method a path lacks; these are the ones clients send by
# mistake (OPTIONS has its own test; TRACE and QUERY add hundreds of requests a role).
UNEXPECTED_METHODS = ["get", "post", "put", "patch", "delete"]


@pytest.fixture
def generous_rates(settings):
    """Rates no bounded run reaches: the fuzzer is one account sending thousands of requests.

    Throttling itself has its own tests (tests/throttling); here a 429 would hide what the
    request behind it would have answered.
    """
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(
            settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min"
        ),
    }


@pytest.fixture
def seeded(world):
    """A brand with released, scored and photographed visits, so ids in the schema's
    examples and the stateful phase's links find real rows for some roles and not others."""
    released = scored_submission(world)
    scored_submission(world, branch=world.branch_b1, release=False)
    PhotoFactory(submission=released, item="storefront")
    return world


def _config(path: Path) -> Path:
    """The run's schemathesis.toml: every check on, with the statuses a refusal may take."""
    statuses = ", ".join(f'"{status}"' for status in EXPECTED_STATUSES)
    methods = ", ".join(f'"{method}"' for method in UNEXPECTED_METHODS)
    path.write_text(
        f"[checks.positive_data_acceptance]\nexpected-statuses = [{statuses}]\n"
        '[checks.missing_required_header]\nexpected-statuses = ["401", "403", "406"]\n'
        f"[phases.coverage]\nunexpected-methods = [{methods}]\n"
    )
    return path


def _token(world, role: str) -> str | None:
    user = {
        "anonymous": None,
        "shopper": world.shopper,
        "owner": world.owner_a,
        "head_office": world.hq,
        "reviewer": world.reviewer,
    }[role]
    return None if user is None else str(AccessToken.for_user(user))


def _run(role: str, world, schema_url: str, directory: Path) -> tuple[str, int, str]:
    """One role's schemathesis CLI run: (role, exit code, output)."""
    directory.mkdir()
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(_config(directory / "schemathesis.toml")),
        "run",
        schema_url,
        "--checks",
        "all",
        "--phases",
        PHASES,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-dir",
        str(directory),
    ]
    token = _token(world, role)
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=900)
    return role, completed.returncode, completed.stdout + completed.stderr


def test_generated_requests_get_no_5xx_and_no_off_schema_answer(
    seeded, live_server, generous_rates, tmp_path
):
    """Every role's run at once, CONCURRENT_ROLES at a time: the live server (one Python
    process) and the schemathesis clients then use both cores, where one run after another
    left one idle (355 s for five roles in turn)."""
    schema_url = f"{live_server.url}/api/schema/?format=json"
    with ThreadPoolExecutor(max_workers=CONCURRENT_ROLES) as pool:
        runs = list(pool.map(lambda role: _run(role, seeded, schema_url, tmp_path / role), ROLES))
    failed = []
    for role, returncode, output in runs:
        cases = re.search(r"Test cases:\s*\n\s*(.+)", output)
        print(f"schemathesis as {role}: {cases.group(1) if cases else 'no summary'}")
        if returncode != 0:
            failed.append(f"schemathesis as {role}:\n{output[-15000:]}")
    assert not failed, "\n\n".join(failed)
