"""Web pages read into headings and block text: the article found by trafilatura, its structure
mapped onto block text, and the page's own tags where the extractor falls short.

trafilatura (Apache-2.0) finds a page's main content by its text density, link density and
markup, and gives it as XML that keeps headings (`<head rend="h2">`), lists, tables, quotes and
code. It is imported only when a page is read, so commands that read no HTML never pay for it.
The page's tags (`html_tags.py`) give the metadata, the headings the extractor dropped, and the
whole article where the extractor finds nothing, so a page with an article is never refused.
"""

from __future__ import annotations

import html
import re
from collections import Counter

from audioguide.readers.blocks import (Block, Heading, Parsed, code_block, inline_text, list_block, spoken_code,
                                       symbol_code_note, table_block, title_from_lone_h1)
from audioguide.readers.html_tags import parse_tags

_HEADER_LINK = re.compile(r"^\s*[¶#§]\s*|\s*(?:[¶#§]|\[\s*edit\s*\])\s*$", re.I)
_FOOTNOTE_MARK = re.compile(r"\s*\[?\s*(?:\d{1,3}|[a-z])\s*\]?\s*")
_WIKI_CHROME = " | ".join(
    f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
    for name in ("infobox", "navbox", "reflist", "references", "reference", "mw-editsection", "hatnote",
                 "catlinks", "mw-jump-link", "noprint", "sistersitebox", "mw-cite-backlink"))
"""MediaWiki's own furniture (infoboxes, navigation boxes, reference lists and marks, edit links):
the most common wiki engine marks it by class, and none of it is read aloud."""
LAYOUT_CELL_WORDS = 60
"""A table with a cell longer than this lays out a page; it is not read as a table."""
MIN_WORDS = 20
"""An extract shorter than this is not trusted: the page is read by its tags instead."""


def parse_html(text: str) -> Parsed:
    """Headings and blocks of a web page's article, with the page's title, language, author and
    canonical link."""
    page = parse_tags(text)
    tree = _prepared(text)
    total = _page_words(tree)
    found = _extract(tree)
    if found is None or _words(found.blocks) < MIN_WORDS or _same_but_flatter(found.blocks, page):
        found = page
    else:
        _restore_headings(found.blocks, page.blocks)
        found.title = found.title or _title_heading(text, page) or page.title
        _drop_title_repeats(found)
        found.author, found.language, found.link = page.author, page.language, page.link
    if (around := total - _words(found.blocks)) > 0.05 * total:
        found.notes.insert(0, f"Dropped {around} of the page's {total} words around the article "
                              "(navigation, sidebars, comments, footers)")
    return found


def _same_but_flatter(found: list[Block], page: Parsed) -> bool:
    """True when the extract has no headings but the page's tags give its words, hardly more,
    with headings: the extractor flattened a short page (below its own minimum size it reads a
    page as one run of text)."""
    if any(isinstance(b, Heading) for b in found) or not any(isinstance(b, Heading) for b in page.blocks):
        return False
    if _words(page.blocks) > 1.2 * _words(found):
        return False
    got = Counter(_all_words(found))
    have = Counter(_all_words(page.blocks + ([Heading(page.title, 1)] if page.title else [])))
    return sum((got & have).values()) >= 0.9 * sum(got.values())


def _all_words(blocks: list[Block]) -> list[str]:
    return re.findall(r"[^\W_]+", " ".join(b.text if isinstance(b, Heading) else b for b in blocks).lower())


def _page_words(tree) -> int:
    """Words a browser would show on the page."""
    if tree is None:
        return 0
    shown = tree.xpath("//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
                       " or ancestor::template)]")
    return sum(len(str(text).split()) for text in shown)


def _restore_headings(found: list[Block], page: list[Block]) -> None:
    """Put back the page's headings that the extractor dropped, each before the text that follows
    it on the page, where the extract has that text."""
    have = {b.text for b in found if isinstance(b, Heading)}
    starts = {_opening(b): i for i, b in reversed(list(enumerate(found))) if isinstance(b, str)}
    inserts: list[tuple[int, Heading]] = []
    for i, block in enumerate(page):
        if not isinstance(block, Heading) or block.text in have:
            continue
        following = next((b for b in page[i + 1:i + 2] if isinstance(b, str)), None)
        at = starts.get(_opening(following)) if following else None
        if at is not None and not (at and isinstance(found[at - 1], Heading)):
            inserts.append((at, block))
    for at, heading in sorted(inserts, key=lambda pair: -pair[0]):
        found.insert(at, heading)


def _title_heading(text: str, page: Parsed) -> str | None:
    """The page's heading that its <title> starts with ("Topic - Forum name"), if any: the
    title without the site's name, however the two are joined."""
    match = re.search(r"<title[^>]*>(.*?)</title>", text[:20000], re.S | re.I)
    if not match:
        return None
    title = _opening(html.unescape(match.group(1)), 40)
    headings = [b.text for b in page.blocks if isinstance(b, Heading)] + [page.title or ""]
    found = [h for h in headings if _opening(h, 40) and title.startswith(_opening(h, 40))]
    return max(found, key=len) if found else None


def _drop_title_repeats(parsed: Parsed) -> None:
    """Headings that only repeat the title ("Re: <title>" over each post of a thread) go."""
    if not parsed.title:
        return
    title = _opening(parsed.title)
    parsed.blocks[:] = [b for b in parsed.blocks if not (
        isinstance(b, Heading) and _opening(re.sub(r"^(?:re|aw|fwd?)\s*:\s*", "", b.text, flags=re.I)) == title)]


def _opening(block: str, words: int = 8) -> str:
    return " ".join(re.findall(r"[^\W_]+", block.lower())[:words])


def _words(blocks: list[Block]) -> int:
    return sum(len((b.text if isinstance(b, Heading) else b).split()) for b in blocks)


def _extract(tree) -> Parsed | None:
    """The main content as trafilatura finds it, as blocks; None when it finds none."""
    import trafilatura
    from lxml import etree

    if tree is None:
        return None
    xml = trafilatura.extract(tree, output_format="xml", include_tables=True, include_formatting=True,
                              include_images=False, include_comments=False, include_links=True,
                              with_metadata=False, deduplicate=False)
    if not xml:
        return None
    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return None
    body = root.find("main")
    walker = _Walker()
    walker.walk(body if body is not None else root)
    parsed = Parsed(blocks=walker.blocks)
    if (note := symbol_code_note(walker.symbol_code)) is not None:
        parsed.notes.append(note)
    if walker.link_lists:
        parsed.notes.append(f"Dropped {walker.link_lists} list{'s' if walker.link_lists > 1 else ''} of links")
    title_from_lone_h1(parsed)
    return parsed


def _prepared(text: str):  # -> lxml element, or None
    """The page parsed by lxml, its figures' captions made paragraphs (trafilatura drops figures)."""
    import lxml.html
    from lxml import etree

    # lxml refuses text (not bytes) that declares its encoding, as XHTML pages do.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None
    # Comments and processing instructions are not text; trafilatura reads them when given a tree.
    etree.strip_elements(tree, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for chrome in tree.xpath(_WIKI_CHROME):
        chrome.drop_tree()
    for heading in tree.xpath("//*[@role='heading']"):
        level = heading.get("aria-level", "2")
        heading.tag = f"h{level}" if level in "123456" and len(level) == 1 else "h2"
    for figure in tree.iter("figure"):
        figure.tag = "div"
    for caption in tree.iter("figcaption"):
        caption.tag = "p"
    return tree


_BLOCKS = {"head", "p", "list", "table", "quote", "div", "main", "item", "cell", "row"}
_LINKS_ONLY = 0.9
"""A list whose every item, or a line of two links or more, is this much link text (related
posts, a menu) is not read."""


class _Run:
    """Inline content between blocks: its text, and whether all of it is bold."""

    def __init__(self, text: str | None = "") -> None:
        self.parts = [text or ""]
        self.bold_only = True
        self.links = 0
        self.link_chars = 0

    def add(self, text: str, bold: bool = False, link: bool = False) -> None:
        self.parts.append(text)
        self.bold_only = self.bold_only and (bold or not text.strip())
        self.links += link
        self.link_chars += len(text.strip()) if link else 0

    def tail(self, text: str | None) -> None:
        self.add(text or "")

    def links_only(self, text: str) -> bool:
        return self.links >= 2 and self.link_chars >= _LINKS_ONLY * len(text.replace(" ", ""))


class _Walker:
    """trafilatura's XML elements as blocks in reading order."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.symbol_code: list[str] = []
        self.link_lists = 0

    def walk(self, element) -> None:
        """A container's children: blocks in order, and the inline runs between them as
        paragraphs, a short run all in bold as a heading (pages that style headings by hand).
        Directly in the main part, only such headings are read: trafilatura leaves loose there
        the bylines and dates it found beside the paragraphs."""
        run = _Run(element.text)
        run.bold_only = not (element.text or "").strip()
        for child in element:
            if child.tag in _BLOCKS or (child.tag == "code" and (
                    "\n" in "".join(child.itertext()) or element.tag in ("main", "doc", "div"))):
                self._end_run(run, element.tag)
                run = _Run()
                self.block(child)
            else:
                run.add(self.inline_element(child), child.tag == "hi" and child.get("rend") == "#b",
                        child.tag == "ref")
            run.tail(child.tail)
        self._end_run(run, element.tag)

    def _end_run(self, run: _Run, container: str) -> None:
        text = inline_text(run.parts)
        if not text:
            return
        if run.links_only(text):
            self.link_lists += 1
        elif run.bold_only and len(text.split()) <= 12 and text[-1] not in ".,;!?:":
            self.blocks.append(Heading(text, 3))
        elif container not in ("main", "doc", "div"):
            self.blocks.append(text)

    def block(self, element) -> None:
        tag = element.tag
        if tag == "head":
            text = _HEADER_LINK.sub("", self.inline(element))
            level = int(m.group(1)) if (m := re.fullmatch(r"h([1-6])", element.get("rend", ""))) else 2
            if text:
                self.blocks.append(Heading(text, level))
        elif tag == "list":
            self.listing(element)
        elif tag == "table":
            self.table(element)
        elif tag == "quote":
            if (quoted := " ".join(self.texts(element))):
                self.blocks.append("> " + quoted)
        elif tag == "code":
            if "".join(element.itertext()).strip():
                self.blocks.append(code_block("".join(element.itertext())))
        else:
            self.walk(element)

    def listing(self, element) -> None:
        """A list's items, nested lists flattened; a term and its definitions make one item."""
        items: list[str] = []
        linked = 0
        for item in element.iter("item"):
            text = inline_text(self.inline_parts(item, stop_at_lists=True))
            links = sum(len(_tidy("".join(ref.itertext()))) for ref in item.iter("ref"))
            linked += bool(text) and links >= _LINKS_ONLY * len(text)
            previous = item.getprevious()
            if (item.get("rend", "").startswith("dd") and items and previous is not None
                    and previous.get("rend", "").startswith("dt")):
                items[-1] = f"{items[-1].rstrip(':')}: {text}"
            elif text:
                items.append(text)
        if items and linked == len(items) and len(items) >= 2:
            self.link_lists += 1
        elif items:
            self.blocks.append(list_block(items))

    def table(self, element) -> None:
        """A data table as rows; a table that lays out a page (cells of prose) as its text."""
        if any(len(" ".join(self.texts(cell)).split()) > LAYOUT_CELL_WORDS for cell in element.iter("cell")):
            for cell in element.iter("cell"):
                if cell.find(".//cell") is None:
                    self.walk(cell)
            return
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
        own = inline_text(self.inline_parts(element, stop_at_blocks=True))
        out = [own] if own else []
        for child in element:
            if child.tag in _BLOCKS:
                out.extend(self.texts(child))
        return out

    def inline(self, element) -> str:
        return inline_text(self.inline_parts(element))

    def inline_parts(self, element, stop_at_lists: bool = False, stop_at_blocks: bool = False) -> list[str]:
        parts = [element.text or ""]
        for child in element:
            if (stop_at_lists and child.tag == "list") or (stop_at_blocks and child.tag in _BLOCKS):
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
        if _FOOTNOTE_MARK.fullmatch(text) and (
                (element.tag == "hi" and element.get("rend") == "#sup")
                or (element.tag == "ref" and element.get("target", "").startswith("#"))):
            return ""  # a footnote mark
        if element.tag == "graphic":
            return ""
        return text


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
