"""What a build is asked to make: the guide's settings, its episodes and their voices.

Resolving the sources a build is given (article files, episode folders, a scripts folder) into a
`Guide`, and the command line's options over the guide's own settings. Nothing here speaks,
encodes or writes: a plan or a dry run can use it as well as a build.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audioguide import article, narration
from audioguide.engines import for_language, identify
from audioguide.errors import ScriptError
from audioguide.model import Article, EngineSpec, Pauses, Script
from audioguide.settings import (
    EPISODE_FILE,
    GUIDE_FILE,
    EpisodeSettings,
    GuideSettings,
    override,
    read_settings,
    voice_specs,
)


@dataclass(frozen=True)
class BuildOptions:
    """What the command line may override; `None` keeps the guide's setting."""

    output_dir: Path = Path("output")
    engine: str | None = None
    """With `voice`: one voice for the whole build, over the title voice and every episode's own."""
    voice: str | None = None
    speed: float | None = None
    """The speed of every voice, over the guide's and every episode's own."""
    base_url: str | None = None
    jobs: int | None = None
    """Speech threads; None means one per core, which measured fastest (see README)."""
    cache_dir: Path | None = None
    split_long: bool = False
    """Split an episode of more than MAX_CHAPTERS chapters into parts instead of refusing it."""




@dataclass(frozen=True)
class EpisodeSource:
    """Where one episode's narration comes from: a scripts folder or an article file."""

    path: Path
    settings: EpisodeSettings
    article: Article | None = None
    """The parsed article, when the source is an article file rather than a scripts folder."""




@dataclass(frozen=True)
class Guide:
    """A resolved build input: the guide's settings, the folder they came from, its episodes."""

    settings: GuideSettings
    root: Path | None
    sources: tuple[EpisodeSource, ...]
    notes: tuple[str, ...] = ()




def load_guide(sources: Sequence[Path]) -> Guide:
    """Resolve build sources: article files, episode folders, or a scripts folder of episodes."""
    if not sources:
        sources = [Path("scripts")]
    settings: GuideSettings | None = None
    root: Path | None = None
    episodes: list[EpisodeSource] = []
    notes: list[str] = []
    for source in sources:
        if source.is_dir():
            guide_file = source / GUIDE_FILE
            if guide_file.exists():
                if settings is None:
                    settings, root = read_settings(GuideSettings, guide_file), source
                episodes.extend(_episode_folders(source))
            elif (source / EPISODE_FILE).exists():
                episodes.append(_episode_folder(source))
            else:
                raise ScriptError(
                    f"{source}: not a scripts folder (no {GUIDE_FILE} or {EPISODE_FILE}); "
                    "run `audioguide split ARTICLE` first"
                )
        elif source.exists() or source.suffix:
            parsed = article.read_article(source)
            notes.extend(f"{source.name}: {note}" for note in parsed.notes)
            episodes.append(
                EpisodeSource(
                    path=source,
                    settings=EpisodeSettings(
                        title=parsed.title,
                        slug=parsed.slug,
                        language=parsed.language,
                        author=parsed.author,
                        source=str(source),
                        link=parsed.link or "",
                    ),
                    article=parsed,
                )
            )
            if settings is None:
                settings = GuideSettings(
                    title=parsed.title, author=parsed.author, language=parsed.language
                )
        else:
            raise ScriptError(f"{source}: no such file or folder")
    if not episodes:
        raise ScriptError(f"{sources[0]}: no episodes found (no folder with {EPISODE_FILE})")
    slugs = [e.settings.slug for e in episodes]
    duplicate = next((s for s in slugs if slugs.count(s) > 1), None)
    if duplicate:
        raise ScriptError(f"two episodes share the slug {duplicate!r}; rename one of them")
    return Guide(settings or GuideSettings(), root, tuple(episodes), tuple(notes))


def _episode_folders(scripts_dir: Path) -> list[EpisodeSource]:
    folders = [p.parent for p in sorted(scripts_dir.glob(f"*/{EPISODE_FILE}"))]
    found = [_episode_folder(folder) for folder in folders]
    # Explicit episode numbers come first in their order; the rest follow by folder name.
    return sorted(found, key=lambda e: (e.settings.number or 10**6, e.path.name))


def _episode_folder(folder: Path) -> EpisodeSource:
    settings = read_settings(EpisodeSettings, folder / EPISODE_FILE)
    return EpisodeSource(path=folder, settings=settings)


def pauses_of(settings: GuideSettings) -> Pauses:
    return Pauses(
        title_ms=settings.title_pause_ms,
        sentence_ms=settings.sentence_pause_ms,
        paragraph_ms=settings.paragraph_pause_ms,
        section_ms=settings.section_pause_ms,
    )


def apply_options(settings: GuideSettings, options: BuildOptions) -> GuideSettings:
    """The guide's settings under the command line's; a voice option there speaks the whole build."""
    changes: dict[str, object] = {
        "engine": options.engine, "voice": options.voice, "speed": options.speed, "base_url": options.base_url,
    }
    if options.engine is not None or options.voice is not None:
        changes.update(title_engine="", title_voice="")
        if options.voice is None and options.engine != settings.engine:
            changes["voice"] = ""  # the guide's voice belongs to its own engine
    return override(settings, **changes)


def episode_voices(
    settings: GuideSettings, meta: EpisodeSettings, language: str, options: BuildOptions
) -> dict[str, EngineSpec]:
    """The voice of each utterance role of one episode, chosen for its language and checked,
    so that a voice that cannot speak here fails the build before any work starts."""
    if options.engine is not None or options.voice is not None:
        meta = dataclasses.replace(meta, engine="", voice="")
    if options.speed is not None:
        meta = dataclasses.replace(meta, speed=0.0)
    voices = {
        role: for_language(spec, language or settings.language)
        for role, spec in voice_specs(settings, meta).items()
    }
    for spec in voices.values():
        identify(spec)
    return voices


def read_episode_script(source: EpisodeSource, pauses: Pauses) -> Script:
    if source.article is not None:
        return narration.script_from_article(source.article, pauses)
    return narration.read_script(source.path, pauses)
