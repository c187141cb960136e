"""The pronunciation lexicon: how the voice should say words it gets wrong.

A guide's `lexicon.toml` (beside `guide.toml`) maps words to respellings, and regular expressions
to replacements::

    [words]
    microneedling = "micro needling"   # any case: matches Microneedling too
    SQL = "sequel"                      # has capitals: matches only SQL

    [patterns]
    '\\bCO2\\b' = "C O two"

It is applied when the script is spoken, not when it is written: the transcript keeps the words as
written, and since the speech cache is keyed on what the engine is given, editing one entry
re-speaks exactly the utterances that contain it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audioguide.errors import ScriptError
from audioguide.files import write_atomic
from audioguide.model import Script

LEXICON_FILE = "lexicon.toml"
FOUND_BY_PROOF = "# Found by audioguide proof"
"""How a comment above an entry that `proof --fix` wrote begins; proof may replace such entries,
and never any other."""
_HEADER = """# How the voice should say words of this guide that it gets wrong; applied when speaking,
# so transcripts and chapters keep the words as written.
"""
_TABLE = re.compile(r"^\s*\[\s*(\w+)\s*\]\s*(#.*)?$")
_ENTRY = re.compile(r"^\s*[^#\s\[]")


@dataclass(frozen=True)
class Lexicon:
    words: tuple[tuple[str, str], ...] = ()
    """(word, respelling) pairs, matched as whole words in one pass."""
    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()
    """(regular expression, replacement) pairs, applied in file order after the words."""

    @functools.cached_property
    def _word_pattern(self) -> re.Pattern[str] | None:
        if not self.words:
            return None
        # One alternation, longest words first, each in its own group: a respelling is never
        # matched again by a shorter entry ("micro-injuries" before "micro").
        alternatives = [f"({_scoped(word)})" for word, _ in self.words]
        return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)")

    def respell(self, text: str) -> str:
        if self._word_pattern is not None:
            text = self._word_pattern.sub(lambda m: self.words[m.lastindex - 1][1], text)
        for pattern, replacement in self.patterns:
            text = pattern.sub(replacement, text)
        return text

    @property
    def empty(self) -> bool:
        return not self.words and not self.patterns

    def with_word(self, word: str, said: str) -> Lexicon:
        """This lexicon with `word` respelled as `said` (replacing its entry, if any)."""
        words = [(w, s) for w, s in self.words if w != word] + [(word, said)]
        return dataclasses.replace(self, words=tuple(sorted(words, key=_entry_order)))


def read_lexicon(path: Path) -> Lexicon:
    """Read a lexicon file; a missing file is an empty lexicon, a malformed one an error."""
    return parse_lexicon(read_lexicon_text(path), path)


def read_lexicon_text(path: Path) -> str:
    """The text of a lexicon file; "" when there is none."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError as error:
        raise ScriptError(f"{path}: {error}") from None


def parse_lexicon(text: str, path: Path) -> Lexicon:
    """A lexicon from the text of its file; `path` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScriptError(f"{path}: {error}") from None
    unknown = sorted(set(data) - {"words", "patterns"})
    if unknown:
        raise ScriptError(f"{path}: unknown table [{unknown[0]}] (expected [words] or [patterns])")
    words = sorted(data.get("words", {}).items(), key=_entry_order)
    for word, said in words:
        _require_text(path, word, said)
    patterns = []
    for pattern, said in data.get("patterns", {}).items():
        _require_text(path, pattern, said)
        try:
            patterns.append((re.compile(pattern), said))
        except re.error as error:
            raise ScriptError(f"{path}: pattern {pattern!r}: {error}") from None
    return Lexicon(tuple(words), tuple(patterns))


def _entry_order(entry: tuple[str, str]) -> tuple[int, str]:
    return -len(entry[0]), entry[0]


def _scoped(word: str) -> str:
    return re.escape(word) if any(c.isupper() for c in word) else f"(?i:{re.escape(word)})"


def word_pattern(word: str) -> re.Pattern[str]:
    """What an entry for `word` matches: the whole word, in any case unless it has capitals."""
    return re.compile(rf"(?<!\w){_scoped(word)}(?!\w)")


def entry_key(word: str) -> str:
    """The key an entry for a written word gets: lower case, which matches any capitalisation,
    except for an acronym ("SQL"), which should match only itself."""
    return word if len(word) > 1 and word.isupper() else word.lower()


def _require_text(path: Path, key: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ScriptError(f"{path}: entry {key!r} must map to a non-empty string")


def apply_lexicon(script: Script, lexicon: Lexicon) -> Script:
    """The script with each utterance's `say` set where the lexicon respells its text."""
    if lexicon.empty:
        return script
    chapters = []
    for chapter in script.chapters:
        utterances = []
        for utterance in chapter.utterances:
            said = lexicon.respell(utterance.text)
            utterances.append(
                dataclasses.replace(utterance, say=said if said != utterance.text else "")
            )
        chapters.append(dataclasses.replace(chapter, utterances=tuple(utterances)))
    return dataclasses.replace(script, chapters=tuple(chapters))


@dataclass(frozen=True)
class FoundEntry:
    """A respelling found by proof-listening, with the comment that says why."""

    word: str
    said: str
    note: str


def proof_entries(text: str) -> dict[str, int]:
    """The words of a lexicon file's text whose entries proof wrote (the line under a comment
    beginning with `FOUND_BY_PROOF`), with the index of each entry's line."""
    lines = text.splitlines()
    found = {}
    for n, (above, line) in enumerate(zip(["", *lines], lines)):
        if above.strip().startswith(FOUND_BY_PROOF) and _ENTRY.match(line):
            try:
                found[next(iter(tomllib.loads(line)))] = n
            except (tomllib.TOMLDecodeError, StopIteration):
                continue  # not an entry proof wrote, whatever the comment says
    return found


def add_words(path: Path, entries: Sequence[FoundEntry]) -> None:
    """Write proof's respellings into the lexicon file, keeping every line a person wrote.

    A new word goes at the end of the [words] table, under a comment; a word whose entry proof
    wrote before has that entry replaced in place; a word with an entry of a person's is never
    touched. The file is edited as lines, not parsed and dumped again, so that its comments and
    layout stay, and the result is read back before it replaces the old file."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines()
    ours = proof_entries(text)
    existing = dict(parse_lexicon(text, path).words)
    new = []
    for entry in entries:
        block = [f"{FOUND_BY_PROOF}: {entry.note}",
                 f"{_toml_key(entry.word)} = {json.dumps(entry.said, ensure_ascii=False)}"]
        if entry.word in ours:
            at = ours[entry.word]
            lines[at - 1 : at + 1] = block
        elif entry.word in existing:
            raise ScriptError(f"{path}: {entry.word!r} has an entry written by hand; proof leaves it alone")
        else:
            new.extend(block)
    if new:
        lines = _inserted(lines, new)
    result = "\n".join(lines) + "\n"
    written = dict(parse_lexicon(result, path).words)
    for entry in entries:
        if written.get(entry.word) != entry.said:
            raise ScriptError(f"{path}: could not add {entry.word!r} = {entry.said!r}; add it by hand")
    write_atomic(path, result)


def _inserted(lines: list[str], block: list[str]) -> list[str]:
    """`block` at the end of the [words] table (after its last entry), or in a new table."""
    start = next((n for n, line in enumerate(lines) if (m := _TABLE.match(line)) and m.group(1) == "words"), None)
    if start is None:
        head = [*lines, ""] if lines else [*_HEADER.splitlines(), ""]
        return [*head, "[words]", *block]
    end = next((n for n in range(start + 1, len(lines)) if _TABLE.match(lines[n])), len(lines))
    last = max((n for n in range(start, end) if _ENTRY.match(lines[n])), default=start)
    return [*lines[: last + 1], *block, *lines[last + 1 :]]


def _toml_key(word: str) -> str:
    return word if re.fullmatch(r"[A-Za-z0-9_-]+", word) else json.dumps(word, ensure_ascii=False)
