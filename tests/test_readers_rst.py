"""The reStructuredText reader: docutils' answers, and Sphinx's directives and roles read by what
they hold; RST in a .txt file is recognised by its markup."""

from __future__ import annotations

from pathlib import Path

import pytest

from audioguide.article import is_rst, parse_article, read_article
from audioguide.errors import ArticleError
from audioguide.readers.blocks import Heading
from audioguide.readers.rst import parse_rst

LANTERN = Path(__file__).parent / "data" / "articles" / "lantern-rst.rst"


def test_a_readme_with_badges_directives_roles_and_a_table() -> None:
    article = read_article(LANTERN)
    assert (article.title, article.author) == ("Lantern", "Mira Castellanos")
    assert [s.title for s in article.sections] == ["Lantern", "Installing", "Using the lamp", "Levels", "Licence"]
    installing, using = article.sections[1].paragraphs, article.sections[2].paragraphs
    assert installing == ("Lantern needs Python 3.10 or later. Install it with pip:", "```\n$ pip install lantern\n```",
                          "Note: The wick sensor needs a driver on older kernels, which the installer sets up for you.")
    assert using[0] == ("Call lantern.light with a level from one to five, or dim to lower the flame; the schedule "
                        "guide shows how to light lamps at dusk. The level argument is optional.")
    assert using[2].startswith("The old wick sizes are no longer measured by hand")  # a deprecated:: body is prose
    text = " ".join(p for s in article.sections for p in s.paragraphs)
    for unwanted in ("image", "toctree", "autoclass", "maxdepth", "usage", "members", "Version", "_", "Without it"):
        assert unwanted not in text, unwanted
    assert article.notes == ("Dropped the fields Author, Version: the document's metadata",
                             "Dropped a table of contents (the contents directive)",
                             "Left out images: build status, coverage",
                             "Left out directives: toctree, autoclass, versionadded", "Left out footnotes: 1")


def test_literal_blocks_definition_lists_quotes_and_admonitions() -> None:
    parsed = parse_rst("Keep the glass clean::\n\n    polish --soft\n\nSoot\n    What a smoky flame leaves.\n\n"
                       "As a keeper put it:\n\n    The lamp is only as good as its wick.\n\n    -- A keeper\n\n"
                       ".. admonition:: Mind the heat\n\n   The chimney stays hot for an hour.\n")
    assert parsed.blocks == ["Keep the glass clean:", "```\npolish --soft\n```", "- Soot: What a smoky flame leaves.",
                             "As a keeper put it:", "> The lamp is only as good as its wick. A keeper",
                             "Mind the heat: The chimney stays hot for an hour."]


def test_a_pep_in_rst_has_its_header_as_metadata() -> None:
    text = ("PEP: 9301\nTitle: Lanterns in the Standard Library\nAuthor: Ada Wick <ada@example.org>\n"
            "Status: Draft\n\nAbstract\n========\n\nThis PEP proposes a ``lantern`` module.\n\n"
            "Copyright\n=========\n\nThis document is placed in the public domain.\n")
    article = parse_article(text, "rst", "pep-9301.rst")
    assert (article.title, article.author) == ("PEP 9301: Lanterns in the Standard Library", "Ada Wick")
    assert [(s.title, s.paragraphs[0]) for s in article.sections] == [
        ("Abstract", "This PEP proposes a lantern module."), ("Copyright", "This document is placed in the public domain.")]


def test_rst_in_a_txt_file_is_read_as_rst_and_a_plain_change_log_is_not(tmp_path: Path) -> None:
    readme = tmp_path / "README.txt"
    readme.write_text("Lamps\n=====\n\nRead `the guide <https://example.org>`_ first.\n\n"
                      ".. code-block:: sh\n\n   lamp --light\n", encoding="utf-8")
    assert read_article(readme).sections[0].paragraphs == ("Read the guide first.", "```\nlamp --light\n```")
    news = "What's New\n==========\n\nFixed :func:`light` and :exc:`WickError` in the lamp shell.\n"
    assert is_rst(readme.read_text()) and not is_rst(news)


def test_a_file_in_an_unknown_format_is_refused_in_one_line() -> None:
    with pytest.raises(ArticleError, match=r"unknown article format 'pdf' \(use text, markdown, rst or html\)"):
        parse_article("x", "pdf", "x.pdf")


def test_sections_nest_as_heading_levels() -> None:
    parsed = parse_rst("Top\n===\n\nIntro text.\n\nPart\n----\n\nPart text.\n\nDetail\n~~~~~~\n\nDetail text.\n")
    assert [b for b in parsed.blocks if isinstance(b, Heading)] == [Heading("Part", 2), Heading("Detail", 3)]
    assert parsed.title == "Top"


def test_a_call_as_a_heading_is_titled_by_its_name_and_roles_with_nested_targets_keep_their_text() -> None:
    text = ("Lamp calls.\n\nlamp.light(level)\n-----------------\n\nLights it.\n\n"
            "lamp.dim(steps)\n---------------\n\nThe :prop:`WICK_SIZE <WICK_<size>>` property is read first.\n")
    article = parse_article(text, "rst", "calls.rst")
    assert [(s.title, s.paragraphs) for s in article.sections] == [
        ("Introduction", ("Lamp calls.",)), ("lamp.light", ("Lights it.",)),
        ("lamp.dim", ("The WICK_SIZE property is read first.",))]


def test_an_object_directive_is_read_under_the_name_it_describes() -> None:
    text = ("Lamp settings.\n\n.. variable:: LAMP_WICK_SIZE\n\n .. versionadded:: 2.3\n\n"
            " Sets the size of the wick the lamp expects,\n in millimetres, when the sensor is missing.\n\n"
            ".. py:function:: light(level, *, timeout=None)\n\n   Lights the lamp at the level given and waits for the flame.\n\n"
            ".. variable:: LAMP_UNUSED\n\n .. versionadded:: 2.4\n")
    assert parse_rst(text).blocks == [
        "Lamp settings.", Heading("LAMP_WICK_SIZE", 4),
        "Sets the size of the wick the lamp expects, in millimetres, when the sensor is missing.",
        Heading("light", 4), "Lights the lamp at the level given and waits for the flame."]


def test_inline_code_in_a_directive_body_does_not_make_it_code() -> None:
    text = (".. option:: --fresh\n\n .. versionadded:: 2.4\n\n Starts the lamp afresh: this removes the\n"
            " ``wick.cache`` file and the ``soot/`` folder, and makes them again.\n")
    assert parse_rst(text).blocks == [
        Heading("--fresh", 4), "Starts the lamp afresh: this removes the wick.cache file and the soot/ folder, "
        "and makes them again."]
