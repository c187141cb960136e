"""What every reader returns: headings and blocks of text in reading order, plus metadata.

A block is *block text*: prose with inline markup removed, except for the few block shapes
narration reads differently, kept in a light Markdown form:

- a list: one `- item` per line;
- a table: `| a | b |` rows, the second line `|---|---|` when the first row is a header;
- code: a block fenced with three backticks;
- a block quote: one paragraph starting with `> `.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    text: str
    level: int


Block = Heading | str


@dataclass
class Parsed:
    """What a reader found: blocks in reading order plus the document's own metadata."""

    blocks: list[Block] = field(default_factory=list)
    title: str | None = None
    author: str = ""
    language: str = ""
    link: str | None = None
    notes: list[str] = field(default_factory=list)
    redirect: str = ""
    """Where a page sends its readers on to at once (`<meta http-equiv="refresh">`), if it does."""


def code_block(text: str) -> str:
    return "```\n" + text.strip("\n") + "\n```"


def append_code(blocks: list[Block], text: str) -> None:
    """Add a code block, joined to the code block just before it: examples in a row are one
    example to the ear."""
    if blocks and isinstance(blocks[-1], str) and blocks[-1].startswith("```"):
        blocks[-1] = code_block(blocks[-1][3:-3].strip("\n") + "\n\n" + text.strip("\n"))
    else:
        blocks.append(code_block(text))


def table_block(rows: list[list[str]], header: bool) -> str:
    lines = ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    if header:
        lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines)


def list_block(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items if item)


CODE_GAP = "\x00"
"""What a reader puts around code said as words, so that it stays a word of its own but no space
is left before the punctuation after it."""


def inline_text(parts: list[str]) -> str:
    """Inline pieces joined as one line of words; brackets left empty (code taken out) go."""
    text = re.sub(r"\s*" + CODE_GAP + r"\s*(?=[,.;:!?](?:\s|$))", "", "".join(parts))
    text = re.sub(r"\s+", " ", text.replace(CODE_GAP, " ")).strip()
    # A name in angle brackets written out as text (a type, "Extends: <EventEmitter>") is the name.
    text = re.sub(r"<([A-Za-z][\w.]*(?:\[\])?)>", r"\1", text)
    return re.sub(r"\s*(?:\(\s*\)|\[\s*\]|<\s*>)", "", text)


def quoted(items: list[str], most: int) -> str:
    """The distinct items quoted, the first `most` of them and how many more: for a note."""
    unique = list(dict.fromkeys(items))
    return ", ".join(repr(s) for s in unique[:most]) + (f" and {len(unique) - most} more" if len(unique) > most else "")


def unsaid_code_note(snippets: list[str]) -> str | None:
    """One note for the inline code left out because a voice could only read it as symbols."""
    return f"Left out inline code a voice cannot say: {quoted(snippets, 8)}" if snippets else None


def title_from_lone_h1(parsed: Parsed) -> None:
    """A single level-1 heading that opens the document is its title, not a chapter."""
    headings = [b for b in parsed.blocks if isinstance(b, Heading)]
    top = [h for h in headings if h.level == 1]
    if len(top) == 1 and headings[0] is top[0]:
        parsed.blocks.remove(top[0])
        parsed.title = parsed.title or top[0].text
