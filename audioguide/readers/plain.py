"""Plain text read into headings and block text by its shape.

Plain text has no markup, so its headings are found by shape: a short line without closing
punctuation, followed by prose (see `_heading_like`); a mail header block gives title and author,
and a signature or trailer is cut.
"""

from __future__ import annotations

import re

from audioguide.readers.blocks import Block, Heading, Parsed

_MAIL_HEADER = re.compile(r"^(From|To|Cc|Date|Sent|Subject|Reply-To|Organi[sz]ation|Newsgroups|"
                          r"Message-ID|Keywords|Summary):\s*(.*)$", re.I)
_UNDERLINE = re.compile(r"^\s*(=+|-+)\s*$")
_SEPARATOR = re.compile(r"^\s*([-=_*~#+]\s*){3,}$")
_BULLET = re.compile(r"^\s*(?:[-*•+–]|\(?\d{1,2}[)]|\d{1,2}\.(?=\s+\S.*[.!?:;,]\s*$))\s+(.*)$")
_NUMBERED_HEADING = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVXLC]{1,6}\.)\s+(?=\S)")
_BOILERPLATE = re.compile(r"^(copyright\b|©|\(c\)\s*\d|all rights reserved|tags?:|filed under|posted in|"
                          r"share this|edited by|last (?:updated|edited)|subscribe|unsubscribe|"
                          r"follow us|sent from my|this (?:article|post) (?:was|first))", re.I)
_ABBREVIATED = re.compile(r"\b(vs|Dr|Mr|Mrs|Ms|St|No|Vol|etc|e\.g|i\.e)\.\s", re.I)
_SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to",
                "vs", "with"}


def parse_plain_text(text: str) -> Parsed:
    """Plain text: an optional mail header block, a title line, bare-line headings and prose."""
    parsed = Parsed()
    lines = [line.rstrip() for line in text.split("\n")]
    lines = _mail_header(lines, parsed)
    lines = _trailer(lines, parsed)
    blocks = _blank_separated(lines)
    if blocks and _heading_like(blocks[0][0]) and not _NUMBERED_HEADING.match(blocks[0][0].strip()):
        first = _display_heading(blocks[0][0])
        # The first line is the title, unless a mail subject gave another one.
        if parsed.title is None or parsed.title.lower() == first.lower():
            parsed.title = parsed.title or first
            del blocks[0][: 2 if len(blocks[0]) > 1 and _UNDERLINE.match(blocks[0][1]) else 1]
    for block in blocks:
        parsed.blocks.extend(_read_block(block))
    return parsed


def _mail_header(lines: list[str], parsed: Parsed) -> list[str]:
    start = next((i for i, line in enumerate(lines) if line.strip()), 0)
    end = start
    headers: dict[str, str] = {}
    while end < len(lines) and (match := _MAIL_HEADER.match(lines[end])):
        headers[match.group(1).lower()] = match.group(2).strip()
        end += 1
    if len(headers) < 2 and "subject" not in headers or (end < len(lines) and lines[end].strip()):
        return lines
    subject = re.sub(r"^((re|fwd?|aw|tr):\s*)+", "", headers.get("subject", ""), flags=re.I)
    parsed.title = subject or None
    sender = headers.get("from", "")
    parsed.author = re.sub(r"\s*<[^>]*>", "", sender).strip().strip('"') or sender.split("@")[0]
    return lines[end:]


def _trailer(lines: list[str], parsed: Parsed) -> list[str]:
    """Cut a signature (after "-- ") and trailing boilerplate (copyright, tags, "edited by" ...)."""
    for i, line in enumerate(lines):
        if line in ("--", "-- "):
            parsed.notes.append(f"Dropped the signature after line {i + 1}")
            return lines[:i]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    content = [i for i, line in enumerate(lines) if line.strip()]
    tail = content[-6:]
    for i in tail:
        if _SEPARATOR.match(lines[i]) and all(len(lines[j]) < 120 for j in content if j > i):
            parsed.notes.append(f"Dropped the trailer after line {i + 1}: {_snippet(lines[i + 1:])}")
            return lines[:i]
    while content and _BOILERPLATE.match(lines[content[-1]].strip()):
        parsed.notes.append(f"Dropped trailing line {lines[content[-1]].strip()!r}")
        lines = lines[: content.pop()]
    return lines


def _snippet(lines: list[str]) -> str:
    return repr(" ".join(line.strip() for line in lines if line.strip())[:60])


def _blank_separated(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _read_block(lines: list[str]) -> list[Block]:
    """Headings and paragraphs of one blank-line-separated block of plain text."""
    out: list[Block] = []
    para: list[str] = []
    items: list[str] = []
    wrapped = _is_wrapped(lines)

    def flush() -> None:
        if para:
            out.append(re.sub(r"\s+", " ", " ".join(para)).strip())
            para.clear()
        if items:
            out.append("\n".join(f"- {item}" for item in items))
            items.clear()

    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        bullet = _BULLET.match(line)
        if _UNDERLINE.match(line) or _SEPARATOR.match(line):
            flush()
        elif _UNDERLINE.match(following) and _heading_like(line):
            flush()
            out.append(Heading(_display_heading(line), 1 if following.strip()[0] == "=" else 2))
        elif bullet:
            if para:
                flush()
            items.append(bullet.group(1).strip())
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()
        elif _heading_like(line) and (not para or not wrapped) and (not wrapped or _short(line, lines)):
            flush()
            out.append(Heading(_display_heading(line), 2))
        elif para and (wrapped or line[:1].islower() or not para[-1].rstrip()[-1:] in ".!?:\"'”)"):
            para.append(line)
        else:
            flush()
            para.append(line)
    flush()
    return out


def _is_wrapped(lines: list[str]) -> bool:
    """Hard-wrapped prose: lines of similar width, none past 100 characters."""
    widths = [len(line) for line in lines]
    return (len(lines) > 1 and 50 <= max(widths) <= 100
            and all(w >= max(40, 0.6 * max(widths)) for w in widths[:-1]))


def _short(line: str, lines: list[str]) -> bool:
    return len(line) < 0.6 * max(len(other) for other in lines)


def _heading_like(line: str) -> bool:
    """A short line without closing punctuation that starts with a capital (or a section number)."""
    text = _NUMBERED_HEADING.sub("", line.strip())
    if not text or len(text) > 100 or len(text.split()) > 14 or not re.search(r"[^\W\d_]", text):
        return False
    if text[-1] in ".!?:;,—–…\"”" or _BULLET.match(line) or _SEPARATOR.match(line):
        return False
    if re.search(r"[.!?]\s+\S", _ABBREVIATED.sub(" ", text + " ").strip()):
        return False
    first_letter = next(c for c in text if c.isalpha())
    return first_letter.isupper() or not first_letter.islower()


def _display_heading(line: str) -> str:
    """A heading as a chapter title: section number dropped, SHOUTED headings in title case."""
    text = _NUMBERED_HEADING.sub("", line.strip()).strip()
    letters = [c for c in text if c.isalpha()]
    if len(letters) > 4 and all(c.isupper() for c in letters):
        words = text.split()
        text = " ".join(
            word.lower() if i and word.lower() in _SMALL_WORDS
            else word if len(word) <= 3 and i else word.capitalize()
            for i, word in enumerate(words))
    return text
