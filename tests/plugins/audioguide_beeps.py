"""A third-party speech engine for tests: one short beep per letter, pitch from the letter.

It keeps a count of the texts it spoke, so tests can see what the engine was asked to do.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from audioguide.engines.base import EngineIdentity, LoadedVoice, VoiceInfo, as_options, canonical_options
from audioguide.errors import EngineError
from audioguide.model import Speech

NAME = "beeps"
default_voice = "square"
SAMPLE_RATE = 8000
BEEP_SAMPLES = 80
spoken: list[str] = []


def identify(voice: str, options: Mapping[str, str]) -> EngineIdentity:
    if voice != default_voice:
        raise EngineError(f"beeps has no voice {voice!r}; available voices: {default_voice}")
    values = canonical_options(NAME, options, {"speed": "1.0"})
    return EngineIdentity(NAME, voice, "beeps 0.1", as_options(values), SAMPLE_RATE)


class Beeps(LoadedVoice):
    def synthesize(self, text: str) -> Speech:
        if "FAIL" in text:
            raise EngineError(f"beeps cannot say {text!r}")
        spoken.append(text)
        t = np.arange(BEEP_SAMPLES) / SAMPLE_RATE
        beeps = [np.sign(np.sin(2 * np.pi * (200 + 10 * (ord(c) % 64)) * t)) for c in text if c.isalpha()]
        samples = np.concatenate(beeps) if beeps else np.zeros(0)
        return Speech((samples * 8000).astype("<i2").tobytes(), SAMPLE_RATE)


def load(identity: EngineIdentity) -> Beeps:
    return Beeps(identity)


def voices() -> list[VoiceInfo]:
    return [VoiceInfo(NAME, default_voice, "en", SAMPLE_RATE, offline=True, available=True)]
