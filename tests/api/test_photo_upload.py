"""Photos go up one per request, retry safely, come out stripped and only to those allowed.

The pixel-level rules (every format, bombs, EXIF parsing) are tested on audits.images in
tests/images/; here every check goes through HTTP: status codes, the submission's progress,
what is stored and who may download it.
"""

import io
import uuid

import pytest
from django.core.files.storage import storages
from PIL import ExifTags, Image

from audits.models import Photo, Submission
from support.helpers import submission_body
from support.images import BLUE, RED, encode, exif_with_evidence, picture, png_bomb_header

pytestmark = pytest.mark.django_db


def upload(client, submission_id, data: bytes, *, name="photo.jpg", client_id=None, item=None):
    body = {"image": _file(data, name), "client_id": str(client_id or uuid.uuid4())}
    if item is not None:
        body["item"] = item
    return client.post(f"/api/v1/submissions/{submission_id}/photos/", body, format="multipart")


def _file(data: bytes, name: str) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


@pytest.fixture
def shopper_client(world, api):
    return api(world.shopper)


@pytest.fixture
def submission(world, shopper_client):
    """A submission announcing two photos, sent over HTTP."""
    body = submission_body(world.assignment, photo_count=2)
    response = shopper_client.post("/api/v1/submissions/", body, format="json")
    assert response.status_code == 201, response.content
    return Submission.objects.get(pk=response.json()["id"])


def fetch(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


# --- accepted formats and the submission's progress ----------------------------------------


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp")])
def test_jpeg_png_and_webp_are_accepted(shopper_client, submission, fmt, name):
    response = upload(shopper_client, submission.pk, encode(picture(), fmt), name=name)
    assert response.status_code == 201, response.content
    photo = Photo.objects.get(pk=response.json()["id"])
    assert photo.original_format == fmt
    assert (photo.width, photo.height) == (60, 40)


def test_submission_waits_for_every_announced_photo_then_is_scored(
    shopper_client, submission, django_capture_on_commit_callbacks
):
    assert submission.status == "awaiting_media"

    first = upload(shopper_client, submission.pk, encode(picture(), "JPEG"), item="storefront")
    assert first.status_code == 201, first.content
    submission.refresh_from_db()
    assert submission.status == "awaiting_media"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = upload(shopper_client, submission.pk, encode(picture(RED), "JPEG"))
    assert second.status_code == 201, second.content
    # Scoring itself then schedules the (debounced) benchmark refresh; that one is not counted.
    sends = [c for c in callbacks if c.__module__ != "audits.services.benchmarks.scheduling"]
    assert len(sends) == 1, "the last photo sends the scoring task once"
    submission.refresh_from_db()
    assert submission.status == "scored"
    body = shopper_client.get(f"/api/v1/submissions/{submission.pk}/").json()
    assert body["status"] == "scored"
    assert body["score"] is not None
    assert [p["item"] for p in body["photos"]] == ["storefront", ""]


def test_last_photo_queues_the_submission_before_the_commit(shopper_client, submission):
    upload(shopper_client, submission.pk, encode(picture(), "JPEG"))
    upload(shopper_client, submission.pk, encode(picture(RED), "JPEG"))
    submission.refresh_from_db()
    assert submission.status == "queued"
    assert submission.queued_at is not None


def test_a_photo_beyond_the_announced_count_is_409(shopper_client, submission):
    for color in (RED, BLUE):
        upload(shopper_client, submission.pk, encode(picture(color), "JPEG"))
    response = upload(shopper_client, submission.pk, encode(picture((0, 200, 0)), "JPEG"))
    assert response.status_code == 409
    assert submission.photos.count() == 2


def test_unknown_item_key_is_400_naming_item(shopper_client, submission):
    response = upload(shopper_client, submission.pk, encode(picture(), "JPEG"), item="nope")
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["item"]
    assert submission.photos.count() == 0


def test_a_photo_of_an_item_that_takes_none_is_400_naming_item(shopper_client, submission):
    response = upload(shopper_client, submission.pk, encode(picture(), "JPEG"), item="greeted")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["attr"] for e in errors] == ["item"]
    assert "takes no photos" in errors[0]["detail"]
    assert submission.photos.count() == 0


@pytest.mark.parametrize("missing", ["image", "client_id"])
def test_missing_fields_are_400_naming_them(shopper_client, submission, missing):
    body = {"image": _file(encode(picture(), "JPEG"), "a.jpg"), "client_id": str(uuid.uuid4())}
    del body[missing]
    response = shopper_client.post(
        f"/api/v1/submissions/{submission.pk}/photos/", body, format="multipart"
    )
    assert response.status_code == 400
    assert missing in {e["attr"] for e in response.json()["errors"]}


# --- retries -------------------------------------------------------------------------------


def test_same_client_id_and_same_bytes_is_200_and_the_same_photo(shopper_client, submission):
    data, client_id = encode(picture(), "JPEG"), uuid.uuid4()
    first = upload(shopper_client, submission.pk, data, client_id=client_id)
    again = upload(shopper_client, submission.pk, data, client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert submission.photos.count() == 1
    submission.refresh_from_db()
    assert submission.status == "awaiting_media", "a replay is not a second photo"


def test_same_client_id_with_other_bytes_is_409(shopper_client, submission):
    client_id = uuid.uuid4()
    upload(shopper_client, submission.pk, encode(picture(), "JPEG"), client_id=client_id)
    response = upload(
        shopper_client, submission.pk, encode(picture(RED), "JPEG"), client_id=client_id
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "conflict"
    assert submission.photos.count() == 1


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (encode(picture(), "GIF"), "a.gif"),
        (encode(picture(), "BMP"), "a.bmp"),
        (b"just some text, not a photo\n", "a.txt"),
    ],
    ids=["gif", "bmp", "text"],
)
def test_other_formats_are_refused_naming_the_image_field(shopper_client, submission, data, name):
    response = upload(shopper_client, submission.pk, data, name=name)
    assert 400 <= response.status_code < 500
    assert response.status_code == 415
    (error,) = response.json()["errors"]
    assert (error["attr"], error["code"]) == ("image", "unsupported_media_type")
    assert error["detail"].startswith("image:")
    assert submission.photos.count() == 0


def test_file_over_the_size_limit_is_413(shopper_client, submission, settings):
    data = encode(Image.effect_noise((200, 200), 80).convert("RGB"), "JPEG", quality=95)
    settings.PHOTO_MAX_BYTES = len(data) - 1
    response = upload(shopper_client, submission.pk, data)
    assert response.status_code == 413
    (error,) = response.json()["errors"]
    assert (error["attr"], error["code"]) == ("image", "too_large")
    assert error["detail"].startswith("image:")
    assert submission.photos.count() == 0


def test_decompression_bomb_is_400_naming_image(shopper_client, submission):
    response = upload(
        shopper_client, submission.pk, png_bomb_header(100_000, 100_000), name="b.png"
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["attr"], error["code"]) == ("image", "too_many_pixels")
    assert submission.photos.count() == 0


def test_picture_above_the_configured_pixel_limit_is_400(shopper_client, submission, settings):
    settings.PHOTO_MAX_PIXELS = 50 * 40 - 1
    response = upload(shopper_client, submission.pk, encode(picture(size=(50, 40)), "PNG"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "image"


# --- stripping, orientation and evidence ----------------------------------------------------


@pytest.fixture
def rotated_photo(world, shopper_client, submission):
    """A JPEG stored 60x40 with orientation 6 (rotate 90 degrees clockwise) and full EXIF."""
    data = encode(picture(), "JPEG", exif=exif_with_evidence(orientation=6), quality=95)
    assert Image.open(io.BytesIO(data)).getexif()[ExifTags.Base.Orientation] == 6
    response = upload(shopper_client, submission.pk, data, item="storefront")
    assert response.status_code == 201, response.content
    return response.json()


def test_exif_orientation_is_applied(shopper_client, rotated_photo):
    assert (rotated_photo["width"], rotated_photo["height"]) == (40, 60)
    image = Image.open(io.BytesIO(fetch(shopper_client, rotated_photo["url"])))
    assert image.size == (40, 60)
    # Rotated clockwise, the red corner moves from top-left to top-right.
    top_right = image.convert("RGB").getpixel((35, 5))
    assert top_right[0] > 200 and top_right[2] < 60, top_right


def test_stored_copies_carry_no_exif_at_all(rotated_photo):
    photo = Photo.objects.get(pk=rotated_photo["id"])
    storage = storages["photos"]
    for name in (photo.image.name, photo.thumbnail.name):
        with storage.open(name, "rb") as file:
            data = file.read()
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert "exif" not in image.info
        assert b"Exif\x00\x00" not in data
        assert b"iPhone" not in data


def test_capture_time_and_gps_are_kept_as_evidence_for_staff(world, api, rotated_photo):
    photo = Photo.objects.get(pk=rotated_photo["id"])
    assert photo.taken_at.isoformat() == "2024-05-01T13:30:15+00:00"
    assert photo.gps_latitude == pytest.approx(53 + 47 / 60 + 42 / 3600)
    assert photo.gps_longitude == pytest.approx(-(1 + 32 / 60 + 53 / 3600))

    submission_id = photo.submission_id
    for reader in (world.shopper, world.hq):
        (shown,) = api(reader).get(f"/api/v1/submissions/{submission_id}/").json()["photos"]
        assert shown["gps_latitude"] == pytest.approx(photo.gps_latitude)
        assert shown["taken_at"].startswith("2024-05-01T13:30:15")


def _released(photo_row: dict) -> None:
    """Arranged: the photo's report released (owners read released reports only)."""
    Submission.objects.filter(photos__pk=photo_row["id"]).update(status="released")


def test_owner_sees_the_photo_but_not_its_evidence(world, api, rotated_photo):
    _released(rotated_photo)
    photo = Photo.objects.get(pk=rotated_photo["id"])
    response = api(world.owner_a).get(f"/api/v1/submissions/{photo.submission_id}/")
    assert response.status_code == 200
    (shown,) = response.json()["photos"]
    assert shown["id"] == photo.pk
    assert not {"gps_latitude", "gps_longitude", "taken_at", "sha256"} & set(shown)


def test_thumbnail_is_a_smaller_jpeg(shopper_client, world, api, submission):
    data = encode(picture(size=(1200, 900)), "PNG")
    response = upload(shopper_client, submission.pk, data)
    assert response.status_code == 201, response.content
    thumbnail = Image.open(io.BytesIO(fetch(api(world.hq), response.json()["thumbnail_url"])))
    assert thumbnail.format == "JPEG"
    assert max(thumbnail.size) <= 320
    assert thumbnail.size[0] / thumbnail.size[1] == pytest.approx(1200 / 900, rel=0.02)


# --- who may download ----------------------------------------------------------------------


def test_photo_row_carries_the_permission_checked_url(rotated_photo):
    assert rotated_photo["url"].endswith(f"/api/v1/photos/{rotated_photo['id']}/")
    assert rotated_photo["thumbnail_url"].endswith(
        f"/api/v1/photos/{rotated_photo['id']}/thumbnail/"
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("shopper", 200),
        ("hq", 200),
        ("reviewer", 200),
        ("owner_a", 200),  # owner of the branch: sees the photo, not who took it
        ("admin", 200),
        ("owner_b", 404),
        ("shopper2", 404),
        ("other_hq", 404),
        (None, 401),
    ],
)
@pytest.mark.parametrize("variant", ["url", "thumbnail_url"])
def test_download_is_permission_checked(world, api, rotated_photo, role, expected, variant):
    _released(rotated_photo)
    client = api(getattr(world, role) if role else None)
    response = client.get(rotated_photo[variant])
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"].startswith("private")
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).format == "JPEG"


def test_bad_token_download_is_401(api, rotated_photo):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get(rotated_photo["url"]).status_code == 401


def test_stored_file_is_not_reachable_under_a_public_media_url(shopper_client, rotated_photo):
    photo = Photo.objects.get(pk=rotated_photo["id"])
    for url in (
        photo.image.url,
        f"/media/{photo.image.name}",
        f"/media/{photo.thumbnail.name}",
        f"/{photo.image.name}",
    ):
        assert shopper_client.get(url).status_code == 404, url


# --- who may upload ------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), [("shopper2", 404), ("owner_b", 403)])
def test_only_the_submissions_shopper_may_upload(world, api, submission, role, expected):
    response = upload(api(getattr(world, role)), submission.pk, encode(picture(), "JPEG"))
    assert response.status_code == expected
    assert submission.photos.count() == 0


@pytest.mark.parametrize("role", ["hq", "owner_a"])
def test_readers_of_the_submission_may_not_upload_to_it(world, api, submission, role):
    response = upload(api(getattr(world, role)), submission.pk, encode(picture(), "JPEG"))
    assert response.status_code == 403
    assert submission.photos.count() == 0


def test_upload_without_token_is_401(api, submission):
    assert upload(api(), submission.pk, encode(picture(), "JPEG")).status_code == 401
