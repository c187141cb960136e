"""What a build must make, decided before anything is made.

A plan reads the guide's episodes, the output folder's manifest and the cache's index, and
writes nothing. It says which episodes are stale (an input that shapes their files changed, or
a file is gone or was touched), which of their chapters' segments the cache lacks, and in what
order to make those: the guide's order, chapter by chapter, so that the first episodes are
ready to join while the later ones are still being made. A build runs the plan's tasks
(`run.py`) and writes the stale episodes; a dry run reports the plan.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audioguide import __version__, cover
from audioguide.cache import SpeechCache, default_cache_dir
from audioguide.engines import engine_identity, identify
from audioguide.errors import BuildError
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
from audioguide.model import EngineSpec, Script
from audioguide.settings import EpisodeSettings, GuideSettings
from audioguide.tags import MAX_CHAPTERS

if TYPE_CHECKING:  # assembly imports numpy and mastering, which a build with nothing to make never needs
    from audioguide.assemble import Mastering, SegmentPlan
    from audioguide.segments import SegmentTask

MANIFEST_FILE = ".audioguide-manifest.json"
MANIFEST_VERSION = 1
WORDS_PER_MINUTE = 165
"""Speaking pace of the default voice at speed 1.0, for estimates before anything is spoken."""


@dataclass(frozen=True)
class EpisodeWork:
    """One episode to be, resolved: where it comes from, its script (the lexicon applied), the
    voice of each utterance role, and its number in the feed."""

    source: EpisodeSource
    script: Script
    voices: dict[str, EngineSpec]
    number: int


@dataclass(frozen=True)
class Cover:
    """The guide's artwork, as every episode's tag and the feed carry it."""

    data: bytes
    mime: str

    @property
    def file(self) -> str:
        return "cover.png" if self.mime == "image/png" else "cover.jpg"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class EpisodePlan:
    """One episode: kept as it is, or rebuilt from its chapters' segments."""

    work: EpisodeWork
    inputs: str
    """Hash of every input that shapes the episode's files."""
    previous: dict | None
    """The episode's entry in the last build's manifest, if it had one."""
    rebuild: bool
    mastering: Mastering | None = None
    layouts: tuple[SegmentPlan, ...] = ()
    keys: tuple[str, ...] = ()
    """A rebuilt episode's segment layouts and keys, one per chapter."""
    missing: tuple[str, ...] = ()
    """The keys of those segments the cache lacks."""

    def task(self, index: int, cache: str) -> SegmentTask:
        """The task that makes chapter `index`'s segment into the cache at `cache`."""
        from audioguide.segments import SegmentTask

        assert self.mastering is not None, "a current episode has no segments to make"
        work = self.work
        return SegmentTask(
            work.script.slug, index, work.script.chapters[index], tuple(sorted(work.voices.items())),
            self.layouts[index], self.mastering, self.keys[index], cache,
        )  # fmt: skip


@dataclass(frozen=True)
class BuildPlan:
    """All a build will do: its episodes in guide order, and the segments it must make."""

    settings: GuideSettings
    cover: Cover
    episodes: tuple[EpisodePlan, ...]
    tasks: tuple[SegmentTask, ...]
    """Every segment to make, each once, in the order to make them."""
    manifest: dict
    """The output folder's manifest as the last build left it (empty if none)."""


def open_build_cache(options: BuildOptions) -> SpeechCache:
    return SpeechCache(options.cache_dir or default_cache_dir())


def episodes_of(guide: Guide, options: BuildOptions) -> tuple[GuideSettings, list[EpisodeWork]]:
    """The guide's settings under the options, and its episodes, each voice checked: a script,
    voice or chapter count that cannot work fails here, before any work starts."""
    settings = apply_options(guide.settings, options)
    lexicon = read_lexicon(guide.root / LEXICON_FILE) if guide.root else Lexicon()
    found = []
    for source in guide.sources:
        script = read_episode_script(source, pauses_of(settings))
        voices = episode_voices(settings, source.settings, script.language, options)
        for part_source, part in _parts(source, script, options.split_long):
            found.append((part_source, apply_lexicon(part, lexicon), voices))
    # A feed's posts have dates, not numbers; positions would shift as the feed moves on.
    numbers = iter(_episode_numbers([source.settings.number for source, _, _ in found if not source.feed]))
    return settings, [EpisodeWork(*parts, 0 if parts[0].feed else next(numbers)) for parts in found]


def plan_build(
    guide: Guide, settings: GuideSettings, works: Sequence[EpisodeWork], output_dir: Path, cache: SpeechCache
) -> BuildPlan:
    """What a build of `works` into `output_dir` must make, given what is there and cached."""
    manifest = read_manifest(output_dir)
    recorded = manifest.get("episodes", {})
    art = guide_cover(guide, settings)
    episodes: list[EpisodePlan] = []
    tasks: dict[str, SegmentTask] = {}
    for work in works:
        inputs = _inputs_hash(work, settings, art.sha256)
        previous = recorded.get(work.script.slug)
        if previous and previous["inputs"] == inputs and files_intact(output_dir, previous):
            episodes.append(EpisodePlan(work, inputs, previous, rebuild=False))
            continue
        episode = plan_episode(work, cache, inputs, previous)
        for key in episode.missing:
            # A chapter heard the same in two episodes is made once.
            tasks.setdefault(key, episode.task(episode.keys.index(key), cache.location))
        episodes.append(episode)
    return BuildPlan(settings, art, tuple(episodes), tuple(tasks.values()), manifest)


def guide_cover(guide: Guide, settings: GuideSettings) -> Cover:
    image = Path(settings.image) if settings.image else None
    if image is not None and not image.is_absolute() and guide.root is not None:
        image = guide.root / image
    return Cover(*cover.prepare_cover(image, settings.title, author=settings.author, picture=guide.cover))


def plan_episode(work: EpisodeWork, cache: SpeechCache, inputs: str = "", previous: dict | None = None) -> EpisodePlan:
    """A rebuild of `work`: every chapter's segment layout and key, and which of them the cache lacks."""
    from audioguide import assemble, synthesize

    # Every voice is resampled to the narration's rate; chapter times are counted in it.
    mastering = assemble.Mastering(assemble.episode_rate(identify(work.voices["body"]).sample_rate))
    layouts = tuple(assemble.plan_segments(work.script, mastering.sample_rate))
    speech = synthesize.speech_keys(work.script, work.voices, cache)
    keys = tuple(assemble.segment_key(layout, said, mastering) for layout, said in zip(layouts, speech))
    # Each key asked once: on an object store every question is a request.
    missing = tuple(key for key in dict.fromkeys(keys) if not cache.has_segment(key))
    return EpisodePlan(work, inputs, previous, True, mastering, layouts, keys, missing)


def _parts(source: EpisodeSource, script: Script, split_long: bool) -> list[tuple[EpisodeSource, Script]]:
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


def _inputs_hash(work: EpisodeWork, settings: GuideSettings, cover_sha: str) -> str:
    """Hash of everything that shapes an episode's files (not the feed-only settings)."""
    meta: EpisodeSettings = work.source.settings
    payload = {
        "generator": __version__,
        "script": dataclasses.asdict(work.script),
        "voices": {role: engine_identity(spec) for role, spec in work.voices.items()},
        "episode": dataclasses.asdict(meta),
        "number": work.number,
        "author": settings.author,
        "album": settings.title,
        "cover": cover_sha,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def file_stamps(output_dir: Path, names: list[str]) -> dict[str, list[int]]:
    stamps = {}
    for name in names:
        stat = (output_dir / name).stat()
        stamps[name] = [stat.st_size, stat.st_mtime_ns]
    return stamps


def files_intact(output_dir: Path, recorded: dict) -> bool:
    """True when every file the manifest lists is still there, unchanged since it was written."""
    try:
        return file_stamps(output_dir, list(recorded["files"])) == recorded["files"]
    except FileNotFoundError:
        return False


def read_manifest(output_dir: Path) -> dict:
    path = output_dir / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if data.get("version") == MANIFEST_VERSION else {}


@dataclass(frozen=True)
class SectionEstimate:
    title: str
    words: int
    ms: int
    make: bool
    """Whether its segment would be made (not taken from the cache or the current output)."""


@dataclass(frozen=True)
class EpisodeEstimate:
    slug: str
    title: str
    rebuild: bool
    sections: tuple[SectionEstimate, ...]

    @property
    def words(self) -> int:
        return sum(s.words for s in self.sections)

    @property
    def ms(self) -> int:
        return sum(s.ms for s in self.sections)

    @property
    def to_make(self) -> int:
        return sum(s.make for s in self.sections)


def dry_run(sources: Sequence[Path | str], options: BuildOptions = BuildOptions()) -> list[EpisodeEstimate]:
    """What a build would do, per episode: rebuilt or not, and per section its word count,
    estimated length and whether its segment would be made. Writes nothing."""
    guide = load_guide(sources, latest=options.latest)
    settings, works = episodes_of(guide, options)
    plan = plan_build(guide, settings, works, options.output_dir, open_build_cache(options))
    estimates = []
    for episode in plan.episodes:
        script, meta = episode.work.script, episode.work.source.settings
        pace = WORDS_PER_MINUTE * (options.speed or meta.speed or settings.speed)
        sections = []
        for chapter, key in zip(script.chapters, episode.keys or [None] * len(script.chapters)):
            words = sum(len(u.text.split()) for u in chapter.utterances)
            pauses = sum(u.pause_ms for u in chapter.utterances)
            ms = round(words / pace * 60000) + pauses
            sections.append(SectionEstimate(chapter.title, words, ms, key in episode.missing))
        estimates.append(EpisodeEstimate(script.slug, script.title, episode.rebuild, tuple(sections)))
    return estimates
