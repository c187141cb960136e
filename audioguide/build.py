"""The one place that knows the order of the stages: sources -> scripts -> speech -> MP3 -> feed.

A build plans what it must make (`plan.py`), makes the missing chapters through an executor
(`run.py`: the build's own threads, or a Dask cluster), and writes each stale episode from its
chapters' segments as soon as they are made, then the feed. A build is incremental. The manifest in the output folder records, per episode, a hash of every
input that shapes its files; an episode whose inputs and files are unchanged is left alone (its
files keep their bytes and mtimes), and speech that is already in the cache is never spoken again.
Every file is written to a temporary name and renamed into place, so a build killed at any moment
leaves the previous output loadable; a lock file keeps two builds out of one output folder.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import filelock

from audioguide import __version__, executors, feed, run, tags, webapp
from audioguide.cache import SpeechCache
from audioguide.errors import BuildError
from audioguide.files import StagedWrites, sha256_file, sweep_temporaries, write_atomic
from audioguide.guide import BuildOptions, Guide, load_guide
from audioguide.model import EncodedSegment, Episode, Script
from audioguide.plan import (
    MANIFEST_FILE,
    MANIFEST_VERSION,
    BuildPlan,
    EpisodePlan,
    episodes_of,
    file_stamps,
    files_intact,
    open_build_cache,
    plan_build,
)
from audioguide.run import BuildProgress, Progress
from audioguide.settings import EpisodeSettings, GuideSettings

__all__ = ["MANIFEST_FILE", "BuildOptions", "BuildProgress", "BuildReport", "EpisodeReport", "build"]

LOCK_FILE = ".audioguide.lock"
FEED_FILE = "feed.xml"


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


def build(sources: Sequence[Path | str], options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """Build (or bring up to date) the guide in `options.output_dir`."""
    started = time.monotonic()
    if options.scheduler or options.local_cluster:
        executors.check_cluster_extra()
    guide = load_guide(sources, latest=options.latest)
    settings, works = episodes_of(guide, options)
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
        cache = open_build_cache(options)
        plan = plan_build(guide, settings, works, output_dir, cache)
        with StagedWrites() as staged:
            _stage_if_changed(staged, output_dir / plan.cover.file, plan.cover.data)
            episodes, reports = _make(plan, options, cache, staged, progress)
            notes = _finish(plan, guide, options, episodes, reports, staged)
    finally:
        lock.release()
    return BuildReport(output_dir, tuple(reports), guide.notes + notes, time.monotonic() - started)


def _make(
    plan: BuildPlan, options: BuildOptions, cache: SpeechCache, staged: StagedWrites, progress: Progress | None
) -> tuple[list[Episode], list[EpisodeReport]]:
    """Every episode of the plan, in guide order: unchanged ones as they were, stale ones
    joined from their segments (each as soon as its last segment is made) and staged."""
    episodes: list[Episode | None] = [None] * len(plan.episodes)
    reports: list[EpisodeReport | None] = [None] * len(plan.episodes)
    for index, episode_plan in enumerate(plan.episodes):
        if not episode_plan.rebuild:
            episodes[index] = Episode.from_dict(episode_plan.previous["episode"])
            reports[index] = _report(episodes[index], rebuilt=False, spoken=0, cached=0)

    def ready(index: int, spoken: int) -> None:
        episode = _write_episode(plan, plan.episodes[index], cache, staged, options.output_dir)
        total = sum(len(c.utterances) for c in plan.episodes[index].work.script.chapters)
        episodes[index] = episode
        reports[index] = _report(episode, rebuilt=True, spoken=spoken, cached=total - spoken)

    run.run_plan(plan, lambda: _executor(options, cache), ready, progress)
    return episodes, reports  # type: ignore[return-value]


def _executor(options: BuildOptions, cache: SpeechCache) -> AbstractContextManager[Executor]:
    if options.scheduler or options.local_cluster:
        return executors.dask_cluster(cache, scheduler=options.scheduler, local_workers=options.local_cluster)
    return executors.local_threads(options.jobs)


def _finish(
    plan: BuildPlan,
    guide: Guide,
    options: BuildOptions,
    episodes: list[Episode],
    reports: list[EpisodeReport],
    staged: StagedWrites,
) -> tuple[str, ...]:
    """Stage the feed and player page, rename everything into place (episodes first, the feed
    last, so the feed never describes audio that is not there) and write the manifest; return
    notes for the user."""
    settings, manifest, output_dir = plan.settings, plan.manifest, options.output_dir
    recorded = manifest.get("episodes", {})
    built_at = []
    for episode_plan, episode in zip(plan.episodes, episodes):
        if episode_plan.rebuild:
            feed_of = episode_plan.work.source.feed
            recorded[episode.slug] = {
                "built": _now(),
                "inputs": episode_plan.inputs,
                "episode": episode.to_dict(),
                **({"feed": feed_of} if feed_of else {}),
            }
        built_at.append(recorded[episode.slug]["built"])
    kept, gone = _gone_episodes(recorded, {e.slug for e in episodes}, guide.feeds, options.prune, output_dir)
    episodes = [*episodes, *kept]
    built_at.extend(recorded[e.slug]["built"] for e in kept)
    build_date = max(map(datetime.fromisoformat, built_at))
    feed_changed = _stage_if_changed(
        staged,
        output_dir / FEED_FILE,
        feed.render_feed(settings, episodes, cover_file=plan.cover.file, build_date=build_date),
    )
    for name, data in webapp.site_files(settings, plan.cover.file, plan.cover.data, FEED_FILE, episodes).items():
        _stage_if_changed(staged, output_dir / name, data)
    staged.commit()
    for report in reports:
        if report.rebuilt:
            entry = recorded[report.slug]
            entry["files"] = file_stamps(output_dir, _episode_files(Episode.from_dict(entry["episode"])))
    for slug in gone:
        for name in recorded[slug]["files"]:
            (output_dir / name).unlink(missing_ok=True)
        del recorded[slug]
    new_manifest = {"version": MANIFEST_VERSION, "generator": __version__, "episodes": recorded}
    if feed_changed or new_manifest != manifest:
        write_atomic(output_dir / MANIFEST_FILE, json.dumps(new_manifest, indent=1, sort_keys=True))
    return (f"kept {len(kept)} episode(s) whose entries are no longer read from the feed "
            f"({', '.join(e.slug for e in kept)}); --prune drops them",) if kept else ()


def _gone_episodes(
    recorded: dict, current: set[str], feeds: frozenset[str], prune: bool, output_dir: Path
) -> tuple[list[Episode], list[str]]:
    """Episodes built before that this build's sources no longer hold: those of a feed this build
    reads stay in the podcast, newest first (a feed holds only its latest posts, a podcast its
    back catalogue), unless pruned; the others are gone (their article or folder was removed)."""
    kept, gone = [], []
    for slug in sorted(set(recorded) - current):
        entry = recorded[slug]
        if not prune and entry.get("feed") in feeds and files_intact(output_dir, entry):
            kept.append(Episode.from_dict(entry["episode"]))
        else:
            gone.append(slug)
    return sorted(kept, key=lambda e: datetime.fromisoformat(e.pub_date), reverse=True), gone


def _write_episode(
    plan: BuildPlan,
    episode_plan: EpisodePlan,
    cache: SpeechCache,
    staged: StagedWrites,
    output_dir: Path,
) -> Episode:
    """Join a rebuilt episode's segments from the cache into its MP3, tag it, and stage it with
    its chapters and transcript files."""
    # Imported here: assembly (numpy, mastering) costs a build that joins nothing ~0.1 s.
    from audioguide import assemble

    settings, work, previous = plan.settings, episode_plan.work, episode_plan.previous
    script, meta = work.script, work.source.settings
    pub_date = meta.date or (previous["episode"]["pub_date"] if previous else _now())
    guid = meta.guid or (previous["episode"]["guid"] if previous else _guid(settings, script.slug))
    made = [_segment(episode_plan, index, cache) for index in range(len(script.chapters))]
    mp3_name = f"{script.slug}.mp3"
    transcript = "\n".join(u.text for c in script.chapters for u in c.utterances)
    temp = staged.path(output_dir / mp3_name)
    audio = assemble.join(made, script, temp, episode_plan.mastering.sample_rate)
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
        cover=plan.cover.data,
        cover_mime=plan.cover.mime,
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
        number=work.number,
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
    return episode


def _segment(episode_plan: EpisodePlan, index: int, cache: SpeechCache) -> EncodedSegment:
    """A chapter's segment from the cache; one found damaged only now is made again here."""
    from audioguide import segments

    key = episode_plan.keys[index]
    found = cache.get_segment(key)
    if found is None and key in episode_plan.missing:  # made in this build
        raise BuildError(
            f"{episode_plan.task(index, cache.location).label} was made, but the cache at "
            f"{cache.location} does not have it: the workers must share the build's cache "
            "(a shared folder or a URL given with --cache-dir)"
        )
    if found is None:
        segments.make_segment(episode_plan.task(index, cache.location))
        found = cache.get_segment(key)
    if found is None:
        raise BuildError(f"the cache at {cache.location} keeps no segment written to it")
    return found


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


def _episode_files(episode: Episode) -> list[str]:
    return [episode.audio_file, f"{episode.slug}.chapters.json", f"{episode.slug}.vtt"]


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
