"""Attaching photos to a submission, one request per photo so a phone retries just one."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.errors import Conflict, InvalidInput, PayloadTooLarge, UnsupportedMedia
from audits.images import PhotoRejected, ProcessedPhoto, process_photo
from audits.models import Photo, Submission, SubmissionStatus
from audits.services.submissions import answers_as_data, submission_queue_for_scoring
from scoring.answers import photo_item_error


def _read_upload(upload: UploadedFile) -> bytes:
    if upload.size is not None and upload.size > settings.PHOTO_MAX_BYTES:
        raise PayloadTooLarge(
            f"image: the file is {upload.size} bytes; the limit is {settings.PHOTO_MAX_BYTES}.",
            attr="image",
        )
    return upload.read()


def _process(data: bytes) -> ProcessedPhoto:
    """Decode, check and strip the photo, turning refusals into the matching 4xx."""
    try:
        return process_photo(
            data, max_bytes=settings.PHOTO_MAX_BYTES, max_pixels=settings.PHOTO_MAX_PIXELS
        )
    except PhotoRejected as exc:
        if exc.code == "too_large":
            raise PayloadTooLarge(f"image: {exc.message}", attr="image") from exc
        if exc.code == "unsupported_format":
            raise UnsupportedMedia(f"image: {exc.message}", attr="image") from exc
        raise InvalidInput.field("image", exc.message, code=exc.code) from exc


def _stored_photo(submission: Submission, client_id: uuid.UUID) -> Photo | None:
    """The photo this phone already sent under `client_id`, if any (a retry)."""
    return submission.photos.filter(client_id=client_id).first()


def _replay_or_conflict(existing: Photo, sha256: str) -> tuple[Photo, bool]:
    if existing.sha256 != sha256:
        raise Conflict("This photo client_id was already used for a different image.")
    return existing, False


def _aware(value: datetime | None, tz_name: str) -> datetime | None:
    """EXIF times often lack an offset: read them in the branch's time zone."""
    if value is None or timezone.is_aware(value):
        return value
    import zoneinfo

    return value.replace(tzinfo=zoneinfo.ZoneInfo(tz_name))


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
        photo_files_discard(photo)
        raise
    return photo


def photo_files_discard(photo: Photo) -> None:
    """Delete a photo's stored files whose row was never kept (an insert that lost a race, a
    transaction rolled back): storage is not transactional, so nothing else would."""
    for field in (photo.image, photo.thumbnail):
        if field.name:
            field.storage.delete(field.name)


def photo_attach(
    *, submission: Submission, client_id: uuid.UUID, upload: UploadedFile, item: str = ""
) -> tuple[Photo, bool]:
    """Store one photo of a submission; returns (photo, created).

    The same client_id with the same bytes is a replay (200), with other bytes a conflict
    (409). When the last announced photo arrives the submission is queued for scoring.
    """
    data = _read_upload(upload)
    sha256 = hashlib.sha256(data).hexdigest()
    existing = _stored_photo(submission, client_id)
    if existing is not None:
        return _replay_or_conflict(existing, sha256)
    if item:
        answers = answers_as_data(list(submission.answers.all()))
        problem = photo_item_error(submission.assignment.checklist.checklist, answers, item)
        if problem:
            raise InvalidInput({"item": [problem]})

    processed = _process(data)  # CPU-heavy: done before any row is locked
    stored: Photo | None = None
    try:
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
            if received + 1 == locked.photo_count and (
                locked.status == SubmissionStatus.AWAITING_MEDIA
            ):
                submission_queue_for_scoring(submission=locked)
    except IntegrityError:
        # Another retry of the same photo won the race: this copy's files go, theirs stay.
        if stored is not None:
            photo_files_discard(stored)
        existing = _stored_photo(submission, client_id)
        if existing is None:
            raise
        return _replay_or_conflict(existing, sha256)
    except BaseException:
        if stored is not None:  # the row was rolled back after its files were written
            photo_files_discard(stored)
        raise
    return stored, True
