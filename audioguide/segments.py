"""One chapter's segment, made wherever a build sends it: spoken, mastered, encoded, cached.

This is the unit of a build's work (`plan.py` lists the units, `run.py` hands them to an
executor). A `SegmentTask` carries all that decides its segment (the chapter's script, its
voices, its layout and mastering) and where the cache is, but no audio; `make_segment` speaks
only what the cache lacks, stores the encoded segment in the cache under the key the build
expects, and returns a few numbers. So a task runs the same in a thread of the build or in a
worker process on another machine that shares the cache, and the build reads the segment back
from the cache to join its episode.
"""

from __future__ import annotations

from dataclasses import dataclass

from audioguide import assemble, synthesize
from audioguide.assemble import Mastering, SegmentPlan
from audioguide.cache import open_cache
from audioguide.errors import EngineError
from audioguide.model import EngineSpec, Script, ScriptChapter


@dataclass(frozen=True)
class SegmentTask:
    """One chapter segment to make."""

    episode: str
    """The episode's slug: for reports, and what a one-chapter script is named."""
    index: int
    """The chapter's position in its episode, from 0."""
    chapter: ScriptChapter
    voices: tuple[tuple[str, EngineSpec], ...]
    """The voice of each utterance role, as (role, voice) pairs."""
    plan: SegmentPlan
    mastering: Mastering
    key: str
    """The segment's cache key, as the build computed it."""
    cache: str
    """Where the cache is: a folder's absolute path or an fsspec URL."""

    @property
    def label(self) -> str:
        """The chapter as a person finds it: `walk, chapter 3 "The Lighthouse"`."""
        return f'{self.episode}, chapter {self.index + 1} "{self.chapter.title[:60]}"'


@dataclass(frozen=True)
class SegmentResult:
    """What a made segment tells the build: small, whatever the chapter's length."""

    key: str
    num_samples: int
    spoken: int
    """Utterances the engine spoke for it (the others came from the speech cache)."""


def make_segment(task: SegmentTask) -> SegmentResult:
    """Speak what the cache lacks of the chapter, master and encode it, and cache the segment.

    Raises EngineError when this process would make a different segment than the build keyed
    (another engine, voice model or ffmpeg build than the build's machine): its bytes would be
    cached under a key that does not describe them.
    """
    cache = open_cache(task.cache)
    voices = dict(task.voices)
    script = Script(task.episode, task.chapter.title, (task.chapter,))
    (speech_keys,) = synthesize.speech_keys(script, voices, cache)
    if assemble.segment_key(task.plan, speech_keys, task.mastering) != task.key:
        raise EngineError(
            f"{task.label}: this machine's speech engine, voice or ffmpeg differs from the build's, "
            "so its segment would not match; install the same versions of audioguide and its "
            "dependencies wherever the build runs"
        )
    (rendered,) = synthesize.render_chapters(script, voices, cache)
    segment = assemble.encode_segment(rendered, task.plan, task.mastering)
    cache.put_segment(task.key, segment)
    return SegmentResult(task.key, segment.num_samples, rendered.spoken)
