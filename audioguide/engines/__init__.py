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
