"""Storefront and receipt photos drawn with Pillow, as a shopper's phone would send them.

Each picture is a JPEG with the EXIF a phone writes (camera, capture time with its UTC offset,
GPS), so that storing it through `audits.images.process_photo` exercises the same path as a
real upload: the EXIF is read into evidence fields and stripped from the stored copy.
"""

from __future__ import annotations

import io
import math
import random
from datetime import datetime

from PIL import ExifTags, Image, ImageDraw, ImageFont
from PIL.TiffImagePlugin import IFDRational

PHONES = (
    ("Apple", "iPhone 14"),
    ("Apple", "iPhone 15 Pro"),
    ("samsung", "SM-S918B"),
    ("Google", "Pixel 8"),
    ("Fairphone", "FP5"),
)
FACADES = ((122, 63, 45), (46, 74, 98), (58, 92, 70), (196, 176, 140), (90, 90, 96), (170, 70, 60))
SIGNS = ((28, 58, 46), (40, 30, 28), (236, 226, 206), (20, 40, 80))
AWNINGS = ((178, 34, 52), (31, 94, 70), (38, 60, 120), (200, 140, 40))
MENU = (
    ("Flat white", 3.40),
    ("Latte", 3.60),
    ("Cappuccino", 3.50),
    ("Americano", 2.90),
    ("Chai latte", 3.70),
    ("Croissant", 2.40),
    ("Pain au chocolat", 2.70),
    ("Banana bread", 3.10),
    ("Cheese toastie", 5.20),
    ("Carrot cake", 3.90),
    ("Orange juice", 2.80),
)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def storefront_jpeg(
    rng: random.Random,
    *,
    brand: str,
    branch: str,
    taken_at: datetime,
    latitude: float,
    longitude: float,
    size: tuple[int, int] = (960, 720),
) -> bytes:
    """A shop front: sky by time of day, a facade, the lit sign, windows, awning and door."""
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    hour = taken_at.hour
    top, bottom = (
        ((70, 130, 200), (170, 210, 240)) if 8 <= hour < 17 else ((40, 50, 90), (230, 150, 90))
    )
    for y in range(height // 3):
        t = y / (height // 3)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    facade = _vary(rng, rng.choice(FACADES))
    draw.rectangle([0, height // 6, width, height], fill=facade)
    # Neighbours' walls either side.
    draw.rectangle([0, height // 5, width // 10, height], fill=_vary(rng, (150, 140, 130)))
    draw.rectangle(
        [width - width // 10, height // 5, width, height], fill=_vary(rng, (120, 120, 125))
    )
    sign_box = [width // 8, height // 5, width - width // 8, height // 5 + height // 7]
    sign = rng.choice(SIGNS)
    draw.rectangle(sign_box, fill=sign)
    text_colour = (245, 235, 215) if sum(sign) < 300 else (40, 30, 28)
    sign_centre = (sign_box[0] + sign_box[2]) // 2
    sign_middle = (sign_box[1] + sign_box[3]) // 2
    draw.text(
        (sign_centre, sign_middle - height // 60),
        brand,
        fill=text_colour,
        font=_font(height // 15),
        anchor="mm",
    )
    draw.text(
        (sign_centre, sign_box[3] - 8),
        branch.upper(),
        fill=text_colour,
        font=_font(height // 40),
        anchor="md",
    )
    awning_top = sign_box[3] + height // 30
    awning = rng.choice(AWNINGS)
    stripe = width // 24
    for index, x in enumerate(range(width // 10, width - width // 10, stripe)):
        draw.polygon(
            [
                (x, awning_top),
                (x + stripe, awning_top),
                (x + stripe + 6, awning_top + height // 12),
                (x + 6, awning_top + height // 12),
            ],
            fill=awning if index % 2 == 0 else (240, 236, 228),
        )
    glass_top = awning_top + height // 10
    glass = (150, 185, 200) if 8 <= hour < 17 else (250, 215, 140)
    door_left = width // 2 - width // 14
    for left, right in (
        (width // 8, door_left - 20),
        (width // 2 + width // 14 + 20, width - width // 8),
    ):
        draw.rectangle(
            [left, glass_top, right, height - height // 6],
            fill=glass,
            outline=(30, 30, 30),
            width=6,
        )
        for _ in range(rng.randint(1, 3)):  # people and tables behind the glass
            cx = rng.randint(left + 30, max(left + 31, right - 30))
            cy = height - height // 6 - rng.randint(40, 90)
            draw.ellipse([cx - 14, cy - 60, cx + 14, cy - 32], fill=(60, 45, 40))
            draw.rectangle([cx - 20, cy - 32, cx + 20, cy + 30], fill=_vary(rng, (80, 80, 110)))
    draw.rectangle(
        [door_left, glass_top, width // 2 + width // 14, height - height // 12], fill=(45, 35, 30)
    )
    draw.rectangle(
        [door_left + 12, glass_top + 12, width // 2 + width // 14 - 12, height // 2 + height // 5],
        fill=glass,
    )
    draw.rectangle([0, height - height // 12, width, height], fill=(110, 110, 110))  # pavement
    if rng.random() < 0.5:  # an A-board on the pavement
        x = rng.choice((width // 6, width - width // 5))
        draw.polygon(
            [(x, height - 20), (x + 40, height - 140), (x + 80, height - 20)], fill=(30, 30, 30)
        )
        draw.text((x + 40, height - 70), "OPEN", fill=(255, 255, 255), font=_font(18), anchor="mm")
    image = _framed(rng, image, fill=(110, 110, 110), tilt=4, zoom=(0.6, 0.92), highest=0.1)
    return _jpeg(rng, image, taken_at=taken_at, latitude=latitude, longitude=longitude)


def receipt_jpeg(
    rng: random.Random,
    *,
    brand: str,
    branch: str,
    address: str,
    taken_at: datetime,
    latitude: float,
    longitude: float,
    currency: str = "EUR",
    size: tuple[int, int] = (600, 900),
) -> bytes:
    """A till receipt on a café table: header, items with prices, total, card payment."""
    width, height = size
    image = Image.new("RGB", size, _vary(rng, (120, 84, 56)))
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 14):  # wood grain
        draw.line(
            [(0, y + rng.randint(-3, 3)), (width, y + rng.randint(-3, 3))],
            fill=_vary(rng, (105, 72, 48)),
            width=2,
        )
    lines = [
        (name, price, 1 if rng.random() < 0.8 else 2)
        for name, price in rng.sample(MENU, rng.randint(1, 4))
    ]
    paper_height = 420 + 28 * len(lines)
    paper_top = rng.randint(30, max(31, height - paper_height - 30))
    shift = rng.randint(-60, 60)  # where on the table it lies
    paper = [
        width // 6 + shift + rng.randint(-15, 15),
        paper_top,
        width - width // 6 + shift + rng.randint(-15, 15),
        paper_top + paper_height,
    ]
    # The cup beside it, half in the picture: a saucer and the coffee seen from above.
    cx = rng.choice((paper[0], paper[2])) + rng.randint(-40, 40)
    cy = rng.randint(height // 6, height - height // 6)
    saucer, cup = rng.randint(80, 110), rng.randint(50, 65)
    draw.ellipse([cx - saucer, cy - saucer, cx + saucer, cy + saucer], fill=(236, 234, 228))
    draw.ellipse([cx - cup, cy - cup, cx + cup, cy + cup], fill=_vary(rng, (92, 58, 36)))
    draw.rectangle(paper, fill=(250, 249, 244))
    left, right = paper[0] + 24, paper[2] - 24
    centre = (paper[0] + paper[2]) // 2
    y = paper[1] + 30
    big, small = _font(30), _font(18)
    draw.text((centre, y), brand, fill=(20, 20, 20), font=big, anchor="mt")
    y += 46
    for line in (branch, address[:34], taken_at.strftime("%d/%m/%Y  %H:%M")):
        draw.text((centre, y), line, fill=(60, 60, 60), font=small, anchor="mt")
        y += 26
    y += 10
    draw.line([(left, y), (right, y)], fill=(120, 120, 120), width=2)
    y += 18
    total = 0.0
    for name, price, quantity in lines:
        amount = round(price * quantity, 2)
        total += amount
        draw.text((left, y), f"{quantity} x {name}", fill=(30, 30, 30), font=small)
        draw.text((right, y), f"{amount:.2f}", fill=(30, 30, 30), font=small, anchor="ra")
        y += 28
    y += 8
    draw.line([(left, y), (right, y)], fill=(120, 120, 120), width=2)
    y += 16
    draw.text((left, y), f"TOTAL {currency}", fill=(10, 10, 10), font=_font(24))
    draw.text((right, y), f"{total:.2f}", fill=(10, 10, 10), font=_font(24), anchor="ra")
    y += 44
    draw.text((left, y), f"CARD  **** {rng.randint(1000, 9999)}", fill=(60, 60, 60), font=small)
    y += 28
    draw.text((left, y), f"Receipt #{rng.randint(10000, 99999)}", fill=(60, 60, 60), font=small)
    y += 50
    draw.text((centre, y), "Thank you - see you soon!", fill=(40, 40, 40), font=small, anchor="mt")
    for x in range(paper[0], paper[2], 12):  # torn bottom edge
        draw.polygon(
            [(x, paper[3]), (x + 6, paper[3] + 8), (x + 12, paper[3])], fill=(250, 249, 244)
        )
    image = _framed(rng, image, fill=(105, 72, 48), tilt=8, zoom=(0.7, 0.95))
    return _jpeg(rng, image, taken_at=taken_at, latitude=latitude, longitude=longitude)


def _framed(
    rng: random.Random,
    image: Image.Image,
    *,
    fill: tuple[int, int, int],
    tilt: float = 3,
    zoom: tuple[float, float] = (0.7, 0.92),
    highest: float = 1.0,
) -> Image.Image:
    """The scene as one shopper framed it: from a little to one side, held at an angle, closer
    or further, off-centre.

    Without it every picture of a kind would have the same layout, and the perceptual hash
    the integrity checks compare (audits.images) would take different visits' photos for one
    photo reused. `highest` limits how far down the frame may start (a fraction of the
    height), so that what matters stays in the picture. One affine resampling does it all.
    """
    width, height = image.size
    scale = rng.uniform(*zoom)
    left = rng.uniform(0, width * (1 - scale))
    top = rng.uniform(0, height * min(1 - scale, highest))
    angle = math.radians(rng.uniform(-tilt, tilt))
    shear = rng.uniform(-0.25, 0.25)
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = width / 2, height / 2
    # Output (x, y) -> the crop window -> turned about the centre -> sheared about mid-height.
    crop = ((scale, 0, left), (0, scale, top), (0, 0, 1))
    turn = ((cos, -sin, cx - cos * cx + sin * cy), (sin, cos, cy - sin * cx - cos * cy), (0, 0, 1))
    lean = ((1, shear, -shear * cy), (0, 1, 0), (0, 0, 1))
    (a, b, c), (d, e, f), _ = _matmul(lean, _matmul(turn, crop))
    return image.transform(
        image.size,
        Image.Transform.AFFINE,
        (a, b, c, d, e, f),
        resample=Image.Resampling.BILINEAR,
        fillcolor=fill,
    )


def _matmul(p: tuple, q: tuple) -> tuple:
    return tuple(
        tuple(sum(p[i][k] * q[k][j] for k in range(3)) for j in range(3)) for i in range(3)
    )


def _vary(
    rng: random.Random, colour: tuple[int, int, int], amount: int = 18
) -> tuple[int, int, int]:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)


def _jpeg(
    rng: random.Random, image: Image.Image, *, taken_at: datetime, latitude: float, longitude: float
) -> bytes:
    """Encode like a phone: JPEG with camera, local capture time and offset, and GPS."""
    exif = Image.Exif()
    make, model = rng.choice(PHONES)
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Model] = model
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    exif_ifd[ExifTags.Base.DateTimeOriginal] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    offset = taken_at.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        exif_ifd[ExifTags.Base.OffsetTimeOriginal] = (
            f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        )
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
    gps[ExifTags.GPS.GPSLatitude] = _dms(abs(latitude))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
    gps[ExifTags.GPS.GPSLongitude] = _dms(abs(longitude))
    gps[ExifTags.GPS.GPSHPositioningError] = IFDRational(rng.randint(30, 250), 10)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88, exif=exif)
    return buffer.getvalue()


def _dms(degrees: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    whole = int(degrees)
    minutes_float = (degrees - whole) * 60
    minutes = int(minutes_float)
    seconds = round((minutes_float - minutes) * 60 * 10000)
    return IFDRational(whole), IFDRational(minutes), IFDRational(seconds, 10000)
