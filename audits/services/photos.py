"""Attaching photos to a submission, one request per photo so a phone retries just one."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from audits.errors import Conflict, InvalidInput
from audits.images import ProcessedPhoto
from audits.models import Photo, Submission, SubmissionStatus
from audits.services.submissions import answers_as_data, submission_queue_for_scoring
from audits.services.uploads import (
    files_discard,
    process_upload,
    read_upload,
    sha256_of,
    store_once,
)
from scoring.answers import photo_item_error


def _aware(value: datetime | None, tz_name: str) -> datetime | None:
    """EXIF times often lack an offset: read them in the branch's time zone."""
    if value is None or timezone.is_aware(value):
        return value
    import zoneinfo

    return value.replace(tzinfo=zoneinfo.ZoneInfo(tz_name))


def _stored_photo(submission: Submission, client_id: uuid.UUID) -> Photo | None:
    """The photo this phone already sent under `client_id`, if any (a retry)."""
    return submission.photos.filter(client_id=client_id).first()


def photo_store(
    *,
    submission: Submission,
    client_id: uuid.UUID,
    item: str,
    processed: ProcessedPhoto,
    original_bytes: int,
) -> Photo:
    """Save a processed image and its thumbnail to storage and insert its Photo row.

    The fields come from the processing (hash, size, format, EXIF time and place, a time
    without an offset read in the branch's time zone) and the checklist item (`staff_only`). No
    checks: `photo_attach` makes them for an upload; the demo data stores its drawn photos
    through here too.
    """
    checklist_item = next(
        (i for i in submission.assignment.checklist.checklist.items() if i.key == item), None
    )
    photo = Photo(
        submission=submission,
        client_id=client_id,
        item=item,
        staff_only=bool(checklist_item and checklist_item.staff_only),
        sha256=processed.sha256,
        perceptual_hash=processed.perceptual_hash,
        width=processed.width,
        height=processed.height,
        original_format=processed.original_format,
        original_bytes=original_bytes,
        taken_at=_aware(processed.taken_at, submission.assignment.branch.timezone),
        gps_latitude=processed.latitude,
        gps_longitude=processed.longitude,
    )
    photo.image.save("photo.jpg", ContentFile(processed.image_jpeg), save=False)
    photo.thumbnail.save("thumb.jpg", ContentFile(processed.thumbnail_jpeg), save=False)
    try:
        photo.save()
    except BaseException:
        files_discard(photo)
        raise
    return photo


def photo_attach(
    *, submission: Submission, client_id: uuid.UUID, upload: UploadedFile, item: str = ""
) -> tuple[Photo, bool]:
    """Store one photo of a submission; returns (photo, created).

    The same client_id with the same bytes is a replay (200), with other bytes a conflict
    (409). When the last announced photo arrives the submission is queued for scoring.
    """
    data = read_upload(upload)

    def store(written: list[Photo]) -> Photo:
        if item:
            answers = answers_as_data(list(submission.answers.all()))
            problem = photo_item_error(submission.assignment.checklist.checklist, answers, item)
            if problem:
                raise InvalidInput({"item": [problem]})
        processed = process_upload(data)  # CPU-heavy: done before any row is locked
        with transaction.atomic():
            locked = Submission.objects.select_for_update().get(pk=submission.pk)
            received = locked.photos.count()
            if received >= locked.photo_count:
                raise Conflict(
                    f"All {locked.photo_count} announced photo(s) were already received."
                )
            stored = photo_store(
                submission=locked,
                client_id=client_id,
                item=item,
                processed=processed,
                original_bytes=len(data),
            )
            written.append(stored)
            if received + 1 == locked.photo_count and (
                locked.status == SubmissionStatus.AWAITING_MEDIA
            ):
                submission_queue_for_scoring(submission=locked)
        return stored

    return store_once(
        sha256=sha256_of(data),
        find=lambda: _stored_photo(submission, client_id),
        store=store,
    )
