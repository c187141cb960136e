"""Markdown read with a CommonMark parser (markdown-it-py, with GFM tables, strikethrough,
footnotes and front matter from mdit-py-plugins) into headings and block text.

The parser settles nesting, reference links, setext headings, escapes, entities and HTML blocks
the way CommonMark says; this module only walks its syntax tree. Links keep their text, images
their alt text, footnotes are not read, and HTML blocks are read by the page reader.
"""

from __future__ import annotations

import functools
import re
import tomllib

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from audioguide.readers.blocks import (Heading, Parsed, append_code, inline_text, list_block, table_block,
                                       title_from_lone_h1, unsaid_code_note)
from audioguide.readers.code import declared_name, is_name, spoken_code
from audioguide.readers.html_tags import parse_tags

_SHORTCODE = re.compile(r"(?<![\w:]):(?:[a-z][a-z0-9_+-]*|\+1|-1):(?![\w:])")
"""A GitHub emoji shortcode (`:rocket:`), which GitHub shows as a picture: a voice would say the word."""
_FRONT_KEYS = {"title": "title", "author": "author", "lang": "language", "language": "language",
               "link": "link", "url": "link", "canonical_url": "link"}


@functools.lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return (MarkdownIt("commonmark").enable(["table", "strikethrough"])
            .use(front_matter_plugin).use(footnote_plugin))


def parse_markdown(text: str) -> Parsed:
    """Headings and blocks of a Markdown document; YAML or TOML front matter as metadata."""
    parsed = Parsed()
    text = _toml_front_matter(text, parsed)
    walker = _Walker(text.split("\n"), parsed)
    walker.blocks(SyntaxTreeNode(_parser().parse(text)).children)
    if (note := unsaid_code_note(walker.unsaid_code)) is not None:
        parsed.notes.append(note)
    title_from_lone_h1(parsed)
    return parsed


def _front_matter_value(parsed: Parsed, key: str, value: object) -> None:
    field = _FRONT_KEYS.get(key.strip().lower())
    if isinstance(value, list):
        value = value[0] if value else ""
    value = str(value).strip().strip("[]").strip().strip("'\"") if value is not None else ""
    if field and value:
        setattr(parsed, field, value)


def _toml_front_matter(text: str, parsed: Parsed) -> str:
    """TOML front matter (Hugo's `+++` fences) as metadata; the text after it."""
    match = re.match(r"\+\+\+[ \t]*\n(.*?)\n\+\+\+[ \t]*(?:\n|$)", text, re.S)
    if not match:
        return text
    try:
        data = tomllib.loads(match.group(1))
    except tomllib.TOMLDecodeError:
        data = {}
    for key, value in data.items():
        _front_matter_value(parsed, key, value)
    return text[match.end():]


class _Walker:
    """Turns markdown-it's syntax tree into blocks, collecting notes as it goes."""

    def __init__(self, lines: list[str], parsed: Parsed) -> None:
        self.lines = lines
        self.parsed = parsed
        self.unsaid_code: list[str] = []

    def blocks(self, nodes: list[SyntaxTreeNode]) -> None:
        out = self.parsed.blocks
        for node in nodes:
            kind = node.type
            if kind == "front_matter":
                for line in node.content.split("\n"):
                    if (match := re.match(r"^([A-Za-z_]+)\s*:\s*(.*)$", line)):
                        _front_matter_value(self.parsed, match.group(1), match.group(2))
            elif kind == "heading":
                code = _only_code(node.children[0])
                # A heading made of code (an API reference's signature) is titled by its name.
                if (title := declared_name(code) if code else self.inline(node.children[0])):
                    out.append(Heading(title, int(node.tag[1])))
            elif kind == "paragraph":
                self.paragraph(node)
            elif kind in ("bullet_list", "ordered_list"):
                self.listing(node)
            elif kind == "blockquote":
                if (quoted := " ".join(self.texts(node))):
                    out.append("> " + quoted)
            elif kind == "table":
                self.table(node)
            elif kind in ("fence", "code_block"):
                append_code(out, node.content)
            elif kind == "html_block":
                html = parse_tags(node.content)
                # The page reader takes a lone <h1> for the title; here it is a heading like any.
                out.extend(([Heading(html.title, 1)] if html.title else []) + html.blocks)
            # Rules, footnote definitions and link reference definitions are not read.

    def paragraph(self, node: SyntaxTreeNode) -> None:
        inline = node.children[0]
        if _only_images(inline):
            start, end = node.map or (0, 0)
            source = " ".join(line.strip() for line in self.lines[start:end])
            self.parsed.notes.append(f"Skipped images without text: {source[:60]!r}")
        elif (code := _only_code(inline)) and not is_name(code):
            append_code(self.parsed.blocks, code)  # a command or an expression on its own
        elif (text := self.inline(inline)):
            self.parsed.blocks.append(text)

    def listing(self, node: SyntaxTreeNode) -> None:
        """A list, nested lists flattened into it; code inside an item (a block, or a paragraph
        that is only a command) ends the list there."""
        items: list[str] = []

        def walk(lst: SyntaxTreeNode) -> None:
            for item in lst.children:
                words: list[str] = []
                for child in item.children:
                    code = _only_code(child.children[0]) if child.type == "paragraph" else ""
                    if child.type in ("bullet_list", "ordered_list"):
                        items.append(" ".join(words))
                        words = []
                        walk(child)
                    elif child.type in ("fence", "code_block") or (code and not is_name(code)):
                        items.append(" ".join(words))
                        words = []
                        self._emit_list(items)
                        append_code(self.parsed.blocks, code or child.content)
                    else:
                        words.extend(self.texts(child))
                items.append(" ".join(words))

        walk(node)
        self._emit_list(items)

    def _emit_list(self, items: list[str]) -> None:
        if any(items):
            self.parsed.blocks.append(list_block(items))
        items.clear()

    def table(self, node: SyntaxTreeNode) -> None:
        rows: list[list[str]] = []
        header = False
        for part in node.children:
            for row in part.children:
                rows.append([self.inline(cell.children[0]) if cell.children else "" for cell in row.children])
                header = header or part.type == "thead"
        if rows:
            self.parsed.blocks.append(table_block(rows, header=header))

    def texts(self, node: SyntaxTreeNode) -> list[str]:
        """The words of every inline run under a node, one string per run."""
        if node.type == "inline":
            return [text] if (text := self.inline(node)) else []
        if node.type in ("fence", "code_block"):
            return []
        return [text for child in node.children for text in self.texts(child)]

    def inline(self, node: SyntaxTreeNode) -> str:
        """An inline run as plain words: markup gone, code said as a narrator would."""
        return inline_text(self._inline_parts(node))

    def _inline_parts(self, node: SyntaxTreeNode) -> list[str]:
        parts = []
        for child in node.children:
            kind = child.type
            if kind == "text":
                parts.append(_SHORTCODE.sub("", child.content))
            elif kind == "code_inline":
                spoken = spoken_code(child.content)
                if not spoken:
                    self.unsaid_code.append(child.content.strip())
                parts.append(spoken)
            elif kind in ("softbreak", "hardbreak"):
                parts.append(" ")
            elif kind == "html_inline":
                parts.append(" " if re.match(r"<br\b", child.content, re.I) else "")
            elif kind == "link" and child.markup == "autolink":
                parts.append("".join(self._inline_parts(child)).removeprefix("mailto:"))
            elif kind != "footnote_ref":
                parts.extend(self._inline_parts(child))
        return parts


def _only_code(inline: SyntaxTreeNode) -> str:
    """The code of an inline run that holds inline code and nothing else (links and emphasis
    around it, anchors and space aside); "" for any other run."""
    code: list[str] = []

    def walk(node: SyntaxTreeNode) -> bool:
        for child in node.children:
            if child.type == "code_inline":
                code.append(child.content)
            elif child.type in ("link", "em", "strong", "s"):
                if not walk(child):
                    return False
            elif not (child.type in ("softbreak", "hardbreak", "html_inline")
                      or child.type == "text" and not re.sub(r"[\s,.:;]", "", child.content)):
                return False
        return True

    return " ".join(code).strip() if walk(inline) else ""


def _only_images(inline: SyntaxTreeNode) -> bool:
    """A paragraph of images (badges, say) and nothing else but space."""
    kinds = []

    def walk(node: SyntaxTreeNode) -> None:
        for child in node.children:
            if child.type == "link":
                walk(child)
            else:
                kinds.append(child.type if child.type != "text" or child.content.strip() else "space")

    walk(inline)
    return "image" in kinds and all(kind in ("image", "softbreak", "space") for kind in kinds)
