"""trafilatura's XML of a page's main content mapped onto block text: headings, paragraphs, lists,
tables, quotes and code, with lists of links, footnote marks and code a voice could only read as
symbols left out.

trafilatura (Apache-2.0) finds a page's main content by its text density, link density and
markup, and gives it as XML that keeps headings (`<head rend="h2">`), lists, tables, quotes and
code. It is imported only when a page is read, so commands that read no HTML never pay for it.
"""

from __future__ import annotations

import re

from audioguide.readers.blocks import (CODE_GAP, Block, Heading, Parsed, append_code, inline_text, list_block,
                                       table_block, title_from_lone_h1, unsaid_code_note)
from audioguide.readers.code import declared_name, is_name, spoken_code
from audioguide.readers.html_tags import HEADER_LINK

_FOOTNOTE_MARK = re.compile(r"\s*\[?\s*(?:\d{1,3}|[a-z])\s*\]?\s*")
LAYOUT_CELL_WORDS = 60
"""A table with a cell longer than this lays out a page; it is not read as a table."""


def extract(tree) -> Parsed | None:
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
    if (note := unsaid_code_note(walker.unsaid_code)) is not None:
        parsed.notes.append(note)
    dropped = _link_lists_kept(walker.link_lists, parsed.blocks)
    if dropped:
        parsed.notes.append(f"Dropped {dropped} list{'s' if dropped > 1 else ''} of links")
    title_from_lone_h1(parsed)
    return parsed


def _link_lists_kept(found: list[tuple[int, str | None]], blocks: list[Block]) -> int:
    """Put back the lists of links that are the article (release notes, a list of readings: three
    lists or more, of items that are sentences, not menu entries or titles); the number dropped."""
    lists = [(at, block) for at, block in found if block is not None]
    words = [len(line.split()) for _, block in lists for line in block.split("\n")]
    if len(lists) < 3 or sum(words) < 6 * len(words):
        return len(found)
    for at, block in reversed(lists):
        blocks.insert(at, block)
    return len(found) - len(lists)


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
        self.unsaid_code: list[str] = []
        self.link_lists: list[tuple[int, str | None]] = []
        """Where lists of links (and lines of links, None) were left out, and the lists."""

    def walk(self, element) -> None:
        """A container's children: blocks in order, and the inline runs between them as
        paragraphs, a short run all in bold as a heading (pages that style headings by hand).
        Directly in the main part, only such headings are read: trafilatura leaves loose there
        the bylines and dates it found beside the paragraphs."""
        run = _Run(element.text)
        run.bold_only = not (element.text or "").strip()
        for child in element:
            if child.tag in _BLOCKS or _block_code(child) or (
                    child.tag == "code" and element.tag in ("main", "doc", "div", "quote")):
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
            self.link_lists.append((len(self.blocks), None))
        elif run.bold_only and len(text.split()) <= 12 and text[-1] not in ".,;!?:":
            self.blocks.append(Heading(text, 3))
        elif container not in ("main", "doc", "div"):
            self.blocks.append(text)

    def block(self, element) -> None:
        tag = element.tag
        code = _only_code(element) if tag in ("p", "head") else ""
        if tag == "head":
            text = declared_name(code) if code else HEADER_LINK.sub("", self.inline(element))
            level = int(m.group(1)) if (m := re.fullmatch(r"h([1-6])", element.get("rend", ""))) else 2
            if text:
                self.blocks.append(Heading(text, level))
        elif tag == "list":
            self.listing(element)
        elif tag == "table":
            self.table(element)
        elif tag == "quote":
            self.quote(element)
        elif tag == "code" or (code and not is_name(code)):  # a command or an expression on its own
            if (text := "".join(element.itertext())).strip():
                append_code(self.blocks, text)
        else:
            self.walk(element)

    def quote(self, element) -> None:
        """A block quote's prose as one quote; code and lists inside it stay what they are."""
        start = len(self.blocks)
        self.walk(element)
        found, self.blocks[start:] = self.blocks[start:], []
        prose: list[str] = []
        for block in [*found, None]:
            if isinstance(block, Heading) or (block and not block.startswith(("```", "- ", "| ", "> "))):
                prose.append(block.text if isinstance(block, Heading) else block)
                continue
            if prose:
                self.blocks.append("> " + " ".join(prose))
                prose = []
            if block is not None:
                self.blocks.append(block)

    def listing(self, element) -> None:
        """A list's items, nested lists flattened; a term and its definitions make one item. Code
        in an item (a block, or an item that is only a command) ends the list there."""
        items: list[str] = []
        linked = 0

        def end_list() -> None:
            nonlocal linked
            if items and linked == len(items) and len(items) >= 2:
                self.link_lists.append((len(self.blocks), list_block(items)))
            elif items:
                self.blocks.append(list_block(items))
            items.clear()
            linked = 0

        for item in element.iter("item"):
            if (code := _only_code(item)) and not is_name(code):
                end_list()
                append_code(self.blocks, code)
                continue
            text = inline_text(self.inline_parts(item, stop_at_lists=True))
            links = sum(len(_tidy("".join(ref.itertext()))) for ref in item.iter("ref"))
            linked += bool(text) and links >= _LINKS_ONLY * len(text)
            previous = item.getprevious()
            if (item.get("rend", "").startswith("dd") and items and previous is not None
                    and previous.get("rend", "").startswith("dt")):
                items[-1] = f"{items[-1].rstrip(':')}: {text}"
            elif text:
                items.append(text)
            if examples := [child for child in item if _block_code(child)]:
                end_list()
                for example in examples:
                    append_code(self.blocks, "".join(example.itertext()))
        end_list()

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
            if ((stop_at_lists and (child.tag == "list" or _block_code(child)))
                    or (stop_at_blocks and child.tag in _BLOCKS)):
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
                self.unsaid_code.append(text.strip())
            return f"{CODE_GAP}{spoken}{CODE_GAP}" if spoken else ""
        if _FOOTNOTE_MARK.fullmatch(text) and (
                (element.tag == "hi" and element.get("rend") == "#sup")
                or (element.tag == "ref" and element.get("target", "").startswith("#"))):
            return ""  # a footnote mark
        if element.tag == "graphic":
            return ""
        return text


def _block_code(element) -> bool:
    """Code of more than one line: an example, not a name in a sentence."""
    return element.tag == "code" and "\n" in "".join(element.itertext()).strip()


def _only_code(element) -> str:
    """The code of an element that holds inline code and nothing else (links and emphasis around
    it, line breaks and heading marks aside); "" for any other element."""
    code: list[str] = []

    def walk(node) -> bool:
        if HEADER_LINK.sub("", re.sub(r"[\s,.:;]", "", node.text or "")):
            return False
        for child in node:
            if child.tag == "code":
                code.append("".join(child.itertext()))
            elif child.tag not in ("ref", "hi", "lb") or not walk(child):
                return False
            if HEADER_LINK.sub("", re.sub(r"[\s,.:;]", "", child.tail or "")):
                return False
        return True

    return " ".join(code).strip() if walk(element) else ""


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
