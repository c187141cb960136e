"""The values passed between pipeline stages.

Every stage takes one of these and returns the next; all are frozen so a stage can never change
what an earlier one produced, and all are plain enough to write as JSON for inspection.
Times are integers: sample counts where audio is concerned, milliseconds where a file format
(ID3, feeds, VTT) wants them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    """One headed part of an article, as written."""

    id: str
    """Unique within its article and stable across re-parses: `NN-slug-of-title`."""
    title: str
    paragraphs: tuple[str, ...]
    """Source text, one string per paragraph, markup already removed by the reader."""
    link: str | None = None
    """Source URL of the section (an anchor in the original page), if known."""


@dataclass(frozen=True)
class Article:
    """A parsed article: its title and its non-empty sections in reading order."""

    title: str
    slug: str
    """ASCII, file- and URL-safe, derived from the file name; the episode's identity."""
    sections: tuple[Section, ...]
    language: str = "en"
    author: str = ""
    link: str | None = None
    notes: tuple[str, ...] = ()
    """Warnings for the user: what was dropped from the source and why."""


@dataclass(frozen=True)
class Pauses:
    """Lengths of the silences the narration puts between things, in milliseconds."""

    title_ms: int = 800
    sentence_ms: int = 300
    paragraph_ms: int = 700
    section_ms: int = 1600


@dataclass(frozen=True)
class Utterance:
    """One stretch of speech (a sentence or a title) and the silence that follows it."""

    text: str
    pause_ms: int
    role: str = "body"
    """`title` for a spoken chapter title, `body` for narration; voices may differ per role."""
    say: str = ""
    """What the engine is given instead of `text` when the lexicon respells a word; transcripts
    always show `text`."""

    @property
    def spoken_text(self) -> str:
        return self.say or self.text


@dataclass(frozen=True)
class ScriptChapter:
    """One section of a narration script: its spoken title first, then its sentences."""

    id: str
    title: str
    utterances: tuple[Utterance, ...]
    link: str | None = None


@dataclass(frozen=True)
class Script:
    """A whole episode's narration, ready to be spoken."""

    slug: str
    title: str
    chapters: tuple[ScriptChapter, ...]
    language: str = "en"


@dataclass(frozen=True)
class EngineSpec:
    """Which engine speaks, with which voice and settings: a plain, hashable value."""

    name: str
    voice: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    """Engine settings (speed, accent ...) as sorted key/value strings, so they hash stably."""

    def option(self, key: str, default: str | None = None) -> str | None:
        return dict(self.options).get(key, default)


@dataclass(frozen=True)
class Speech:
    """Rendered audio of one utterance: 16-bit signed little-endian mono PCM."""

    pcm: bytes
    sample_rate: int

    @property
    def num_samples(self) -> int:
        return len(self.pcm) // 2


@dataclass(frozen=True)
class RenderedChapter:
    chapter: ScriptChapter
    speech: tuple[Speech, ...]
    """One `Speech` per utterance of `chapter`, in the same order."""
    spoken: int = 0
    """How many of its utterances the engine spoke in this run (the rest came from the cache)."""


@dataclass(frozen=True)
class RenderedScript:
    script: Script
    chapters: tuple[RenderedChapter, ...]
    spoken: int = 0
    """How many utterances the engine spoke in this run."""
    cached: int = 0
    """How many utterances came from the speech cache."""


@dataclass(frozen=True)
class EncodedStream:
    """An MP3 encoder's output taken apart: its Xing/Info frame and its audio frames."""

    info_frame: bytes
    audio: bytes
    frame_count: int
    frame_samples: int
    delay: int
    """Encoder delay and end padding in samples, as the Info frame's LAME extension gives them."""
    padding: int
    music_crc: int

    @property
    def span_samples(self) -> int:
        """Samples the stream occupies when played between others: whole frames."""
        return self.frame_count * self.frame_samples


@dataclass(frozen=True)
class EncodedSegment:
    """One chapter's mastered speech, encoded, with what joining and chapter marks need."""

    stream: EncodedStream
    num_samples: int
    """Samples that were encoded, from the segment's start."""
    utterances: tuple[tuple[int, int] | None, ...]
    """Each utterance's (first, end) sample in the segment; None where it has no sound."""
    loudness_steps: bytes
    """Float64 sums of K-weighted squares over 100 ms steps, to measure the episode's loudness."""


@dataclass(frozen=True)
class ChapterMark:
    """Where a chapter lies in the finished audio."""

    id: str
    title: str
    start_ms: int
    end_ms: int
    link: str | None = None


@dataclass(frozen=True)
class Cue:
    """One spoken sentence and when it is heard, for timed transcripts."""

    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class AssembledAudio:
    """What assembly measured while writing an episode's MP3."""

    chapters: tuple[ChapterMark, ...]
    cues: tuple[Cue, ...]
    num_samples: int
    sample_rate: int
    loudness_lufs: float | None = None

    @property
    def duration_ms(self) -> int:
        return round(self.num_samples * 1000 / self.sample_rate)


@dataclass(frozen=True)
class Episode:
    """A finished episode as the feed and the player page describe it."""

    slug: str
    guid: str
    title: str
    description: str
    audio_file: str
    """File name of the MP3 inside the output folder."""
    audio_bytes: int
    duration_ms: int
    pub_date: str
    """RFC 3339 timestamp of first publication; kept across rebuilds."""
    chapters: tuple[ChapterMark, ...]
    cues: tuple[Cue, ...] = ()
    number: int | None = None
    season: int | None = None
    author: str = ""
    language: str = "en"
    link: str | None = None
    audio_sha256: str = ""
    """Hash of the MP3's bytes; the feed puts a prefix of it in the enclosure URL so that
    podcast apps fetch the audio again when it changes."""
    loudness_lufs: float | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Episode:
        return cls(
            **{
                **data,
                "chapters": tuple(ChapterMark(**c) for c in data["chapters"]),
                "cues": tuple(Cue(**c) for c in data.get("cues", ())),
            }
        )
