"""The guide's settings file (`guide.toml` in a scripts folder) and each episode's (`episode.toml`).

Settings are frozen dataclasses read from TOML with `tomllib`; command-line options override them
with `dataclasses.replace`. Unknown keys are an error rather than silently ignored, so a typo in a
settings file is caught before a long build.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from audioguide.errors import ScriptError
from audioguide.model import EngineSpec

GUIDE_FILE = "guide.toml"
EPISODE_FILE = "episode.toml"


@dataclass(frozen=True)
class GuideSettings:
    """Settings of a whole guide (the podcast)."""

    title: str = "Audio guide"
    author: str = ""
    description: str = ""
    language: str = "en"
    """BCP 47 language tag of the narration, e.g. `en` or `en-US`."""
    engine: str = "piper"
    voice: str = ""
    """Voice of the engine; empty means the engine's default voice."""
    speed: float = 1.0
    """Speaking rate: 1.0 is the voice's natural pace, 1.2 is 20% faster."""
    title_engine: str = ""
    """Engine that speaks chapter titles; empty means the narration's engine."""
    title_voice: str = ""
    """Voice that speaks chapter titles; empty means the narration's voice (or the title engine's default)."""
    base_url: str = ""
    """Public URL the output folder will be served from; makes feed links absolute."""
    link: str = ""
    """Web page of the guide, for the feed's channel link."""
    category: str = "Education"
    """Apple Podcasts category."""
    explicit: bool = False
    owner_email: str = ""
    image: str = ""
    """Cover image path, relative to the scripts folder; empty generates one from the title."""
    title_pause_ms: int = 800
    """Silence after a spoken chapter title."""
    sentence_pause_ms: int = 300
    paragraph_pause_ms: int = 700
    section_pause_ms: int = 1600
    """Silence between the end of one section and the next chapter's title."""


@dataclass(frozen=True)
class EpisodeSettings:
    """Settings of one episode, kept beside its section scripts."""

    title: str
    slug: str
    description: str = ""
    """Episode summary for the feed; empty uses the opening sentences of the narration."""
    language: str = "en"
    author: str = ""
    source: str = ""
    """The article file the scripts were split from."""
    link: str = ""
    date: str = ""
    """Publication date (RFC 3339), e.g. a feed entry's; empty means the time of its first build."""
    guid: str = ""
    """The episode's guid in the feed, e.g. a feed entry's id; empty means one made at its first build."""
    number: int = 0
    """Episode number; 0 means its position in the guide."""
    season: int = 0
    """Season number; 0 means none."""
    engine: str = ""
    """Engine for this episode's narration; empty means the guide's."""
    voice: str = ""
    """Voice for this episode; empty means the guide's (with another engine: that engine's default)."""
    speed: float = 0.0
    """Speaking rate for this episode; 0 means the guide's."""


Settings = TypeVar("Settings", GuideSettings, EpisodeSettings)


def settings_from_dict(cls: type[Settings], data: dict[str, Any], origin: str) -> Settings:
    """Build settings from a TOML table, refusing unknown keys and wrongly typed values."""
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ScriptError(f"{origin}: unknown setting {unknown[0]!r}")
    for key, value in data.items():
        expected = _toml_type(known[key].type)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ScriptError(f"{origin}: setting {key!r} should be {expected.__name__}")
    try:
        return cls(**data)
    except TypeError as error:
        raise ScriptError(f"{origin}: {error}") from None


def _toml_type(annotation: str) -> type:
    return {"str": str, "int": int, "float": (int, float), "bool": bool}[annotation]  # type: ignore[return-value]


def read_settings(cls: type[Settings], path: Path) -> Settings:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScriptError(f"{path}: settings file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ScriptError(f"{path}: {error}") from None
    return settings_from_dict(cls, data, str(path))


def settings_to_toml(settings: GuideSettings | EpisodeSettings) -> str:
    """TOML text of the settings, every field written so users can see what they may change."""
    lines = []
    for f in fields(settings):
        doc = _field_docs(type(settings)).get(f.name)
        if doc:
            lines.append(f"# {doc}")
        lines.append(f"{f.name} = {_toml_value(getattr(settings, f.name))}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    # A JSON string is a valid TOML basic string: same quotes and escapes.
    return json.dumps(value, ensure_ascii=False)


def _field_docs(cls: type) -> dict[str, str]:
    """The one-line docstrings written under fields above, read from the class source."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {}
    for node, following in zip(body, body[1:]):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
        ):
            docs[node.target.id] = following.value.value.strip().splitlines()[0]  # type: ignore[attr-defined]
    return docs


ROLES = ("title", "body")
"""Utterance roles that may have voices of their own (see `Utterance.role`)."""


def voice_specs(guide: GuideSettings, episode: EpisodeSettings | None = None) -> dict[str, EngineSpec]:
    """The engine, voice and speed of each role of an episode: its own settings over the guide's.

    A voice is only inherited along with its engine (a piper model path means nothing to
    hibari); an empty voice leaves the choice to the engine and the episode's language.
    """
    own_engine, own_voice, own_speed = (episode.engine, episode.voice, episode.speed) if episode else ("", "", 0.0)
    engine = own_engine or guide.engine
    voice = own_voice or (guide.voice if engine == guide.engine else "")
    title_engine = guide.title_engine or engine
    title_voice = guide.title_voice or (voice if title_engine == engine else "")
    options = (("speed", repr(float(own_speed or guide.speed))),)
    return {
        "title": EngineSpec(title_engine, title_voice or None, options),
        "body": EngineSpec(engine, voice or None, options),
    }


def override(settings: Settings, **changes: Any) -> Settings:
    """Settings with the given command-line options applied; `None` means "not given"."""
    return dataclasses.replace(settings, **{k: v for k, v in changes.items() if v is not None})
