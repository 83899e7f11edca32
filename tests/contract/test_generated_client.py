"""A Python client generated from /api/schema/ runs the whole flow, and nothing else does.

openapi-python-client turns the OpenAPI document into typed models and one function per
operation; any shape the schema gets wrong (a required field an owner never receives, an
error code outside its enum, a body sent in three media types) fails here as it would for an
integrator. The flow goes over real HTTP to a live server: shopper login, assignments, accept,
checklist, submit, photo, poll until scored; then the owner's and head office's reads; then a
400, a 401 and a 404 parsed into the documented error model.
"""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from scoring.benchmark.periods import QUARTER, period_of
from support.factories import PASSWORD, good_answers
from support.helpers import jpeg_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PACKAGE = "touchpoint_client"
# The generator does not map image/jpeg to bytes by itself; this is its documented switch.
GENERATOR_CONFIG = "content_type_overrides:\n  image/jpeg: application/octet-stream\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Generate the client from the schema the code produces, and import it."""
    root: Path = tmp_path_factory.mktemp("client")
    schema = root / "schema.json"
    call_command(
        "spectacular", "--file", str(schema), "--format", "openapi-json", stdout=StringIO()
    )
    config = root / "config.yaml"
    config.write_text(GENERATOR_CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    completed = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Warning" not in completed.stdout, completed.stdout
    sys.path.insert(0, str(root))
    try:
        yield Generated(importlib.import_module(PACKAGE))
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class Generated:
    """The generated package: `op("v1_me_retrieve")` is an operation, `model("Me")` a model."""

    def __init__(self, package) -> None:
        self.package = package
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.types = importlib.import_module(f"{PACKAGE}.types")

    def op(self, name: str):
        return importlib.import_module(f"{PACKAGE}.api.v1.{name}")

    def model(self, name: str):
        return getattr(self.models, name)

    def client(self, base_url: str, token: str | None = None):
        if token is None:
            return self.package.Client(base_url=base_url, timeout=30)
        return self.package.AuthenticatedClient(base_url=base_url, token=token, timeout=30)

    def login(self, base_url: str, username: str, password: str = PASSWORD):
        body = self.model("TokenObtainPairRequest")(username=username, password=password)
        response = self.op("v1_auth_token_create").sync_detailed(
            client=self.client(base_url), body=body
        )
        assert response.status_code == 200, response.content
        return self.client(base_url, response.parsed.access)


def test_the_shopper_flow_through_the_generated_client(generated, world, live_server):
    g, url = generated, live_server.url
    shopper = g.login(url, world.shopper.username)

    me = g.op("v1_me_retrieve").sync(client=shopper)
    assert isinstance(me, g.model("Me")) and "shopper" in me.roles

    page = g.op("v1_assignments_list").sync(client=shopper)
    assert isinstance(page, g.model("PaginatedAssignmentList"))
    assignment = next(a for a in page.results if a.id == world.assignment.pk)
    assert assignment.submission is None  # nullable, and null until a visit is sent

    accepted = g.op("v1_assignments_accept_create").sync(client=shopper, id=assignment.id)
    assert accepted.status.value == "accepted"

    checklist = g.op("v1_checklists_retrieve").sync(client=shopper, id=assignment.checklist)
    assert isinstance(checklist, g.model("Checklist"))
    keys = {item.key for section in checklist.sections for item in section.items}

    Answer = g.model("AnswerInputRequest")
    answers = [Answer(item=a["item"], value=a["value"]) for a in good_answers()]
    assert {a.item for a in answers} <= keys
    started = timezone.now() - timedelta(hours=1)
    body = g.model("SubmissionCreateRequest")(
        client_id=uuid.uuid4(),
        assignment=assignment.id,
        started_at=started,
        finished_at=started + timedelta(minutes=20),
        location=g.model("LocationRequest")(latitude=53.79, longitude=-1.55, accuracy_m=10.0),
        photo_count=1,
        answers=answers,
    )
    created = g.op("v1_submissions_create").sync_detailed(client=shopper, body=body)
    assert created.status_code == 201, created.content
    submission = created.parsed
    assert submission.status.value == "awaiting_media"
    replay = g.op("v1_submissions_create").sync_detailed(client=shopper, body=body)
    assert replay.status_code == 200 and replay.parsed.id == submission.id

    upload = g.model("PhotoUploadRequest")(
        image=g.types.File(
            payload=io.BytesIO(jpeg_bytes()), file_name="front.jpg", mime_type="image/jpeg"
        ),
        client_id=uuid.uuid4(),
        item="storefront",
    )
    photo = g.op("v1_submissions_photos_create").sync_detailed(
        client=shopper, id=submission.id, body=upload
    )
    assert photo.status_code == 201, photo.content

    for _ in range(50):  # scoring runs on commit; a worker would take a moment longer
        read = g.op("v1_submissions_retrieve").sync(client=shopper, id=submission.id)
        if read.status.value == "scored":
            break
    assert read.status.value == "scored"
    assert read.score.overall is not None
    assert read.shopper.username == world.shopper.username
    assert read.photos[0].sha256  # the shopper sees the evidence of their own photo

    image = g.op("v1_photos_retrieve").sync_detailed(client=shopper, id=read.photos[0].id)
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"

    _head_office_releases(g, url, world, submission.id)
    _owner_reads(g, url, world, submission.id)
    _head_office_reads(g, url, world, submission.id)


def _head_office_releases(g, url: str, world, submission_id: int) -> None:
    """Quality control: the report waits in the queue until head office releases it."""
    hq = g.login(url, world.hq.username)
    queue = g.op("v1_review_queue_list").sync(client=hq)
    assert [row.id for row in queue.results] == [submission_id]
    signals = g.op("v1_submissions_signals_list").sync(client=hq, id=submission_id)
    assert {s.code for s in signals.results} == set(queue.results[0].signal_codes)
    claimed = g.op("v1_submissions_claim_create").sync_detailed(client=hq, id=submission_id)
    assert claimed.status_code == 200, claimed.content
    assert claimed.parsed.status.value == "in_review"
    decision = g.model("ReviewActionRequest").from_dict({"action": "release"})
    released = g.op("v1_submissions_review_create").sync_detailed(
        client=hq, id=submission_id, body=decision
    )
    assert released.status_code == 200, released.content
    assert released.parsed.status.value == "released"


def _owner_reads(g, url: str, world, submission_id: int) -> None:
    owner = g.login(url, world.owner_a.username)
    audits = g.op("v1_audits_list").sync(client=owner)
    audit = next(a for a in audits.results if a.id == submission_id)
    assert audit.shopper is None
    assert audit.photos and not isinstance(audit.photos[0].sha256, str)  # no evidence
    submission = g.op("v1_submissions_retrieve").sync(client=owner, id=submission_id)
    assert submission.shopper is None and submission.location is None

    card = g.op("v1_branches_scorecard_retrieve").sync(client=owner, id=world.branch_a1.pk)
    assert card.n_audits == 1

    period = period_of(timezone.now().date(), QUARTER).key
    league = g.op("v1_benchmarks_retrieve").sync(client=owner, period=period)
    assert isinstance(league, g.model("LeaguePage")), league
    assert [row.id for row in league.results] == [world.branch_a1.pk]


def _head_office_reads(g, url: str, world, submission_id: int) -> None:
    hq = g.login(url, world.hq.username)
    audit = g.op("v1_audits_retrieve").sync(client=hq, id=submission_id)
    assert audit.shopper.username == world.shopper.username
    period = period_of(timezone.now().date(), QUARTER).key
    compared = g.op("v1_benchmarks_compare_retrieve").sync(
        client=hq, branches=str(world.branch_a1.pk), period=period
    )
    assert isinstance(compared, g.model("Compare")), compared
    assert compared.branches[0].id == world.branch_a1.pk
    assert compared.branches[0].overall.n == 1


def test_errors_parse_into_the_documented_error_model(generated, world, live_server):
    g, url = generated, live_server.url
    ErrorResponse = g.model("ErrorResponse")

    wrong = g.op("v1_auth_token_create").sync_detailed(
        client=g.client(url),
        body=g.model("TokenObtainPairRequest")(username="sam", password="not-it"),
    )
    assert wrong.status_code == 401 and isinstance(wrong.parsed, ErrorResponse)
    assert wrong.parsed.errors[0].code.value == "no_active_account"

    anonymous = g.op("v1_me_retrieve").sync_detailed(client=g.client(url, "not-a-jwt"))
    assert anonymous.status_code == 401 and isinstance(anonymous.parsed, ErrorResponse)
    assert anonymous.parsed.errors[0].code.value == "token_not_valid"

    shopper = g.login(url, world.shopper.username)
    started = timezone.now()
    bad = g.model("SubmissionCreateRequest")(
        client_id=uuid.uuid4(),
        assignment=world.assignment.pk,
        started_at=started,
        finished_at=started - timedelta(minutes=5),
        answers=[g.model("AnswerInputRequest")(item="greeted", value="maybe")],
    )
    invalid = g.op("v1_submissions_create").sync_detailed(client=shopper, body=bad)
    assert invalid.status_code == 400 and isinstance(invalid.parsed, ErrorResponse)
    assert invalid.parsed.type_.value == "validation_error"
    assert invalid.parsed.errors[0].attr == "finished_at"

    missing = g.op("v1_submissions_retrieve").sync_detailed(client=shopper, id=999_999)
    assert missing.status_code == 404 and isinstance(missing.parsed, ErrorResponse)
    assert missing.parsed.errors[0].code.value == "not_found"
