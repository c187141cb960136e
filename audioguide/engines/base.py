"""What every speech engine provides, and the small helpers engine modules share.

An engine module (built in, or a third-party one found through the `audioguide.engines` entry-point
group) is an `EngineProvider`: it can say which voices it has, check a voice and its options
cheaply without loading a model (`identify`), and load a voice into an `Engine` that speaks.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from audioguide.errors import EngineError
from audioguide.model import Speech

if TYPE_CHECKING:
    import numpy as np

Options = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EngineIdentity:
    """Everything that decides how an engine sounds; the speech cache keys on it."""

    name: str
    voice: str
    """The voice as the engine knows it (a name, or an absolute path to a model file)."""
    version: str
    """Engine package version plus voice model version or hash: changes when the sound may."""
    options: Options
    """Canonical settings: every option the engine knows, defaults filled in, sorted by key."""
    sample_rate: int

    def option(self, key: str) -> str:
        return dict(self.options)[key]


@runtime_checkable
class Engine(Protocol):
    """A loaded voice, ready to speak one sentence at a time."""

    name: str
    voice: str
    version: str
    options: Options
    sample_rate: int
    # An engine whose `synthesize` may run in several threads at once says so with a class
    # attribute `concurrent = True`; others (and `LoadedVoice`'s default) are called one text at
    # a time. A concurrent engine whose memory grows with the text can bound it with
    # `chars_at_once`: the most characters its threads speak at a time (a longer text still
    # goes, alone).

    def synthesize(self, text: str) -> Speech:
        """16-bit mono PCM of `text` at `sample_rate`; the same text always gives the same bytes."""
        ...


class LoadedVoice:
    """A base for engines: the `Engine` attributes, taken from the identity a voice loads from."""

    concurrent = False
    chars_at_once: int | None = None

    def __init__(self, identity: EngineIdentity) -> None:
        self.name = identity.name
        self.voice = identity.voice
        self.version = identity.version
        self.options = identity.options
        self.sample_rate = identity.sample_rate


@dataclass(frozen=True)
class VoiceInfo:
    """One line of `audioguide voices`."""

    engine: str
    voice: str
    language: str
    sample_rate: int
    offline: bool
    """True when the voice speaks without network access."""
    available: bool
    """True when the voice can be loaded here (for online voices: installed, network not probed)."""
    reason: str = ""
    """Why it is unavailable, or what to know before using it."""


class EngineProvider(Protocol):
    """What an engine module offers the registry; a module with these names qualifies."""

    default_voice: str

    def voices(self) -> list[VoiceInfo]: ...

    def identify(self, voice: str, options: Mapping[str, str]) -> EngineIdentity:
        """Check voice and options without loading a model; raise EngineError if they cannot work."""
        ...

    def load(self, identity: EngineIdentity) -> Engine: ...

    # Optional: `voice_for_language(language: str) -> str | None`, for an engine whose voices
    # speak more languages than `voices()` lists (gtts). Without it, `pick_voice` chooses.


def primary_language(tag: str) -> str:
    """`en` of `en-US`, `en_GB` or `EN`: the part of a language tag that names the language."""
    return tag.replace("_", "-").split("-")[0].lower()


def pick_voice(voices: list[VoiceInfo], language: str, default: str) -> str | None:
    """The available voice for `language`: one of the exact tag first, then one of the same
    language (`en-GB` settles for `en-US`); among equals the engine's default voice."""
    usable = [v for v in voices if v.available]
    wanted = language.replace("_", "-").lower()
    for matches in (
        lambda v: v.language.lower() == wanted,
        lambda v: primary_language(v.language) == primary_language(wanted),
    ):
        found = [v.voice for v in usable if matches(v)]
        if found:
            return default if default in found else found[0]
    return None


def canonical_options(engine: str, given: Mapping[str, str], defaults: Mapping[str, str]) -> dict[str, str]:
    """`given` over `defaults`, refusing options the engine does not know (a typo would be silent)."""
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults)) or "none"
        raise EngineError(f"{engine} has no option {unknown[0]!r}; its options: {known}")
    return {**defaults, **given}


def as_options(values: Mapping[str, str]) -> Options:
    return tuple(sorted(values.items()))


def parse_number(engine: str, key: str, value: str, low: float, high: float) -> float:
    """A numeric option within [low, high], for options such as speed."""
    try:
        number = float(value)
    except ValueError:
        raise EngineError(f"{engine}: option {key}={value!r} is not a number") from None
    if not low <= number <= high:
        raise EngineError(f"{engine}: option {key}={value} is outside {low:g}..{high:g}")
    return number


def parse_flag(engine: str, key: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise EngineError(f"{engine}: option {key}={value!r} should be true or false")


def package_version(distribution: str) -> str:
    """Installed version of a distribution, or EngineError naming what to install."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise EngineError(f"{distribution} is not installed (pip install {distribution})") from None


def pcm_from_float(samples: np.ndarray) -> bytes:
    """16-bit little-endian PCM of float samples, scaled and clipped the way piper and hibari do."""
    import numpy as np  # here: a build with nothing to speak has no use for numpy (~0.1 s to import)

    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
