"""Which writing systems a narration voice can read, and text in the others left out.

A voice for English reads Latin letters; given Chinese or Korean it spells out code points or
says nothing useful. So before text reaches a script, passages in a writing system the episode's
language does not use (a "Translations" list of 中文 and 한국어 links in an English README) are
taken out, and the article says so in a note. Latin letters stay in every language (names,
brands), and so do a few Greek letters in Latin text (π, μm).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from audioguide.readers.blocks import quoted

_RANGES = {
    "GREEK": "\u0370-\u03ff\u1f00-\u1fff", "CYRILLIC": "\u0400-\u052f", "ARMENIAN": "\u0530-\u058f",
    "HEBREW": "\u0590-\u05ff", "ARABIC": "\u0600-\u06ff\u0750-\u077f", "DEVANAGARI": "\u0900-\u097f",
    "BENGALI": "\u0980-\u09ff", "TAMIL": "\u0b80-\u0bff", "TELUGU": "\u0c00-\u0c7f", "THAI": "\u0e00-\u0e7f",
    "GEORGIAN": "\u10a0-\u10ff", "HANGUL": "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af",
    "HIRAGANA": "\u3040-\u309f", "KATAKANA": "\u30a0-\u30ff\uff66-\uff9f",
    "HAN": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff",
}
"""The Unicode blocks of each writing system a Latin-script voice cannot read."""
_SCRIPTS_OF_LANGUAGE = {
    "ru": {"CYRILLIC"}, "uk": {"CYRILLIC"}, "bg": {"CYRILLIC"}, "sr": {"CYRILLIC"}, "mk": {"CYRILLIC"},
    "be": {"CYRILLIC"}, "kk": {"CYRILLIC"}, "el": {"GREEK"}, "zh": {"HAN"}, "ja": {"HAN", "HIRAGANA", "KATAKANA"},
    "ko": {"HANGUL", "HAN"}, "ar": {"ARABIC"}, "fa": {"ARABIC"}, "ur": {"ARABIC"}, "he": {"HEBREW"},
    "yi": {"HEBREW"}, "hi": {"DEVANAGARI"}, "mr": {"DEVANAGARI"}, "ne": {"DEVANAGARI"}, "th": {"THAI"},
    "bn": {"BENGALI"}, "ta": {"TAMIL"}, "te": {"TELUGU"}, "ka": {"GEORGIAN"}, "hy": {"ARMENIAN"},
}
_NAMES = {"HAN": "Chinese characters", "HANGUL": "Korean", "HIRAGANA": "Japanese kana",
          "KATAKANA": "Japanese kana"}
_LANGUAGES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
              "pt": "Portuguese", "nl": "Dutch"}
_OPEN, _CLOSE = "([{「『“\"'«（【", ")]}」』”\"'»）】。、，！？：；"


_STYLED = re.compile("[\U0001d400-\U0001d7ff\uff01-\uff5e]")
"""Letters and digits styled for mathematics (𝑘, 𝐀, 𝟙) and fullwidth Latin (ＡＢＣ): a voice
spells out their code points ("letter 1D458"), so they are read as the plain ones."""


def plain_letters(text: str) -> str:
    """`text` with mathematical and fullwidth letters and digits as plain ones: "𝑘 − 1" -> "k − 1"."""
    return _STYLED.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


def scripts_for(language: str) -> frozenset[str]:
    """The writing systems a voice for `language` (a BCP 47 tag) reads: Latin, and its own."""
    return frozenset({"LATIN"} | _SCRIPTS_OF_LANGUAGE.get(language.split("-")[0].lower(), set()))


@functools.lru_cache(maxsize=64)
def _runs(allowed: frozenset[str]) -> re.Pattern[str] | None:
    """Passages in the writing systems not allowed: their letters, words joined by spaces, and
    the brackets and CJK punctuation around them."""
    letters = "".join(ranges for script, ranges in _RANGES.items() if script not in allowed)
    if not letters:
        return None
    letter = f"[{letters}]"
    return re.compile(f"[{re.escape(_OPEN)}]*{letter}(?:[\\w'’·-]*{letter}|[^\\S\\n]+(?={letter}))*"
                      f"[\\w'’·-]*[{re.escape(_CLOSE)}]*")


_SCRIPT_OF = {script: re.compile(f"[{ranges}]") for script, ranges in _RANGES.items()}


def _script(char: str) -> str:
    return next((script for script, letters in _SCRIPT_OF.items() if letters.match(char)), "")


def _counts(passage: str) -> bool:
    """A passage worth leaving out: not one or two Greek letters in Latin text (π, μm)."""
    letters = [c for c in passage if _script(c)]
    return not (len(letters) <= 2 and all(_script(c) == "GREEK" for c in letters))


def unsayable(text: str, language: str) -> list[str]:
    """Passages of `text` in a writing system the language's voice cannot read."""
    runs = _runs(scripts_for(language))
    return [m.group(0).strip(_OPEN + _CLOSE) for m in runs.finditer(text) if _counts(m.group(0))] if runs else []


def without_unsayable(text: str, language: str) -> str:
    """`text` with its unsayable passages (and brackets left empty by them) taken out."""
    runs = _runs(scripts_for(language))
    if runs is None or not runs.search(text):
        return text
    lines = []
    for line in text.split("\n"):
        kept = runs.sub(lambda m: "\x00" if _counts(m.group(0)) else m.group(0), line)
        # A separator after a passage goes with it: "中文 · 한국어 · Deutsch" -> "Deutsch".
        kept = re.sub(r"\x00(?:\s*[·•|/,;])?", " ", kept)
        kept = re.sub(r"\s*[·•|/,;]\s*$", "", kept)
        kept = re.sub(r"[^\S\n]{2,}", " ", re.sub(r"[^\S\n]+([,.;:!?])", r"\1", kept)).rstrip()
        kept = re.sub(r"[,;:]+(?=[.!?]|$)", "", kept)  # "in μm, Москва." -> "in μm."
        kept = line[:len(line) - len(line.lstrip())] + re.sub(r"^[\s,;]+", "", kept.strip())
        # A list item or table row left with no words goes with its marker.
        if re.search(r"[^\W_]", re.sub(r"^\s*(?:[-*>|]|```)\s*", "", kept)) or kept.startswith("```"):
            lines.append(kept)
    return "\n".join(lines)


def unsayable_note(passages: list[str], language: str) -> str | None:
    """One note naming what was left out and in which writing systems."""
    if not passages:
        return None
    scripts = sorted({_NAMES.get(_script(c), _script(c).title()) for p in passages for c in p if _script(c)})
    name = _LANGUAGES.get(language.split("-")[0].lower(), repr(language))
    return f"Left out text a voice for {name} cannot say ({', '.join(scripts)}): {quoted(passages, 6)}"
