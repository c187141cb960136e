"""Proof-listening: hear a built guide back, as a listener would, and find what its voice got wrong.

Each chapter of each episode is heard by an offline recogniser (`hearing.py`) and aligned with
what its script meant (`mishearing.py`, `scoring.py`: numbers, compounds, case and punctuation
normalised on both sides, the lexicon's respellings turned back into the written word), which
gives each chapter's word and character error rates.

A recogniser mishears some words whatever the voice does, and a few more by the chance of where
its 30-second windows fall; those must not flood the report. So a word heard wrongly in the
episode counts as the voice's only when two more hearings agree:

1. its sentence, cut from the episode and heard alone, is heard wrongly at that word again (a
   window's chance does not repeat itself); and
2. the same sentence said by a reference voice that the recogniser hears well is heard right at
   that word. Where the reference voice is misheard there too, the recogniser is at fault, and
   the mishearing is listed as the recogniser's instead.

Of the voice's mishearings, those of a word misheard in a good share of the places the guide
says it make it a *suspect* (the voice says that word wrongly: a lexicon entry helps); the
others are *slips* (a sentence trips the voice on a word it usually says right: reword it).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audioguide import hearing
from audioguide.guide import BuildOptions, episode_voices, load_guide, pauses_of, read_episode_script
from audioguide.engines import Engine, for_language, get_engine
from audioguide.engines.base import primary_language
from audioguide.errors import EngineError
from audioguide.lexicon import LEXICON_FILE, Lexicon, apply_lexicon, entry_key, read_lexicon, word_pattern
from audioguide.mishearing import (
    Candidate,
    ChapterProof,
    Mishearing,
    Progress,
    Suspect,
    built_episode,
    hear_episode,
    utterances,
)
from audioguide.model import EngineSpec, ScriptChapter
from audioguide.player import PLAYER_FILE, deep_link

__all__ = ["ChapterProof", "EpisodeProof", "Mishearing", "ProofReport", "Suspect", "chapter_link", "proof"]

REFERENCE_ENGINES = ("hibari", "piper")
"""Reference voices in order of preference: the recogniser hears hibari best (0.07% WER on the
bundled guide's sentences, against 2.3% for piper's joe)."""
MIN_MISHEARD_SHARE = 1 / 4
"""A word misheard in at least this share of the places the guide says it is a suspect; below
it, its mishearings are slips of single sentences."""


@dataclass(frozen=True)
class EpisodeProof:
    slug: str
    title: str
    chapters: tuple[ChapterProof, ...]
    mishearings: tuple[Mishearing, ...] = ()
    """Every misheard occurrence of the episode's suspects."""
    sentences: tuple[str, ...] = ()
    """The written text of every utterance, for trying respellings where a word is heard right."""
    voice: EngineSpec | None = None
    """The voice of the narration."""

    @property
    def wer(self) -> float:
        return _rate(self.chapters, "word_errors", "words")

    @property
    def cer(self) -> float:
        return _rate(self.chapters, "char_errors", "chars")


@dataclass(frozen=True)
class ProofReport:
    episodes: tuple[EpisodeProof, ...]
    reference_voice: str = ""
    """The voice that told the recogniser's mishearings apart; empty when none could speak."""
    scripts: Path | None = None
    """The guide's scripts folder (where its lexicon is); None for a guide built from articles."""

    @property
    def wer(self) -> float:
        return _rate([c for e in self.episodes for c in e.chapters], "word_errors", "words")

    @property
    def cer(self) -> float:
        return _rate([c for e in self.episodes for c in e.chapters], "char_errors", "chars")

    def to_dict(self) -> dict:
        """The report as `proof --json` writes it."""
        return {
            "wer": round(self.wer, 4),
            "cer": round(self.cer, 4),
            "reference_voice": self.reference_voice,
            "episodes": [
                {
                    "slug": e.slug,
                    "title": e.title,
                    "wer": round(e.wer, 4),
                    "cer": round(e.cer, 4),
                    "chapters": [
                        {
                            "number": c.number,
                            "title": c.title,
                            "link": chapter_link(e.slug, c.number),
                            "start_ms": c.start_ms,
                            "words": c.words,
                            "wer": round(c.wer, 4),
                            "cer": round(c.cer, 4),
                            "suspects": [dataclasses.asdict(s) for s in c.suspects],
                            "slips": [dataclasses.asdict(s) for s in c.slips],
                            "recogniser": [dataclasses.asdict(s) for s in c.recogniser],
                        }
                        for c in e.chapters
                    ],
                }
                for e in self.episodes
            ],
        }


def _rate(chapters: Sequence[ChapterProof], errors: str, total: str) -> float:
    return sum(getattr(c, errors) for c in chapters) / max(1, sum(getattr(c, total) for c in chapters))


def chapter_link(slug: str, number: int) -> str:
    """The chapter's deep link in the player page ("index.html#<slug>/<number>")."""
    return PLAYER_FILE + deep_link(slug, number)


def proof(
    sources: Sequence[Path], output_dir: Path, *, model: Path | None = None, progress: Progress | None = None,
) -> ProofReport:
    """Hear every episode of the guide built from `sources` into `output_dir`, and report."""
    guide = load_guide(sources)
    lexicon = read_lexicon(guide.root / LEXICON_FILE) if guide.root else Lexicon()
    listener = hearing.recogniser(model)
    work = []
    for source in guide.sources:
        script = apply_lexicon(read_episode_script(source, pauses_of(guide.settings)), lexicon)
        listener.check_language(script.language)
        voice = episode_voices(guide.settings, source.settings, script.language, BuildOptions())["body"]
        work.append((script, voice, built_episode(output_dir, script)))
    heard, references = [], []
    for script, voice, built in work:
        reference = _reference_voice(voice.name, script.language)
        references.append(f"{reference.name} {reference.voice}" if reference else "")
        chapters, voice_found, blamed = hear_episode(script, built, listener, lexicon, reference, progress or _quiet)
        episode = EpisodeProof(script.slug, script.title, tuple(chapters),
                               sentences=tuple(u.text for u in utterances(script)), voice=voice)
        heard.append((episode, voice_found, blamed, script))
    # A suspect is a word the voice says wrongly in a good share of the places it says it; the
    # other mishearings are slips, where a sentence rather than the word trips the voice.
    sentences = [text for episode, *_ in heard for text in episode.sentences]
    misheard = Counter(entry_key(c.mishearing.word) for _, voice_found, _, _ in heard for c in voice_found)
    suspect = {key for key, count in misheard.items() if count >= MIN_MISHEARD_SHARE * occurrences(key, sentences)}
    episodes = []
    for episode, voice_found, blamed, script in heard:
        words = [c for c in voice_found if entry_key(c.mishearing.word) in suspect]
        slips = [c for c in voice_found if entry_key(c.mishearing.word) not in suspect]
        chapters = tuple(
            dataclasses.replace(c, suspects=_grouped(words, said), slips=_grouped(slips, said),
                                recogniser=_grouped(blamed, said))
            for c, said in zip(episode.chapters, script.chapters)
        )
        episodes.append(dataclasses.replace(episode, chapters=chapters, mishearings=tuple(c.mishearing for c in words)))
    return ProofReport(tuple(episodes), ", ".join(dict.fromkeys(r for r in references if r)), guide.root)


def occurrences(word: str, sentences: Sequence[str]) -> int:
    """How often `word` occurs in `sentences`, as the lexicon would match it."""
    pattern = word_pattern(word)
    return sum(len(pattern.findall(text)) for text in sentences)


def _quiet(what: str, done: int, total: int) -> None:
    pass


def _reference_voice(engine: str, language: str) -> Engine | None:
    """A voice other than the guide's that the recogniser hears well, or None."""
    if primary_language(language) != "en":
        return None
    for name in REFERENCE_ENGINES:
        if name == engine:
            continue
        try:
            return get_engine(for_language(EngineSpec(name), language))
        except EngineError:
            continue
    return None


def _grouped(candidates: list[Candidate], chapter: ScriptChapter) -> tuple[Suspect, ...]:
    """A chapter's mishearings, one suspect per word (in the lexicon's sense of the same word)."""
    words: dict[str, list[Mishearing]] = {}
    for candidate in candidates:
        if candidate.chapter == chapter.id:
            words.setdefault(entry_key(candidate.mishearing.word), []).append(candidate.mishearing)
    suspects = []
    for key, found in words.items():
        said = occurrences(key, [u.text for u in chapter.utterances])
        heard = Counter(m.heard for m in found).most_common(1)[0][0]
        suspects.append(Suspect(key, heard, min(m.start_ms for m in found), len(found), max(said, len(found))))
    return tuple(suspects)
