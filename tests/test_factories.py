"""The visit factories make the rows the services make: same answers, files, scores and states."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.storage import storages
from PIL import Image

from audits.models import AssignmentStatus, Score, SubmissionStatus
from audits.services.scoring import submission_score
from audits.services.submissions import submission_create
from support.factories import (
    AssignmentFactory,
    PhotoFactory,
    ScoreFactory,
    SubmissionFactory,
    good_answers,
)
from support.helpers import stored_submission

pytestmark = pytest.mark.django_db


def test_a_submission_is_stored_as_the_service_stores_it():
    answers = good_answers(greeted=False, name_used="N/A")
    made = SubmissionFactory(answers=answers)
    through_service = stored_submission(AssignmentFactory(), answers=answers)

    def stored(submission):
        return [
            (a.item, a.value, a.na, a.position) for a in submission.answers.order_by("position")
        ]

    assert stored(made) == stored(through_service)
    assert made.status == through_service.status == SubmissionStatus.QUEUED
    assert made.queued_at is not None
    made.assignment.refresh_from_db()
    assert made.assignment.status == AssignmentStatus.SUBMITTED
    assert made.shopper == made.assignment.shopper


def test_its_payload_hash_makes_the_same_body_a_replay():
    made = SubmissionFactory()

    again, created = submission_create(
        shopper=made.shopper,
        assignment=made.assignment,
        client_id=made.client_id,
        started_at=made.started_at,
        finished_at=made.finished_at,
        answers=good_answers(),
        location={"latitude": made.latitude, "longitude": made.longitude, "accuracy_m": 12.0},
        photo_count=0,
    )

    assert (again, created) == (made, False)


def test_invalid_answers_are_refused():
    with pytest.raises(ValueError, match="greeted"):
        SubmissionFactory(answers=good_answers(greeted="yes please"))


def test_a_photo_is_a_real_stored_jpeg_and_thumbnail_on_the_service_path():
    photo = PhotoFactory(size=(640, 480), item="storefront")

    storage = storages["photos"]
    folder = f"photos/{photo.submission_id}/{photo.client_id}/"
    assert photo.image.name == folder + "photo.jpg"
    assert photo.thumbnail.name == folder + "thumb.jpg"
    assert storage.exists(photo.image.name) and storage.exists(photo.thumbnail.name)
    with storage.open(photo.image.name) as f:
        image = Image.open(io.BytesIO(f.read()))
        assert (image.format, image.size) == ("JPEG", (640, 480))
    with storage.open(photo.thumbnail.name) as f:
        thumbnail = Image.open(io.BytesIO(f.read()))
        assert thumbnail.format == "JPEG" and max(thumbnail.size) <= 320
    assert (photo.width, photo.height, photo.original_format) == (640, 480, "JPEG")
    assert len(photo.sha256) == 64 and photo.perceptual_hash


def test_the_last_announced_photo_queues_the_submission():
    submission = SubmissionFactory(photo_count=2)
    assert submission.status == SubmissionStatus.AWAITING_MEDIA

    PhotoFactory(submission=submission)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.AWAITING_MEDIA

    PhotoFactory(submission=submission, color=(0, 90, 200))
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.QUEUED


def test_a_score_is_the_one_the_scoring_service_writes():
    answers = good_answers(courteous=False, wait_seconds=120)
    made = ScoreFactory(submission__answers=answers)
    served = stored_submission(AssignmentFactory(), answers=answers)
    submission_score(submission_id=served.pk)
    expected = served.scores.get()

    fields = ["overall", "passed", "critical_failures", "sections", "dimensions", "items"]
    assert {f: getattr(made, f) for f in fields} == {f: getattr(expected, f) for f in fields}
    assert (made.engine_version, made.revision, made.is_current) == (
        expected.engine_version,
        0,
        True,
    )
    made.submission.refresh_from_db()
    assert made.submission.status == SubmissionStatus.SCORED
    assert made.submission.scored_at is not None
    made.submission.assignment.refresh_from_db()
    assert made.submission.assignment.status == AssignmentStatus.SCORED


def test_a_second_score_supersedes_the_first():
    first = ScoreFactory()
    second = ScoreFactory(submission=first.submission, overall=Decimal("12.50"))

    first.refresh_from_db()
    assert (first.revision, first.is_current) == (0, False)
    assert (second.revision, second.is_current, second.overall) == (1, True, Decimal("12.50"))
    assert Score.objects.filter(submission=first.submission, is_current=True).get() == second
