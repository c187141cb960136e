"""`audioguide say`: speak one line with a chosen voice, to hear it before a long build."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from audioguide.engines import get_engine
from audioguide.errors import AudioError
from audioguide.ffmpeg import ffmpeg_exe
from audioguide.files import atomic_path
from audioguide.model import EngineSpec, Speech

PLAYERS = (["paplay"], ["aplay", "-q"], ["afplay"], ["play", "-q"])
"""Command-line players tried in turn; the first one installed plays the audition."""


def audition(
    text: str, *, engine: str, voice: str | None, speed: float, output: Path | None
) -> Path | None:
    """Speak `text`; play it, or write it to `output` (WAV or MP3 by extension).

    Returns the path written, or None when the audio was played.
    """
    spec = EngineSpec(name=engine, voice=voice, options=(("speed", repr(float(speed))),))
    speech = get_engine(spec).synthesize(text)
    player = next((p for p in PLAYERS if shutil.which(p[0])), None)
    if output is None and player is not None:
        with tempfile.TemporaryDirectory() as folder:
            wav = Path(folder) / "say.wav"
            write_speech(speech, wav)
            subprocess.run([*player, str(wav)], check=False)
        return None
    target = output or Path("say.wav")
    write_speech(speech, target)
    return target


def write_speech(speech: Speech, path: Path) -> None:
    """Write speech as WAV, or as MP3 when the file name ends in .mp3."""
    with atomic_path(path) as temp:
        if path.suffix.lower() == ".mp3":
            result = subprocess.run(
                [ffmpeg_exe(), "-v", "error", "-y", "-f", "s16le", "-ar", str(speech.sample_rate),
                 "-ac", "1", "-i", "pipe:0", "-codec:a", "libmp3lame", "-b:a", "64k", "-f", "mp3",
                 str(temp)],
                input=speech.pcm, capture_output=True,
            )
            if result.returncode != 0:
                raise AudioError(f"ffmpeg could not encode {path}: {result.stderr.decode()[-300:]}")
        else:
            with wave.open(str(temp), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(speech.sample_rate)
                out.writeframes(speech.pcm)
