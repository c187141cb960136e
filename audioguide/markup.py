"""Markdown and HTML read into headings and block text, for `article.py` to cut into sections.

Both readers drop inline markup (links keep their text, images their alt text where it says
something) and keep the shape of blocks that narration reads differently, in the block-text
convention described in `article.py`: `- ` list items, `| a | b |` table rows, fenced code, `> `
quotes. Only the standard library is used: `html.parser` is lenient with real-world pages.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


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


# ---------------------------------------------------------------------------------------------
# Markdown

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^\s{0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_REF_DEF = re.compile(r"^\s{0,3}\[([^\]^]+)\]:\s*\S+.*$")
_FOOTNOTE_DEF = re.compile(r"^\s{0,3}\[\^[^\]]+\]:")
_IMAGE = r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])"
_BADGES = re.compile(rf"^(?:\s*(?:\[\s*{_IMAGE}\s*\](?:\([^)]*\)|\[[^\]]*\])|{_IMAGE}|<img[^>]*>)\s*)+$")
_ESCAPED = 0xE000
_FRONT_KEYS = {"title": "title", "author": "author", "lang": "language", "language": "language",
               "link": "link", "url": "link", "canonical_url": "link"}


def inline_markdown(text: str) -> str:
    """Markdown inline markup removed: code spans keep their text, links their words."""
    pieces = re.split(r"(`+)(.+?)\1", text)
    out = []
    # re.split with two groups yields [text, ticks, code, text, ticks, code, ..., text].
    for index in range(0, len(pieces), 3):
        # Escaped characters are hidden from the markup rules, then given back as themselves.
        part = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|>~])", lambda m: chr(_ESCAPED + ord(m.group(1))), pieces[index])
        part = re.sub(r"!\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])", r"\1", part)
        part = re.sub(r"\[\^[^\]]*\]", "", part)
        part = re.sub(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])", r"\1", part)
        part = re.sub(r"<((?:https?://|mailto:)[^>]+)>", lambda m: m.group(1).removeprefix("mailto:"), part)
        part = re.sub(r"</?[A-Za-z][^<>]*>", "", part)
        part = re.sub(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1", r"\2", part)
        part = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", part)
        part = re.sub(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)", r"\1", part)
        out.append(re.sub("[\ue000-\ue0ff]", lambda m: chr(ord(m.group(0)) - _ESCAPED), html.unescape(part)))
        if index + 2 < len(pieces):
            out.append(pieces[index + 2].strip())
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _front_matter(lines: list[str], parsed: Parsed) -> list[str]:
    if not lines or lines[0].strip() not in ("---", "+++"):
        return lines
    fence = lines[0].strip()
    for end in range(1, len(lines)):
        if lines[end].strip() in (fence, "..."):
            break
    else:
        return lines
    for line in lines[1:end]:
        match = re.match(r"^([A-Za-z_]+)\s*[:=]\s*(.*)$", line)
        if match and match.group(1).lower() in _FRONT_KEYS:
            value = match.group(2).strip().strip("[]").strip().strip("'\"")
            if value:
                setattr(parsed, _FRONT_KEYS[match.group(1).lower()], value)
    return lines[end + 1:]


def parse_markdown(text: str) -> Parsed:
    """Headings (ATX and setext) and blocks of a Markdown document, front matter as metadata."""
    parsed = Parsed()
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    lines = _front_matter(text.split("\n"), parsed)
    blocks = parsed.blocks
    para: list[str] = []

    def flush() -> None:
        if para:
            joined = " ".join(line.strip() for line in para)
            if _BADGES.match(joined):
                parsed.notes.append(f"Skipped images without text: {joined[:60]!r}")
            elif inline_markdown(joined):
                blocks.append(inline_markdown(joined))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush()
            marker, body = fence.group(1), []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                body.append(lines[i])
                i += 1
            blocks.append(code_block("\n".join(body)))
        elif not line.strip():
            flush()
        elif _ATX.match(line) and not (line.lstrip().startswith("#!")):
            flush()
            match = _ATX.match(line)
            title = inline_markdown(match.group(2) or "")  # type: ignore[union-attr]
            if title:
                blocks.append(Heading(title, len(match.group(1))))  # type: ignore[union-attr]
        elif para and _SETEXT.match(line) and not _LIST_ITEM.match(para[0]):
            title = inline_markdown(" ".join(para))
            para.clear()
            blocks.append(Heading(title, 1 if line.strip()[0] == "=" else 2))
        elif _RULE.match(line):
            flush()
        elif _REF_DEF.match(line) or _FOOTNOTE_DEF.match(line):
            flush()
        elif "|" in line and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]) and "-" in lines[i + 1]:
            flush()
            rows = []
            while i < len(lines) and "|" in lines[i]:
                if not _TABLE_SEP.match(lines[i]):
                    cells = lines[i].strip().strip("|").split("|")
                    rows.append([inline_markdown(cell) for cell in cells])
                i += 1
            blocks.append(table_block(rows, header=True))
            continue
        elif line.lstrip().startswith(">"):
            flush()
            quoted = []
            while i < len(lines) and lines[i].strip() and lines[i].lstrip().startswith(">"):
                quoted.append(re.sub(r"^\s*(>\s?)+", "", lines[i]))
                i += 1
            if inline_markdown(" ".join(quoted)):
                blocks.append("> " + inline_markdown(" ".join(quoted)))
            continue
        elif _LIST_ITEM.match(line) and not para:
            items: list[str] = []
            while i < len(lines):
                item = _LIST_ITEM.match(lines[i])
                if item:
                    items.append(item.group(2))
                elif lines[i].strip() and items and (lines[i].startswith((" ", "\t")) or lines[i - 1].strip()):
                    items[-1] += " " + lines[i].strip()
                elif not lines[i].strip() and i + 1 < len(lines) and _LIST_ITEM.match(lines[i + 1]):
                    pass
                else:
                    break
                i += 1
            spoken = [inline_markdown(item) for item in items]
            blocks.append("\n".join(f"- {item}" for item in spoken if item))
            continue
        elif line.startswith(("    ", "\t")) and not para:
            body = []
            while i < len(lines) and (lines[i].startswith(("    ", "\t")) or not lines[i].strip()):
                body.append(lines[i][4:] if lines[i].startswith("    ") else lines[i][1:])
                i += 1
            blocks.append(code_block("\n".join(body)))
            continue
        else:
            para.append(line)
        i += 1
    flush()
    _title_from_lone_h1(parsed)
    return parsed


def _title_from_lone_h1(parsed: Parsed) -> None:
    """A single level-1 heading that opens the document is its title, not a chapter."""
    headings = [b for b in parsed.blocks if isinstance(b, Heading)]
    top = [h for h in headings if h.level == 1]
    if len(top) == 1 and headings[0] is top[0]:
        parsed.blocks.remove(top[0])
        parsed.title = parsed.title or top[0].text


# ---------------------------------------------------------------------------------------------
# HTML

_SKIP_TAGS = {"nav", "footer", "aside", "script", "style", "form", "noscript", "template", "svg",
              "iframe", "button", "select", "canvas", "object", "dialog", "head"}
_SKIP_NAMES = re.compile(
    r"(?:^|[\s_-])(comments?|sidebar|share|sharing|social|related|newsletter|subscribe|cookies?|"
    r"banner|advert\w*|ads?|promo|breadcrumbs?|menu|navbar|toc|widget|disqus|signup|popup)(?:$|[\s_-])",
    re.I)
_SKIP_ROLES = {"navigation", "complementary", "banner", "contentinfo", "search", "menu"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr", "param"}
_BLOCKS = {"p", "div", "section", "li", "dt", "dd", "figcaption", "figure", "td", "th", "tr",
           "table", "ul", "ol", "dl", "blockquote", "pre", "br", "hr", "article", "main", "body",
           "h1", "h2", "h3", "h4", "h5", "h6", "header", "details", "summary", "address"}


class _PageReader(HTMLParser):
    """Collects headings and blocks, each tagged with whether it lies in <article>/<main>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, starts a skipped subtree)
        self.found: list[tuple[Block, bool]] = []
        self.text: list[str] = []
        self.heading: int | None = None
        self.items: list[str] | None = None
        self.rows: list[list[str]] | None = None
        self.header_row = False
        self.quote: list[str] | None = None
        self.pre = 0
        self.sup_start: int | None = None
        self.sup_link = False
        self.title_parts: list[str] = []
        self.in_title = False
        self.meta: dict[str, str] = {}

    @property
    def skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    @property
    def in_main(self) -> bool:
        return any(tag in ("article", "main") for tag, _ in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self._metadata(tag, a)
        if tag in _BLOCKS:
            self.flush()
        if tag in _VOID:
            return  # images are skipped: a figure speaks through its caption
        skip = (tag in _SKIP_TAGS or a.get("role") in _SKIP_ROLES or "hidden" in a
                or a.get("aria-hidden") == "true"
                or bool(_SKIP_NAMES.search(a.get("class", "") + " " + a.get("id", ""))))
        # A page's own <header> is chrome; an article's <header> holds its title and byline.
        if tag == "header" and not self.in_main:
            skip = True
        self.stack.append((tag, skip))
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = int(tag[1])
        elif tag in ("ul", "ol") and self.items is None:
            self.items = []
        elif tag == "table" and self.rows is None:
            self.rows, self.header_row = [], False
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
        elif tag == "blockquote" and self.quote is None:
            self.quote = []
        elif tag == "pre":
            self.pre += 1
        elif tag == "sup":
            self.sup_start, self.sup_link = len(self.text), False
        elif tag == "a" and self.sup_start is not None:
            self.sup_link = True
        elif tag == "title":
            self.in_title = True

    def _metadata(self, tag: str, a: dict[str, str]) -> None:
        lang = a.get("lang") or a.get("xml:lang")
        if tag in ("html", "body", "main", "article") and lang:
            self.meta.setdefault("language", lang)
        elif tag == "meta" and a.get("http-equiv", "").lower() == "content-language" and a.get("content"):
            self.meta.setdefault("content_language", a["content"].split(",")[0])
        elif tag == "meta" and a.get("property") == "og:locale" and a.get("content"):
            self.meta.setdefault("og_locale", a["content"])
        elif tag == "meta" and a.get("name", "").lower() == "author" and a.get("content"):
            self.meta.setdefault("author", a["content"])
        elif tag == "meta" and a.get("property") == "og:title" and a.get("content"):
            self.meta.setdefault("og_title", a["content"])
        elif tag == "link" and "canonical" in a.get("rel", "").split() and a.get("href"):
            self.meta.setdefault("link", a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag not in [t for t, _ in self.stack]:
            return
        if tag == "sup" and self.sup_start is not None:
            if self.sup_link and re.fullmatch(r"\s*\[?\s*\d{1,3}\s*\]?\s*", "".join(self.text[self.sup_start:])):
                del self.text[self.sup_start:]
            self.sup_start = None
        if tag in _BLOCKS:
            self.flush()
        while self.stack:
            open_tag, _ = self.stack.pop()
            self._close(open_tag)
            if open_tag == tag:
                break

    def _close(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.items is not None and not any(t in ("ul", "ol") for t, _ in self.stack):
            if self.items:
                self._emit("\n".join(f"- {item}" for item in self.items))
            self.items = None
        elif tag == "table" and self.rows is not None:
            rows = [row for row in self.rows if any(row)]
            if rows:
                self._emit(table_block(rows, header=self.header_row))
            self.rows = None
        elif tag == "blockquote" and self.quote is not None and not any(t == "blockquote" for t, _ in self.stack):
            if self.quote:
                self._emit("> " + " ".join(self.quote))
            self.quote = None
        elif tag == "pre":
            self.pre -= 1
        elif tag == "title":
            self.in_title = False
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = None

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
        elif not self.skipping:
            self.text.append(data)

    def flush(self) -> None:
        raw = "".join(self.text)
        self.text = []
        if self.pre:
            if raw.strip():
                self._emit(code_block(raw))
            return
        words = re.sub(r"\s+", " ", raw).strip()
        # Inside an article's <header> only the headings count; the rest is byline and dates.
        if not words or self.skipping or (self.heading is None and any(t == "header" for t, _ in self.stack)):
            return
        top = self.stack[-1][0] if self.stack else ""
        if self.heading is not None:
            self._emit(Heading(words, self.heading))
        elif self.rows is not None and self.rows:
            self.rows[-1].append(words)
            self.header_row = self.header_row or (top == "th" and len(self.rows) == 1)
        elif self.items is not None:
            self.items.append(words)
        elif self.quote is not None:
            self.quote.append(words)
        else:
            self._emit(words)

    def _emit(self, block: Block) -> None:
        self.found.append((block, self.in_main))


def parse_html(text: str) -> Parsed:
    """Headings and blocks of a web page, without its navigation, sidebars, comments and footer."""
    reader = _PageReader()
    reader.feed(text)
    reader.close()
    reader.flush()
    in_main = [block for block, main in reader.found if main]
    blocks = in_main or [block for block, _ in reader.found]
    page_title = re.sub(r"\s+", " ", "".join(reader.title_parts)).strip()
    page_title = re.split(r"\s+[|·•–—-]\s+", page_title)[0] if page_title else ""
    language = next((reader.meta[key] for key in ("language", "content_language", "og_locale")
                     if reader.meta.get(key)), "")
    parsed = Parsed(blocks=blocks, author=reader.meta.get("author", ""), language=language,
                    link=reader.meta.get("link"))
    _title_from_lone_h1(parsed)
    parsed.title = parsed.title or reader.meta.get("og_title") or page_title or None
    return parsed
