"""Web pages read into headings and block text: the article found by trafilatura, its structure
mapped onto block text, and the page's own tags where the extractor falls short.

trafilatura (Apache-2.0) finds a page's main content by its text density, link density and
markup, and gives it as XML that keeps headings (`<head rend="h2">`), lists, tables, quotes and
code. It is imported only when a page is read, so commands that read no HTML never pay for it.
The page's tags (`html_tags.py`) give the metadata, the headings the extractor dropped, and the
whole article where the extractor finds nothing, so a page with an article is never refused.
"""

from __future__ import annotations

import re

from audioguide.readers.blocks import (Block, Heading, Parsed, code_block, list_block, spoken_code,
                                       symbol_code_note, table_block, title_from_lone_h1)
from audioguide.readers.html_tags import parse_tags

_HEADER_LINK = re.compile(r"\s*(?:[¶#§]|\[\s*edit\s*\])\s*$", re.I)
_FOOTNOTE_MARK = re.compile(r"\s*\[?\s*(?:\d{1,3}|[a-z])\s*\]?\s*")
MIN_WORDS = 20
"""An extract shorter than this is not trusted: the page is read by its tags instead."""


def parse_html(text: str) -> Parsed:
    """Headings and blocks of a web page's article, with the page's title, language, author and
    canonical link."""
    page = parse_tags(text)
    found = _extract(text)
    if found is None or _words(found.blocks) < MIN_WORDS:
        return page
    found.title = found.title or page.title
    found.author, found.language, found.link = page.author, page.language, page.link
    return found


def _words(blocks: list[Block]) -> int:
    return sum(len((b.text if isinstance(b, Heading) else b).split()) for b in blocks)


def _extract(text: str) -> Parsed | None:
    """The main content as trafilatura finds it, as blocks; None when it finds none."""
    import trafilatura
    from lxml import etree

    tree = _prepared(text)
    if tree is None:
        return None
    xml = trafilatura.extract(tree, output_format="xml", include_tables=True, include_formatting=True,
                              include_images=False, include_comments=False, include_links=False,
                              with_metadata=False, deduplicate=False)
    if not xml:
        return None
    root = etree.fromstring(xml.encode("utf-8"))
    body = root.find("main")
    walker = _Walker()
    walker.walk(body if body is not None else root)
    parsed = Parsed(blocks=walker.blocks)
    if (note := symbol_code_note(walker.symbol_code)) is not None:
        parsed.notes.append(note)
    title_from_lone_h1(parsed)
    return parsed


def _prepared(text: str):  # -> lxml element, or None
    """The page parsed by lxml, its figures' captions made paragraphs (trafilatura drops figures)."""
    import lxml.html
    from lxml import etree

    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None
    # Comments and processing instructions are not text; trafilatura reads them when given a tree.
    etree.strip_elements(tree, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for figure in tree.iter("figure"):
        figure.tag = "div"
    for caption in tree.iter("figcaption"):
        caption.tag = "p"
    return tree


class _Walker:
    """trafilatura's XML elements as blocks in reading order."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.symbol_code: list[str] = []

    def walk(self, element) -> None:
        for child in element:
            self.block(child)

    def block(self, element) -> None:
        tag = element.tag
        if tag == "head":
            text = _HEADER_LINK.sub("", self.inline(element))
            level = int(m.group(1)) if (m := re.fullmatch(r"h([1-6])", element.get("rend", ""))) else 2
            if text:
                self.blocks.append(Heading(text, level))
        elif tag == "p":
            self.paragraph(element)
        elif tag == "list":
            self._append(list_block(self.items(element)))
        elif tag == "table":
            self.table(element)
        elif tag == "quote":
            if (quoted := " ".join(self.texts(element))):
                self.blocks.append("> " + quoted)
        elif tag == "code":
            if "".join(element.itertext()).strip():
                self.blocks.append(code_block("".join(element.itertext())))
        elif tag in ("div", "main", "doc", "item", "cell"):
            self.walk(element)

    def _append(self, block: str) -> None:
        if block.strip():
            self.blocks.append(block)

    def paragraph(self, element) -> None:
        """A paragraph; a list or code inside it (trafilatura nests them) becomes a block of its own."""
        parts: list[str] = [element.text or ""]
        for child in element:
            if child.tag in ("list", "code", "table", "quote") and (child.tag != "code" or "\n" in "".join(child.itertext())):
                self._append(_tidy("".join(parts)))
                parts = []
                self.block(child)
            else:
                parts.append(self.inline_element(child))
            parts.append(child.tail or "")
        self._append(_tidy("".join(parts)))

    def items(self, element) -> list[str]:
        """A list's items, nested lists flattened; a term and its definitions make one item."""
        items: list[str] = []
        for item in element.iter("item"):
            nested = item.find("list")
            own = "".join(self.inline_parts(item, stop_at_lists=True))
            text = _tidy(own)
            if item.get("rend", "").startswith("dd") and items and item.getprevious() is not None \
                    and item.getprevious().get("rend", "").startswith("dt"):
                items[-1] = f"{items[-1]}: {text}" if not items[-1].endswith(":") else f"{items[-1]} {text}"
            elif text:
                items.append(text)
            del nested
        return items

    def table(self, element) -> None:
        rows = []
        header = False
        for n, row in enumerate(element.iter("row")):
            cells = [_tidy(" ".join(self.texts(cell))) for cell in row.iter("cell")]
            header = header or (n == 0 and all(cell.get("role") == "head" for cell in row.iter("cell")))
            if any(cells):
                rows.append(cells)
        if rows:
            width = max(map(len, rows))
            self.blocks.append(table_block([row + [""] * (width - len(row)) for row in rows], header=header))

    def texts(self, element) -> list[str]:
        """The words of every paragraph-like run under an element."""
        own = _tidy("".join(self.inline_parts(element, stop_at_blocks=True)))
        out = [own] if own else []
        for child in element:
            if child.tag in ("p", "head", "item", "quote", "cell", "list", "div"):
                out.extend(self.texts(child))
        return out

    def inline(self, element) -> str:
        return _tidy("".join(self.inline_parts(element)))

    def inline_parts(self, element, stop_at_lists: bool = False, stop_at_blocks: bool = False) -> list[str]:
        parts = [element.text or ""]
        for child in element:
            if (stop_at_lists and child.tag == "list") or (
                    stop_at_blocks and child.tag in ("p", "head", "item", "quote", "cell", "list", "div")):
                parts.append(" ")
            else:
                parts.append(self.inline_element(child))
            parts.append(child.tail or "")
        return parts

    def inline_element(self, element) -> str:
        text = "".join(self.inline_parts(element))
        if element.tag == "lb":
            return " "
        if element.tag == "code":
            spoken = spoken_code(text)
            if not spoken:
                self.symbol_code.append(text.strip())
            return f" {spoken} " if spoken else ""
        if element.tag == "hi" and element.get("rend") == "#sup" and _FOOTNOTE_MARK.fullmatch(text):
            return ""  # a footnote mark
        if element.tag == "graphic":
            return ""
        return text


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
