"""Evidence photos from owners: for an open appeal, or an action the branch still owes.

They take the shoppers' photo path (`audits.services.uploads`): bombs and oversized files are
refused, EXIF is stripped and nothing of it kept, and a retry under the same `client_id` is a
replay. Each one is a trail event (owners read theirs); none is staff-only, since the owner
took it. An action's photos may also come with its completion (`actions.action_complete`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from audits.errors import EvidenceClosed
from audits.images import ProcessedPhoto
from audits.models import (
    OWED_STATUSES,
    Action,
    Appeal,
    AppealStatus,
    EventKind,
    EvidencePhoto,
    User,
)
from audits.services import trail
from audits.services.uploads import (
    files_discard,
    process_upload,
    read_upload,
    sha256_of,
    store_once,
)

MAX_EVIDENCE = 10  # photos per appeal or action: enough to show a fix, not an album
COMPLETION_MAX_PHOTOS = 3  # sent with a completion, in one request; more one at a time
Parent = Appeal | Action

# Completion photos have no client_id from the phone: one is derived from the action and the
# bytes, so the same photo sent twice is stored once.
_COMPLETION_PHOTOS = uuid.UUID("6f1d3b1e-5a43-4c1e-9a7e-2f0c8f8b6a10")


@dataclass(frozen=True)
class PreparedPhoto:
    """An upload read, hashed and stripped: the CPU-heavy part, done before any lock."""

    sha256: str
    original_bytes: int
    processed: ProcessedPhoto


def evidence_prepare(upload: UploadedFile, attr: str = "image") -> PreparedPhoto:
    data = read_upload(upload, attr)
    return PreparedPhoto(sha256_of(data), len(data), process_upload(data, attr))


def _brand_and_audit(parent: Parent) -> tuple[int, int]:
    if isinstance(parent, Appeal):
        return parent.submission.assignment.branch.brand_id, parent.submission_id
    return parent.branch.brand_id, parent.submission_id


def _check_takes_evidence(parent: Parent, adding: int = 1) -> None:
    """Only an open appeal, or an action head office has not verified; at most MAX_EVIDENCE."""
    if isinstance(parent, Appeal) and parent.status != AppealStatus.OPEN:
        raise EvidenceClosed("This appeal is decided: it takes no more evidence.")
    if isinstance(parent, Action) and parent.status not in OWED_STATUSES:
        raise EvidenceClosed(f"This action is {parent.status}: it takes no more evidence.")
    held = parent.evidence.count()
    if held + adding > MAX_EVIDENCE:
        raise EvidenceClosed(
            f"This {type(parent).__name__.lower()} has {held} of its {MAX_EVIDENCE} evidence "
            "photos already."
        )


def evidence_store(
    *, parent: Parent, by: User, client_id: uuid.UUID, prepared: PreparedPhoto
) -> EvidencePhoto:
    """Save the stripped image and its thumbnail, insert the row and record the event. No
    checks (the callers make them, under the parent's row lock)."""
    photo = EvidencePhoto(
        appeal=parent if isinstance(parent, Appeal) else None,
        action=parent if isinstance(parent, Action) else None,
        uploaded_by=by,
        client_id=client_id,
        sha256=prepared.processed.sha256,
        width=prepared.processed.width,
        height=prepared.processed.height,
        original_format=prepared.processed.original_format,
        original_bytes=prepared.original_bytes,
    )
    photo.image.save("photo.jpg", ContentFile(prepared.processed.image_jpeg), save=False)
    photo.thumbnail.save("thumb.jpg", ContentFile(prepared.processed.thumbnail_jpeg), save=False)
    try:
        photo.save()
    except BaseException:
        files_discard(photo)
        raise
    brand_id, audit_id = _brand_and_audit(parent)
    trail.record(
        EventKind.EVIDENCE_ADDED,
        brand_id=brand_id,
        by=by,
        submission_id=audit_id,
        appeal_id=photo.appeal_id,
        action_id=photo.action_id,
        after={"evidence": photo.pk, "width": photo.width, "height": photo.height},
    )
    return photo


def _stored_evidence(parent: Parent, client_id: uuid.UUID) -> EvidencePhoto | None:
    """The photo the owner already sent under `client_id`, if any (a retry)."""
    return parent.evidence.filter(client_id=client_id).first()


def evidence_attach(
    *, parent: Parent, by: User, client_id: uuid.UUID, upload: UploadedFile
) -> tuple[EvidencePhoto, bool]:
    """Store one evidence photo of an appeal or action; returns (photo, created).

    The same client_id with the same bytes is a replay (200), with other bytes a 409; a
    decided appeal, a verified action or a full one is a 409 `evidence_closed`.
    """
    data = read_upload(upload)
    sha256 = sha256_of(data)

    def store(written: list[EvidencePhoto]) -> EvidencePhoto:
        prepared = PreparedPhoto(sha256, len(data), process_upload(data))
        with transaction.atomic():
            locked = type(parent).objects.select_for_update().get(pk=parent.pk)
            _check_takes_evidence(locked)
            stored = evidence_store(parent=locked, by=by, client_id=client_id, prepared=prepared)
            written.append(stored)
        return stored

    return store_once(
        sha256=sha256,
        find=lambda: _stored_evidence(parent, client_id),
        store=store,
    )


def completion_photos_store(
    *, action: Action, by: User, photos: Sequence[PreparedPhoto], written: list[EvidencePhoto]
) -> None:
    """Store the photos sent with a completion, in its transaction (the action row is locked
    by its move); the same bytes twice are one photo. `written` collects them for the caller
    to delete their files if the transaction fails."""
    unique = list({p.sha256: p for p in photos}.values())
    stored = set(action.evidence.values_list("sha256", flat=True))
    fresh = [p for p in unique if p.sha256 not in stored]
    _check_takes_evidence(action, adding=len(fresh))
    for prepared in fresh:
        client_id = uuid.uuid5(_COMPLETION_PHOTOS, f"{action.pk}:{prepared.sha256}")
        written.append(evidence_store(parent=action, by=by, client_id=client_id, prepared=prepared))
