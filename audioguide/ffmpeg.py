"""The one ffmpeg that encodes, decodes and measures: the build `imageio-ffmpeg` ships.

ffmpeg builds write different MP3 frames for the same samples (measured: Debian 12's 5.1 against
imageio-ffmpeg's 9.0), so whatever ffmpeg is on PATH is never used unasked: a guide's bytes depend
on its inputs and audioguide's version (which pins imageio-ffmpeg) alone, on a laptop, a build
server or a cluster's workers. `AUDIOGUIDE_FFMPEG` names another binary on purpose; its version
line is part of the key of every cached encoding, so its output never mixes with the pinned one's.
Every option audioguide passes works on ffmpeg 5.1 and later.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

from audioguide.errors import AudioError

FFMPEG_ENV = "AUDIOGUIDE_FFMPEG"
_FILTER_SETUP_FAILED = re.compile(
    r"Error (?:initializing filter|applying options? to the filter|setting option|"
    r"reinitializing filters)|Option not found|No such filter"
)
"""What ffmpeg says when it cannot set up a filter graph, as against failing to decode."""


def ffmpeg_exe() -> str:
    """The ffmpeg binary to run: `AUDIOGUIDE_FFMPEG` when set, else imageio-ffmpeg's own."""
    return _resolve(os.environ.get(FFMPEG_ENV, ""))


@functools.cache
def _resolve(override: str) -> str:
    if override:
        found = shutil.which(os.path.expanduser(override))
        if not found:
            raise AudioError(f"{FFMPEG_ENV}={override}: no such executable")
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        raise AudioError(
            f"the imageio-ffmpeg package is missing: reinstall audioguide, or set {FFMPEG_ENV} "
            "to an ffmpeg binary"
        ) from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        raise AudioError(
            f"imageio-ffmpeg has no ffmpeg for this platform; set {FFMPEG_ENV} to an ffmpeg binary"
        ) from None


def ffmpeg_version() -> str:
    """The first line of `ffmpeg -version`: which build encodes, for keys of cached encodings."""
    return _version(ffmpeg_exe())


@functools.cache
def _version(exe: str) -> str:
    try:
        result = subprocess.run([exe, "-version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise AudioError(f"cannot run ffmpeg ({exe}): {error}") from None
    return result.stdout.partition("\n")[0]


def complaint(stderr: str, lines: int = 2) -> str:
    """What ffmpeg said went wrong: the last lines of its error output, on one line."""
    said = [line.strip() for line in stderr.splitlines() if line.strip()]
    return " / ".join(said[-lines:]) or "no message"


def measure_loudness(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of an audio file, by ffmpeg's EBU R128 meter.

    Raises `AudioError` naming what ffmpeg said: that the file cannot be decoded, or (with an
    ffmpeg that lacks an option passed here) that the meter could not be set up.
    """
    # framelog=verbose keeps the per-frame lines out of the default log on every ffmpeg since 5.1
    # (which knows no `quiet` there); the summary is logged either way.
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path),
        "-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-",
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace")
    except OSError as error:
        raise AudioError(f"cannot run ffmpeg ({command[0]}): {error}") from None
    summary = result.stderr[result.stderr.rfind("Summary:") :]
    integrated = re.search(r"Integrated loudness:\s*I:\s*(\S+) LUFS", summary)
    peak = re.search(r"True peak:\s*Peak:\s*(\S+) dBFS", summary)
    if result.returncode == 0 and integrated and peak:
        return float(integrated.group(1)), float(peak.group(1))
    if _FILTER_SETUP_FAILED.search(result.stderr):
        raise AudioError(
            f"{_version(command[0])} cannot measure loudness with the options audioguide passes: "
            f"{complaint(result.stderr)}"
        )
    raise AudioError(f"ffmpeg could not decode it to measure its loudness: {complaint(result.stderr)}")

