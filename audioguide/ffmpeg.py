"""Where the ffmpeg binary is: one on PATH, else the one shipped by `imageio-ffmpeg`."""

from __future__ import annotations

import functools
import shutil
import subprocess

from audioguide.errors import AudioError


@functools.cache
def ffmpeg_exe() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        raise AudioError("ffmpeg not found: install ffmpeg or the imageio-ffmpeg package") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.cache
def ffmpeg_version() -> str:
    """The first line of `ffmpeg -version`: which build encodes, for keys of cached encodings."""
    try:
        result = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise AudioError(f"cannot run ffmpeg: {error}") from None
    return result.stdout.partition("\n")[0]
