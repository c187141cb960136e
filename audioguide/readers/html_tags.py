"""Any HTML read by its tags alone (the standard library's lenient `html.parser`): headings and
blocks, without navigation, sidebars, comments and footer, each block marked with whether it lies
in the page's `<article>` or `<main>`; and the page's metadata (title, language, author, link).

The web page reader uses it for metadata, for headings the main-content extractor dropped, and as
the fallback where the extractor finds nothing; the Markdown reader uses it for HTML blocks.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from audioguide.readers.blocks import (Block, Heading, Parsed, code_block, list_block, table_block,
                                       title_from_lone_h1, unsaid_code_note)
from audioguide.readers.code import code_heading, spoken_code

HEADER_LINK = re.compile(r"^\s*[¶#§]\s*|\s*(?:[¶#§]|\[\s*edit\s*\])\s*$", re.I)
"""A heading's own anchor or edit link, which pages put before or after its text."""
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
        self.heading_class = ""
        self.heading_code: list[str] = []  # the heading's text inside code elements
        self.items: list[str] | None = None
        self.rows: list[list[str]] | None = None
        self.header_row = False
        self.quote: list[str] | None = None
        self.pre = 0
        self.sup_start: int | None = None
        self.code_start: int | None = None  # where the inline code being read began in `text`
        self.unsaid_code: list[str] = []
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
        # The classes of <html> and <body> describe the page ("has-sidebar"), not the element.
        named = tag not in ("html", "body") and bool(_SKIP_NAMES.search(a.get("class", "") + " " + a.get("id", "")))
        skip = (tag in _SKIP_TAGS or a.get("role") in _SKIP_ROLES or "hidden" in a
                or a.get("aria-hidden") == "true" or named)
        # A page's own <header> is chrome; an article's <header> holds its title and byline.
        if tag == "header" and not self.in_main:
            skip = True
        self.stack.append((tag, skip))
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading, self.heading_class, self.heading_code = int(tag[1]), a.get("class", ""), []
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
        elif tag in ("code", "tt", "kbd", "samp") and not self.pre and self.code_start is None:
            self.code_start = len(self.text)
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
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh" and "url=" in a.get("content", "").lower():
            self.meta.setdefault("refresh", re.split(r"url\s*=\s*", a["content"], flags=re.I)[-1].strip("'\" "))
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
                self._emit(list_block(self.items))
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
        elif tag in ("code", "tt", "kbd", "samp") and self.code_start is not None:
            raw = "".join(self.text[self.code_start:])
            spoken = spoken_code(raw)
            if not spoken and raw.strip():
                self.unsaid_code.append(raw.strip())
            self.text[self.code_start:] = [f" {spoken} "] if spoken else []
            self.code_start = None
        elif tag == "title":
            self.in_title = False
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = None

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
        elif not self.skipping:
            self.text.append(data)
            if self.heading is not None and any(t in ("code", "tt", "kbd", "samp") for t, _ in self.stack):
                self.heading_code.append(data)

    def flush(self) -> None:
        raw = "".join(self.text)
        self.text = []
        self.code_start = 0 if self.code_start is not None else None
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
            title = code_heading(words, "".join(self.heading_code), self.heading_class)
            if (words := HEADER_LINK.sub("", words) if title is None else title):
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


def parse_tags(text: str) -> Parsed:
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
                    link=reader.meta.get("link"), redirect=reader.meta.get("refresh", ""))
    if (note := unsaid_code_note(reader.unsaid_code)) is not None:
        parsed.notes.append(note)
    title_from_lone_h1(parsed)
    parsed.title = parsed.title or reader.meta.get("og_title") or page_title or None
    return parsed
