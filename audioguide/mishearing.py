"""What one built episode is heard as: each chapter's error rates, and its mishearings.

Each chapter of the MP3 is heard on its own (so each chapter's words are exactly what was heard
in its time) and aligned with what its script meant (`scoring.py`). A word heard wrongly there
is only a mishearing of the voice's when two more hearings agree (see `proof.py`): its sentence
cut from the episode and heard alone, and the same sentence said by a reference voice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audioguide import hearing, scoring, sidecars
from audioguide.engines import Engine
from audioguide.errors import ProofError
from audioguide.lexicon import Lexicon
from audioguide.model import ChapterMark, Cue, Script, Utterance
from audioguide.scoring import Word

Progress = Callable[[str, int, int], None]
"""Called as progress(what, done, total)."""

RELIABLE_REFERENCE_WER = 0.34
"""A reference hearing worse than this says nothing about single words, and is not used."""
_CUT_MARGIN_MS = 250


@dataclass(frozen=True)
class Mishearing:
    """One occurrence of a written word heard as something else."""

    word: str
    """As written, outer punctuation off ("micro-injuries")."""
    heard: str
    """What the recogniser wrote for it; empty when it heard nothing there."""
    start_ms: int
    sentence: str
    """The written text of the utterance it occurs in."""


@dataclass(frozen=True)
class Suspect:
    word: str
    heard: str
    """The most frequent hearing."""
    start_ms: int
    """The first occurrence, in the episode's time."""
    count: int
    """How often it was misheard in the chapter ..."""
    occurrences: int = 0
    """... of how often the chapter says it."""


@dataclass(frozen=True)
class ChapterProof:
    number: int
    """1-based, as in the player page's deep links."""
    title: str
    start_ms: int
    words: int
    word_errors: int
    chars: int
    char_errors: int
    suspects: tuple[Suspect, ...] = ()
    slips: tuple[Suspect, ...] = ()
    """Mishearings of words the voice says right in most other places."""
    recogniser: tuple[Suspect, ...] = ()
    """Mishearings the reference voice shares: the recogniser's, not the voice's."""

    @property
    def wer(self) -> float:
        return self.word_errors / max(1, self.words)

    @property
    def cer(self) -> float:
        return self.char_errors / max(1, self.chars)


@dataclass(frozen=True)
class Built:
    """What the output folder holds for one episode."""

    mp3: Path
    chapters: tuple[ChapterMark, ...]
    cues: tuple[Cue | None, ...]
    """The cue of each utterance of the script, in order; None for an utterance with no sound."""


def built_episode(output_dir: Path, script: Script) -> Built:
    """What `output_dir` holds for the episode of `script`: its MP3, chapters and cues, which
    must have been built from these scripts (the cues say the same sentences)."""
    mp3 = output_dir / f"{script.slug}.mp3"
    chapters_file, vtt = output_dir / f"{script.slug}.chapters.json", output_dir / f"{script.slug}.vtt"
    for path in (mp3, chapters_file, vtt):
        if not path.is_file():
            raise ProofError(f"{output_dir}: no built audio for episode {script.slug} ({path.name} is missing); "
                             "run `audioguide build` first")
    chapters = sidecars.read_chapters_json(chapters_file.read_bytes(), origin=str(chapters_file))
    cues = list(sidecars.read_webvtt(vtt.read_text(encoding="utf-8"), origin=str(vtt)))
    paired: list[Cue | None] = []
    for utterance in (u for c in script.chapters for u in c.utterances):
        paired.append(cues.pop(0) if cues and cues[0].text == utterance.text else None)
    stale = cues or len(chapters) != len(script.chapters) or any(
        cue is None and scoring.words_of(u.text) for cue, u in zip(paired, utterances(script))
    )
    if stale:
        raise ProofError(f"{mp3} was built from other scripts than these; run `audioguide build` first")
    return Built(mp3, chapters, tuple(paired))


def utterances(script: Script) -> list[Utterance]:
    """Every utterance of the script, chapter after chapter."""
    return [u for c in script.chapters for u in c.utterances]


def respellings_of(lexicon: Lexicon) -> list[tuple[list[str], list[str]]]:
    """The lexicon's words as (written, said) comparable words, for `scoring.unrespelled`."""
    return [(scoring.words_of(word), scoring.words_of(said)) for word, said in lexicon.words]


class Listening:
    """One episode's reference tokens, and the vocabulary both sides join compounds against."""

    def __init__(self, script: Script, lexicon: Lexicon) -> None:
        self.utterances = utterances(script)
        self.tokens: list[str] = []
        self.owner: list[int] = []
        """The utterance of each token."""
        self.offsets: list[int] = []
        for n, utterance in enumerate(self.utterances):
            self.offsets.append(len(self.tokens))
            found = scoring.tokens_of(utterance.text)
            self.tokens += found
            self.owner += [n] * len(found)
        self.respellings = respellings_of(lexicon)
        self.vocabulary = {w.text for w in scoring.words_of_tokens(self.tokens)}

    def heard_words(self, tokens: Sequence[str]) -> list[Word]:
        return scoring.unrespelled(scoring.words_of_tokens(tokens), self.respellings)

    def time_of(self, token: int, cues: Sequence[Cue | None]) -> int:
        """When a written token is said: its utterance's cue, shared out by characters."""
        n = self.owner[token]
        cue = cues[n] or next((c for c in cues[n:] if c is not None), None)
        if cue is None:
            return 0
        text = self.utterances[n].text
        start, _ = scoring.token_spans(text)[token - self.offsets[n]]
        return cue.start_ms + (cue.end_ms - cue.start_ms) * start // max(1, len(text))

    def wrong_tokens(self, n: int, heard_text: str) -> tuple[set[int], float]:
        """The episode-wide indices of utterance n's tokens heard wrongly in `heard_text`, and its WER."""
        wrong, rate = scoring.misheard_tokens(self.utterances[n].text, heard_text, self.vocabulary, self.respellings)
        return {self.offsets[n] + t for t in wrong}, rate


def _bare(token: str) -> str:
    return token.strip(".,;:!?\"'()[]{}“”‘’«»")


@dataclass(frozen=True)
class Candidate:
    mishearing: Mishearing
    chapter: str
    """The chapter's id."""
    utterance: int
    tokens: range


def hear_episode(
    script: Script, built: Built, listener: hearing.Recogniser, lexicon: Lexicon,
    reference: Engine | None, progress: Progress,
) -> tuple[list[ChapterProof], list[Candidate], list[Candidate]]:
    """The episode's chapters heard and scored, and its mishearings: (the voice's, the
    recogniser's)."""
    samples = hearing.samples_of_file(built.mp3)
    total_ms = round(len(samples) * 1000 / hearing.ASR_RATE)
    label = f"Hearing {script.title}"
    listening = Listening(script, lexicon)
    # Chapter by chapter: each chapter's words are exactly what was heard in its time. (Asked
    # for word times over the whole episode, the recogniser was measured to lose whole stretches
    # of speech: 14 words of one chapter of the bundled guide.)
    heard = []
    for mark in built.chapters:
        text = listener.hear(_span(samples, mark.start_ms, mark.end_ms), script.language,
                             progress=lambda ms: progress(label, min(total_ms, mark.start_ms + ms), total_ms))
        heard.append(scoring.tokens_of(text))
        listening.vocabulary |= {w.text for w in listening.heard_words(heard[-1])}
    chapters, candidates = [], []
    first_token = 0
    for number, (chapter, mark, tokens) in enumerate(zip(script.chapters, built.chapters, heard), start=1):
        count = sum(len(scoring.tokens_of(u.text)) for u in chapter.utterances)
        token_range = range(first_token, first_token + count)
        first_token += count
        ref = scoring.joined(scoring.words_of_tokens(
            [listening.tokens[t] for t in token_range], token_range.start), listening.vocabulary)
        hyp = scoring.joined(listening.heard_words(tokens), listening.vocabulary)
        ref_texts, hyp_texts = [w.text for w in ref], [w.text for w in hyp]
        path = scoring.alignment(ref_texts, hyp_texts)
        errors = sum(r is None or h is None or ref_texts[r] != hyp_texts[h] for r, h in path)
        char_edits, chars = scoring.char_errors(ref_texts, hyp_texts)
        chapters.append(ChapterProof(number, mark.title, mark.start_ms, len(ref), errors, chars, char_edits))
        for words, blocks, _ in scoring.misheard_words(path, ref, hyp):
            candidates += _candidates(words, blocks, tokens, listening, built, chapter.id)
    voice_found, blamed = _verify(candidates, listening, built, samples, listener, reference, script, progress)
    return chapters, voice_found, blamed


def _candidates(
    words: list[Word], blocks: list[list[Word]], heard: list[str], listening: Listening, built: Built,
    chapter: str,
) -> list[Candidate]:
    """The mishearings of one error stretch, one per written token range."""
    groups: list[tuple[range, list[Word], list[Word]]] = []
    for word, block in zip(words, blocks):
        if groups and word.first <= groups[-1][0].stop - 1:
            span, said, got = groups[-1]
            groups[-1] = (range(span.start, max(span.stop, word.last + 1)), [*said, word], [*got, *block])
        else:
            groups.append((range(word.first, word.last + 1), [word], list(block)))
    found = []
    for span, said, got in groups:
        if [w.text for w in said] == [w.text for w in got]:
            continue
        heard_tokens = sorted({t for w in got for t in range(w.first, w.last + 1)})
        n = listening.owner[span.start]
        found.append(Candidate(
            Mishearing(" ".join(_bare(listening.tokens[t]) for t in span), " ".join(_bare(heard[t]) for t in heard_tokens),
                       listening.time_of(span.start, built.cues), listening.utterances[n].text),
            chapter, n, span,
        ))
    return found


def _verify(
    candidates: list[Candidate], listening: Listening, built: Built, samples: np.ndarray,
    listener: hearing.Recogniser, reference: Engine | None, script: Script, progress: Progress,
) -> tuple[list[Candidate], list[Candidate]]:
    """(the voice's, the recogniser's): candidates whose sentence heard alone is misheard there
    again, split by whether the reference voice's sentence is misheard there too."""
    by_utterance: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        by_utterance.setdefault(candidate.utterance, []).append(candidate)
    voice, recogniser = [], []
    for done, (n, found) in enumerate(sorted(by_utterance.items()), start=1):
        progress(f"Checking {script.title}", done, len(by_utterance))
        cue = built.cues[n]
        if cue is None:
            continue
        alone = listener.hear(_cut(samples, built.cues, n), script.language)
        wrong, _ = listening.wrong_tokens(n, alone)
        confirmed = [c for c in found if wrong.intersection(c.tokens)]
        if not confirmed:
            continue
        blamed: set[int] = set()
        if reference is not None:
            said = hearing.samples_of_speech(reference.synthesize(listening.utterances[n].text))
            blamed, rate = listening.wrong_tokens(n, listener.hear(said, script.language))
            if rate > RELIABLE_REFERENCE_WER:
                blamed = set()
        for candidate in confirmed:
            (recogniser if blamed.intersection(candidate.tokens) else voice).append(candidate)
    return voice, recogniser


def _cut(samples: np.ndarray, cues: Sequence[Cue | None], n: int) -> np.ndarray:
    """Utterance n's stretch of the episode, with a little of the silence around it."""
    cue = cues[n]
    assert cue is not None
    before = next((c.end_ms for c in reversed(cues[:n]) if c is not None), 0)
    after = next((c.start_ms for c in cues[n + 1 :] if c is not None), cue.end_ms + 2 * _CUT_MARGIN_MS)
    start = max(cue.start_ms - _CUT_MARGIN_MS, (before + cue.start_ms) // 2)
    return _span(samples, start, min(cue.end_ms + _CUT_MARGIN_MS, (cue.end_ms + after) // 2))


def _span(samples: np.ndarray, start_ms: int, end_ms: int) -> np.ndarray:
    rate = hearing.ASR_RATE // 1000
    return samples[start_ms * rate : end_ms * rate]
