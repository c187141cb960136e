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
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from audioguide.errors import ScriptError
from audioguide.model import Script

LEXICON_FILE = "lexicon.toml"


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
        alternatives = []
        for word, _ in self.words:
            scoped = re.escape(word) if any(c.isupper() for c in word) else f"(?i:{re.escape(word)})"
            alternatives.append(f"({scoped})")
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


def read_lexicon(path: Path) -> Lexicon:
    """Read a lexicon file; a missing file is an empty lexicon, a malformed one an error."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Lexicon()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ScriptError(f"{path}: {error}") from None
    unknown = sorted(set(data) - {"words", "patterns"})
    if unknown:
        raise ScriptError(f"{path}: unknown table [{unknown[0]}] (expected [words] or [patterns])")
    words = sorted(data.get("words", {}).items(), key=lambda kv: (-len(kv[0]), kv[0]))
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
