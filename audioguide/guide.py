"""What a build is asked to make: the guide's settings, its episodes and their voices.

Resolving the sources a build is given (article files, episode folders, a scripts folder, page
URLs, feeds, EPUBs) into a `Guide`, and the command line's options over the guide's own
settings. Nothing here speaks, encodes or writes: a plan or a dry run can use it as well as a
build.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from audioguide import article, narration, sources as where
from audioguide.engines import for_language, identify
from audioguide.errors import ArticleError, ScriptError
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
    """Chapters made at once by the build's threads; None means one per core, which measured
    fastest (see README). A cluster's workers have threads of their own."""
    cache_dir: Path | str | None = None
    """The speech cache: a folder, or an fsspec URL; None is the user cache dir."""
    split_long: bool = False
    """Split an episode of more than MAX_CHAPTERS chapters into parts instead of refusing it."""
    latest: int | None = None
    """Of each feed, build only the newest this many entries."""
    prune: bool = False
    """Drop the episodes of entries no longer in their feed (by default the podcast keeps them)."""
    scheduler: str | None = None
    """A Dask scheduler's address (`tcp://host:8786`): its cluster makes the chapters."""
    local_cluster: int | None = None
    """Make the chapters on a Dask cluster of this many one-thread worker processes started here."""




@dataclass(frozen=True)
class EpisodeSource:
    """Where one episode's narration comes from: a scripts folder or an article file."""

    path: Path
    settings: EpisodeSettings
    article: Article | None = None
    """The parsed article, when the source is an article, page, feed or book, not a scripts folder."""
    feed: str = ""
    """The feed this episode is an entry of: its episode outlives the entry (see `Guide.feeds`)."""




@dataclass(frozen=True)
class Guide:
    """A resolved build input: the guide's settings, the folder they came from, its episodes."""

    settings: GuideSettings
    root: Path | None
    sources: tuple[EpisodeSource, ...]
    notes: tuple[str, ...] = ()
    cover: bytes | None = None
    """The picture a source carries (a book's cover, a feed's image), for a guide whose settings name no image."""

    @property
    def feeds(self) -> frozenset[str]:
        """The feeds read: episodes built from their entries stay in the podcast when the entry
        leaves the feed (feeds hold only their newest posts; podcasts keep their back catalogue)."""
        return frozenset(source.feed for source in self.sources if source.feed)


@dataclass(frozen=True)
class SourceRead:
    """One source read into articles, with the guide settings it suggests."""

    source: str
    episodes: tuple[tuple[Article, EpisodeSettings], ...]
    settings: GuideSettings
    feed: str = ""
    """The source itself, when it is a feed."""
    cover: bytes | None = None
    notes: tuple[str, ...] = ()


def load_guide(sources: Sequence[Path | str], *, latest: int | None = None) -> Guide:
    """Resolve build sources: article files, page URLs, feeds, EPUBs, episode folders, or a
    scripts folder of episodes; `latest` keeps each feed's newest entries only."""
    if not sources:
        sources = [Path("scripts")]
    settings: GuideSettings | None = None
    root: Path | None = None
    episodes: list[EpisodeSource] = []
    notes: list[str] = []
    cover: bytes | None = None
    for given in sources:
        source = Path(given)
        if (isinstance(given, str) and where.is_url(given)) or (
            not source.is_dir() and (source.exists() or source.suffix)
        ):
            read = read_source(given, latest=latest)
            notes.extend(read.notes)
            episodes.extend(
                EpisodeSource(path=Path(meta.slug if where.is_url(read.source) else read.source),
                              settings=meta, article=parsed, feed=read.feed)
                for parsed, meta in read.episodes
            )
            if settings is None:
                settings, cover = read.settings, read.cover
        elif source.is_dir():
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
        else:
            raise ScriptError(f"{source}: no such file or folder")
    if not episodes:
        raise ScriptError(f"{sources[0]}: no episodes found (no folder with {EPISODE_FILE})")
    slugs = [e.settings.slug for e in episodes]
    duplicate = next((s for s in slugs if slugs.count(s) > 1), None)
    if duplicate:
        raise ScriptError(f"two episodes share the slug {duplicate!r}; rename one of them")
    return Guide(settings or GuideSettings(), root, tuple(episodes), tuple(notes), cover)


def read_source(source: Path | str, *, latest: int | None = None) -> SourceRead:
    """Read an article file, page URL, feed or EPUB into articles and their episode settings."""
    if not where.is_source(source):
        path = Path(source)
        parsed = article.read_article(path)
        meta = EpisodeSettings(title=parsed.title, slug=parsed.slug, language=parsed.language,
                               author=parsed.author, source=str(source), link=parsed.link or "")
        return SourceRead(
            source=str(source), episodes=((parsed, meta),),
            settings=GuideSettings(title=parsed.title, author=parsed.author, language=parsed.language),
            notes=tuple(f"{path.name}: {note}" for note in parsed.notes),
        )
    origin = where.open_source(source, latest=latest)
    notes = list(origin.notes)
    episodes = []
    for document in origin.documents:
        try:
            parsed = _article_of(document, origin)
        except ArticleError as error:
            if len(origin.documents) == 1:
                raise ArticleError(f"{source}: {error}") from None
            notes.append(f"skipped {error}")  # one post or chapter without text spoils no other
            continue
        notes.extend(f"{document.name}: {note}" for note in parsed.notes)
        meta = EpisodeSettings(
            title=parsed.title, slug=parsed.slug, description=document.description,
            language=parsed.language, author=parsed.author, source=str(source),
            link=parsed.link or "", date=document.date, guid=document.guid,
        )
        episodes.append((parsed, meta))
    if not episodes:
        raise ArticleError(f"{source}: nothing to narrate ({'; '.join(notes)})")
    first = episodes[0][0]
    settings = GuideSettings(
        title=origin.title or first.title, author=origin.author or first.author,
        language=article.language_tag(origin.language) or first.language,
        description=origin.description, link=origin.link,
    )
    feed = str(source) if origin.kind == "feed" else ""
    return SourceRead(str(source), tuple(episodes), settings, feed, origin.cover, tuple(notes))


def _article_of(document: where.Document, origin: where.Origin) -> Article:
    """The article a document holds, under the title, slug, author and link its source gives."""
    if len(document.parts) == 1:
        part = document.parts[0]
        parsed = article.parse_article(part.text, part.fmt, part.name)
    else:
        parsed = _chapters_article(document)
    language = article.language_tag(document.language or origin.language) or parsed.language
    return dataclasses.replace(
        parsed, title=document.title or parsed.title, slug=document.slug or parsed.slug,
        language=language, author=document.author or origin.author or parsed.author,
        link=document.link or parsed.link,
    )


def _chapters_article(document: where.Document) -> Article:
    """A document of several parts (a short book) as one article with a section per part; the
    headings inside a part are read out as lines of its section."""
    chapters: list[tuple[str, list[str]]] = []
    notes: list[str] = []
    for part in document.parts:
        try:
            parsed = article.parse_article(part.text, part.fmt, part.name)
        except ArticleError as error:
            notes.append(f"skipped {error}")
            continue
        title = part.title or parsed.title
        paragraphs: list[str] = []
        for section in parsed.sections:
            if section.title not in (title, parsed.title):
                paragraphs.append(article.ensure_stop(section.title))
            paragraphs.extend(section.paragraphs)
        notes.extend(f"{part.name}: {note}" for note in parsed.notes)
        chapters.append((title, paragraphs))
    if not chapters:
        raise ArticleError(f"{document.name}: no narratable text found")
    sections = article.numbered_sections(chapters)
    return Article(title=document.title or sections[0].title, slug=article.slugify(Path(document.name).stem),
                   sections=sections, notes=tuple(notes))


def _episode_folders(scripts_dir: Path) -> list[EpisodeSource]:
    folders = [p.parent for p in sorted(scripts_dir.glob(f"*/{EPISODE_FILE}"))]
    found = [_episode_folder(folder) for folder in folders]
    # Explicit episode numbers come first in their order; the rest follow by folder name.
    return sorted(found, key=lambda e: (e.settings.number or 10**6, e.path.name))


def _episode_folder(folder: Path) -> EpisodeSource:
    settings = read_settings(EpisodeSettings, folder / EPISODE_FILE)
    if settings.date:
        try:
            datetime.fromisoformat(settings.date)
        except ValueError:
            raise ScriptError(f"{folder / EPISODE_FILE}: date {settings.date!r} is not a date "
                              "and time such as 2024-05-01T09:00:00+00:00") from None
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
