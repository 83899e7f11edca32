"""Owners' evidence photos (issue 13): for an open appeal, or an action before head office
signs it off, through the shoppers' photo pipeline: idempotent on client_id, bombs and
non-images refused, EXIF stripped, downloads only to those who read the appeal or action, a
trail event each, and nothing stored when a request fails."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from audits.models import Action, Event, EventKind, EvidencePhoto
from audits.services.appeals import AppealedItem, ItemDecision, appeal_decide, appeal_open
from audits.services.evidence import MAX_EVIDENCE
from support.factories import good_answers
from support.helpers import client_for, scored_submission
from support.images import BLUE, RED, encode, exif_with_evidence, picture, png_bomb_header

pytestmark = pytest.mark.django_db


def _jpeg(color=BLUE) -> bytes:
    return encode(picture(color), "JPEG", exif=exif_with_evidence(), quality=90)


def _file(data: bytes, name: str = "fix.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def _upload(user, url: str, data: bytes, client_id: uuid.UUID | None = None):
    body = {"image": _file(data), "client_id": str(client_id or uuid.uuid4())}
    return client_for(user).post(url, body, format="multipart")


def _download(user, url: str):
    return client_for(user).get(url)


def _stored_files() -> set[str]:
    root = Path(storages["photos"].location) / "evidence"
    # The tests' media folder outlives each test's rolled-back rows: compare before and after.
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def failing_audit(world):
    """A released audit of owner_a's branch that failed the critical item `courteous`."""
    return scored_submission(world, answers=good_answers(courteous=False))


@pytest.fixture
def appeal(world, failing_audit):
    opened, _ = appeal_open(
        audit=failing_audit,
        by=world.owner_a,
        client_id=uuid.uuid4(),
        items=[AppealedItem(item="courteous", reason="The CCTV shows a greeting.")],
    )
    return opened


@pytest.fixture
def action(failing_audit) -> Action:
    return Action.objects.get(submission=failing_audit, item="courteous")


def test_an_appeal_photo_is_stored_stripped_and_shown_on_the_appeal(world, appeal):
    url = f"/api/v1/appeals/{appeal.pk}/photos/"
    client_id = uuid.uuid4()
    sent = _upload(world.owner_a, url, _jpeg(), client_id)
    assert sent.status_code == 201, sent.content
    photo = sent.json()
    assert set(photo) == {"id", "url", "thumbnail_url", "width", "height", "uploaded_at"}

    replay = _upload(world.owner_a, url, _jpeg(), client_id)
    assert (replay.status_code, replay.json()["id"]) == (200, photo["id"])
    clash = _upload(world.owner_a, url, _jpeg(RED), client_id)
    assert clash.status_code == 409, clash.content
    assert EvidencePhoto.objects.count() == 1

    for reader in (world.owner_a, world.hq):
        shown = client_for(reader).get(f"/api/v1/appeals/{appeal.pk}/").json()
        assert [p["id"] for p in shown["evidence"]] == [photo["id"]]
        response = _download(reader, photo["url"])
        assert response.status_code == 200
        data = b"".join(response.streaming_content)
        image = Image.open(io.BytesIO(data))
        assert (image.format, len(image.getexif())) == ("JPEG", 0)
        assert b"iPhone" not in data
    assert _download(world.owner_b, photo["url"]).status_code == 404
    assert _download(world.shopper, photo["thumbnail_url"]).status_code == 404

    [added] = Event.objects.filter(kind=EventKind.EVIDENCE_ADDED)
    assert (added.appeal_id, added.role, added.by_id) == (appeal.pk, "owner", world.owner_a.pk)
    trail = client_for(world.owner_a).get(f"/api/v1/audits/{appeal.submission_id}/trail/")
    assert "evidence_added" in [e["kind"] for e in trail.json()["results"]]


def test_bombs_and_non_images_are_refused_and_nothing_is_stored(world, appeal):
    files_before = _stored_files()
    url = f"/api/v1/appeals/{appeal.pk}/photos/"
    bomb = _upload(world.owner_a, url, png_bomb_header(100_000, 100_000))
    assert bomb.status_code == 400, bomb.content
    assert bomb.json()["errors"][0] | {"detail": ""} == {
        "attr": "image",
        "code": "too_many_pixels",
        "detail": "",
    }
    text = _upload(world.owner_a, url, b"not an image at all")
    assert text.status_code == 415, text.content
    assert EvidencePhoto.objects.count() == 0
    assert _stored_files() == files_before


def test_a_decided_appeal_takes_no_more_evidence(world, appeal):
    appeal_decide(
        appeal=appeal,
        by=world.hq,
        decisions=[ItemDecision(item="courteous", upheld=False, reason="Stands.")],
    )
    late = _upload(world.owner_a, f"/api/v1/appeals/{appeal.pk}/photos/", _jpeg())
    assert late.status_code == 409
    assert late.json()["errors"][0]["code"] == "evidence_closed"


def test_an_appeal_takes_at_most_the_limit(world, appeal):
    url = f"/api/v1/appeals/{appeal.pk}/photos/"
    for i in range(MAX_EVIDENCE):
        assert _upload(world.owner_a, url, _jpeg((i, 0, 0))).status_code == 201
    over = _upload(world.owner_a, url, _jpeg(RED))
    assert over.status_code == 409
    assert over.json()["errors"][0]["code"] == "evidence_closed"
    assert EvidencePhoto.objects.filter(appeal=appeal).count() == MAX_EVIDENCE


def test_an_action_is_completed_with_photos_in_one_request_and_verified(world, action):
    body = {"note": "Retrained the team.", "photos": [_file(_jpeg()), _file(_jpeg(RED))]}
    done = client_for(world.owner_a).post(
        f"/api/v1/actions/{action.pk}/complete/", body, format="multipart"
    )
    assert done.status_code == 200, done.content
    row = done.json()
    assert (row["status"], row["notes"], len(row["evidence"])) == (
        "completed",
        "Retrained the team.",
        2,
    )
    listed = client_for(world.hq).get(f"/api/v1/actions/{action.pk}/").json()
    assert [p["id"] for p in listed["evidence"]] == [p["id"] for p in row["evidence"]]
    assert _download(world.hq, row["evidence"][0]["url"]).status_code == 200
    verified = client_for(world.hq).post(
        f"/api/v1/actions/{action.pk}/verify/", {"reason": "The photos show it."}, format="json"
    )
    assert verified.status_code == 200, verified.content
    assert (verified.json()["status"], len(verified.json()["evidence"])) == ("verified", 2)
    kinds = list(Event.objects.filter(action=action).values_list("kind", flat=True))
    assert kinds == [
        "action_opened",
        "action_completed",
        "evidence_added",
        "evidence_added",
        "action_verified",
    ]


def test_a_refused_completion_photo_changes_nothing(world, action):
    files_before = _stored_files()
    body = {"note": "Done.", "photos": [_file(_jpeg()), _file(b"<svg/>", "x.svg")]}
    refused = client_for(world.owner_a).post(
        f"/api/v1/actions/{action.pk}/complete/", body, format="multipart"
    )
    assert refused.status_code == 415, refused.content
    assert refused.json()["errors"][0]["attr"] == "photos.1"
    action.refresh_from_db()
    assert (action.status, EvidencePhoto.objects.count()) == ("open", 0)
    assert _stored_files() == files_before


def test_a_completion_that_is_not_allowed_keeps_none_of_its_photos(world, action):
    files_before = _stored_files()
    first = client_for(world.owner_a).post(
        f"/api/v1/actions/{action.pk}/complete/", {"note": "Done."}, format="json"
    )
    assert first.status_code == 200
    again = client_for(world.owner_a).post(
        f"/api/v1/actions/{action.pk}/complete/",
        {"note": "Done.", "photos": [_file(_jpeg())]},
        format="multipart",
    )
    assert again.status_code == 409
    assert (EvidencePhoto.objects.count(), _stored_files()) == (0, files_before)


def test_photos_may_follow_a_completion_until_head_office_verifies(world, action):
    url = f"/api/v1/actions/{action.pk}/photos/"
    client_for(world.owner_a).post(
        f"/api/v1/actions/{action.pk}/complete/", {"note": "Done."}, format="json"
    )
    assert _upload(world.owner_a, url, _jpeg()).status_code == 201
    client_for(world.hq).post(
        f"/api/v1/actions/{action.pk}/verify/", {"reason": "Seen."}, format="json"
    )
    late = _upload(world.owner_a, url, _jpeg(RED))
    assert late.status_code == 409
    assert late.json()["errors"][0]["code"] == "evidence_closed"


def test_the_retry_that_loses_the_race_leaves_no_file_and_replays(world, appeal, monkeypatch):
    """Two retries of one photo: the loser's look-up ran before the winner committed, so its
    insert hits the unique client_id; it answers the winner's row and deletes its files."""
    from audits.services import evidence as evidence_services

    client_id = uuid.uuid4()
    winner, created = evidence_services.evidence_attach(
        parent=appeal, by=world.owner_a, client_id=client_id, upload=_file(_jpeg())
    )
    assert created
    files_before = _stored_files()
    real_lookup = evidence_services._stored_evidence
    misses = iter([None])
    monkeypatch.setattr(
        evidence_services,
        "_stored_evidence",
        lambda p, c: next(misses, None) or real_lookup(p, c),
    )
    replay, created = evidence_services.evidence_attach(
        parent=appeal, by=world.owner_a, client_id=client_id, upload=_file(_jpeg())
    )
    assert (replay.pk, created) == (winner.pk, False)
    assert _stored_files() == files_before
    assert EvidencePhoto.objects.filter(appeal=appeal).count() == 1
