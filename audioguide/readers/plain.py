"""Plain text read into headings and block text by its shape.

Plain text has no markup, so its headings are found by shape: a short line without closing
punctuation, followed by prose (see `_heading_like`); a mail header block gives title and author,
and a signature or trailer is cut.
"""

from __future__ import annotations

import re

from audioguide.readers.blocks import Block, Heading, Parsed, code_block, list_block
from audioguide.readers.code import CODE_LINE

_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,30}):[ \t]*(.*)$")
_HEADER_KEYS = {"from", "to", "cc", "date", "sent", "subject", "reply-to", "organization", "organisation",
                "newsgroups", "message-id", "keywords", "summary", "title", "author", "pep", "status",
                "type", "created", "version", "content-type", "last-modified", "post-history"}
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
_EMACS_LINE = re.compile(r"-\*-.*-\*-")
_LOCAL_VARIABLES = re.compile(r"^\W{0,4}\s*Local Variables:\s*\W{0,4}$")
_LOCAL_END = re.compile(r"^\W{0,4}\s*End:\s*\W{0,4}$")
_VIM_LINE = re.compile(r"(?:^|\s)(?:vim?|ex):\s*(?:set?\s+\w|\w+=\S)")
_CODE_INDENT = 2
"""Lines this much deeper than the body text are a block of their own (code or a quote)."""


def parse_plain_text(text: str) -> Parsed:
    """Plain text: an optional header block, a title line, bare-line headings and prose; blocks
    indented deeper than the body are code, or quotes where they read as prose."""
    parsed = Parsed()
    lines = [line.rstrip() for line in re.sub(r"\f\n?", "\n", text.expandtabs(8)).split("\n")]
    lines = _editor_settings(lines, parsed)
    lines = header_block(lines, parsed)
    lines = _trailer(lines, parsed)
    body = _body_indent(lines)
    chunks = _chunks(lines, body)
    first = chunks[0][1] if chunks and not chunks[0][0] else []
    underlined = len(first) > 1 and _UNDERLINE.match(first[1]) and _underlined_heading(first[0], first[1])
    if first and (_heading_like(first[0]) or underlined) and not _NUMBERED_HEADING.match(first[0].strip()):
        title = _display_heading(first[0])
        # The first line is the title, unless a header block gave another one.
        if parsed.title is None or parsed.title.lower() == title.lower():
            parsed.title = parsed.title or title
            del first[: 2 if len(first) > 1 and _UNDERLINE.match(first[1]) else 1]
    for deep, block in chunks:
        parsed.blocks.extend(_read_indented(block) if deep else _read_block(block))
    return parsed


def _editor_settings(lines: list[str], parsed: Parsed) -> list[str]:
    """Cut editor mode lines: Emacs `-*- ... -*-` and `Local Variables:` blocks, vim modelines."""
    kept = list(lines)
    content = [i for i, line in enumerate(kept) if line.strip()]
    ends = set(content[:5] + content[-5:])
    for i in sorted(ends, reverse=True):
        if _VIM_LINE.search(kept[i]) or (i == content[0] and _EMACS_LINE.search(kept[i])):
            parsed.notes.append(f"Dropped the editor settings on line {i + 1}: {kept[i].strip()!r}")
            kept[i] = ""
    for i in content[-40:]:
        if _LOCAL_VARIABLES.match(kept[i]):
            end = next((j for j in range(i, len(kept)) if _LOCAL_END.match(kept[j])), len(kept) - 1)
            parsed.notes.append(f"Dropped the editor settings (Local Variables) on lines {i + 1}-{end + 1}")
            kept[i:end + 1] = [""] * (end + 1 - i)
            break
    return kept


def header_block(lines: list[str], parsed: Parsed) -> list[str]:
    """An RFC 822 header block (a mail's, a PEP's) that opens the text: its subject or title and
    its sender or author are metadata; the block is not read."""
    start = next((i for i, line in enumerate(lines) if line.strip()), 0)
    end, key = start, ""
    headers: dict[str, str] = {}
    names: list[str] = []
    while end < len(lines) and lines[end].strip():
        if (match := _HEADER_LINE.match(lines[end])):
            names.append(match.group(1))
            key = match.group(1).lower()
            headers[key] = match.group(2).strip()
        elif key and lines[end][:1] == " ":
            headers[key] += " " + lines[end].strip()
        else:
            return lines
        end += 1
    if sum(k in _HEADER_KEYS for k in headers) < 2 and "subject" not in headers:
        return lines
    title = re.sub(r"^((re|fwd?|aw|tr):\s*)+", "", headers.get("subject") or headers.get("title", ""), flags=re.I)
    if title and headers.get("pep"):
        title = f"PEP {headers['pep']}: {title}"
    parsed.title = title or None
    sender = headers.get("from") or headers.get("author", "")
    parsed.author = re.sub(r"\s*<[^>]*>", "", sender).strip().strip('"') or sender.split("@")[0]
    parsed.notes.append(f"Dropped the header block: {', '.join(names[:6])}{' ...' if len(names) > 6 else ''}")
    return [""] * end + lines[end:]  # blanked, not cut, so that notes give true line numbers


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
        # A rule under a line of text is that line's underline (a heading), not a separator; and
        # what follows a separator is a trailer only if it is the smaller part of the text.
        underline = i > 0 and lines[i - 1].strip() and _UNDERLINE.match(lines[i])
        after = [j for j in content if j > i]
        if (_SEPARATOR.match(lines[i]) and not underline and len(after) < len(content) - len(after) - 1
                and all(len(lines[j]) < 120 for j in after)):
            parsed.notes.append(f"Dropped the trailer after line {i + 1}: {_snippet(lines[i + 1:])}")
            return lines[:i]
    while content and _BOILERPLATE.match(lines[content[-1]].strip()):
        parsed.notes.append(f"Dropped trailing line {lines[content[-1]].strip()!r}")
        lines = lines[: content.pop()]
    return lines


def _snippet(lines: list[str]) -> str:
    return repr(" ".join(line.strip() for line in lines if line.strip())[:60])


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _body_indent(lines: list[str]) -> int:
    """The indent of most of the prose: lines of six words or more vote for theirs."""
    votes: dict[int, int] = {}
    for line in lines:
        if len(line.split()) >= 6 and not CODE_LINE.search(line):
            votes[_indent(line)] = votes.get(_indent(line), 0) + 1
    return max(sorted(votes), key=lambda indent: votes[indent]) if votes else 0


def _chunks(lines: list[str], body: int) -> list[tuple[bool, list[str]]]:
    """Blank-line-separated blocks, each marked deep (indented past the body) or not; body
    blocks lose the body's indent, and deep blocks in a row stay one, blank lines and all."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    chunks: list[tuple[bool, list[str]]] = []
    for block in (b for b in blocks if b):
        # "Example:" then deeper lines: the deeper lines are a block of their own.
        for part in _split_after_colon(block, body):
            deep = min(_indent(line) for line in part) >= body + _CODE_INDENT
            if deep and chunks and chunks[-1][0]:
                chunks[-1][1].extend(["", *part])
            else:
                chunks.append((deep, part if deep else [line[min(body, _indent(line)):] for line in part]))
    return chunks


def _split_after_colon(block: list[str], body: int) -> list[list[str]]:
    for i in range(1, len(block)):
        if (block[i - 1].rstrip().endswith(":") and _indent(block[i - 1]) < body + _CODE_INDENT
                and all(_indent(line) >= body + _CODE_INDENT for line in block[i:])):
            return [block[:i], block[i:]]
    return [block]


def _read_indented(lines: list[str]) -> list[Block]:
    """A block indented past the body: a list or a quote where it reads as prose, else code."""
    margin = min(_indent(line) for line in lines if line.strip())
    lines = [line[margin:] for line in lines]
    if "" not in lines and _reads_as_prose(lines):
        if _BULLET.match(lines[0]):
            return _read_block(lines)
        return ["> " + re.sub(r"\s+", " ", " ".join(lines)).strip()]
    return [code_block("\n".join(lines))]


def _reads_as_prose(lines: list[str]) -> bool:
    """Sentences, not code: words and ordinary punctuation, no sign of code on any line."""
    text = " ".join(line.strip() for line in lines)
    if any(CODE_LINE.search(line) for line in lines) or len(text.split()) < 4:
        return False
    plain = sum(c.isalpha() or c.isspace() or c in ".,;:!?'\"’“”()-–—" for c in text)
    return plain >= 0.95 * len(text) and text.rstrip()[-1:] in ".!?;,:\"”’)"


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
            out.append(list_block(items))
            items.clear()

    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        bullet = _BULLET.match(line)
        if _UNDERLINE.match(line) or _SEPARATOR.match(line):
            flush()
        elif _UNDERLINE.match(following) and _underlined_heading(line, following):
            flush()
            out.append(Heading(_display_heading(line), 1 if following.strip()[0] == "=" else 2))
        elif bullet:
            if para:
                flush()
            items.append(bullet.group(1).strip())
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()
        elif (_heading_like(line) and (not para or not wrapped) and (not wrapped or _short(line, lines))
              and not _continues(following)):
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
    if (text[-1] in ".!?:;,—–…\"”" or _BULLET.match(line) or _SEPARATOR.match(line)
            or re.fullmatch(r"([*_]).+\1|\(.*\)", text)  # an emphasised line or an aside, not a heading
            or re.search(r"\S {3,}\S", text)  # columns: a listing, not a heading
            or CODE_LINE.search(text)):
        return False
    if re.search(r"[.!?]\s+\S", _ABBREVIATED.sub(" ", text + " ").strip()):
        return False
    first_letter = next(c for c in text if c.isalpha())
    return first_letter.isupper() or not first_letter.islower()


def _continues(line: str) -> bool:
    """True for a line that carries on the sentence of the line above ("... where other leaf" /
    "(producer) packages may ..."), which is then no heading; "(since 3.11)" under a title is an aside."""
    return bool(re.match(r"\s*[\"'“‘]?[a-z]", line) or (re.match(r"\s*\([a-z]", line)
                                                        and not re.fullmatch(r"\s*\(.*\)\s*", line)))


def _underlined_heading(line: str, underline: str) -> bool:
    """A line with a rule of about its length under it is a heading, a question or a line ending
    in a colon too ("What's New in 2.7?"), when it is short and is not a list item."""
    text = line.strip()
    return (_heading_like(line) or (0 < len(text) <= 100 and not _BULLET.match(line) and not CODE_LINE.search(text)
                                    and len(underline.strip()) >= 0.7 * len(text) and re.search(r"[^\W\d_]", text)))


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
