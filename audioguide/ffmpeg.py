"""Where the ffmpeg binary is: one on PATH, else the one shipped by `imageio-ffmpeg`."""

from __future__ import annotations

import functools
import shutil

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
