"""Respellings that make a voice say a word so that it is heard as written (`proof --fix`).

For each suspect of a proof report, respellings made by rules (the compound opened or closed,
the word split between syllables, a vowel held longer, letters spelled as they sound) are
spoken by the guide's own voice, in a short carrier sentence and in the guide's sentences where
the word was misheard (and a couple where it was heard right, which must stay right). The first
respelling the recogniser hears as the written word everywhere is kept, and written to the
guide's lexicon with a comment; the next build then re-speaks only the sentences that have it.

Only suspects are respelled, not slips (see `proof.py`): where a word is heard right in most
places, the sentence, not the word, trips the voice, and a respelling would change every place.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from audioguide import hearing, scoring
from audioguide.engines import Engine, get_engine
from audioguide.errors import ProofError
from audioguide.lexicon import (
    LEXICON_FILE,
    FoundEntry,
    Lexicon,
    add_words,
    entry_key,
    parse_lexicon,
    proof_entries,
    read_lexicon_text,
    word_pattern,
)
from audioguide.mishearing import Progress
from audioguide.proof import EpisodeProof, Mishearing, ProofReport, occurrences

CARRIER = "The word {}, once more."
MAX_CANDIDATES = 24
MISHEARD_SENTENCES = 5
"""How many of the sentences where the word was misheard each respelling is tried in."""
HEARD_SENTENCES = 3
"""How many sentences where the word was heard right it is tried in too (they must stay right)."""
_VOWELS = "aeiouy"
_ONSETS = {"bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "ph", "pl", "pr", "qu", "sc", "sh",
           "sk", "sl", "sm", "sn", "sp", "st", "sw", "th", "tr", "tw", "wh", "wr"}
_PREFIXES = ("anti", "auto", "bio", "co", "counter", "de", "dis", "electro", "ex", "hyper", "hypo", "in",
             "inter", "intra", "macro", "micro", "mis", "multi", "non", "over", "photo", "post", "pre",
             "pro", "re", "semi", "sub", "super", "trans", "un", "under")
# Letters written as they sound, one rule at a time: (pattern, replacement).
_SOUNDS = (
    (r"c(?=[aoulr]|$)", "k"),
    (r"ction", "ckshun"),
    (r"tion", "shun"),
    (r"ph", "f"),
    (r"(?<=[aeiou])ce", "see"),
    (r"(?<=[bdglmnrv]e)s$|(?<=[aeiou])s$", "z"),
    (r"(?<=[bglmnrvz])ed$|(?<=ll)ed$", "d"),
    (r"(?<=[cfkpsx])ed$", "t"),
    (r"^e(?=[^aeiou])", "ee"),
    (r"y$", "ee"),
)


@dataclass(frozen=True)
class Fix:
    """What --fix did about one suspect."""

    word: str
    heard: str
    respelling: str = ""
    """Empty when none was found or the word was left alone."""
    tried: int = 0
    """In how many sentences (the carrier among them) the respelling was tried ..."""
    failed: int = 0
    """... and in how many of them the word was still not heard as written."""
    note: str = ""
    """Why it was left alone."""


def syllables(word: str) -> list[str]:
    """A rough split of an English word into written syllables ("microneedling" -> mi, cro,
    need, ling): consonants between vowels go with the next vowel, but two that cannot start a
    syllable together are parted."""
    lower = word.lower()
    vowel = [c in _VOWELS and not (c == "y" and (i == 0 or lower[i - 1] in _VOWELS)) for i, c in enumerate(lower)]
    if len(lower) > 3 and lower.endswith("e") and not lower.endswith(("le", "ee")) and not vowel[-2]:
        vowel[-1] = False  # a silent final e
    if len(lower) > 4 and re.search(r"[^aeiouytd]ed$", lower):
        vowel[-2] = False  # "-ed" said without a vowel of its own ("controlled")
    groups = [i for i in range(len(lower)) if vowel[i] and (i == 0 or not vowel[i - 1])]
    cuts = []
    for a, b in zip(groups, groups[1:]):
        end = a
        while vowel[end]:
            end += 1
        cluster = lower[end:b]
        if len(cluster) <= 1:
            cuts.append(end)
        elif cluster[-2:] in _ONSETS:
            cuts.append(b - 2)
        else:
            cuts.append(b - 1)
    bounds = [0, *cuts, len(word)]
    return [word[x:y] for x, y in zip(bounds, bounds[1:]) if word[x:y]]


def candidates(word: str) -> list[str]:
    """Respellings of `word` to try, plainest first, at most MAX_CANDIDATES, none the word itself."""
    found = dict.fromkeys(_candidates(word))
    found.pop(word, None)
    return list(found)[:MAX_CANDIDATES]


def _candidates(word: str) -> Iterator[str]:
    parts = [p for p in re.split(r"[-\s]+", word) if p]
    if len(parts) > 1:
        yield " ".join(parts)
        yield "".join(parts)
    splits = [form for n, part in enumerate(parts) for form in _splits(parts, n)]
    yield from splits
    yield from (form.replace(" ", "-", 1) if len(parts) == 1 else form for form in splits[:2])
    for form in [*splits[:2], word]:
        yield from _held(form, r"[aeiou]{2,}")
    for form in [word, *splits[:2]]:
        yield from _sounded(form)
    for form in [*splits[:2], word]:
        yield from _held(form, r"[aeiou]")


def _splits(parts: list[str], n: int) -> Iterator[str]:
    """The words with part n split in two at a syllable boundary, a known prefix first."""
    pieces = syllables(parts[n])
    cuts = [len("".join(pieces[:k])) for k in range(1, len(pieces))]
    part = parts[n].lower()
    cuts.sort(key=lambda cut: (part[:cut] not in _PREFIXES, abs(len(part) - 2 * cut)))
    for cut in cuts:
        split = f"{parts[n][:cut]} {parts[n][cut:]}"
        yield " ".join([*parts[:n], split, *parts[n + 1 :]])


def _held(form: str, vowels: str) -> Iterator[str]:
    """The form with one of its `vowels` held longer, its last letter doubled ("neeedling")."""
    for match in re.finditer(vowels, form, re.I):
        if match.end() < len(form):
            yield form[: match.end()] + match.group(0)[-1] + form[match.end() :]


def _sounded(form: str) -> Iterator[str]:
    """The form with one rule of `_SOUNDS` applied to each of its words."""
    for pattern, replacement in _SOUNDS:
        changed = " ".join(re.sub(pattern, replacement, w, flags=re.I) for w in form.split(" "))
        if changed != form:
            yield changed


def fix(report: ProofReport, *, model: Path | None = None, progress: Progress | None = None) -> list[Fix]:
    """Find respellings for the report's suspects and write them to the guide's lexicon,
    heard by the recogniser that proofed it (`model`: as `proof.proof` was given)."""
    scripts = report.scripts
    if scripts is None:
        raise ProofError("--fix writes the guide's lexicon.toml, and articles have none: "
                         "split them into a scripts folder (audioguide split) and build that")
    path = scripts / LEXICON_FILE
    text = read_lexicon_text(path)
    lexicon = parse_lexicon(text, path)
    ours = set(proof_entries(text))
    by_hand = {w.lower() for w, _ in lexicon.words if w not in ours}
    listener = hearing.recogniser(model)
    words = _suspects(report)
    fixes, entries = [], []
    for done, (key, (episode, found)) in enumerate(words.items(), start=1):
        heard = Counter(m.heard for m in found).most_common(1)[0][0]
        said = occurrences(key, episode.sentences)
        if key.lower() in by_hand:
            fixes.append(Fix(key, heard, note="has an entry written by hand, left as it is"))
        else:
            result = _search(key, heard, found, episode, lexicon, listener, progress, (done, len(words)))
            fixes.append(result)
            if result.respelling:
                # Later words are tried with this one as the next build will say it.
                lexicon = lexicon.with_word(key, result.respelling)
                note = (f'heard as "{heard}" ({len(found)} of {said} times); this respelling was heard '
                        f"as written in {result.tried - result.failed} of {result.tried} sentences tried")
                entries.append(FoundEntry(key, result.respelling, note))
    if entries:
        add_words(path, entries)
    return fixes


def _suspects(report: ProofReport) -> dict[str, tuple[EpisodeProof, list[Mishearing]]]:
    """Each suspect word, with the episode that mishears it most and its mishearings there."""
    found: dict[str, dict[str, list[Mishearing]]] = {}
    for episode in report.episodes:
        for mishearing in episode.mishearings:
            key = entry_key(mishearing.word)
            found.setdefault(key, {}).setdefault(episode.slug, []).append(mishearing)
    episodes = {e.slug: e for e in report.episodes}
    chosen = {}
    for key, per_episode in found.items():
        slug = max(per_episode, key=lambda s: len(per_episode[s]))
        chosen[key] = (episodes[slug], per_episode[slug])
    return chosen


def _search(
    word: str, heard: str, found: list[Mishearing], episode: EpisodeProof, lexicon: Lexicon,
    listener: hearing.Recogniser, progress: Progress | None, position: tuple[int, int],
) -> Fix:
    """The first respelling heard as written in the carrier and every test sentence, else the
    one that fails in the fewest of them, if that is fewer than the word as it is fails in."""
    assert episode.voice is not None
    voice = get_engine(episode.voice)
    misheard = list(dict.fromkeys(m.sentence for m in found))[:MISHEARD_SENTENCES]
    pattern = word_pattern(word)
    right = [s for s in dict.fromkeys(episode.sentences) if pattern.search(s) and s not in misheard]
    tests = [misheard[0], CARRIER.format(word), *misheard[1:], *right[:HEARD_SENTENCES]]
    # What goes wrong in each sentence already, which a respelling may leave but not add to.
    before = {text: _misheard(text, lexicon, voice, listener) for text in tests}
    best, fewest = "", sum(bool(before[text] & _tokens_of_word(text, word)) for text in tests)
    options = _distinct(word, candidates(word), voice)
    for n, option in enumerate(options, start=1):
        if progress:
            progress(f"Respelling {word} ({position[0]} of {position[1]})", n, len(options))
        trial = lexicon.with_word(word, option)
        failed = 0
        for text in tests:
            failed += not _heard_as_written(text, word, trial, voice, listener, before[text])
            if failed >= fewest:
                break  # no better than the best so far: try the next
        else:
            if not failed:
                return Fix(word, heard, option, len(tests))
            best, fewest = option, failed
    if best:
        return Fix(word, heard, best, len(tests), fewest)
    return Fix(word, heard, note=f"none of {len(options)} respellings was heard as written more often")


def _distinct(word: str, options: list[str], voice: Engine) -> list[str]:
    """The options that the voice would say differently from the word and from each other, where
    it can tell (an engine with a `phonemes(text)` method, such as piper); else all of them."""
    phonemes = getattr(voice, "phonemes", None)
    if phonemes is None:
        return options
    seen = {phonemes(word)}
    kept = []
    for option in options:
        said = phonemes(option)
        if said not in seen:
            seen.add(said)
            kept.append(option)
    return kept


def _heard_as_written(
    text: str, word: str, lexicon: Lexicon, voice: Engine, listener: hearing.Recogniser, before: set[int],
) -> bool:
    """Whether `word` is heard as written in `text` said with `lexicon`, and nothing that was
    heard right before goes wrong."""
    wrong = _misheard(text, lexicon, voice, listener)
    return not wrong & _tokens_of_word(text, word) and wrong <= before


def _misheard(text: str, lexicon: Lexicon, voice: Engine, listener: hearing.Recogniser) -> set[int]:
    """The tokens of `text` heard wrongly when `voice` says it with `lexicon`; a respelling heard
    as spelled does not count as its word."""
    samples = hearing.samples_of_speech(voice.synthesize(lexicon.respell(text)))
    return scoring.misheard_tokens(text, listener.hear(samples))[0]


def _tokens_of_word(text: str, word: str) -> set[int]:
    """The indices of the tokens of `text` that the lexicon entry for `word` would respell."""
    spans = scoring.token_spans(text)
    found = set()
    for match in word_pattern(word).finditer(unicodedata.normalize("NFKC", text)):
        found |= {n for n, (start, end) in enumerate(spans) if start < match.end() and match.start() < end}
    return found
