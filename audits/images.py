"""Turn a shopper's uploaded photo into a safe, upright, metadata-free JPEG plus evidence.

Shoppers' phones send receipts and storefronts as JPEG, PNG, WebP or HEIC. We never keep the
upload as-is: it may carry the shopper's home GPS in EXIF, a colour profile browsers ignore or
a decompression bomb. Instead we re-encode a clean JPEG (and a thumbnail), and separately keep
what the EXIF tells an auditor (when and where the picture was taken) as plain fields.

This module is deliberately free of Django: limits are arguments, so the upload view, the
Celery task and the tests can all call :func:`process_photo` directly.
"""

import functools
import hashlib
import io
import math
import numbers
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Final, Literal, TypeVar

from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

__all__ = [
    "ACCEPTED_FORMATS",
    "OUTPUT_CONTENT_TYPE",
    "PhotoRejected",
    "ProcessedPhoto",
    "RejectionCode",
    "perceptual_distance",
    "process_photo",
]

RejectionCode = Literal["too_large", "too_many_pixels", "unsupported_format", "corrupt"]

#: Pillow format names we let ``Image.open`` try; nothing else is even parsed.
ACCEPTED_FORMATS: Final = ("JPEG", "PNG", "WEBP", "HEIF")
#: Both stored renditions are always JPEG, whatever came in.
OUTPUT_CONTENT_TYPE: Final = "image/jpeg"

STORED_QUALITY: Final = 85
THUMBNAIL_QUALITY: Final = 80
_TEXT_LIMIT: Final = 128
_WHITE: Final = (255, 255, 255)

# Pillow reports multi-picture JPEGs (Ultra HDR gain maps, depth maps) as "MPO" even when only
# "JPEG" was allowed: they are ordinary JPEG files for us and are accepted as such.
_FORMAT_ALIASES: Final = {"MPO": "JPEG"}

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_HEIF_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)

_EXIF_DATETIME: Final = re.compile(r"(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET: Final = re.compile(r"([+-])(\d{2}):(\d{2})")
_SIXTEEN_BIT_MODES: Final = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})

_T = TypeVar("_T")


class PhotoRejected(Exception):
    """The upload is not a photo we accept; ``code`` is stable, ``message`` is for humans.

    Messages are fixed phrases safe to show a shopper; the parser's own error, if any, is kept
    as ``__cause__`` for logs.

    The caller maps codes to HTTP statuses (too_large -> 413, unsupported_format -> 415,
    too_many_pixels and corrupt -> 400), so codes must never change meaning.
    """

    def __init__(self, code: RejectionCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: RejectionCode = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    """A cleaned photo ready to store, plus the evidence read from the original upload.

    Only the two JPEGs are meant for storage; they carry no metadata at all. The evidence
    fields are ``None`` when the upload had no usable EXIF, which is normal (screenshots,
    messaging apps and some browsers strip it) and must not be treated as fraud on its own.
    """

    image_jpeg: bytes = field(repr=False)
    width: int
    height: int
    thumbnail_jpeg: bytes = field(repr=False)
    thumbnail_width: int
    thumbnail_height: int
    original_format: str
    sha256: str
    perceptual_hash: str
    taken_at: datetime | None
    taken_at_has_offset: bool
    latitude: float | None
    longitude: float | None
    gps_accuracy_m: float | None
    camera_make: str | None
    camera_model: str | None


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What the original EXIF says; every field is optional because EXIF is untrusted."""

    taken_at: datetime | None = None
    taken_at_has_offset: bool = False
    latitude: float | None = None
    longitude: float | None = None
    gps_accuracy_m: float | None = None
    camera_make: str | None = None
    camera_model: str | None = None


def process_photo(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    max_side: int = 2048,
    thumb_side: int = 320,
) -> ProcessedPhoto:
    """Validate, normalise and re-encode an uploaded photo.

    Raises :class:`PhotoRejected` for anything that is not a sound JPEG/PNG/WebP/HEIF image
    within the limits; raises ``ValueError`` only for nonsensical limits (a programming error).
    Cheap checks run first: size before parsing, header dimensions before decoding pixels.
    """
    _check_limits(
        {
            "max_bytes": max_bytes,
            "max_pixels": max_pixels,
            "max_side": max_side,
            "thumb_side": thumb_side,
        }
    )
    _check_byte_size(data, max_bytes)
    with _open(data, max_pixels) as original:
        _decode(original, max_pixels)
        original_format = _format_name(original)
        evidence = _read_evidence(original)
        upright = _normalise(original)
    stored = _fit_within(upright, max_side)
    thumbnail = _fit_within(stored, thumb_side)
    return ProcessedPhoto(
        image_jpeg=_encode_jpeg(stored, STORED_QUALITY),
        width=stored.width,
        height=stored.height,
        thumbnail_jpeg=_encode_jpeg(thumbnail, THUMBNAIL_QUALITY),
        thumbnail_width=thumbnail.width,
        thumbnail_height=thumbnail.height,
        original_format=original_format,
        sha256=hashlib.sha256(data).hexdigest(),
        perceptual_hash=_difference_hash(stored),
        taken_at=evidence.taken_at,
        taken_at_has_offset=evidence.taken_at_has_offset,
        latitude=evidence.latitude,
        longitude=evidence.longitude,
        gps_accuracy_m=evidence.gps_accuracy_m,
        camera_make=evidence.camera_make,
        camera_model=evidence.camera_model,
    )


def perceptual_distance(first: str, second: str) -> int:
    """Hamming distance between two ``perceptual_hash`` values (0 = same picture).

    Re-encoding or resizing flips a few bits at most, so callers flag reuse below a small
    threshold (around 5 of 64) rather than only on equality.
    """
    return (int(first, 16) ^ int(second, 16)).bit_count()


# --- validation and decoding ----------------------------------------------------------------


def _check_limits(limits: dict[str, int]) -> None:
    """Fail loudly on misconfiguration instead of silently accepting or rejecting everything."""
    for name, value in limits.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_byte_size(data: bytes, max_bytes: int) -> None:
    """Reject empty and oversized uploads before any parser sees a byte."""
    if len(data) == 0:
        raise PhotoRejected("corrupt", "the upload is empty")
    if len(data) > max_bytes:
        raise PhotoRejected("too_large", f"{len(data)} bytes is over the {max_bytes} byte limit")


@functools.cache
def _register_heif_opener() -> None:
    """Teach Pillow HEIF once, on first use, so importing this module stays cheap.

    Without it ``Image.open(..., formats=[..., "HEIF"])`` raises a bare ``KeyError``. A race
    on first use only registers the same opener twice, which is harmless.
    """
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Parse only the header, restricted to the accepted formats, and check the dimensions.

    Pillow's own bomb guard (``Image.MAX_IMAGE_PIXELS``) raises above twice its limit but only
    warns above it; we make the warning an error so a bomb is never decoded. Note that
    ``warnings.catch_warnings`` is process-global before Python 3.14; the explicit
    ``max_pixels`` check below does not depend on it.
    """
    _register_heif_opener()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected("too_many_pixels", "the image is too large to decode safely") from exc
    except UnidentifiedImageError as exc:
        raise _unidentified(data) from exc
    except MemoryError:
        raise  # our server's problem, not the upload's: let it surface as a 500
    except Exception as exc:  # any parser failure on untrusted bytes means "unusable upload"
        raise PhotoRejected("corrupt", "the image header cannot be read") from exc
    try:
        _check_pixels(image.size, max_pixels)
    except PhotoRejected:
        image.close()
        raise
    return image


def _unidentified(data: bytes) -> PhotoRejected:
    """Tell a damaged accepted-format file (400) from a different format altogether (415)."""
    if _has_accepted_signature(data):
        return PhotoRejected("corrupt", "the image header is damaged")
    return PhotoRejected("unsupported_format", "only JPEG, PNG, WebP and HEIC photos are accepted")


def _has_accepted_signature(data: bytes) -> bool:
    """Sniff magic numbers only to pick an error code, never to accept a file."""
    return (
        data.startswith(b"\xff\xd8\xff")
        or data.startswith(_PNG_SIGNATURE)
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or (data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS)
    )


def _format_name(image: Image.Image) -> str:
    """The container's format, with Pillow's "MPO" reported as the JPEG it is."""
    name = image.format or ""
    return _FORMAT_ALIASES.get(name, name)


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    """Bound decoding memory by the pixel count the header announces."""
    width, height = size
    if width <= 0 or height <= 0:
        raise PhotoRejected("corrupt", f"the image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise PhotoRejected(
            "too_many_pixels", f"{width}x{height} is over the {max_pixels} pixel limit"
        )


def _decode(image: Image.Image, max_pixels: int) -> None:
    """Decode the pixels now so truncated or corrupt data is rejected, not stored half-grey.

    The size is checked again afterwards because libheif may only learn the final size of a
    HEIF image while decoding it.
    """
    try:
        image.load()
    except MemoryError:
        raise
    except Exception as exc:  # truncated data, bad Huffman tables, libheif errors...
        raise PhotoRejected("corrupt", "the image data is truncated or corrupt") from exc
    _check_pixels(image.size, max_pixels)


# --- evidence -------------------------------------------------------------------------------


def _read_evidence(image: Image.Image) -> _Evidence:
    """Read time, place and camera from the original EXIF, one guarded group at a time.

    EXIF is attacker-controlled, and one garbage tag must cost only its own field, never the
    photo nor the other fields.
    """
    exif = _guarded(image.getexif, None)
    if exif is None:
        return _Evidence()
    exif_ifd = _guarded(lambda: dict(exif.get_ifd(ExifTags.IFD.Exif)), {})
    gps_ifd = _guarded(lambda: dict(exif.get_ifd(ExifTags.IFD.GPSInfo)), {})
    taken_at, has_offset = _guarded(lambda: _taken_at(exif_ifd), (None, False))
    latitude, longitude = _guarded(lambda: _gps_position(gps_ifd), (None, None))
    return _Evidence(
        taken_at=taken_at,
        taken_at_has_offset=has_offset,
        latitude=latitude,
        longitude=longitude,
        gps_accuracy_m=_guarded(lambda: _gps_accuracy(gps_ifd), None),
        camera_make=_guarded(lambda: _text(exif.get(ExifTags.Base.Make)), None),
        camera_model=_guarded(lambda: _text(exif.get(ExifTags.Base.Model)), None),
    )


def _guarded(read: Callable[[], _T], default: _T) -> _T:
    """Run one EXIF reader; Pillow's EXIF parser can raise almost anything on garbage."""
    try:
        return read()
    except Exception:
        return default


def _taken_at(exif_ifd: dict[int, object]) -> tuple[datetime | None, bool]:
    """DateTimeOriginal (+ SubSecTimeOriginal), made aware only when OffsetTimeOriginal is valid.

    Without an offset the camera's wall-clock time is all we know; we return it naive rather
    than guess a zone, and say so, so the auditor compares it with the shop's local time.
    ``DateTime`` (IFD0) is deliberately not a fallback: editors rewrite it.
    """
    match = _EXIF_DATETIME.fullmatch(_text(exif_ifd.get(ExifTags.Base.DateTimeOriginal)) or "")
    if match is None:
        return None, False
    try:
        taken_at = datetime(*(int(part) for part in match.groups()))
    except ValueError:  # "0000:00:00 00:00:00" and other impossible dates
        return None, False
    taken_at = taken_at.replace(microsecond=_microseconds(exif_ifd))
    offset = _utc_offset(_text(exif_ifd.get(ExifTags.Base.OffsetTimeOriginal)))
    if offset is None:
        return taken_at, False
    return taken_at.replace(tzinfo=offset), True


def _microseconds(exif_ifd: dict[int, object]) -> int:
    """SubSecTimeOriginal is a decimal fraction written as digits ("5" means 0.5 s)."""
    digits = _text(exif_ifd.get(ExifTags.Base.SubsecTimeOriginal)) or ""
    if not digits.isdecimal() or not digits.isascii():
        return 0
    return int(digits[:6].ljust(6, "0"))


def _utc_offset(value: str | None) -> timezone | None:
    """Parse "+HH:MM"/"-HH:MM"; anything else (or an impossible offset) is treated as absent."""
    match = _EXIF_OFFSET.fullmatch(value or "")
    if match is None:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3))
    if hours > 18 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if sign == "-" else delta)


def _gps_position(gps_ifd: dict[int, object]) -> tuple[float | None, float | None]:
    """Signed decimal degrees, or (None, None) unless both coordinates are sound.

    A latitude without its longitude locates nothing, and a missing hemisphere reference is
    not guessed: wrong evidence is worse than none.
    """
    latitude = _coordinate(
        gps_ifd.get(ExifTags.GPS.GPSLatitude), gps_ifd.get(ExifTags.GPS.GPSLatitudeRef), "NS", 90
    )
    longitude = _coordinate(
        gps_ifd.get(ExifTags.GPS.GPSLongitude), gps_ifd.get(ExifTags.GPS.GPSLongitudeRef), "EW", 180
    )
    if latitude is None or longitude is None:
        return None, None
    return latitude, longitude


def _coordinate(value: object, ref: object, hemispheres: str, limit: float) -> float | None:
    """Degrees/minutes/seconds rationals plus a hemisphere letter -> signed degrees."""
    hemisphere = (_text(ref) or "").upper()
    if len(hemisphere) != 1 or hemisphere not in hemispheres:
        return None
    parts = value if isinstance(value, tuple) else (value,)
    numbers_ = [_real(part) for part in parts]
    if not 1 <= len(numbers_) <= 3 or any(n is None or n < 0 for n in numbers_):
        return None
    degrees = sum(n / 60**index for index, n in enumerate(numbers_) if n is not None)
    if degrees > limit:
        return None
    return -degrees if hemisphere == hemispheres[1] else degrees


def _gps_accuracy(gps_ifd: dict[int, object]) -> float | None:
    """GPSHPositioningError in metres (iPhones write it); negative values are nonsense."""
    accuracy = _real(gps_ifd.get(ExifTags.GPS.GPSHPositioningError))
    return accuracy if accuracy is not None and accuracy >= 0 else None


def _real(value: object) -> float | None:
    """A finite float from an EXIF number; a 0-denominator rational is NaN and rejected."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text(value: object) -> str | None:
    """A clean, printable, bounded string from an EXIF ASCII tag, or None."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    printable = "".join(char for char in value.split("\x00", 1)[0] if char.isprintable())
    return printable.strip()[:_TEXT_LIMIT] or None


# --- normalisation and encoding -------------------------------------------------------------


def _normalise(image: Image.Image) -> Image.Image:
    """Upright, sRGB, alpha flattened onto white, on a fresh canvas that carries no metadata.

    Everything derived from here on (stored copy, thumbnail, perceptual hash) sees the same
    pixels, so a re-upload of the same scene hashes alike whatever its container was.
    """
    upright = _upright(image)
    colour = _to_srgb(_with_displayable_mode(upright), image.info.get("icc_profile"))
    canvas = Image.new("RGB", colour.size, _WHITE)
    canvas.paste(colour, mask=colour.getchannel("A") if colour.mode == "RGBA" else None)
    return canvas


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a garbage EXIF block leaves the pixels as stored.

    pillow-heif already applies HEIF's own rotation (irot/imir) and resets the EXIF
    orientation to 1, so HEIC photos are not rotated twice.
    """
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # pixels are decoded already; only EXIF parsing can fail here
        return image.copy()


def _with_displayable_mode(image: Image.Image) -> Image.Image:
    """Reduce any decoded mode to L, RGB, RGBA or CMYK, the modes colour management handles.

    16-bit greyscale must be scaled, not converted: Pillow's conversion clips it to white.
    """
    if image.mode in ("L", "RGB", "RGBA", "CMYK"):
        return image
    if image.mode in _SIXTEEN_BIT_MODES:
        return image.convert("I").point(lambda value: value / 257).convert("L")
    if image.has_transparency_data:
        return image.convert("RGBA")
    return image.convert("RGB")


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    """The target colour space, built once: browsers assume untagged JPEGs are sRGB."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, icc_profile: object) -> Image.Image:
    """Convert embedded-profile colours (e.g. iPhone Display P3) to sRGB, best effort.

    The profile itself is then dropped, so without this step wide-gamut photos would look
    washed out. A broken or mismatched profile falls back to a plain mode conversion.
    """
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    if isinstance(icc_profile, bytes) and icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(
                image, source, _srgb_profile(), outputMode=output_mode
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
        else:
            if converted is not None:
                return converted
    return image.convert(output_mode)


def _fit_within(image: Image.Image, side: int) -> Image.Image:
    """A copy whose long side is at most ``side``; small images are never enlarged."""
    fitted = image.copy()
    fitted.thumbnail((side, side), Image.Resampling.LANCZOS)
    return fitted


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """Encode with nothing but pixels.

    Pillow's JPEG writer copies ``info["comment"]`` from the image it saves, so the info dict
    is emptied on a copy first; EXIF, XMP and ICC are only written when passed explicitly.
    """
    clean = image.copy()
    clean.info = {}
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def _difference_hash(image: Image.Image) -> str:
    """64-bit dHash: does brightness fall from each of 8 cells to its right neighbour, 8 rows.

    It survives re-encoding, resizing and mild colour shifts, which is exactly how a photo
    from an earlier visit comes back.
    """
    grey = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS).tobytes()
    bits = 0
    for row in range(8):
        for column in range(8):
            left, right = grey[row * 9 + column], grey[row * 9 + column + 1]
            bits = (bits << 1) | int(left > right)
    return f"{bits:016x}"
