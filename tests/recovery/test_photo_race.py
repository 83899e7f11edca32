"""A photo race leaves no orphan file (issue 12: ten racing retries of one photo left two files
in storage with no row). The race is made deterministic: the retry's look-up misses the row
the other request stores an instant later, so its insert hits the unique client_id."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import Photo
from audits.services import photos as photo_services
from support.factories import jpeg_bytes
from support.helpers import stored_submission

pytestmark = pytest.mark.django_db


def _files() -> set[Path]:
    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


def _upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg")


def test_the_retry_that_loses_the_race_leaves_no_file_and_replays(world, monkeypatch):
    submission = stored_submission(world.assignment, photo_count=2)
    client_id = uuid.uuid4()
    winner, created = photo_services.photo_attach(
        submission=submission, client_id=client_id, upload=_upload()
    )
    assert created
    before = _files()
    real_lookup = photo_services._stored_photo
    misses = iter([None])  # the loser's first look-up ran before the winner committed
    monkeypatch.setattr(
        photo_services, "_stored_photo", lambda s, c: next(misses, None) or real_lookup(s, c)
    )
    replay, created = photo_services.photo_attach(
        submission=submission, client_id=client_id, upload=_upload()
    )
    assert (replay.pk, created) == (winner.pk, False)
    assert _files() == before, "the losing copy's image and thumbnail must be deleted"
    assert Photo.objects.filter(submission=submission).count() == 1


def test_a_rolled_back_photo_leaves_no_file(world, monkeypatch):
    submission = stored_submission(world.assignment, photo_count=1)
    before = _files()

    def broken_queue(**kwargs):
        raise RuntimeError("the commit failed")

    monkeypatch.setattr(photo_services, "submission_queue_for_scoring", broken_queue)
    with pytest.raises(RuntimeError):
        photo_services.photo_attach(submission=submission, client_id=uuid.uuid4(), upload=_upload())
    assert _files() == before
    assert not Photo.objects.filter(submission=submission).exists()
