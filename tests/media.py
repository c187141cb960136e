"""Independent readers of what audioguide writes: ffmpeg decodes and lists, nothing of ours;
and audio that ffmpeg makes for tests, shaped like ours."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from audioguide.ffmpeg import ffmpeg_exe

# ffmpeg's default sine (amplitude 1/8) measures -22.2 LUFS as a 3 s mono MP3 at 64 kb/s.
TO_PODCAST_LOUDNESS_DB = 6.2


def decode_mp3(path: Path, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode an MP3 with ffmpeg to mono float samples; returns (samples, sample_rate)."""
    rate = sample_rate or _stream_rate(path)
    raw = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"],
        check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0, rate


def _stream_rate(path: Path) -> int:
    info = subprocess.run([ffmpeg_exe(), "-i", str(path)], capture_output=True, text=True).stderr
    return int(re.search(r"Audio: mp3.*?, (\d+) Hz", info).group(1))


def ffmpeg_chapters(path: Path) -> list[tuple[float, float, str]]:
    """Chapters as ffmpeg-based players see them: in file order, (start s, end s, title)."""
    meta = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"],
        check=True, capture_output=True, text=True,
    ).stdout
    chapters = []
    for block in meta.split("[CHAPTER]")[1:]:
        fields = dict(
            line.split("=", 1) for line in block.strip().splitlines() if "=" in line
        )
        num, den = (int(x) for x in fields["TIMEBASE"].split("/"))
        chapters.append(
            (int(fields["START"]) * num / den, int(fields["END"]) * num / den, fields.get("title", ""))
        )
    return chapters


def mpeg_audio(path: Path) -> bytes:
    """The MPEG frames of an MP3 file, its ID3v2 tag left out."""
    data = path.read_bytes()
    if data[:3] != b"ID3":
        return data
    size = 0
    for byte in data[6:10]:  # a syncsafe integer: 7 bits per byte
        size = size << 7 | byte & 0x7F
    return data[10 + size :]


def encode_sine(path: Path, *, gain_db: float = TO_PODCAST_LOUDNESS_DB, seconds: int = 3) -> None:
    """A short mono MP3 shaped like the ones assembly writes: 22,050 Hz, 64 kb/s."""
    source = f"sine=frequency=440:duration={seconds}:sample_rate=22050"
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source,
         "-af", f"volume={gain_db}dB", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", str(path)],
        check=True,
    )  # fmt: skip
