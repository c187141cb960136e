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


def code_block(text: str) -> str:
    return "```\n" + text.strip("\n") + "\n```"


def table_block(rows: list[list[str]], header: bool) -> str:
    lines = ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    if header:
        lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines)


def list_block(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items if item)


def spoken_code(code: str) -> str:
    """Inline code the way a narrator reads it aloud: names as words, and nothing at all for a
    snippet of symbols only (`$(( ))`, `=>`), which a voice could only read as punctuation."""
    code = re.sub(r"\s+", " ", code).strip()
    if not re.search(r"[^\W_]", code):
        return ""
    code = re.sub(r"</?([A-Za-z][\w-]*)[^<>]*>", r"\1", code)  # `<div>` is "div"
    code = re.sub(r"(?<=\w)\(\)", "", code)  # a call's empty brackets are not said
    code = re.sub(r"(?<![\w.])\./(?=\w)", "", code)  # `./run` is "run"
    code = re.sub(r"(?<=\d)\s*\*\s*(?=\d)", " times ", code)
    code = re.sub(r"\s*[$@%]?[(){}\[\]]{2,}\s*", " ", code).strip()  # `$((6 * 7))`: the sigils go
    # camelCase and PascalCase names are said as the words they join.
    return re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", code)


def inline_text(parts: list[str]) -> str:
    """Inline pieces joined as one line of words; brackets left empty (code taken out) go."""
    text = re.sub(r"\s+", " ", "".join(parts)).strip()
    return re.sub(r"\s+(?:\(\s*\)|\[\s*\])", "", text)


def symbol_code_note(snippets: list[str]) -> str | None:
    """One note for the inline code snippets left out because they hold symbols only."""
    if not snippets:
        return None
    shown = ", ".join(repr(s) for s in dict.fromkeys(snippets))
    return f"Left out inline code of symbols only: {shown}"


def title_from_lone_h1(parsed: Parsed) -> None:
    """A single level-1 heading that opens the document is its title, not a chapter."""
    headings = [b for b in parsed.blocks if isinstance(b, Heading)]
    top = [h for h in headings if h.level == 1]
    if len(top) == 1 and headings[0] is top[0]:
        parsed.blocks.remove(top[0])
        parsed.title = parsed.title or top[0].text
