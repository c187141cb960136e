"""The one place that knows the order of the stages: sources -> scripts -> speech -> MP3 -> feed.

A build is incremental. The manifest in the output folder records, per episode, a hash of every
input that shapes its files; an episode whose inputs and files are unchanged is left alone (its
files keep their bytes and mtimes), and speech that is already in the cache is never spoken again.
Every file is written to a temporary name and renamed into place, so a build killed at any moment
leaves the previous output loadable; a lock file keeps two builds out of one output folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import filelock

from audioguide import __version__, cover, feed, tags, webapp
from audioguide.cache import SpeechCache, default_cache_dir
from audioguide.engines import engine_identity, identify
from audioguide.errors import BuildError
from audioguide.files import StagedWrites, sha256_file, sweep_temporaries, write_atomic
from audioguide.guide import (
    BuildOptions,
    EpisodeSource,
    Guide,
    apply_options,
    episode_voices,
    load_guide,
    pauses_of,
    read_episode_script,
)
from audioguide.lexicon import LEXICON_FILE, Lexicon, apply_lexicon, read_lexicon
from audioguide.model import EngineSpec, Episode, Script
from audioguide.settings import EpisodeSettings, GuideSettings
from audioguide.tags import MAX_CHAPTERS

MANIFEST_FILE = ".audioguide-manifest.json"
LOCK_FILE = ".audioguide.lock"
FEED_FILE = "feed.xml"
MANIFEST_VERSION = 1
MAX_DEFAULT_JOBS = 8
"""Beyond this many speech threads, onnxruntime sessions only contend for memory bandwidth."""


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_JOBS))


@dataclass(frozen=True)
class EpisodeReport:
    slug: str
    title: str
    chapters: int
    duration_ms: int
    rebuilt: bool
    spoken: int
    cached: int
    loudness_lufs: float | None


@dataclass(frozen=True)
class BuildReport:
    output_dir: Path
    episodes: tuple[EpisodeReport, ...]
    notes: tuple[str, ...]
    seconds: float

    @property
    def spoken(self) -> int:
        return sum(e.spoken for e in self.episodes)

    @property
    def cached(self) -> int:
        return sum(e.cached for e in self.episodes)

    @property
    def audio_ms(self) -> int:
        return sum(e.duration_ms for e in self.episodes)


Progress = Callable[[str, int, int], None]
"""Called as progress(episode_title, utterances_done, utterances_total)."""


WORDS_PER_MINUTE = 165
"""Speaking pace of the default voice at speed 1.0, for estimates before anything is spoken."""


@dataclass(frozen=True)
class SectionPlan:
    title: str
    words: int
    ms: int


@dataclass(frozen=True)
class EpisodePlan:
    slug: str
    title: str
    sections: tuple[SectionPlan, ...]

    @property
    def words(self) -> int:
        return sum(s.words for s in self.sections)

    @property
    def ms(self) -> int:
        return sum(s.ms for s in self.sections)


def dry_run(sources: Sequence[Path | str], *, latest: int | None = None) -> list[EpisodePlan]:
    """What a build would speak: per section its title, word count and estimated length."""
    guide = load_guide(sources, latest=latest)
    plans = []
    for source in guide.sources:
        pace = WORDS_PER_MINUTE * (source.settings.speed or guide.settings.speed)
        script = read_episode_script(source, pauses_of(guide.settings))
        sections = []
        for chapter in script.chapters:
            words = sum(len(u.text.split()) for u in chapter.utterances)
            pauses = sum(u.pause_ms for u in chapter.utterances)
            sections.append(SectionPlan(chapter.title, words, round(words / pace * 60000) + pauses))
        plans.append(EpisodePlan(script.slug, script.title, tuple(sections)))
    return plans


@dataclass(frozen=True)
class _EpisodeWork:
    source: EpisodeSource
    script: Script
    voices: dict[str, EngineSpec]
    """The voice of each utterance role."""


def build(
    sources: Sequence[Path | str], options: BuildOptions, progress: Progress | None = None
) -> BuildReport:
    """Build (or bring up to date) the guide in `options.output_dir`."""
    started = time.monotonic()
    guide = load_guide(sources, latest=options.latest)
    settings = apply_options(guide.settings, options)
    lexicon = read_lexicon(guide.root / LEXICON_FILE) if guide.root else Lexicon()
    episodes = []
    for source in guide.sources:
        script = read_episode_script(source, pauses_of(settings))
        voices = episode_voices(settings, source.settings, script.language, options)
        for part_source, part in _parts(source, script, options.split_long):
            episodes.append(_EpisodeWork(part_source, apply_lexicon(part, lexicon), voices))
    output_dir = options.output_dir
    output_dir.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(output_dir / LOCK_FILE), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise BuildError(
            f"another build is running in {output_dir} (lock {output_dir / LOCK_FILE}); "
            "wait for it to finish"
        ) from None
    try:
        sweep_temporaries(output_dir)
        with StagedWrites() as staged:
            return _build_locked(guide, settings, episodes, options, progress, started, staged)
    finally:
        lock.release()


def _build_locked(
    guide: Guide,
    settings: GuideSettings,
    episodes_in: list[_EpisodeWork],
    options: BuildOptions,
    progress: Progress | None,
    started: float,
    staged: StagedWrites,
) -> BuildReport:
    """Build what is stale; new files are staged and renamed into place together at the end,
    episodes first and the feed last, so the feed never describes audio that is not there."""
    output_dir = options.output_dir
    manifest = _read_manifest(output_dir)
    cache = SpeechCache(options.cache_dir or default_cache_dir())
    image = Path(settings.image) if settings.image else None
    if image is not None and not image.is_absolute() and guide.root is not None:
        image = guide.root / image
    cover_bytes, cover_mime = cover.prepare_cover(
        image, settings.title, author=settings.author, picture=guide.cover
    )
    cover_file = "cover.png" if cover_mime == "image/png" else "cover.jpg"
    _stage_if_changed(staged, output_dir / cover_file, cover_bytes)
    cover_sha = hashlib.sha256(cover_bytes).hexdigest()

    episodes: list[Episode] = []
    reports: list[EpisodeReport] = []
    recorded = manifest.get("episodes", {})
    built_at: list[str] = []
    # A feed's posts have dates, not numbers; positions would shift as the feed moves on.
    numbers = iter(_episode_numbers([w.source.settings.number for w in episodes_in if not w.source.feed]))
    for work in episodes_in:
        number = 0 if work.source.feed else next(numbers)
        source, script = work.source, work.script
        meta = source.settings
        inputs = _inputs_hash(script, work.voices, settings, meta, number, cover_sha)
        previous = recorded.get(script.slug)
        if previous and previous["inputs"] == inputs and _files_intact(output_dir, previous):
            episode = Episode.from_dict(previous["episode"])
            built_at.append(previous["built"])
            episodes.append(episode)
            reports.append(_report(episode, rebuilt=False, spoken=0, cached=0))
            continue
        pub_date = meta.date or (previous["episode"]["pub_date"] if previous else _now())
        guid = meta.guid or (previous["episode"]["guid"] if previous else _guid(settings, script.slug))
        episode, spoken, cached = _build_episode(
            script, source, number, settings, work.voices, cache, cover_bytes, cover_mime,
            staged, output_dir, options.jobs or default_jobs(), progress, pub_date, guid,
        )
        episodes.append(episode)
        reports.append(_report(episode, rebuilt=True, spoken=spoken, cached=cached))
        built_at.append(_now())
        recorded[script.slug] = {
            "built": built_at[-1],
            "inputs": inputs,
            "episode": episode.to_dict(),
            **({"feed": source.feed} if source.feed else {}),
        }
    kept, gone = _gone_episodes(recorded, {e.slug for e in episodes}, guide.feeds, options.prune, output_dir)
    episodes.extend(kept)
    built_at.extend(recorded[e.slug]["built"] for e in kept)

    build_date = max(map(datetime.fromisoformat, built_at))
    feed_changed = _stage_if_changed(
        staged,
        output_dir / FEED_FILE,
        feed.render_feed(settings, episodes, cover_file=cover_file, build_date=build_date),
    )
    for name, data in webapp.site_files(settings, cover_file, cover_bytes, FEED_FILE, episodes).items():
        _stage_if_changed(staged, output_dir / name, data)
    staged.commit()
    for report in reports:
        if report.rebuilt:
            entry = recorded[report.slug]
            entry["files"] = _file_stamps(output_dir, _episode_files(Episode.from_dict(entry["episode"])))
    for slug in gone:
        for name in recorded[slug]["files"]:
            (output_dir / name).unlink(missing_ok=True)
        del recorded[slug]
    new_manifest = {"version": MANIFEST_VERSION, "generator": __version__, "episodes": recorded}
    if feed_changed or new_manifest != manifest:
        write_atomic(output_dir / MANIFEST_FILE, json.dumps(new_manifest, indent=1, sort_keys=True))
    kept_note = (f"kept {len(kept)} episode(s) whose entries are no longer read from the feed "
                 f"({', '.join(e.slug for e in kept)}); --prune drops them",) if kept else ()
    return BuildReport(
        output_dir=output_dir,
        episodes=tuple(reports),
        notes=guide.notes + kept_note,
        seconds=time.monotonic() - started,
    )


def _gone_episodes(
    recorded: dict, current: set[str], feeds: tuple[str, ...], prune: bool, output_dir: Path
) -> tuple[list[Episode], list[str]]:
    """Episodes built before that this build's sources no longer hold: those of a feed this build
    reads stay in the podcast, newest first (a feed holds only its latest posts, a podcast its
    back catalogue), unless pruned; the others are gone (their article or folder was removed)."""
    kept, gone = [], []
    for slug in sorted(set(recorded) - current):
        entry = recorded[slug]
        if not prune and entry.get("feed") in feeds and _files_intact(output_dir, entry):
            kept.append(Episode.from_dict(entry["episode"]))
        else:
            gone.append(slug)
    return sorted(kept, key=lambda e: datetime.fromisoformat(e.pub_date), reverse=True), gone


def _parts(
    source: EpisodeSource, script: Script, split_long: bool
) -> list[tuple[EpisodeSource, Script]]:
    """The episode, or with `split_long` its parts of at most MAX_CHAPTERS chapters each."""
    count = len(script.chapters)
    if count <= MAX_CHAPTERS:
        return [(source, script)]
    if not split_long:
        raise BuildError(
            f"{source.path}: {count} chapters, but an episode holds at most {MAX_CHAPTERS} "
            "(the limit of ID3 chapter tables); build with --split-long to make several episodes"
        )
    parts = []
    total = -(-count // MAX_CHAPTERS)
    for index in range(total):
        chapters = script.chapters[index * MAX_CHAPTERS : (index + 1) * MAX_CHAPTERS]
        slug, title = f"{script.slug}-part-{index + 1}", f"{script.title} (part {index + 1} of {total})"
        settings = dataclasses.replace(source.settings, slug=slug, title=title, number=0)
        parts.append(
            (
                dataclasses.replace(source, settings=settings),
                dataclasses.replace(script, slug=slug, title=title, chapters=chapters),
            )
        )
    return parts


def _build_episode(
    script: Script,
    source: EpisodeSource,
    number: int,
    settings: GuideSettings,
    voices: dict[str, EngineSpec],
    cache: SpeechCache,
    cover_bytes: bytes,
    cover_mime: str,
    staged: StagedWrites,
    output_dir: Path,
    jobs: int,
    progress: Progress | None,
    pub_date: str,
    guid: str,
) -> tuple[Episode, int, int]:
    meta = source.settings
    total = sum(len(c.utterances) for c in script.chapters)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(script.title, done, total)

    # Imported here: scipy, which assembly needs, takes longer to import than a whole no-op
    # build takes without it.
    from audioguide import assemble, segments

    # Every voice is resampled to the narration's rate; chapter times are counted in it.
    mastering = assemble.Mastering(assemble.episode_rate(identify(voices["body"]).sample_rate))
    made, spoken = segments.episode_segments(script, voices, cache, mastering, jobs=jobs, on_progress=advance)
    mp3_name = f"{script.slug}.mp3"
    transcript = "\n".join(u.text for c in script.chapters for u in c.utterances)
    temp = staged.path(output_dir / mp3_name)
    audio = assemble.join(made, script, temp, mastering.sample_rate)
    tags.write_tags(
        temp,
        tags.EpisodeTags(
            title=script.title,
            artist=meta.author or settings.author,
            album=settings.title,
            date=pub_date[:10],
            language=script.language,
            description=_description(script, meta),
            length_ms=audio.duration_ms,
        ),
        audio.chapters,
        cover=cover_bytes,
        cover_mime=cover_mime,
        transcript=transcript,
    )
    audio_sha = sha256_file(temp)
    audio_bytes = temp.stat().st_size
    episode = Episode(
        slug=script.slug,
        guid=guid,
        title=script.title,
        description=_description(script, meta),
        audio_file=mp3_name,
        audio_bytes=audio_bytes,
        duration_ms=audio.duration_ms,
        pub_date=pub_date,
        chapters=audio.chapters,
        cues=audio.cues,
        number=number,
        season=meta.season or None,
        author=meta.author or settings.author,
        language=script.language,
        link=meta.link or None,
        audio_sha256=audio_sha,
        loudness_lufs=audio.loudness_lufs,
    )
    staged.write(
        output_dir / f"{script.slug}.chapters.json",
        feed.chapters_json(episode, podcast_name=settings.title),
    )
    staged.write(output_dir / f"{script.slug}.vtt", feed.webvtt(episode))
    return episode, spoken, total - spoken


def _description(script: Script, meta: EpisodeSettings) -> str:
    """The episode's own description, or its first sentences (up to about 300 characters)."""
    if meta.description:
        return meta.description
    sentences: list[str] = []
    for chapter in script.chapters:
        for utterance in chapter.utterances:
            if utterance.role == "body":
                sentences.append(utterance.text)
                if sum(len(s) + 1 for s in sentences) > 300:
                    return " ".join(sentences)
    return " ".join(sentences) or script.title


def _episode_numbers(settings_numbers: list[int]) -> list[int]:
    """Episode numbers in guide order: those set in settings, and for the others the next number
    after the previous episode's that no setting has taken."""
    taken = {n for n in settings_numbers if n}
    numbers: list[int] = []
    for number in settings_numbers:
        if not number:
            number = (numbers[-1] if numbers else 0) + 1
            while number in taken:
                number += 1
        numbers.append(number)
    return numbers


def _inputs_hash(
    script: Script,
    voices: dict[str, EngineSpec],
    settings: GuideSettings,
    meta: EpisodeSettings,
    number: int,
    cover_sha: str,
) -> str:
    """Hash of everything that shapes an episode's files (not the feed-only settings)."""
    payload = {
        "generator": __version__,
        "script": dataclasses.asdict(script),
        "voices": {role: engine_identity(spec) for role, spec in voices.items()},
        "episode": dataclasses.asdict(meta),
        "number": number,
        "author": settings.author,
        "album": settings.title,
        "cover": cover_sha,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _episode_files(episode: Episode) -> list[str]:
    return [episode.audio_file, f"{episode.slug}.chapters.json", f"{episode.slug}.vtt"]


def _file_stamps(output_dir: Path, names: list[str]) -> dict[str, list[int]]:
    stamps = {}
    for name in names:
        stat = (output_dir / name).stat()
        stamps[name] = [stat.st_size, stat.st_mtime_ns]
    return stamps


def _files_intact(output_dir: Path, recorded: dict) -> bool:
    """True when every file the manifest lists is still there, unchanged since it was written."""
    try:
        return _file_stamps(output_dir, list(recorded["files"])) == recorded["files"]
    except FileNotFoundError:
        return False


def _report(episode: Episode, *, rebuilt: bool, spoken: int, cached: int) -> EpisodeReport:
    return EpisodeReport(
        slug=episode.slug,
        title=episode.title,
        chapters=len(episode.chapters),
        duration_ms=episode.duration_ms,
        rebuilt=rebuilt,
        spoken=spoken,
        cached=cached,
        loudness_lufs=episode.loudness_lufs,
    )


def _read_manifest(output_dir: Path) -> dict:
    path = output_dir / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if data.get("version") == MANIFEST_VERSION else {}


def _stage_if_changed(staged: StagedWrites, path: Path, data: bytes | str) -> bool:
    """Stage a new `path` unless the file already holds these bytes (so its mtime stays)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.read_bytes() == payload:
            return False
    except FileNotFoundError:
        pass
    staged.write(path, payload)
    return True


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _guid(settings: GuideSettings, slug: str) -> str:
    """A guid for a new episode; the manifest keeps it for every later build."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"audioguide:{settings.title}/{slug}"))
