"""Memory of the photo pipeline over many twelve-megapixel photos, in one process.

    .venv/bin/python bench/photo_memory.py [--count 1000] [--width 4000] [--height 3000]

Photos are processed where they arrive (the upload request, `audits/services/uploads.py`),
by `audits.images.process_photo`: decode, read the EXIF evidence, turn upright, re-encode a
stripped copy and a thumbnail. This runs that on --count photos one after another, as one
long-lived process (a gunicorn or Celery worker) would, and reads the process's resident memory
(VmRSS) after each. It prints the resident memory before the first photo, its peak (the
kernel's high-water mark, VmHWM, reset after the test photos are made, so a peak inside a
photo's decoding counts), the
growth from the first tenth to the last tenth of the run (a leak shows as growth that goes on
with the count), and the time per photo next to a baseline timed in the same run: Pillow
alone decoding the same JPEG and resizing it to the stored size.

The photos are synthetic 12-megapixel JPEGs with camera EXIF (a capture time and GPS), ten
different ones in turn, so no cache of the last input can flatter the figures. Targets
(issue 14): under 300 MB, not growing with the count.
"""

from __future__ import annotations

import argparse
import gc
import io
import shlex
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

TARGET_MB = 300
MAX_BYTES = 15 * 1024 * 1024  # the settings' defaults (PHOTO_MAX_BYTES, PHOTO_MAX_PIXELS)
MAX_PIXELS = 50_000_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--variants", type=int, default=10)
    return parser.parse_args()


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def rss_mb() -> float:
    return status_mb("VmRSS")


def reset_peak() -> None:
    """Start the high-water mark (VmHWM) again from the current resident set (Linux)."""
    Path("/proc/self/clear_refs").write_text("5")


def camera_jpeg(width: int, height: int, seed: int) -> bytes:
    """A photo-like JPEG: smooth gradients with fine noise (so it compresses like a photo,
    several MB), and EXIF with a capture time and a GPS position, as a phone writes."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack(
        [
            (x * 255 // width + seed * 20) % 256,
            (y * 255 // height + seed * 35) % 256,
            ((x + y) * 255 // (width + height)) % 256,
        ],
        axis=-1,
    )
    noise = rng.integers(-24, 25, size=base.shape)
    pixels = np.clip(base + noise, 0, 255).astype("uint8")
    image = Image.fromarray(pixels, "RGB")
    exif = Image.Exif()
    exif[0x0132] = "2026:11:30 10:15:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def baseline(data: bytes) -> None:
    """Pillow alone: decode the JPEG and resize it to the stored size, nothing else."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        image.thumbnail((2048, 2048))


def main() -> None:
    args = parse_args()
    print("command:", shlex.join([".venv/bin/python", "bench/photo_memory.py", *sys.argv[1:]]))
    from audits.images import process_photo

    started = time.perf_counter()
    photos = [camera_jpeg(args.width, args.height, seed) for seed in range(args.variants)]
    sizes = [len(p) / 1e6 for p in photos]
    print(
        f"{args.variants} photos of {args.width}x{args.height} "
        f"({args.width * args.height / 1e6:.0f} MP, {min(sizes):.1f} to {max(sizes):.1f} MB) "
        f"made in {time.perf_counter() - started:.1f} s"
    )
    process_photo(photos[0], max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)  # warm up
    gc.collect()
    before = rss_mb()
    reset_peak()  # the peak of the run, not of making the test photos
    readings: list[float] = []
    pipeline: list[float] = []
    pillow: list[float] = []
    for index in range(args.count):
        data = photos[index % len(photos)]
        t0 = time.perf_counter()
        result = process_photo(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
        pipeline.append(time.perf_counter() - t0)
        del result
        readings.append(rss_mb())
        if index % 10 == 0:  # the baseline on every tenth photo, interleaved
            t0 = time.perf_counter()
            baseline(data)
            pillow.append(time.perf_counter() - t0)
    tenth = max(1, args.count // 10)
    first, last = statistics.median(readings[:tenth]), statistics.median(readings[-tenth:])
    peak = status_mb("VmHWM")  # the kernel's high-water mark: peaks inside a photo too
    per_photo, per_pillow = statistics.median(pipeline), statistics.median(pillow)
    print(f"\n{args.count} photos, one after another, in one process")
    print(f"resident memory before the first: {before:.0f} MB")
    print(f"resident memory, median of the first tenth: {first:.0f} MB, of the last: {last:.0f} MB")
    print(f"growth from the first tenth to the last: {last - first:+.1f} MB")
    print(
        f"peak resident memory (VmHWM, inside photos too): {peak:.0f} MB "
        f"(target under {TARGET_MB} MB)"
    )
    print(
        f"time per photo: {per_photo * 1000:.0f} ms; Pillow decode and resize alone "
        f"{per_pillow * 1000:.0f} ms; ratio {per_photo / per_pillow:.2f}"
    )
    verdict = "PASS" if peak < TARGET_MB and last - first < 10 else "FAIL"
    print(f"\n{verdict}: peak {peak:.0f} MB, growth {last - first:+.1f} MB over the run")


if __name__ == "__main__":
    main()
