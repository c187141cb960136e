"""reStructuredText read with docutils (the reference parser) into headings and block text.

docutils settles sections, literal blocks (`::`), directives, roles, references, tables and
substitutions the way the RST specification says; this module walks its document tree. Sphinx's
own directives and roles, which docutils does not know, are read by their content: a role as its
text (`:func:` names as code is said), a directive's body where it is prose, and `toctree`,
`autoclass` and the like not at all. Images, badges, comments, targets, footnotes, math and the
`contents` directive's table of contents are not read.
"""

from __future__ import annotations

import io
import re

from audioguide.readers.blocks import (CODE_GAP, Heading, Parsed, append_code, inline_text, list_block, table_block,
                                       title_from_lone_h1, unsaid_code_note)
from audioguide.readers.code import declared_name, is_name, reads_as_code, spoken_code
from audioguide.readers.plain import header_block

_SETTINGS = {"report_level": 5, "halt_level": 5, "file_insertion_enabled": False, "raw_enabled": False,
             "doctitle_xform": False, "sectsubtitle_xform": False, "syntax_highlight": "none",
             "character_level_inline_markup": False, "input_encoding": "unicode", "line_length_limit": 100_000}
_CODE_ROLES = re.compile(r"^(?:[a-z]+:)?(?:func|meth|class|mod|attr|exc|data|obj|const|member|var|type|macro|"
                         r"struct|enum|option|envvar|command|program|file|samp|kbd|makevar|keyword|code|any)$")
_UNREAD_DIRECTIVE = re.compile(r"^(?:auto\w*|toctree|literalinclude|include|program-output|command-output|"
                               r"image|figure|graphviz|plot|raw|code-block|sourcecode|highlight|index|"
                               r"currentmodule|module|testsetup|testcleanup|doctest|testcode|testoutput|jinja)$")
"""Sphinx directives whose body is code, references or other documents: not read."""
_ADMONITIONS = {"note", "warning", "tip", "hint", "important", "caution", "danger", "error", "attention"}
_SKIPPED = {"comment", "target", "substitution_definition", "pending", "footnote", "citation", "raw",
            "math_block", "image", "transition", "docinfo", "meta", "decoration"}


def parse_rst(text: str) -> Parsed:
    """Headings and blocks of a reStructuredText document; a leading RFC 822 header block (a
    PEP's) or bibliographic fields (`:Author:`) as metadata."""
    parsed = Parsed()
    document = _doctree("\n".join(header_block(text.split("\n"), parsed)))
    walker = _Walker(parsed)
    walker.body(document.children, 1)
    if (note := unsaid_code_note(walker.unsaid_code)) is not None:
        parsed.notes.append(note)
    for what, names in walker.left_out.items():
        parsed.notes.append(f"Left out {what}: {', '.join(dict.fromkeys(names))}")
    title_from_lone_h1(parsed)
    return parsed


def _doctree(text: str):
    """docutils' document tree of `text`, its warnings kept out of the user's terminal."""
    from docutils.core import publish_doctree

    return publish_doctree(text, settings_overrides={**_SETTINGS, "warning_stream": io.StringIO()})


class _Walker:
    """docutils nodes as blocks, in reading order."""

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.out = parsed.blocks
        self.unsaid_code: list[str] = []
        self.left_out: dict[str, list[str]] = {}

    def body(self, nodes, depth: int) -> None:
        for node in nodes:
            self.element(node, depth)

    def element(self, node, depth: int) -> None:  # noqa: C901 - one branch per kind of node
        kind = node.tagname
        if kind == "docinfo":
            for field in node.children:
                if field.tagname in ("author", "authors") and not self.parsed.author:
                    self.parsed.author = field.astext().strip()
        elif kind == "field_list" and _bibliographic(node):
            self.fields(node)
        elif kind in _SKIPPED:
            if kind in ("footnote", "citation"):
                self.left_out.setdefault("footnotes", []).append(node.children[0].astext() if node.children else "")
            elif kind == "math_block":
                self.left_out.setdefault("formulas", []).append(node.astext()[:40])
        elif kind == "system_message":
            self.directive(node, depth)
        elif kind == "section":
            title = node.children[0] if node.children and node.children[0].tagname == "title" else None
            if title is not None and (text := self.inline(title)):
                self.out.append(Heading(text, depth))
            self.body(node.children[1 if title is not None else 0:], depth + 1)
        elif kind == "topic" and "contents" in node.get("classes", []):
            self.parsed.notes.append("Dropped a table of contents (the contents directive)")
        elif kind in ("topic", "sidebar", "rubric"):
            title = node.children[0] if kind != "rubric" and node.children else node
            if (text := self.inline(title)):
                self.out.append(Heading(text, max(depth, 4)))
            self.body(node.children[1:] if kind != "rubric" else [], depth)
        elif kind == "paragraph":
            self.paragraph(node)
        elif kind in ("literal_block", "doctest_block"):
            append_code(self.out, node.astext())
        elif kind in ("bullet_list", "enumerated_list", "definition_list", "field_list", "option_list"):
            self.listing(node, depth)
        elif kind == "block_quote":
            self.quote(node, depth)
        elif kind == "line_block":
            if (text := " ".join(self.inline(line) for line in node.findall(lambda n: n.tagname == "line"))):
                self.out.append(text.strip())
        elif kind == "table":
            self.table(node)
        elif kind in _ADMONITIONS or kind == "admonition":
            self.admonition(node, depth)
        elif kind == "figure":
            self.body([child for child in node.children if child.tagname in ("caption", "legend")], depth)
        elif kind in ("caption", "attribution"):
            if (text := self.inline(node)):
                self.out.append(text)
        elif kind == "reference" and _only_images(node):
            self.left_out.setdefault("images", []).append(_image_name(node))
        else:  # containers: compound, container, legend, section-like wrappers
            self.body(node.children, depth)

    def fields(self, node) -> None:
        """Bibliographic fields (`:Author:`, `:Version:`) as metadata, not read."""
        names = []
        for field in node.children:
            name, body = (child.astext().strip() for child in field.children[:2])
            names.append(name)
            if name.lower() in ("author", "authors") and not self.parsed.author:
                self.parsed.author = body
        self.parsed.notes.append(f"Dropped the fields {', '.join(names)}: the document's metadata")

    def paragraph(self, node) -> None:
        if node.children and all(_only_images(child) for child in node.children):
            self.left_out.setdefault("images", []).append(_image_name(node))
            return
        literal = [child for child in node.children if child.tagname != "#text" or child.strip()]
        if len(literal) == 1 and literal[0].tagname == "literal" and not is_name(literal[0].astext()):
            append_code(self.out, literal[0].astext())  # a command on its own
        elif (text := self.inline(node)):
            self.out.append(text)

    def directive(self, message, depth: int) -> None:
        """A directive docutils does not know (Sphinx's): its body read where it is prose."""
        source = next((child.astext() for child in message.children if child.tagname == "literal_block"), "")
        match = re.match(r"\.\.\s+([\w:.-]+)::([^\n]*)\n?(.*)", source, re.S)
        if not match:
            return
        name, argument, content = match.groups()
        lines = [line for line in content.split("\n") if not re.match(r"^\s+:[\w -]+:", line)]
        content = "\n".join(lines).strip("\n")
        prose = "\n".join(line for line in lines if not re.match(r"\s*\.\. [\w:-]+::", line))
        prose = re.sub(r"``[^`]+``|:[\w:.-]+:`[^`]+`", "name", prose)  # inline code in prose is no sign of code
        if _UNREAD_DIRECTIVE.match(name) or not prose.strip() or reads_as_code(prose):
            self.left_out.setdefault("directives", []).append(name)
            return
        inner = _doctree(_dedent(content))
        # An object's description (`.. variable:: LAMP_DIR`, `.. function:: light(level)`) says
        # first what it describes, as an API reference's heading would.
        if (argument := argument.strip()) and (is_name(argument) or "(" in argument) and (
            declared := declared_name(argument)
        ):
            self.out.append(Heading(declared, max(depth, 4)))
        self.body(inner.children, depth)

    def listing(self, node, depth: int) -> None:
        """A list, nested lists flattened into it; a term or field and its text make one item;
        code inside an item ends the list there."""
        items: list[str] = []

        def emit() -> None:
            if any(items):
                self.out.append(list_block(items))
            items.clear()

        def walk(lst) -> None:
            for item in lst.children:
                words: list[str] = []
                for child in item.children:
                    kind = child.tagname
                    if kind in ("term", "field_name", "option_group"):
                        words.append(self.inline(child).rstrip(":") + ":")
                    elif kind in ("bullet_list", "enumerated_list", "definition_list", "field_list"):
                        items.append(" ".join(words))
                        words = []
                        walk(child)
                    elif kind in ("literal_block", "doctest_block"):
                        items.append(" ".join(words))
                        words = []
                        emit()
                        append_code(self.out, child.astext())
                    elif kind not in ("classifier",):
                        words.extend(self.texts(child))
                items.append(" ".join(words).strip())

        walk(node)
        emit()

    def quote(self, node, depth: int) -> None:
        start = len(self.out)
        self.body(node.children, depth)
        found, self.out[start:] = self.out[start:], []
        prose = [b for b in found if isinstance(b, str) and not b.startswith(("```", "- ", "| "))]
        if len(prose) == len(found) and prose:
            self.out.append("> " + " ".join(prose))
        else:
            self.out.extend(found)

    def admonition(self, node, depth: int) -> None:
        start = len(self.out)
        children = node.children
        label = node.tagname.capitalize()
        if node.tagname == "admonition" and children and children[0].tagname == "title":
            label, children = self.inline(children[0]), children[1:]
        self.body(children, depth)
        if len(self.out) > start and isinstance(first := self.out[start], str) and not first.startswith(("```", "- ", "| ")):
            self.out[start] = f"{label}: {first}"

    def table(self, node) -> None:
        rows = []
        header = False
        for group in node.findall(lambda n: n.tagname in ("thead", "tbody")):
            for row in group.children:
                rows.append([" ".join(self.texts(entry)) for entry in row.children])
                header = header or group.tagname == "thead"
        if rows:
            width = max(map(len, rows))
            self.out.append(table_block([row + [""] * (width - len(row)) for row in rows], header=header))

    def texts(self, node) -> list[str]:
        """The words of every paragraph under a node, one string per paragraph."""
        if node.tagname in ("paragraph", "term", "field_name", "title", "line"):
            return [text] if (text := self.inline(node)) else []
        if node.tagname in ("literal_block", "doctest_block", "system_message", "comment", "target"):
            return []
        return [text for child in node.children for text in self.texts(child)]

    def inline(self, node) -> str:
        return inline_text(self._inline_parts(node))

    def _inline_parts(self, node) -> list[str]:
        parts: list[str] = []
        for child in node.children:
            kind = child.tagname
            if kind == "#text":
                parts.append(str(child))
            elif kind == "literal":
                parts.append(self.code(child.astext()))
            elif kind == "problematic":
                parts.append(self.role(child.astext()))
            elif kind in ("footnote_reference", "citation_reference", "image", "math", "target",
                          "substitution_definition", "system_message"):
                parts.append(CODE_GAP)  # nothing is said, and no space is left before a full stop
            else:
                parts.extend(self._inline_parts(child))
        return parts

    def code(self, code: str) -> str:
        spoken = spoken_code(code)
        if not spoken and code.strip():
            self.unsaid_code.append(code.strip())
        return spoken

    def role(self, source: str) -> str:
        """An interpreted text role docutils does not know (`:func:`, `:ref:`): its text, said as
        code where the role marks code."""
        match = re.fullmatch(r":([\w:.-]+):`(.*)`", source.strip(), re.S)
        if not match:
            return source
        role, content = match.groups()
        title = re.fullmatch(r"(.*?)\s*<.*>", content, re.S)  # "text <target>", the target itself maybe <a<b>>
        content = title.group(1) if title else content
        if content.startswith("~"):  # Sphinx shows only the last part of "~package.Class.method"
            content = re.split(r"\.|::", content)[-1]
        content = content.lstrip("!")
        return self.code(content) if _CODE_ROLES.match(role) else content


_BIBLIOGRAPHIC = {"author", "authors", "organization", "address", "contact", "version", "revision", "status",
                  "date", "copyright", "license", "licence", "maintainer", "homepage", "website"}


def _bibliographic(node) -> bool:
    """A field list of a document's metadata: its first block, with names such as Author."""
    parent = node.parent
    first = next((child for child in parent.children if child.tagname not in ("title", "comment", "target",
                                                                                "substitution_definition")), None)
    names = [field.children[0].astext().strip().lower() for field in node.children if field.children]
    return first is node and bool(names) and all(name in _BIBLIOGRAPHIC for name in names)


def _only_images(node) -> bool:
    """An image, a linked image (a badge), or space between them."""
    if node.tagname == "#text":
        return not node.strip()
    return node.tagname == "image" or (node.tagname == "reference" and bool(node.children)
                                       and all(_only_images(child) for child in node.children))


def _image_name(node) -> str:
    image = next(iter(node.findall(lambda n: n.tagname == "image")), None)
    return (image.get("alt") or image.get("uri", "")[:40]) if image is not None else "an image"


def _dedent(text: str) -> str:
    lines = text.split("\n")
    margin = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[margin:] for line in lines)
