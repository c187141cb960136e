"""The checks of the media files a built guide's feed links to: the cover artwork against
Apple's rules, and each MP3's loudness against the podcast target.

They look inside the files, where `check.py` looks at the feed; it finds the files from the
feed's links and names each problem after its file, as it does with `webapp.lint_site`'s.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from audioguide.errors import AudioError
from audioguide.ffmpeg import measure_loudness

TARGET_LUFS = -16.0
LUFS_TOLERANCE = 1.0
MAX_TRUE_PEAK_DBTP = -1.0
ARTWORK_PIXELS = (1400, 3000)


def artwork_problems(path: Path) -> Iterator[str]:
    """What is wrong with the artwork at `path`, by Apple's rules: square, 1400 to 3000 pixels
    a side, JPEG or PNG (and named so), RGB."""
    try:
        with Image.open(path) as image:
            kind, mode, (width, height) = image.format, image.mode, image.size
    except (OSError, UnidentifiedImageError):
        yield "artwork is not an image Pillow can read"
        return
    if kind not in ("JPEG", "PNG"):
        yield f"artwork is {kind}, expected JPEG or PNG"
    elif path.suffix.lower() not in {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",)}[kind]:
        yield f"artwork is {kind} but named {path.suffix!r}"
    low, high = ARTWORK_PIXELS
    if width != height:
        yield f"artwork is {width}x{height} px, expected a square"
    if not (low <= width <= high and low <= height <= high):
        yield f"artwork is {width}x{height} px, expected {low} to {high} px a side"
    if mode != "RGB":
        yield f"artwork colour mode is {mode}, expected RGB"


def loudness_problems(audio_files: Iterable[Path]) -> list[tuple[str, str]]:
    """(file name, what is wrong) for each MP3 off the podcast target in integrated loudness
    or true peak, or that cannot be measured; measured in parallel by ffmpeg's ebur128."""
    paths = list(dict.fromkeys(audio_files))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        measured = list(pool.map(_measured, paths))
    problems = []
    for path, found in zip(paths, measured, strict=True):
        name = path.name
        if isinstance(found, AudioError):
            problems.append((name, str(found)))
            continue
        lufs, peak = found
        if abs(lufs - TARGET_LUFS) > LUFS_TOLERANCE:
            expected = f"expected {TARGET_LUFS:.0f} ± {LUFS_TOLERANCE:.0f}"
            problems.append(
                (name, f"integrated loudness is {lufs:.1f} LUFS, {expected}")
            )
        if peak > MAX_TRUE_PEAK_DBTP:
            limit = f"{MAX_TRUE_PEAK_DBTP:.0f} dBTP"
            problems.append((name, f"true peak is {peak:.1f} dBTP, above {limit}"))
    return problems


def _measured(path: Path) -> tuple[float, float] | AudioError:
    # An error is returned, not raised, so that one bad file does not stop the others' measures.
    try:
        return measure_loudness(path)
    except AudioError as error:
        return error
