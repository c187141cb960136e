"""Speech engines behind one protocol, found by name.

Built in: `piper` (the default, offline), `gtts` (Google, online) and `hibari` (offline). Other
packages add engines through the `audioguide.engines` entry-point group; an entry point names a
module (or object) with the `EngineProvider` attributes. Voices are loaded once per process.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import threading

from audioguide.engines.base import (
    Engine,
    EngineIdentity,
    EngineProvider,
    VoiceInfo,
    pick_voice,
)
from audioguide.errors import EngineError
from audioguide.model import EngineSpec

__all__ = [
    "DEFAULT_ENGINE",
    "Engine",
    "EngineIdentity",
    "EngineProvider",
    "VoiceInfo",
    "check_engine",
    "engine_identity",
    "engine_names",
    "for_language",
    "get_engine",
    "identify",
    "list_voices",
]

DEFAULT_ENGINE = "piper"
ENTRY_POINT_GROUP = "audioguide.engines"
_BUILTIN = {
    "piper": "audioguide.engines.piper",
    "gtts": "audioguide.engines.gtts",
    "hibari": "audioguide.engines.hibari",
}

_loaded: dict[EngineIdentity, Engine] = {}
_load_lock = threading.Lock()


def _plugins() -> dict[str, importlib.metadata.EntryPoint]:
    # A plugin cannot shadow a built-in engine: the name `piper` always means the same sound.
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return {ep.name: ep for ep in found if ep.name not in _BUILTIN}


def engine_names() -> list[str]:
    """Built-in engines first, then installed plugins in name order."""
    return [*_BUILTIN, *sorted(_plugins())]


def _provider(name: str) -> EngineProvider:
    if name in _BUILTIN:
        return importlib.import_module(_BUILTIN[name])  # type: ignore[return-value]
    plugin = _plugins().get(name)
    if plugin is None:
        raise EngineError(f"unknown engine {name!r}; available engines: {', '.join(engine_names())}")
    try:
        return plugin.load()
    except Exception as error:  # a broken plugin must not stop the others from being listed
        raise EngineError(f"engine {name!r} ({plugin.value}) failed to load: {error}") from error


def identify(spec: EngineSpec) -> EngineIdentity:
    """What `spec` sounds like (canonical voice, options, version), checked without loading a model."""
    provider = _provider(spec.name)
    return provider.identify(spec.voice or provider.default_voice, dict(spec.options))


def check_engine(spec: EngineSpec) -> None:
    """Raise EngineError now if `spec` names an engine, voice or option that cannot work here."""
    identify(spec)


def for_language(spec: EngineSpec, language: str) -> EngineSpec:
    """`spec` with a voice for `language` when it names none (an explicit voice is kept as is).

    Raises EngineError, listing the installed voices and those that speak `language`, when the
    engine has no voice for it.
    """
    if spec.voice or not language:
        return spec
    voice = _voice_for(spec.name, language)
    if voice is None:
        raise EngineError(f"{spec.name} has no voice for language {language!r}; {_language_help(language)}")
    return dataclasses.replace(spec, voice=voice)


def _voice_for(name: str, language: str) -> str | None:
    provider = _provider(name)
    chooser = getattr(provider, "voice_for_language", None)
    if chooser is not None:
        return chooser(language)
    return pick_voice(provider.voices(), language, provider.default_voice)


def _language_help(language: str) -> str:
    """What is installed, and which engines could speak `language`, in one line."""
    installed = [v for v in list_voices() if v.available]
    listed = ", ".join(_described(v) for v in installed)
    speakers = []
    for name in dict.fromkeys(v.engine for v in installed):
        try:
            voice = _voice_for(name, language)
        except EngineError:
            continue
        if voice is not None:
            speakers.append(f"{name} {voice}")
    found = f"voices for {language!r}: {', '.join(speakers)}" if speakers else f"no installed voice speaks {language!r}"
    return f"installed voices: {listed or 'none'}; {found}"


def _described(voice: VoiceInfo) -> str:
    """`piper joe (en-US)`; an engine that picks voices by language says so instead of one."""
    online = "" if voice.offline else ", online"
    if hasattr(_provider(voice.engine), "voice_for_language"):
        return f"{voice.engine} (many languages{online})"
    return f"{voice.engine} {voice.voice} ({voice.language}{online})"


def engine_identity(spec: EngineSpec) -> dict[str, object]:
    """`identify(spec)` as plain values, for build manifests that must notice a change of sound."""
    return dataclasses.asdict(identify(spec))


def get_engine(spec: EngineSpec) -> Engine:
    """The loaded engine for `spec`, loading its voice on first use in this process."""
    identity = identify(spec)
    with _load_lock:
        engine = _loaded.get(identity)
        if engine is None:
            engine = _provider(spec.name).load(identity)
            _loaded[identity] = engine
    return engine


def list_voices() -> list[VoiceInfo]:
    """Every voice of every engine, and whether it can run here."""
    voices: list[VoiceInfo] = []
    for name in engine_names():
        try:
            voices.extend(_provider(name).voices())
        except EngineError as error:
            voices.append(VoiceInfo(name, "", "", 0, offline=False, available=False, reason=str(error)))
    return voices
