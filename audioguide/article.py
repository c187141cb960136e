"""Reading an article (plain text, Markdown, reStructuredText or HTML) into an `Article` of headed sections.

`Section.paragraphs` hold *block text* (see `readers/blocks.py`): prose with inline markup
removed, except for lists, tables, code and quotes, which narration reads differently. Each format
has its reader in `readers/`; this module picks one, then cuts what it found into sections.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from audioguide.alphabets import plain_letters, unsayable, unsayable_note, without_unsayable
from audioguide.clutter import (MAX_BOILERPLATE_WORDS, boilerplate_note, contents_heading, is_boilerplate,
                                is_contents, references_heading, repetition_notes)
from audioguide.errors import ArticleError
from audioguide.readers.blocks import Block, Heading, Parsed
from audioguide.readers.code import declared_name
from audioguide.readers.html_page import parse_html
from audioguide.readers.markdown import parse_markdown
from audioguide.readers.plain import parse_plain_text
from audioguide.readers.rst import parse_rst
from audioguide.model import Article, Section

FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
           ".mdown": "markdown", ".mkd": "markdown", ".html": "html", ".htm": "html", ".xhtml": "html",
           ".rst": "rst", ".rest": "rst"}
_ALIASES = {"txt": "text", "md": "markdown", "htm": "html", "plain": "text", "restructuredtext": "rst"}
_RST_SIGNS = re.compile(r"^\.\. (?:[\w:-]+::|_[^:\n]+:|\|[^|\n]+\|)|:[a-z]+(?::[a-z]+)?:`[^`\n]+`|"
                        r"`[^`\n]+`__?(?!\w)|^[^\n]*\S::\n\n[ \t]+\S", re.M)
"""Markup only reStructuredText has: directives, targets, substitutions, roles, hyperlink
references and literal blocks opened by "::"."""
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
    return parse_article(text, format_of(path.name, text), path.name)


def format_of(name: str, text: str) -> str:
    """The format of an article named `name`: its extension's, else a guess from the text;
    a `.txt` written in reStructuredText (a README, a PEP) is read as such."""
    fmt = FORMATS.get(Path(name).suffix.lower())
    if fmt is None:
        return sniff_format(text)  # which tells reStructuredText itself
    return "rst" if fmt == "text" and is_rst(text) else fmt


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


def is_rst(text: str) -> bool:
    """True for text marked up as reStructuredText: a directive, a target or a link with its
    address (`text <url>`_), or three other signs of markup only it has (roles alone turn up in
    plain-text change logs copied from RST)."""
    signs = [m.group(0) for m in _RST_SIGNS.finditer(text[:50_000])]
    return len(signs) >= 3 or any(re.match(r"\.\. (?:[\w:-]+::|_)|`[^`]*<[^`>]+>`_", sign) for sign in signs)


def sniff_format(text: str) -> str:
    """Guess the format of text from a file with an unknown extension."""
    head = text.lstrip()[:2000].lower()
    if head.startswith(("<!doctype html", "<html")) or re.search(r"<(body|p|h[1-6]|article)[\s>]", head):
        return "html"
    if is_rst(text):
        return "rst"
    if re.search(r"^(#{1,6} \S|---\s*$|```)|\]\(\S+\)|^\S.*\n(=+|-+)\s*$", text[:5000], re.M):
        return "markdown"
    return "text"


def parse_article(text: str, fmt: str, name: str) -> Article:
    """Parse article text; `fmt` is text, markdown, rst or html and `name` the file name (for the slug)."""
    fmt = _ALIASES.get(fmt.lower(), fmt.lower())
    readers = {"text": parse_plain_text, "markdown": parse_markdown, "html": parse_html, "rst": parse_rst}
    if fmt not in readers:
        raise ArticleError(f"{name}: unknown article format {fmt!r} (use text, markdown, rst or html)")
    text = _newlines(text)
    if not text.strip():
        raise ArticleError(f"{name}: the article is empty")
    try:
        parsed = readers[fmt](text)
    except ArticleError as error:
        raise ArticleError(f"{name}: {error}") from None
    return build_article(parsed, name)


def build_article(parsed: Parsed, name: str) -> Article:
    """Cut a reader's blocks into sections. Not kept, and noted: text the language's voice cannot
    read, tables of contents, reference sections, boilerplate, and headings without text of their
    own; sections that repeat each other are noted."""
    stem = Path(name).stem
    parsed.title = _call_named(parsed.title) if parsed.title else parsed.title
    title = parsed.title or _title_from_name(stem)
    language = language_tag(parsed.language) or "en"
    notes = list(parsed.notes)
    blocks = _sayable(parsed.blocks, language, notes)
    blocks = _without_contents(blocks, notes)
    blocks, dropped = _without_boilerplate(blocks)
    chapters: list[tuple[str, list[str]]] = []
    opening: list[str] = []
    pending: list[Heading] = []  # headings still waiting for text of their own
    for block in blocks:
        if isinstance(block, Heading) and block.level <= MAX_SECTION_LEVEL:
            _settle(pending, block, notes)
            pending.append(block)
            continue
        text = ensure_stop(block.text) if isinstance(block, Heading) else block
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
    sections = numbered_sections(chapters)
    notes.extend(repetition_notes(sections))
    return Article(title=title, slug=slugify(stem) if slugify(stem, "") else slugify(title, "article"),
                   sections=sections, language=language, author=parsed.author,
                   link=parsed.link, notes=tuple(notes))


_DROPPED = re.compile(r"^(?:Dropped|Left out|Skipped) (.*?)(?::\s|$)")


def dropped_summary(notes: tuple[str, ...] | list[str]) -> str:
    """What the notes say was dropped, in one line: "heading 'Gift shop', boilerplate, the signature
    after line 39"; "" when nothing was."""
    parts: list[str] = []
    headings = []
    for note in notes:
        if not (match := _DROPPED.match(note)):
            continue
        what = match.group(1)
        if what.startswith("heading '"):
            headings.append(what.removeprefix("heading "))
        elif what not in parts:
            parts.append(what)
    if headings:
        parts.insert(0, f"{'an empty heading' if len(headings) == 1 else f'{len(headings)} empty headings'} "
                        f"({', '.join(headings[:3])}{', ...' if len(headings) > 3 else ''})")
    return ", ".join(parts)


def _sayable(blocks: list[Block], language: str, notes: list[str]) -> list[Block]:
    """Blocks without the passages in writing systems the language's voice cannot read; blocks
    left with no words go. Code is not read aloud, so it is left as it is."""
    kept: list[Block] = []
    passages: list[str] = []
    for block in blocks:
        text = block.text if isinstance(block, Heading) else block
        if isinstance(block, Heading) and text != (named := _call_named(text)):
            block, text = Heading(named, block.level), named
        if not text.startswith("```") and text != (plain := plain_letters(text)):
            text = plain
            block = Heading(text, block.level) if isinstance(block, Heading) else text
        found = [] if text.startswith("```") else unsayable(text, language)
        if found:
            passages.extend(found)
            text = without_unsayable(text, language)
            if not re.search(r"[^\W_]", text):
                continue
            block = Heading(text, block.level) if isinstance(block, Heading) else text
        kept.append(block)
    if (note := unsayable_note(passages, language)) is not None:
        notes.append(note)
    return kept


def _under(blocks: list[Block], i: int) -> int:
    """The end of what the heading at `i` heads: the next heading of its level or higher."""
    level = blocks[i].level  # type: ignore[union-attr]
    end = i + 1
    while end < len(blocks) and not (isinstance(blocks[end], Heading) and blocks[end].level <= level):
        end += 1
    return end


def _without_contents(blocks: list[Block], notes: list[str]) -> list[Block]:
    """Blocks without a table of contents (a list of the article's own headings, or a list under
    a heading named Contents) and without sections of references and links only."""
    headings = [b.text for b in blocks if isinstance(b, Heading)]
    kept: list[Block] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if isinstance(block, Heading):
            end = _under(blocks, i)
            under = blocks[i + 1:end]
            lists_only = bool(under) and all(isinstance(b, str) and (b.startswith("- ") or len(b.split())
                                             <= MAX_BOILERPLATE_WORDS) for b in under)
            if lists_only and contents_heading(block.text) and any(isinstance(b, str) and b.startswith("- ")
                                                                    for b in under):
                notes.append(f"Dropped a table of contents under {block.text!r}")
                i = end
                continue
            if contents_heading(block.text) and i + 1 < len(blocks) and isinstance(blocks[i + 1], Heading):
                # The contents list under it was not kept (a page's links): its heading would
                # only be joined to the first chapter's title.
                notes.append(f"Dropped heading {block.text!r}: a table of contents, its list not read")
                i += 1
                continue
            if lists_only and references_heading(block.text):
                notes.append(f"Dropped the section {block.text!r}: references and links, not for listening")
                i = end
                continue
        elif isinstance(block, str) and is_contents(block, headings):
            entries = block.count("\n") + 1
            if kept and isinstance(kept[-1], Heading) and (
                    contents_heading(kept[-1].text) or i + 1 == len(blocks) or isinstance(blocks[i + 1], Heading)
                    and blocks[i + 1].level <= kept[-1].level):
                notes.append(f"Dropped a table of contents ({entries} entries) under {kept.pop().text!r}")
            else:
                notes.append(f"Dropped a table of contents ({entries} entries)")
            i += 1
            continue
        kept.append(block)
        i += 1
    return kept


def _without_boilerplate(blocks: list[Block]) -> tuple[list[Block], list[str]]:
    """Blocks with boilerplate taken out, and what was taken. A boilerplate heading goes with
    what it heads only when that is a few short blocks; otherwise the heading stays."""
    kept: list[Block] = []
    dropped: list[str] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if isinstance(block, Heading) and is_boilerplate(block.text):
            end = _under(blocks, i)
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


def _call_named(heading: str) -> str:
    """A heading that is one call ("lamp.light(level)") titled by what it calls; others as they are."""
    if re.fullmatch(r"[\w.:]+\([^()]*\)", heading.strip()):
        return declared_name(heading) or heading
    return heading


def numbered_sections(chapters: Sequence[tuple[str, Sequence[str]]]) -> tuple[Section, ...]:
    """Sections of (title, paragraphs), their ids numbered in order ("01-title", or three digits
    past 99) so that script files sort as the article reads."""
    width = 3 if len(chapters) > 99 else 2
    return tuple(
        Section(id=f"{n:0{width}d}-{slugify(title)}", title=title, paragraphs=tuple(paragraphs))
        for n, (title, paragraphs) in enumerate(chapters, start=1)
    )


def ensure_stop(text: str) -> str:
    """A heading read as a line of text ends as a sentence does."""
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
