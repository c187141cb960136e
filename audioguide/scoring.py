"""How well speech was heard: what was heard against what was meant, word by word.

Both sides are brought to comparable words first (`words_of`): lower case, numbers, money and
clock times in words, hyphens as spaces, no punctuation, so that "$3.50" and "three dollars and
fifty cents" agree. A compound may be written open, hyphenated or closed ("micro-injuries",
"microinjuries"), and neither a voice nor a listener can be held to the writer's choice, so
adjacent words are joined where either side writes them as one. Word and character error rates
are edit distances over those words; `alignment` says which word became which, for reports.

Every normalised word remembers the written token (a whitespace-separated piece of the text)
it came from, so that a report can name the word as the writer wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np
from num2words import num2words

_SYMBOLS = {"%": " percent ", "&": " and ", "+": " plus ", "@": " at ", "°": " degrees "}
# What a listener writes for what it heard said: titles and units as words, a letter per letter.
_WRITTEN = {"dr": "doctor", "mr": "mister", "mrs": "missus", "prof": "professor", "etc": "et cetera",
            "fig": "figure", "vs": "versus", "approx": "approximately", "kg": "kilograms",
            "km": "kilometers", "cm": "centimeters", "mm": "millimeters", "ml": "milliliters",
            "c": "celsius", "f": "fahrenheit"}
_CLOCK_SUFFIX = re.compile(r"[ap]\.?m\.?\W*", re.I)


@dataclass(frozen=True)
class Word:
    """A normalised word and the written tokens (by index) it came from."""

    text: str
    first: int
    last: int


def _number_words(text: str) -> str:
    if re.fullmatch(r"1[1-9]\d\d|20\d\d", text):
        return num2words(int(text), to="year")
    whole, _, fraction = text.replace(",", "").partition(".")
    spoken = num2words(int(whole))
    return f"{spoken} point {' '.join(num2words(int(d)) for d in fraction)}" if fraction else spoken


def _money(match: re.Match[str]) -> str:
    whole, _, cents = match.group(1).replace(",", "").partition(".")
    spoken = f"{num2words(int(whole))} {'dollar' if whole == '1' else 'dollars'}"
    return spoken + (f" and {num2words(int(cents))} cents" if cents and int(cents) else "")


def _time(hours_text: str, minutes_text: str) -> str:
    hours, minutes = int(hours_text), int(minutes_text)
    if not minutes:
        return num2words(hours)
    return f"{num2words(hours)} {'oh ' if minutes < 10 else ''}{num2words(minutes)}"


def _plural(word: str) -> str:
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def token_spans(text: str) -> list[tuple[int, int]]:
    """Where the written tokens of `text` lie in its NFKC form: the whitespace-separated pieces,
    except that a clock's "a.m." or "pm" stays with the number before it ("9:05 a.m.")."""
    text = unicodedata.normalize("NFKC", text)
    spans: list[tuple[int, int]] = []
    for piece in re.finditer(r"\S+", text):
        if spans and _CLOCK_SUFFIX.fullmatch(piece.group(0)) and text[spans[-1][1] - 1].isdigit():
            spans[-1] = (spans[-1][0], piece.end())
        else:
            spans.append(piece.span())
    return spans


def tokens_of(text: str) -> list[str]:
    """The written tokens of `text` (see `token_spans`)."""
    text = unicodedata.normalize("NFKC", text)
    return [text[start:end] for start, end in token_spans(text)]


def token_words(token: str) -> list[str]:
    """One written token as comparable words ("micro-injuries," -> micro, injuries)."""
    text = token.replace("’", "'")
    text = re.sub(r"\$(\d[\d,]*(?:\.\d\d)?)", _money, text)
    text = re.sub(r"(?<=\d)\s*([ap])\.?m\.?(?!\w)", lambda m: f" {m.group(1).lower()} m", text, flags=re.I)
    text = re.sub(r"\b(\d{1,2})[:.]?(\d\d)(?= [ap] m\b)|\b(\d{1,2}):(\d\d)\b",
                  lambda m: _time(*[g for g in m.groups() if g is not None]), text)
    text = re.sub(r"\b\d{3}-\d{4}\b", lambda m: " ".join(num2words(int(d)) for d in m.group(0) if d != "-"), text)
    text = re.sub(r"(?<!\w)((?:[A-Za-z]\.){2,})", lambda m: " ".join(m.group(1).split(".")), text)
    text = re.sub(r"\b((?:1[1-9]|20)\d0)'?s\b", lambda m: _plural(num2words(int(m.group(1)), to="year")), text)
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: num2words(int(m.group(1)), to="ordinal"), text)
    text = re.sub(r"\d[\d,]*(?:\.\d+)?", lambda m: f" {_number_words(m.group(0))} ", text)
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    text = re.sub(r"(?<=[^\W\d_])\.(?=[^\W\d_])", " dot ", text.lower().replace("-", " "))
    text = re.sub(r"[^\w\s']", " ", text)
    words = [word.strip("'") for word in text.split() if word.strip("'")]
    return [part for word in words for part in _WRITTEN.get(word, word).split()]


def words_of(text: str) -> list[str]:
    """Text as comparable words: lower case, numbers in words, hyphens as spaces, no punctuation,
    so that "$3.50" and "three dollars and fifty cents" or "micro-injuries" and "micro injuries"
    agree."""
    return [word.text for word in words_of_tokens(tokens_of(text))]


def words_of_tokens(tokens: Sequence[str], offset: int = 0) -> list[Word]:
    """The comparable words of written tokens, each with its token's index (plus `offset`)."""
    return [Word(text, n, n) for n, token in enumerate(tokens, start=offset) for text in token_words(token)]


def joined(words: Sequence[Word], vocabulary: set[str]) -> list[Word]:
    """Adjacent words joined where the other side writes them as one ("micro needling")."""
    out: list[Word] = []
    for word in words:
        if out and out[-1].text + word.text in vocabulary:
            out[-1] = Word(out[-1].text + word.text, out[-1].first, word.last)
        else:
            out.append(word)
    return out


def unrespelled(heard: Sequence[Word], respellings: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[Word]:
    """Heard words with each lexicon respelling heard as such ("mycro needling") turned back into
    the written word it stands for (microneedling): the listener heard what the voice was told.

    `respellings` holds (written words, respelled words) pairs, both as `words_of` gives them."""
    found = [(list(said), list(written)) for written, said in respellings if said and list(said) != list(written)]
    found.sort(key=lambda pair: -len(pair[0]))
    out: list[Word] = []
    texts = [word.text for word in heard]
    i = 0
    while i < len(heard):
        for said, written in found:
            if texts[i : i + len(said)] == said:
                first, last = heard[i].first, heard[i + len(said) - 1].last
                out.extend(Word(text, first, last) for text in written)
                i += len(said)
                break
        else:
            out.append(heard[i])
            i += 1
    return out


def _rows(reference: Sequence[str], hypothesis: Sequence[str]) -> Iterator[np.ndarray]:
    """The rows of the Levenshtein table between two sequences, the empty prefix's row first."""
    codes = {token: n for n, token in enumerate(set(reference) | set(hypothesis))}
    hyp = np.array([codes[token] for token in hypothesis], dtype=np.int64)
    steps = np.arange(len(hyp) + 1)
    previous = steps.copy()
    yield previous
    for i, token in enumerate(reference, start=1):
        # Deletions and substitutions come from the row above; the insertions along the row are
        # a running minimum of (cost - position), which numpy does in one pass.
        best = np.empty_like(previous)
        best[0] = i
        best[1:] = np.minimum(previous[1:] + 1, previous[:-1] + (hyp != codes[token]))
        previous = np.minimum.accumulate(best - steps) + steps
        yield previous


def edits(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance between two sequences (substitutions, insertions, deletions)."""
    for row in _rows(reference, hypothesis):
        pass
    return int(row[-1])


def alignment(reference: Sequence[str], hypothesis: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """A cheapest edit path as (reference index, hypothesis index) pairs in order: both set for a
    match or substitution, None on the hypothesis side for a deletion, on the reference side for an
    insertion. Matches are preferred where paths tie."""
    table = np.stack(list(_rows(reference, hypothesis)))
    path: list[tuple[int | None, int | None]] = []
    i, j = len(reference), len(hypothesis)
    while i or j:
        cost = table[i, j]
        if i and j and cost == table[i - 1, j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            i, j = i - 1, j - 1
            path.append((i, j))
        elif i and cost == table[i - 1, j] + 1:
            i -= 1
            path.append((i, None))
        else:
            j -= 1
            path.append((None, j))
    return path[::-1]


def aligned_words(reference: str, heard: str) -> tuple[list[str], list[str]]:
    """Both texts as comparable words, compounds joined alike on both sides.

    Both sides join against both vocabularies: one closed hearing of a compound must not turn
    every open hearing of it into an error."""
    ref, hyp = words_of_tokens(tokens_of(reference)), words_of_tokens(tokens_of(heard))
    vocabulary = {w.text for w in ref} | {w.text for w in hyp}
    return [w.text for w in joined(ref, vocabulary)], [w.text for w in joined(hyp, vocabulary)]


def misheard_tokens(
    reference: str, heard: str, vocabulary: set[str] | frozenset[str] = frozenset(),
    respellings: Sequence[tuple[Sequence[str], Sequence[str]]] = (),
) -> tuple[set[int], float]:
    """Which written tokens of `reference` (by index in `tokens_of`) were heard wrongly in
    `heard`, and the word error rate. Compounds join against both texts and `vocabulary`;
    `respellings` are turned back into their written words first (see `unrespelled`)."""
    ref = words_of_tokens(tokens_of(reference))
    hyp = unrespelled(words_of_tokens(tokens_of(heard)), respellings)
    known = set(vocabulary) | {w.text for w in ref} | {w.text for w in hyp}
    ref, hyp = joined(ref, known), joined(hyp, known)
    wrong, errors = set(), 0
    for r, h in alignment([w.text for w in ref], [w.text for w in hyp]):
        if r is None or h is None or ref[r].text != hyp[h].text:
            errors += 1
            if r is not None:
                wrong.update(range(ref[r].first, ref[r].last + 1))
    return wrong, errors / max(1, len(ref))


def misheard_words(
    path: Sequence[tuple[int | None, int | None]], ref: Sequence[Word], hyp: Sequence[Word],
) -> Iterator[tuple[list[Word], list[list[Word]], int | None]]:
    """Each stretch of an `alignment` path that is not a match, with written words in it: its
    written words, the heard words each was heard as (see `shared`), and the index of the heard
    word before the stretch (None at the start)."""
    run: list[tuple[int | None, int | None]] = []
    before: int | None = None
    for r, h in [*path, (None, None)]:
        matched = r is not None and h is not None and ref[r].text == hyp[h].text
        if not matched and (r is not None or h is not None):
            run.append((r, h))
            continue
        words = [ref[i] for i, _ in run if i is not None]
        if words:
            heard = [hyp[j] for _, j in run if j is not None]
            yield words, shared(words, heard), before
        run = []
        before = h if h is not None else before


def shared(words: Sequence[Word], heard: Sequence[Word]) -> list[list[Word]]:
    """Each written word's stretch of the heard words, in order, so that each stretch sounds most
    like its word (by letters): "microneedling and" heard as "mikro needling in" gives
    [mikro needling] and [in]."""
    n, m = len(words), len(heard)
    score = np.full((n + 1, m + 1), -1.0)
    cut = np.zeros((n + 1, m + 1), dtype=np.int64)
    score[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(m + 1):
            for k in range(j + 1):
                if score[i - 1, k] < 0:
                    continue
                said = "".join(w.text for w in heard[k:j])
                value = score[i - 1, k] + (SequenceMatcher(None, words[i - 1].text, said).ratio() if said else 0.0)
                if value > score[i, j]:
                    score[i, j], cut[i, j] = value, k
    blocks, j = [], m
    for i in range(n, 0, -1):
        blocks.append(list(heard[cut[i, j] : j]))
        j = cut[i, j]
    return blocks[::-1]


def word_errors(reference: str, heard: str) -> tuple[int, int]:
    """(word edits, reference words) of `heard` against `reference`."""
    ref, hyp = aligned_words(reference, heard)
    return edits(ref, hyp), len(ref)


def wer(reference: str, heard: str) -> float:
    """Word error rate of `heard` against `reference`, after `words_of` on both."""
    errors, total = word_errors(reference, heard)
    return errors / max(1, total)


def char_errors(reference: Sequence[str], heard: Sequence[str]) -> tuple[int, int]:
    """(character edits, reference characters) over comparable words, single spaces between them."""
    ref_text, hyp_text = " ".join(reference), " ".join(heard)
    return edits(list(ref_text), list(hyp_text)), len(ref_text)


def cer(reference: str, heard: str) -> float:
    """Character error rate over the same words as `wer`."""
    errors, total = char_errors(*aligned_words(reference, heard))
    return errors / max(1, total)
