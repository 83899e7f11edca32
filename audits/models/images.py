"""What every stored image keeps: the stripped copy's measurements, never the original bytes."""

from __future__ import annotations

from django.core.files.storage import storages
from django.db import models


def image_storage():
    """The storage set up as "photos" in settings (filesystem or S3-compatible)."""
    return storages["photos"]


class StrippedImage(models.Model):
    """A re-encoded, metadata-free copy of an upload: shoppers' photos and owners' evidence.

    The subclasses add their own `image` and `thumbnail` files (each under its own path) and
    whom the image belongs to; `client_id` is the uploader's id of it, the same id a retry.
    """

    client_id = models.UUIDField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    original_format = models.CharField(max_length=10)
    original_bytes = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
