"""hibari: a tiny offline English voice (`heart`, American, 24 kHz) from the hibari-tts package.

hibari can fetch more voices from the internet on first use; audioguide never does, so only the
bundled voice and voices already in hibari's own cache are available. Its vocoder adds noise
from a generator; a fixed seed per utterance makes the same text always sound the same.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

from audioguide.engines.base import (
    EngineIdentity,
    LoadedVoice,
    VoiceInfo,
    as_options,
    canonical_options,
    package_version,
    parse_number,
    pcm_from_float,
)
from audioguide.errors import EngineError
from audioguide.model import Speech

NAME = "hibari"
default_voice = "heart"
SAMPLE_RATE = 24000
_SEED = 0
_DEFAULTS = {"speed": "1.0", "threads": "1"}


def _registry() -> dict[str, dict]:
    if importlib.util.find_spec("hibari") is None:
        raise EngineError("engine hibari cannot run here: hibari-tts is not installed (pip install hibari-tts)")
    from hibari.voices import VOICES

    return VOICES


def _model_path(voice: str) -> str:
    """The voice's model file, never downloading it."""
    from hibari.voices import voice_path

    try:
        return voice_path(voice, download_missing=False)
    except FileNotFoundError:
        raise EngineError(
            f"hibari voice {voice!r} is not on this machine (audioguide does not download voices; "
            f"`hibari --voice {voice}` would)"
        ) from None


def identify(voice: str, options: Mapping[str, str]) -> EngineIdentity:
    """The hibari voice `voice` with `options` (speed 0.5-2, threads 1-64), checked, not loaded."""
    registry = _registry()
    if voice not in registry:
        raise EngineError(f"hibari has no voice {voice!r}; available voices: {', '.join(registry)}")
    _model_path(voice)
    values = canonical_options(NAME, options, _DEFAULTS)
    speed = parse_number(NAME, "speed", values["speed"], 0.5, 2.0)
    threads = parse_number(NAME, "threads", values["threads"], 1, 64)
    values.update(speed=repr(speed), threads=str(int(threads)))
    model_hash = registry[voice]["sha256"][:16]
    return EngineIdentity(
        name=NAME,
        voice=voice,
        version=(
            f"hibari-tts {package_version('hibari-tts')}; onnxruntime {package_version('onnxruntime')}; "
            f"model sha256 {model_hash}; seed {_SEED}"
        ),
        options=as_options(values),
        sample_rate=SAMPLE_RATE,
    )


class HibariEngine(LoadedVoice):
    """A hibari voice loaded into one onnxruntime session."""

    def __init__(self, identity: EngineIdentity) -> None:
        from hibari import Hibari

        super().__init__(identity)
        self._speed = float(identity.option("speed"))
        try:
            self._tts = Hibari(
                voice=identity.voice, model=_model_path(identity.voice), threads=int(identity.option("threads"))
            )
        except Exception as error:  # onnxruntime's errors share no base class below Exception
            raise EngineError(f"hibari could not load voice {identity.voice}: {error}") from None

    def synthesize(self, text: str) -> Speech:
        try:
            samples = self._tts(text, speed=self._speed, seed=_SEED)
        except Exception as error:  # hibari's G2P or onnxruntime, whatever their type
            raise EngineError(f"hibari failed to speak {text[:60]!r}: {error}") from None
        return Speech(pcm_from_float(samples), SAMPLE_RATE)


def load(identity: EngineIdentity) -> HibariEngine:
    return HibariEngine(identity)


def voices() -> list[VoiceInfo]:
    try:
        registry = _registry()
    except EngineError as error:
        return [VoiceInfo(NAME, default_voice, "en-US", SAMPLE_RATE, offline=True, available=False, reason=str(error))]
    found = []
    for name, details in registry.items():
        try:
            _model_path(name)
            available, reason = True, ""
        except EngineError as error:
            available, reason = False, str(error)
        language = details.get("language", "en")
        found.append(VoiceInfo(NAME, name, language, SAMPLE_RATE, offline=True, available=available, reason=reason))
    return found
