"""Reading an article (plain text, Markdown or HTML) into an `Article` of headed sections.

`Section.paragraphs` hold *block text*: prose with inline markup removed, except for the few
block shapes narration reads differently, kept in a light Markdown form:

- a list: one `- item` per line;
- a table: `| a | b |` rows, the second line `|---|---|` when the first row is a header;
- code: a block fenced with three backticks;
- a block quote: one paragraph starting with `> `.

Plain text has no markup, so its headings are found by shape: a short line without closing
punctuation, followed by prose (see `_heading_like`).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from audioguide.clutter import MAX_BOILERPLATE_WORDS, boilerplate_note, is_boilerplate, repetition_notes
from audioguide.errors import ArticleError
from audioguide.markup import Block, Heading, Parsed, parse_html, parse_markdown
from audioguide.model import Article, Section

FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
           ".mdown": "markdown", ".mkd": "markdown", ".html": "html", ".htm": "html", ".xhtml": "html"}
_ALIASES = {"txt": "text", "md": "markdown", "htm": "html", "plain": "text"}
MAX_SECTION_LEVEL = 3
"""Headings deeper than this fold into their parent section as a spoken line."""


def read_article(path: Path) -> Article:
    """Read and parse an article file, its format taken from the extension or, failing that, the text."""
    path = Path(path)
    if path.is_dir():
        raise ArticleError(f"{path}: is a folder, not an article file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArticleError(f"{path}: no such file") from None
    except OSError as error:
        raise ArticleError(f"{path}: cannot be read ({error.strerror})") from None
    text = decode(data, str(path))
    fmt = FORMATS.get(path.suffix.lower()) or sniff_format(text)
    return parse_article(text, fmt, path.name)


def decode(data: bytes, origin: str) -> str:
    """Bytes of a text file as text: UTF-8 (BOM or not), UTF-16 with a BOM, or Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _newlines(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise ArticleError(f"{origin}: not a text file (bad UTF-16)") from None
    if b"\x00" in data:
        raise ArticleError(f"{origin}: not a text file (binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ArticleError(f"{origin}: not a text file (neither UTF-8 nor Windows-1252)") from None
        controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r\f")
        if controls > len(text) // 100:
            raise ArticleError(f"{origin}: not a text file (binary data)")
    return _newlines(text)


def _newlines(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def sniff_format(text: str) -> str:
    """Guess the format of text from a file with an unknown extension."""
    head = text.lstrip()[:2000].lower()
    if head.startswith(("<!doctype html", "<html")) or re.search(r"<(body|p|h[1-6]|article)[\s>]", head):
        return "html"
    if re.search(r"^(#{1,6} \S|---\s*$|```)|\]\(\S+\)|^\S.*\n(=+|-+)\s*$", text[:5000], re.M):
        return "markdown"
    return "text"


def parse_article(text: str, fmt: str, name: str) -> Article:
    """Parse article text; `fmt` is text, markdown or html and `name` the file name (for the slug)."""
    fmt = _ALIASES.get(fmt.lower(), fmt.lower())
    readers = {"text": parse_plain_text, "markdown": parse_markdown, "html": parse_html}
    if fmt not in readers:
        raise ArticleError(f"{name}: unknown article format {fmt!r} (use text, markdown or html)")
    text = _newlines(text)
    if not text.strip():
        raise ArticleError(f"{name}: the article is empty")
    parsed = readers[fmt](text)
    return build_article(parsed, name)


def build_article(parsed: Parsed, name: str) -> Article:
    """Cut a reader's blocks into sections; headings without text of their own are noted, not kept,
    and so is boilerplate; sections that repeat each other are noted."""
    stem = Path(name).stem
    title = parsed.title or _title_from_name(stem)
    notes = list(parsed.notes)
    blocks, dropped = _without_boilerplate(parsed.blocks)
    chapters: list[tuple[str, list[str]]] = []
    opening: list[str] = []
    pending: list[Heading] = []  # headings still waiting for text of their own
    for block in blocks:
        if isinstance(block, Heading) and block.level <= MAX_SECTION_LEVEL:
            _settle(pending, block, notes)
            pending.append(block)
            continue
        text = _ensure_stop(block.text) if isinstance(block, Heading) else block
        if pending:
            chapters.append((": ".join(h.text for h in pending), []))
            pending.clear()
        (chapters[-1][1] if chapters else opening).append(text)
    _settle(pending, None, notes)
    if (note := boilerplate_note(dropped)) is not None:
        notes.append(note)
    if opening:
        chapters.insert(0, (parsed.title or "Introduction", opening))
    if not chapters:
        raise ArticleError(f"{name}: no narratable text found")
    width = 3 if len(chapters) > 99 else 2
    sections = tuple(
        Section(id=f"{n:0{width}d}-{slugify(heading)}", title=heading, paragraphs=tuple(paragraphs))
        for n, (heading, paragraphs) in enumerate(chapters, start=1)
    )
    notes.extend(repetition_notes(sections))
    return Article(title=title, slug=slugify(stem) if slugify(stem, "") else slugify(title, "article"),
                   sections=sections, language=language_tag(parsed.language) or "en", author=parsed.author,
                   link=parsed.link, notes=tuple(notes))


def _without_boilerplate(blocks: list[Block]) -> tuple[list[Block], list[str]]:
    """Blocks with boilerplate taken out, and what was taken. A boilerplate heading goes with
    what it heads only when that is a few short blocks; otherwise the heading stays."""
    kept: list[Block] = []
    dropped: list[str] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if isinstance(block, Heading) and is_boilerplate(block.text):
            end = i + 1
            while end < len(blocks) and not (isinstance(blocks[end], Heading)
                                              and blocks[end].level <= block.level):
                end += 1
            under = blocks[i + 1:end]
            if len(under) <= 3 and all(isinstance(b, str) and len(b.split()) <= MAX_BOILERPLATE_WORDS
                                       for b in under):
                dropped.append(block.text)
                i = end
                continue
        elif isinstance(block, str) and is_boilerplate(block):
            dropped.append(block)
            i += 1
            continue
        kept.append(block)
        i += 1
    return kept, dropped


_LANGUAGE_NAMES = {"english": "en", "french": "fr", "français": "fr", "francais": "fr", "german": "de",
                   "deutsch": "de", "spanish": "es", "español": "es", "italian": "it", "italiano": "it"}


def language_tag(language: str) -> str:
    """A language as a BCP 47 tag: "en_us" -> "en-US", "Français" -> "fr"; "" when there is none."""
    language = _LANGUAGE_NAMES.get(language.strip().lower(), language)
    parts = [part for part in re.split(r"[-_]", language.strip()) if part]
    if not parts or not re.fullmatch(r"[A-Za-z]{2,3}", parts[0]):
        return ""
    tag = [parts[0].lower()]
    for part in parts[1:]:
        tag.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part.lower())
    return "-".join(tag)


def _settle(pending: list[Heading], following: Heading | None, notes: list[str]) -> None:
    """Drop waiting headings that the next heading does not nest under; nested ones join its title."""
    while pending and (following is None or following.level <= pending[-1].level):
        dropped = pending.pop()
        notes.append(f"Dropped heading {dropped.text!r}: no text under it")


def _ensure_stop(text: str) -> str:
    return text if text[-1:] in ".!?:" else text + "."


def _title_from_name(stem: str) -> str:
    words = re.sub(r"[-_.]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else "Untitled"


def slugify(text: str, default: str = "section", max_length: int = 72) -> str:
    """ASCII, lower-case, hyphenated: "Peau & Soins, été" -> "peau-soins-ete"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug or default


# ---------------------------------------------------------------------------------------------
# Plain text

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
