"""The one path every uploaded image takes: bounded read, decode and strip, stored once.

Shoppers' photos (`photos.photo_attach`) and owners' evidence (`evidence.evidence_attach`)
both go through here, so both refuse the same bombs and oversized files with the same 4xx,
keep no EXIF, and treat a retry under the same `client_id` the same way: the same bytes are a
replay (200), other bytes a conflict (409), and a retry racing its twin stores one row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol, TypeVar

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError
from django.db.models.fields.files import FieldFile

from audits.errors import Conflict, InvalidInput, PayloadTooLarge, UnsupportedMedia
from audits.images import PhotoRejected, ProcessedPhoto, process_photo


class StoredImageRow(Protocol):
    sha256: str
    image: FieldFile
    thumbnail: FieldFile


Row = TypeVar("Row", bound=StoredImageRow)


def read_upload(upload: UploadedFile, attr: str = "image") -> bytes:
    """The upload's bytes, refused (413 on `attr`) before reading when it says it is too big."""
    if upload.size is not None and upload.size > settings.PHOTO_MAX_BYTES:
        raise PayloadTooLarge(
            f"{attr}: the file is {upload.size} bytes; the limit is {settings.PHOTO_MAX_BYTES}.",
            attr=attr,
        )
    return upload.read()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def process_upload(data: bytes, attr: str = "image") -> ProcessedPhoto:
    """Decode, check and strip the image, turning refusals into the matching 4xx on `attr`."""
    try:
        return process_photo(
            data, max_bytes=settings.PHOTO_MAX_BYTES, max_pixels=settings.PHOTO_MAX_PIXELS
        )
    except PhotoRejected as exc:
        if exc.code == "too_large":
            raise PayloadTooLarge(f"{attr}: {exc.message}", attr=attr) from exc
        if exc.code == "unsupported_format":
            raise UnsupportedMedia(f"{attr}: {exc.message}", attr=attr) from exc
        raise InvalidInput.field(attr, exc.message, code=exc.code) from exc


def files_discard(row: StoredImageRow) -> None:
    """Delete a row's stored files when the row itself was not kept (an insert that lost a
    race, a transaction rolled back): storage is not transactional, so nothing else would."""
    for field in (row.image, row.thumbnail):
        if field.name:
            field.storage.delete(field.name)


def replay_or_conflict(existing: Row, sha256: str) -> tuple[Row, bool]:
    if existing.sha256 != sha256:
        raise Conflict("This client_id was already used for a different image.")
    return existing, False


def store_once(
    *, sha256: str, find: Callable[[], Row | None], store: Callable[[list[Row]], Row]
) -> tuple[Row, bool]:
    """Store an image at most once under its client_id; returns (row, created).

    `find` looks the client_id up; `store` checks, processes and inserts, appending each row
    whose files it wrote to the list it is given, so that their files are deleted if its
    transaction fails. An insert that loses the race to a twin retry answers the twin's row.
    """
    existing = find()
    if existing is not None:
        return replay_or_conflict(existing, sha256)
    written: list[Row] = []
    try:
        return store(written), True
    except IntegrityError:
        for row in written:
            files_discard(row)
        existing = find()
        if existing is None:
            raise
        return replay_or_conflict(existing, sha256)
    except BaseException:
        for row in written:
            files_discard(row)
        raise
