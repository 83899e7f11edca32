"""Tests for audits.images: every image is generated here with Pillow, nothing is a fixture file.

The evidence and privacy claims are checked on the bytes we would store, reopened from
scratch, so a regression in Pillow's writer (e.g. copying metadata again) shows up here.
"""

import dataclasses
import hashlib
import io
import random
import struct
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFile, features
from PIL.TiffImagePlugin import IFDRational

from audits.images import PhotoRejected, ProcessedPhoto, perceptual_distance, process_photo
from tests.support.images import png_bomb_header

pillow_heif.register_heif_opener()  # only so the tests can *write* HEIC

LIMITS = {"max_bytes": 5_000_000, "max_pixels": 40_000_000}
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 160, 0), (0, 0, 255), (255, 255, 255)
METADATA_KEYS = {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop", "mp"}
# JPEG markers a metadata-free baseline/optimised file may contain before the scan.
PIXEL_MARKERS = {0xE0, 0xDB, 0xC0, 0xC1, 0xC2, 0xC4, 0xDD, 0xDA}


def process(data: bytes, **overrides: int) -> ProcessedPhoto:
    return process_photo(data, **{**LIMITS, **overrides})


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def marked(size: tuple[int, int] = (60, 40)) -> Image.Image:
    """Blue picture with a red square in the stored top-left corner."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, 20, 20))
    return image


def scene(seed: int, size: tuple[int, int] = (360, 320)) -> Image.Image:
    """A 9x8 grid of strongly different greys: the structure a difference hash keys on."""
    rng = random.Random(seed)
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    cell_w, cell_h = size[0] // 9, size[1] // 8
    for row in range(8):
        previous = -1
        for column in range(9):
            level = rng.choice([v for v in (0, 70, 140, 210) if v != previous])
            previous = level
            box = (column * cell_w, row * cell_h, (column + 1) * cell_w, (row + 1) * cell_h)
            draw.rectangle(box, fill=(level, level, min(255, level + 30)))
    return image


def close_to(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def evidence_exif(*, orientation: int | None = 6, offset: str | None = "+02:00") -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Model] = "iPhone 15 Pro"
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    exif_ifd[ExifTags.Base.DateTimeOriginal] = "2024:05:01 14:30:15"
    if offset is not None:
        exif_ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (IFDRational(33), IFDRational(51), IFDRational(2153, 100))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (IFDRational(151), IFDRational(12), IFDRational(305, 10))
    gps[ExifTags.GPS.GPSHPositioningError] = IFDRational(65, 10)
    return exif


EXPECTED_LATITUDE = -(33 + 51 / 60 + 21.53 / 3600)
EXPECTED_LONGITUDE = 151 + 12 / 60 + 30.5 / 3600


def jpeg_markers(data: bytes) -> list[int]:
    """Marker codes of the segments before the entropy-coded scan (SOS included)."""
    assert data[:2] == b"\xff\xd8"
    markers, position = [], 2
    while True:
        assert data[position] == 0xFF
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length


# A tiny big-endian TIFF writer, to put EXIF in the file exactly as a broken phone would.
Entry = tuple[int, int, int, bytes]  # tag, TIFF type, count, payload


def ascii_entry(tag: int, text: str) -> Entry:
    payload = text.encode("latin-1") + b"\x00"
    return tag, 2, len(payload), payload


def rational_entry(tag: int, *pairs: tuple[int, int]) -> Entry:
    return tag, 5, len(pairs), b"".join(struct.pack(">II", n, d) for n, d in pairs)


def _ifd(entries: list[Entry], offset: int) -> bytes:
    table_length = 2 + 12 * len(entries) + 4
    table, data = struct.pack(">H", len(entries)), b""
    for tag, kind, count, payload in sorted(entries):
        if len(payload) <= 4:
            value = payload.ljust(4, b"\x00")
        else:
            value = struct.pack(">I", offset + table_length + len(data))
            data += payload + b"\x00" * (len(payload) % 2)
        table += struct.pack(">HHI", tag, kind, count) + value
    return table + b"\x00\x00\x00\x00" + data


def raw_exif(ifd0: list[Entry], exif: list[Entry] = (), gps: list[Entry] = ()) -> bytes:
    """APP1 payload: "Exif\\0\\0" + TIFF with IFD0 pointing at the Exif and GPS sub-IFDs."""

    def build_ifd0(exif_offset: int, gps_offset: int) -> bytes:
        pointers = [(0x8769, 4, 1, struct.pack(">I", exif_offset))] if exif else []
        pointers += [(0x8825, 4, 1, struct.pack(">I", gps_offset))] if gps else []
        return _ifd([*ifd0, *pointers], 8)

    exif_offset = 8 + len(build_ifd0(0, 0))
    exif_block = _ifd(list(exif), exif_offset) if exif else b""
    gps_offset = exif_offset + len(exif_block)
    gps_block = _ifd(list(gps), gps_offset) if gps else b""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + build_ifd0(exif_offset, gps_offset)
    return b"Exif\x00\x00" + tiff + exif_block + gps_block


# --- accepted formats ----------------------------------------------------------------------


def test_jpeg_orientation_is_applied_and_evidence_kept() -> None:
    data = encode(marked((60, 40)), "JPEG", exif=evidence_exif(orientation=6), quality=95)

    photo = process(data)

    assert (photo.width, photo.height) == (40, 60)  # rotated 90 degrees clockwise
    upright = reopen(photo.image_jpeg)
    assert upright.size == (40, 60)
    assert close_to(upright.getpixel((35, 4)), RED)  # stored top-left is now top-right
    assert close_to(upright.getpixel((4, 4)), BLUE)
    assert photo.original_format == "JPEG"
    assert photo.taken_at == datetime(2024, 5, 1, 14, 30, 15, tzinfo=timezone(timedelta(hours=2)))
    assert photo.taken_at_has_offset is True
    assert photo.latitude == pytest.approx(EXPECTED_LATITUDE, abs=1e-9)
    assert photo.longitude == pytest.approx(EXPECTED_LONGITUDE, abs=1e-9)
    assert photo.gps_accuracy_m == pytest.approx(6.5)
    assert (photo.camera_make, photo.camera_model) == ("Apple", "iPhone 15 Pro")


@pytest.mark.parametrize(
    ("orientation", "size", "red_at"),
    [
        (1, (60, 40), (4, 4)),
        (3, (60, 40), (55, 35)),
        (6, (40, 60), (35, 4)),
        (8, (40, 60), (4, 55)),
    ],
)
def test_every_rotation_lands_the_marked_corner(
    orientation: int, size: tuple[int, int], red_at: tuple[int, int]
) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    photo = process(encode(marked((60, 40)), "JPEG", exif=exif, quality=95))

    upright = reopen(photo.image_jpeg)
    assert upright.size == size
    assert close_to(upright.getpixel(red_at), RED)


def test_naive_time_without_offset_is_flagged() -> None:
    photo = process(encode(marked(), "JPEG", exif=evidence_exif(offset=None)))

    assert photo.taken_at == datetime(2024, 5, 1, 14, 30, 15)
    assert photo.taken_at.tzinfo is None
    assert photo.taken_at_has_offset is False


def test_subsecond_and_negative_offset_are_honoured() -> None:
    exif = evidence_exif(offset="-03:30")
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.SubsecTimeOriginal] = "25"

    photo = process(encode(marked(), "JPEG", exif=exif))

    tz = timezone(-timedelta(hours=3, minutes=30))
    assert photo.taken_at == datetime(2024, 5, 1, 14, 30, 15, 250_000, tzinfo=tz)


def test_photo_without_exif_has_no_evidence() -> None:
    photo = process(encode(marked(), "JPEG"))

    assert photo.taken_at is None
    assert photo.taken_at_has_offset is False
    assert (photo.latitude, photo.longitude, photo.gps_accuracy_m) == (None, None, None)
    assert (photo.camera_make, photo.camera_model) == (None, None)


def test_png_alpha_is_flattened_onto_white() -> None:
    image = Image.new("RGBA", (40, 30), (255, 0, 0, 0))  # fully transparent red
    image.paste((0, 160, 0, 255), (20, 0, 40, 15))
    image.paste((0, 0, 0, 128), (20, 15, 40, 30))  # half-transparent black

    photo = process(encode(image, "PNG"))

    flat = reopen(photo.image_jpeg)
    assert flat.mode == "RGB"
    assert photo.original_format == "PNG"
    assert close_to(flat.getpixel((5, 15)), WHITE)
    assert close_to(flat.getpixel((30, 5)), GREEN)
    assert close_to(flat.getpixel((30, 25)), (127, 127, 127))


def test_palette_png_with_transparent_index_is_flattened() -> None:
    image = Image.new("P", (20, 20), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(1, (10, 0, 20, 20))

    flat = reopen(process(encode(image, "PNG", transparency=0)).image_jpeg)

    assert close_to(flat.getpixel((3, 10)), WHITE)
    assert close_to(flat.getpixel((16, 10)), RED)


def test_sixteen_bit_grey_png_is_scaled_not_clipped() -> None:
    image = Image.new("I;16", (20, 20), 32_768)  # mid-grey; Pillow's convert("L") gives 255

    flat = reopen(process(encode(image, "PNG")).image_jpeg)

    assert close_to(flat.getpixel((10, 10)), (128, 128, 128), tolerance=3)


def test_cmyk_jpeg_becomes_rgb() -> None:
    image = Image.new("CMYK", (20, 20), (0, 255, 255, 0))

    flat = reopen(process(encode(image, "JPEG", quality=95)).image_jpeg)

    assert flat.mode == "RGB"
    assert close_to(flat.getpixel((10, 10)), RED)


def test_webp_is_accepted_with_evidence() -> None:
    photo = process(encode(marked(), "WEBP", exif=evidence_exif(orientation=6), lossless=True))

    assert photo.original_format == "WEBP"
    assert (photo.width, photo.height) == (40, 60)
    assert photo.latitude == pytest.approx(EXPECTED_LATITUDE, abs=1e-9)


def test_heic_is_accepted_and_not_rotated_twice() -> None:
    """HEIF rotation lives in irot/imir boxes, which libheif applies; the EXIF copy is ignored.

    pillow-heif writes our Orientation=6 into the file's EXIF but stores the pixels as given,
    so a correct reader shows them unrotated (60x40) while exif_transpose on raw EXIF would not.
    """
    data = encode(marked((60, 40)), "HEIF", exif=evidence_exif(orientation=6), quality=90)
    tiff = Image.Exif()
    tiff.load(data[data.find(b"MM\x00*") :])
    assert tiff[ExifTags.Base.Orientation] == 6  # the file really claims a rotation

    photo = process(data)

    assert photo.original_format == "HEIF"
    upright = reopen(photo.image_jpeg)
    assert upright.size == (60, 40)
    assert close_to(upright.getpixel((4, 4)), RED, tolerance=30)
    assert photo.taken_at == datetime(2024, 5, 1, 14, 30, 15, tzinfo=timezone(timedelta(hours=2)))
    assert photo.latitude == pytest.approx(EXPECTED_LATITUDE, abs=1e-9)
    assert photo.longitude == pytest.approx(EXPECTED_LONGITUDE, abs=1e-9)
    assert photo.camera_model == "iPhone 15 Pro"


def test_multi_picture_jpeg_is_treated_as_jpeg() -> None:
    """Pillow reports Ultra HDR / MPF JPEGs as "MPO"; phones produce them routinely."""
    data = encode(marked(), "MPO", save_all=True, append_images=[scene(1, (60, 40))])
    assert Image.open(io.BytesIO(data)).format == "MPO"

    photo = process(data)

    assert photo.original_format == "JPEG"
    assert close_to(reopen(photo.image_jpeg).getpixel((4, 4)), RED)


# --- privacy of the stored copy --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_stored_copies_carry_no_metadata(fmt: str) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    params: dict[str, object] = {"exif": evidence_exif(), "icc_profile": srgb}
    if fmt == "JPEG":
        params |= {"comment": b"device serial 1234", "xmp": b"<x:xmpmeta>secret</x:xmpmeta>"}
    data = encode(marked(), fmt, **params)
    source = Image.open(io.BytesIO(data))
    assert source.getexif() and "icc_profile" in source.info  # the upload really carries both

    photo = process(data)

    for output in (photo.image_jpeg, photo.thumbnail_jpeg):
        image = reopen(output)
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert not METADATA_KEYS & set(image.info)
        assert set(jpeg_markers(output)) <= PIXEL_MARKERS
        for needle in (b"Exif", b"ICC_PROFILE", b"http://ns.adobe.com", b"serial", b"Apple"):
            assert needle not in output


def test_embedded_profile_is_converted_then_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = Image.new("RGB", (20, 20), (30, 140, 200))

    flat = reopen(process(encode(image, "PNG", icc_profile=srgb)).image_jpeg)

    assert "icc_profile" not in flat.info
    assert close_to(flat.getpixel((10, 10)), (30, 140, 200), tolerance=4)


@pytest.mark.parametrize(
    "profile",
    [b"not an icc profile", ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()],
    ids=["garbage", "wrong-colour-space"],
)
def test_unusable_profile_falls_back_to_plain_conversion(profile: bytes) -> None:
    image = Image.new("RGB", (20, 20), (30, 140, 200))

    flat = reopen(process(encode(image, "PNG", icc_profile=profile)).image_jpeg)

    assert "icc_profile" not in flat.info
    assert close_to(flat.getpixel((10, 10)), (30, 140, 200), tolerance=4)


# --- sizes and hashes ----------------------------------------------------------------------


def test_large_photo_is_downscaled_and_thumbnailed() -> None:
    photo = process(encode(Image.new("RGB", (3000, 1000), BLUE), "JPEG"))

    assert (photo.width, photo.height) == (2048, 683)
    assert (photo.thumbnail_width, photo.thumbnail_height) == (320, 107)
    assert reopen(photo.image_jpeg).size == (2048, 683)
    assert reopen(photo.thumbnail_jpeg).size == (320, 107)


def test_custom_sides_and_portrait_orientation() -> None:
    photo = process(encode(Image.new("RGB", (500, 900), BLUE), "PNG"), max_side=300, thumb_side=64)

    assert (photo.width, photo.height) == (167, 300)
    assert max(reopen(photo.thumbnail_jpeg).size) == 64


def test_small_photo_is_never_enlarged() -> None:
    photo = process(encode(Image.new("RGB", (100, 50), BLUE), "PNG"))

    assert (photo.width, photo.height) == (100, 50)
    assert (photo.thumbnail_width, photo.thumbnail_height) == (100, 50)


def test_sha256_is_of_the_original_bytes_and_stable() -> None:
    data = encode(scene(1), "JPEG")

    first, second = process(data), process(data)

    assert first.sha256 == second.sha256 == hashlib.sha256(data).hexdigest()
    assert first.image_jpeg == second.image_jpeg  # deterministic output, safe for idempotency


def test_perceptual_hash_survives_reencoding_resizing_and_rotation() -> None:
    original = scene(1)
    sideways_exif = Image.Exif()
    sideways_exif[ExifTags.Base.Orientation] = 6
    variants = [
        encode(original, "PNG"),
        encode(original, "JPEG", quality=40),
        encode(original.resize((180, 160)), "WEBP", quality=50),
        encode(original.resize((1080, 960)), "HEIF", quality=50),
        # stored sideways with a tag saying so: the normalised picture is the same
        encode(original.transpose(Image.Transpose.ROTATE_90), "JPEG", exif=sideways_exif),
    ]

    photos = [process(variant) for variant in variants]

    assert len({photo.sha256 for photo in photos}) == len(variants)
    assert {photo.perceptual_hash for photo in photos} == {photos[0].perceptual_hash}
    assert len(photos[0].perceptual_hash) == 16
    int(photos[0].perceptual_hash, 16)


def test_perceptual_hash_differs_for_a_different_picture() -> None:
    first = process(encode(scene(1), "JPEG"))
    second = process(encode(scene(2), "JPEG"))

    assert perceptual_distance(first.perceptual_hash, second.perceptual_hash) >= 16
    assert perceptual_distance(first.perceptual_hash, first.perceptual_hash) == 0


# --- rejections ----------------------------------------------------------------------------


def _pdf() -> bytes:
    return encode(marked(), "PDF")


def _avif() -> bytes:
    if not features.check("avif"):
        return b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"
    return encode(marked(), "AVIF")


@pytest.mark.parametrize(
    "make",
    [
        lambda: encode(marked(), "GIF"),
        lambda: encode(marked(), "BMP"),
        lambda: encode(marked(), "TIFF"),
        lambda: encode(marked(), "ICO"),
        lambda: encode(marked(), "TGA"),
        _pdf,
        _avif,
        lambda: b"GIF89a" + b"\x00" * 20,
        lambda: b"just some text, not a photo\n",
        lambda: b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    ],
    ids=["gif", "bmp", "tiff", "ico", "tga", "pdf", "avif", "gif-header", "text", "svg"],
)
def test_other_formats_are_unsupported(make: Callable[[], bytes]) -> None:
    with pytest.raises(PhotoRejected) as caught:
        process(make())

    assert caught.value.code == "unsupported_format"


def test_empty_upload_is_rejected() -> None:
    with pytest.raises(PhotoRejected) as caught:
        process(b"")

    assert caught.value.code == "corrupt"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_photo_is_corrupt(fmt: str, keep: float) -> None:
    data = encode(scene(3), fmt)

    with pytest.raises(PhotoRejected) as caught:
        process(data[: int(len(data) * keep)])

    assert caught.value.code == "corrupt"


def test_damaged_png_header_is_corrupt_not_unsupported() -> None:
    data = bytearray(encode(marked(), "PNG"))
    data[20] ^= 0xFF  # inside IHDR: the CRC no longer matches

    with pytest.raises(PhotoRejected) as caught:
        process(bytes(data))

    assert caught.value.code == "corrupt"


def test_oversized_upload_is_rejected_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode(marked(), "JPEG")

    def must_not_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("Image.open called on an oversized upload")

    monkeypatch.setattr(Image, "open", must_not_open)
    with pytest.raises(PhotoRejected) as caught:
        process(data, max_bytes=len(data) - 1)

    assert caught.value.code == "too_large"


@pytest.fixture
def decoding_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to decode pixels (and so allocate them) fails the test."""

    def must_not_load(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", must_not_load)


@pytest.mark.usefixtures("decoding_forbidden")
@pytest.mark.parametrize(
    ("width", "height", "max_pixels"),
    [
        (5_000, 5_000, 1_000_000),  # our limit, below Pillow's
        (10_000, 10_000, 10**12),  # Pillow's DecompressionBombWarning zone
        (100_000, 100_000, 10**12),  # Pillow's DecompressionBombError zone (40 GB of RGBA)
        (2**31 - 1, 2**31 - 1, 10**12),
    ],
)
def test_bomb_header_is_rejected_without_decoding(width: int, height: int, max_pixels: int) -> None:
    data = png_bomb_header(width, height)
    assert len(data) < 100

    with warnings.catch_warnings(record=True) as emitted:
        warnings.simplefilter("always")
        with pytest.raises(PhotoRejected) as caught:
            process(data, max_pixels=max_pixels)

    assert not [w for w in emitted if issubclass(w.category, Image.DecompressionBombWarning)]
    assert caught.value.code == "too_many_pixels"


@pytest.mark.parametrize("pillow_limit", [1_000, 600])  # warning zone, error zone
def test_pillow_bomb_limit_applies_even_above_ours(
    monkeypatch: pytest.MonkeyPatch, pillow_limit: int
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)

    with pytest.raises(PhotoRejected) as caught:
        process(encode(Image.new("RGB", (40, 40)), "JPEG"))  # 1600 px

    assert caught.value.code == "too_many_pixels"


@pytest.mark.parametrize(
    "limits",
    [{"max_bytes": 0}, {"max_pixels": -1}, {"max_side": 0}, {"thumb_side": True}],
)
def test_nonsensical_limits_are_a_programming_error(limits: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be a positive int"):
        process(encode(marked(), "JPEG"), **limits)


def test_rejection_carries_code_and_message() -> None:
    with pytest.raises(PhotoRejected) as caught:
        process(b"x" * 10, max_bytes=5)

    assert caught.value.code == "too_large"
    assert "10 bytes" in caught.value.message
    assert str(caught.value).startswith("too_large: ")


def test_result_is_frozen_and_repr_omits_image_bytes() -> None:
    photo = process(encode(marked(), "JPEG"))

    with pytest.raises(dataclasses.FrozenInstanceError):
        photo.width = 1  # type: ignore[misc]
    assert "image_jpeg" not in repr(photo)
    assert "thumbnail_jpeg" not in repr(photo)


# --- garbage EXIF ----------------------------------------------------------------------------

GPS = ExifTags.GPS
DATE = ExifTags.Base.DateTimeOriginal
OFFSET = ExifTags.Base.OffsetTimeOriginal
GOOD_LATITUDE = [ascii_entry(GPS.GPSLatitudeRef, "N"), rational_entry(GPS.GPSLatitude, (10, 1))]
GOOD_LONGITUDE = [ascii_entry(GPS.GPSLongitudeRef, "W"), rational_entry(GPS.GPSLongitude, (20, 1))]


def with_raw_exif(exif: bytes) -> bytes:
    return encode(marked(), "JPEG", exif=exif)


def test_hand_written_exif_is_read() -> None:
    """Guards the TIFF writer used by the garbage tests below."""
    data = with_raw_exif(
        raw_exif(
            [ascii_entry(ExifTags.Base.Make, "Acme")],
            [ascii_entry(DATE, "2023:12:31 23:59:59"), ascii_entry(OFFSET, "+05:45")],
            [*GOOD_LATITUDE, *GOOD_LONGITUDE],
        )
    )

    photo = process(data)

    assert photo.camera_make == "Acme"
    assert photo.taken_at == datetime(
        2023, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=5, minutes=45))
    )
    assert (photo.latitude, photo.longitude) == (10.0, -20.0)


def _latitude_then_good_longitude(*entries: Entry) -> list[Entry]:
    return [*entries, *GOOD_LONGITUDE]


NORTH = ascii_entry(GPS.GPSLatitudeRef, "N")
BAD_GPS = {
    "missing-ref": _latitude_then_good_longitude(rational_entry(GPS.GPSLatitude, (10, 1))),
    "zero-denominator": _latitude_then_good_longitude(
        NORTH, rational_entry(GPS.GPSLatitude, (10, 0))
    ),
    "over-90": _latitude_then_good_longitude(NORTH, rational_entry(GPS.GPSLatitude, (95, 1))),
    "bad-ref": _latitude_then_good_longitude(
        ascii_entry(GPS.GPSLatitudeRef, "X"), rational_entry(GPS.GPSLatitude, (10, 1))
    ),
    "text": _latitude_then_good_longitude(NORTH, ascii_entry(GPS.GPSLatitude, "ten north")),
    "negative": _latitude_then_good_longitude(
        NORTH,
        (GPS.GPSLatitude, 10, 1, struct.pack(">ii", -10, 1)),  # SRATIONAL
    ),
    "four-parts": _latitude_then_good_longitude(
        NORTH, rational_entry(GPS.GPSLatitude, (1, 1), (2, 1), (3, 1), (4, 1))
    ),
    "no-longitude": GOOD_LATITUDE,  # a latitude alone locates nothing
}


@pytest.mark.parametrize("gps", BAD_GPS.values(), ids=BAD_GPS.keys())
def test_bad_gps_becomes_none(gps: list[Entry]) -> None:
    photo = process(with_raw_exif(raw_exif([], [], gps)))

    assert (photo.latitude, photo.longitude) == (None, None)


@pytest.mark.parametrize(
    ("date", "offset", "expected"),
    [
        ("0000:00:00 00:00:00", "+02:00", None),
        ("2024:13:45 99:00:00", None, None),
        ("yesterday", None, None),
        ("2024:05:01 14:30:15", "+99:00", datetime(2024, 5, 1, 14, 30, 15)),
        ("2024:05:01 14:30:15", "CEST", datetime(2024, 5, 1, 14, 30, 15)),
    ],
)
def test_bad_dates_become_none_or_naive(
    date: str, offset: str | None, expected: datetime | None
) -> None:
    exif_entries = [ascii_entry(DATE, date)] + ([ascii_entry(OFFSET, offset)] if offset else [])

    photo = process(with_raw_exif(raw_exif([], exif_entries)))

    assert photo.taken_at == expected
    assert photo.taken_at_has_offset is False


def test_wrongly_typed_tags_become_none() -> None:
    data = with_raw_exif(
        raw_exif(
            [(ExifTags.Base.Make, 3, 1, b"\x00\x07\x00\x00")],  # SHORT where text belongs
            [(DATE, 3, 2, b"\x00\x01\x00\x02")],
            [(GPS.GPSHPositioningError, 2, 4, b"far\x00")],
        )
    )

    photo = process(data)

    assert (photo.camera_make, photo.taken_at, photo.gps_accuracy_m) == (None, None, None)


@pytest.mark.parametrize(
    "payload",
    [
        b"Exif\x00\x00",
        b"Exif\x00\x00garbage garbage garbage",
        b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + b"\x01" * 50,  # 65535 entries claimed
        b"Exif\x00\x00II*\x00\xff\xff\xff\x7f",  # IFD0 far past the end
    ],
)
def test_garbage_exif_block_never_costs_the_photo(payload: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns "Corrupt EXIF data"; that is fine
        photo = process(with_raw_exif(payload))

    assert photo.taken_at is None
    assert (photo.width, photo.height) == (60, 40)


_TAGS = st.sampled_from(
    [
        ExifTags.Base.Orientation,
        ExifTags.Base.Make,
        DATE,
        OFFSET,
        ExifTags.Base.SubsecTimeOriginal,
        *range(0, 32),  # every GPS tag id
    ]
)
_ENTRIES = st.lists(
    st.tuples(_TAGS, st.integers(1, 12), st.integers(0, 6), st.binary(max_size=24)),
    max_size=6,
    unique_by=lambda entry: entry[0],
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ifd0=_ENTRIES, exif=_ENTRIES, gps=_ENTRIES)
def test_fuzzed_exif_never_crashes(ifd0: list[Entry], exif: list[Entry], gps: list[Entry]) -> None:
    data = encode(Image.new("RGB", (16, 12), BLUE), "JPEG", exif=raw_exif(ifd0, exif, gps))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        photo = process(data)

    assert photo.width * photo.height == 192
    assert photo.latitude is None or -90 <= photo.latitude <= 90
    assert photo.longitude is None or -180 <= photo.longitude <= 180
    assert photo.gps_accuracy_m is None or photo.gps_accuracy_m >= 0
    assert photo.taken_at_has_offset == (
        photo.taken_at is not None and photo.taken_at.tzinfo is not None
    )


_FUZZ_SEEDS = {fmt: encode(scene(4, (90, 80)), fmt) for fmt in ("JPEG", "PNG", "WEBP")}


@settings(max_examples=80, deadline=None)
@given(
    data=st.binary(max_size=300),
    cut=st.integers(0, 4000),
    fmt=st.sampled_from(["JPEG", "PNG", "WEBP"]),
)
def test_fuzzed_bytes_only_ever_raise_photo_rejected(data: bytes, cut: int, fmt: str) -> None:
    valid = _FUZZ_SEEDS[fmt]
    for candidate in (data, valid[:cut] + data, valid[:cut]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                process(candidate)
            except PhotoRejected as rejection:
                assert rejection.code in {"corrupt", "unsupported_format"}
