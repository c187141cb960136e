"""What a listener should not hear: page boilerplate, and the same text told twice.

Boilerplate is recognised by what it says, in any format: newsletter calls, "share this", cookie
notices, copyright lines, navigation crumbs. Only short blocks can be boilerplate, so real prose
that happens to mention a newsletter is never dropped. Repetition is only reported: which of two
near-twins to keep is the author's call.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable

from audioguide.model import Section

MAX_BOILERPLATE_WORDS = 25
"""A block longer than this is prose, whatever it says."""
NEAR_DUPLICATE = 0.6
"""Share of two sections' words that must line up (difflib's ratio) to call them near twins."""
SHARED_SENTENCE_WORDS = 10
"""A sentence this long found word for word in two sections is worth a warning of its own."""

_BOILERPLATE = re.compile(
    r"""^(?:
        (?:please\s+)?(?:subscribe|sign\s+up|join|register)\b.{0,40}?
            \b(?:newsletter|mailing\s+list|updates|inbox|rss\s+feed)\b
      | (?:subscribe|sign\s+up)\W*$
      | (?:get\s+updated|stay\s+updated|(?:stay|keep)\s+up\s+to\s+date|stay\s+in\s+the\s+loop)\b
            (?=.*\b(?:news|newsletter|tips|updates|posts|articles|stories|inbox|resources|offers)\b)
      | (?:never|don'?t)\s+miss\s+(?:a|an|another)\s+(?:post|story|update|article|issue)\b
      | (?:enter\s+)?your\s+e-?mail(?:\s+address)?(?:\s+(?:here|below))?\W*$
      | share(?:\s+(?:this|it))?(?:\s+(?:post|article|page|story))?(?:\s*:\s*|\s+(?:on|via|with)\s+)?
            (?:[\w.-]+(?:\s*[,|/&+·•]\s*|\s+(?:or|and)\s+)?){0,6}\W*$
      | (?:like|follow)\s+us\s+on\b
      | (?:we|this\s+(?:site|website))\s+uses?\s+cookies\b
      | (?:accept|allow|manage)\s+(?:all\s+)?cookies\b
      | by\s+continuing\s+to\s+(?:browse|use)\s+this\s+(?:site|website)\b
      | ©\s*\S | \(c\)\s*\d{4} | copyright\s*(?:©|\(c\))?\s*(?:\d{4}|by\b)
      | all\s+rights\s+reserved
      | skip\s+to\s+(?:the\s+)?(?:main\s+)?content\W*$
      | back\s+to\s+(?:the\s+)?top\W*$
      | (?:previous|next)\s+(?:post|article|story)\s*(?:[:»›→←«‹]|$)
      | (?:read|see)\s+more\s*(?:»|›|→|\.\.\.|…)?$
      | (?:home|start)\s*(?:[>»›/|]\s*[^>»›/|]{1,40}?\s*){1,6}$
    )""",
    re.I | re.X,
)


def is_boilerplate(text: str) -> bool:
    """True for a short block that only calls to subscribe, share, accept cookies, or navigate
    (for a list, every item must)."""
    lines = [re.sub(r"^[\s\-*>#|]+", "", line) for line in text.strip().split("\n")]
    return (0 < len(text.split()) <= MAX_BOILERPLATE_WORDS
            and all(_BOILERPLATE.match(line) for line in lines if line.strip()))


def boilerplate_note(dropped: Iterable[str]) -> str | None:
    """One warning that lists every dropped block, or None when nothing was dropped."""
    quoted = [repr(_snippet(text)) for text in dropped]
    return f"Dropped boilerplate: {', '.join(quoted)}" if quoted else None


def _snippet(text: str, limit: int = 60) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# ---------------------------------------------------------------------------------------------
# Repetition


def _words(section: Section) -> list[str]:
    return re.findall(r"[^\W_]+", " ".join(section.paragraphs).lower())


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def _sentences(section: Section) -> dict[tuple[str, ...], str]:
    """Long sentences of a section, keyed by their words so punctuation and case do not matter."""
    found = {}
    for paragraph in section.paragraphs:
        for sentence in re.split(r"(?<=[.!?])\s+(?=[\"'“‘(]?[A-Z0-9])", paragraph):
            words = tuple(re.findall(r"[^\W_]+", sentence.lower()))
            if len(words) >= SHARED_SENTENCE_WORDS:
                found.setdefault(words, sentence.strip())
    return found


def repetition_notes(sections: Iterable[Section]) -> list[str]:
    """Warnings naming pairs of sections with nearly the same text, or with a long sentence in
    common, so the author can cut one before a listener hears it twice."""
    notes = []
    prepared = [(s, _words(s)) for s in sections]
    prepared = [(s, words, _shingles(words), _sentences(s)) for s, words in prepared if len(words) >= 8]
    for (a, words_a, shingles_a, sentences_a), (b, words_b, shingles_b, sentences_b) in (
        itertools.combinations(prepared, 2)
    ):
        shared = shingles_a & shingles_b
        # Sections without a three-word run in common cannot be near twins; this keeps the
        # pairwise comparison cheap for articles of hundreds of sections.
        if not shared:
            continue
        ratio = 0.0
        if len(shared) >= 0.15 * min(len(shingles_a), len(shingles_b)):
            ratio = difflib.SequenceMatcher(None, words_a, words_b, autojunk=False).ratio()
        names = f"sections {a.id!r} and {b.id!r}"
        if ratio >= NEAR_DUPLICATE:
            notes.append(f"Repeated text: {names} are {round(ratio * 100)}% the same")
            continue
        common = [sentences_a[key] for key in sentences_a if key in sentences_b]
        if common:
            notes.append(f"Repeated text: {names} share the sentence {_snippet(common[0])!r}"
                         + (f" and {len(common) - 1} more" if len(common) > 1 else ""))
    return notes


# ---------------------------------------------------------------------------------------------
# Tables of contents and reference sections

TOC_SHARE = 0.6
"""Share of a list's items that must be the article's own headings for it to be a contents list."""
_CONTENTS = re.compile(r"^(?:table\s+of\s+contents?|contents|toc|in\s+this\s+(?:article|post|page|guide)|"
                       r"on\s+this\s+page|sommaire|table\s+des\s+mati[eè]res|inhalt(?:sverzeichnis)?|"
                       r"[íi]ndice|contenido|indice|jump\s+to)\W*$", re.I)
_REFERENCES = re.compile(r"^(?:references?|notes\s+and\s+references|citations?|bibliography|footnotes|"
                         r"external\s+links|see\s+also|further\s+reading|sources|r[ée]f[ée]rences|"
                         r"liens\s+externes|voir\s+aussi|einzelnachweise|weblinks|siehe\s+auch)\W*$", re.I)


def _key(text: str) -> str:
    """A heading or entry as compared: no numbering, dot leaders, page numbers, case or marks."""
    text = re.sub(r"^[-*\s]*(?:(?:\d+|[ivxlc]+|[a-z])[.)]|\d+(?:\.\d+)+)?\s*", "", text.strip().lower())
    text = re.sub(r"(?:\s*\.{2,}\s*|\s+)\d+\s*$", "", text)  # "Installation ........ 3"
    return " ".join(re.findall(r"[^\W_]+", text))


def is_contents(block: str, headings: Iterable[str]) -> bool:
    """True for a list that mostly just names the article's own headings: a table of contents."""
    lines = [line[2:] for line in block.split("\n") if line.startswith("- ")]
    if len(lines) < 3 or len(lines) != len(block.split("\n")):
        return False
    keys = {_key(h) for h in headings}
    return sum(_key(line) in keys for line in lines) >= TOC_SHARE * len(lines)


def contents_heading(text: str) -> bool:
    return bool(_CONTENTS.match(text.strip()))


def references_heading(text: str) -> bool:
    """A heading over citations and links (References, See also, External links ...)."""
    return bool(_REFERENCES.match(re.sub(r"^[\d.\s]+", "", text.strip())))
