"""Evidence photos: what an owner shows for an appeal or a completed action."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .actions import Action
from .appeals import Appeal
from .images import StrippedImage
from .visits import _photo_storage


def _evidence_path(photo: EvidencePhoto, filename: str) -> str:
    parent = f"appeal/{photo.appeal_id}" if photo.appeal_id else f"action/{photo.action_id}"
    return f"evidence/{parent}/{photo.client_id}/{filename}"


class EvidencePhoto(StrippedImage):
    """A photo an owner attached to one appeal or one action, stripped like a shopper's.

    Not a `Photo`: it belongs to no submission, counts toward no `photo_count`, is never
    staff-only (the owner took it) and keeps no EXIF time or place (nothing needs the owner's
    location). Idempotent on `client_id` within its appeal or action.
    """

    appeal = models.ForeignKey(
        Appeal, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    image = models.FileField(upload_to=_evidence_path, storage=_photo_storage, max_length=300)
    thumbnail = models.FileField(upload_to=_evidence_path, storage=_photo_storage, max_length=300)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(appeal__isnull=False, action__isnull=True)
                | models.Q(appeal__isnull=True, action__isnull=False),
                name="evidence_of_one_appeal_or_action",
            ),
            models.UniqueConstraint(
                fields=["appeal", "client_id"], name="evidence_unique_client_id_per_appeal"
            ),
            models.UniqueConstraint(
                fields=["action", "client_id"], name="evidence_unique_client_id_per_action"
            ),
        ]

    def __str__(self) -> str:
        parent = f"appeal {self.appeal_id}" if self.appeal_id else f"action {self.action_id}"
        return f"Evidence {self.client_id} of {parent}"
