"""The plain-text reader: indentation as structure, and lines that are not for reading."""

from __future__ import annotations

from pathlib import Path

from audioguide.article import parse_article, read_article

PEP = Path(__file__).parent / "data" / "articles" / "pep-lantern.txt"


def test_a_pep_has_its_header_as_metadata_code_as_code_and_no_editor_trailer() -> None:
    article = read_article(PEP)
    assert (article.title, article.author) == ("PEP 9285: A Lantern Type for the Standard Library",
                                               "Mira Castellanos")
    assert [s.title for s in article.sections] == [
        "Abstract", "Rationale", "Specification", "Backwards Compatibility", "Copyright"]
    spec = article.sections[2].paragraphs
    code = [p for p in spec if p.startswith("```")]
    assert len(code) == 2 and "    def __new__(cls, val=0):\n        # This constructor" in code[0]
    assert code[0].endswith("Lit = int.__new__(lantern, 1)\n```")  # blank lines inside code kept it one block
    assert "- only two instances ever exist;" in spec[-1]
    assert article.sections[1].paragraphs[2].startswith("> Nobody wants to read a log")
    text = " ".join(p for s in article.sections for p in s.paragraphs)
    assert "Local Variables" not in text and "fill-column" not in text and "Post-History" not in text
    assert article.notes == ("Dropped the editor settings (Local Variables) on lines 84-89",
                             "Dropped the header block: PEP, Title, Version, Last-Modified, Author, Status ...")


def test_indented_code_at_a_margin_body_is_never_a_heading() -> None:
    text = ("Notes on Sorting\n\nSorting a list in place is done with one call, and it takes a key.\n\n"
            "    Sorted Names\n    names.sort(key=str.lower)\n\n"
            "After the call the list is in order, which the next step relies on.\n")
    article = parse_article(text, "text", "n.txt")
    assert article.title == "Notes on Sorting" and [s.title for s in article.sections] == ["Notes on Sorting"]
    assert article.sections[0].paragraphs[1] == "```\nSorted Names\nnames.sort(key=str.lower)\n```"


def test_first_line_indents_are_prose_and_a_colon_line_opens_code() -> None:
    text = ("  The first paragraph starts with an indent, as paragraphs in a novel do, and goes on\n"
            "at the margin for a few more words.\n\n"
            "  So does the second one, which then shows an example in its own block:\n"
            "      total = sum(prices)\n")
    paragraphs = parse_article(text, "text", "p.txt").sections[0].paragraphs
    assert paragraphs == (
        "The first paragraph starts with an indent, as paragraphs in a novel do, and goes on at the margin "
        "for a few more words.",
        "So does the second one, which then shows an example in its own block:", "```\ntotal = sum(prices)\n```")


def test_vim_and_emacs_mode_lines_and_form_feeds_are_not_read() -> None:
    text = ("# -*- mode: text; coding: utf-8 -*-\nField Notes\n\nThe heron stood still for an hour.\n\f\n"
            "The second page begins here.\n\nvim: set tw=72 ft=text:\n")
    article = parse_article(text, "text", "f.txt")
    assert article.title == "Field Notes"
    assert article.sections[0].paragraphs == ("The heron stood still for an hour.", "The second page begins here.")
    assert article.notes == ("Dropped the editor settings on line 8: 'vim: set tw=72 ft=text:'",
                             "Dropped the editor settings on line 1: '# -*- mode: text; coding: utf-8 -*-'")


def test_prose_mentioning_vim_or_a_header_like_line_is_kept() -> None:
    text = "Note: the editor matters less than you think.\n\nI use vim: it starts fast.\n"
    assert parse_article(text, "text", "v.txt").sections[0].paragraphs == (
        "Note: the editor matters less than you think.", "I use vim: it starts fast.")


def test_an_indented_quotation_with_semicolons_is_a_quote_not_code() -> None:
    text = ("Reading Notes\n\nThe author sums up the whole argument in one long sentence near the end:\n\n"
            "    We walked because the buses had stopped; we kept walking because\n"
            "    the road, once we were on it, was the best part of the day.\n\n"
            "That is the line most reviewers quoted when the book first came out.\n")
    assert parse_article(text, "text", "q.txt").sections[0].paragraphs[1] == (
        "> We walked because the buses had stopped; we kept walking because the road, once we were on it, "
        "was the best part of the day.")


def test_an_underlined_title_over_one_short_paragraph_is_not_a_trailer() -> None:
    text = ("Where the Keys Are\n------------------\n\nThe spare keys hang on the hook behind the pantry door,\n"
            "and the shed key is the small brass one on the same ring.\n")
    article = parse_article(text, "text", "keys.txt")
    assert article.title == "Where the Keys Are" and article.notes == ()
    assert article.sections[0].paragraphs == (
        "The spare keys hang on the hook behind the pantry door, and the shed key is the small brass one "
        "on the same ring.",)


def test_a_short_trailer_after_a_rule_is_still_cut() -> None:
    text = ("Tide Notes\n\nThe spring tides this month reach the top of the slipway twice.\n\n"
            "The neap tides leave the lower steps dry for most of the afternoon.\n\n"
            "----\nSent from the harbour office\n")
    article = parse_article(text, "text", "tide.txt")
    assert len(article.sections[0].paragraphs) == 2
    assert article.notes == ("Dropped the trailer after line 7: 'Sent from the harbour office'",)


def test_an_underlined_question_is_a_heading_and_an_emphasised_date_under_it_is_not() -> None:
    text = ("Lamp Notes\n\nWhat's New in Lamp 2.1?\n=======================\n*Released: 2024-03-02*\n\n"
            "The wick sensor now reads the flame twice a second.\n\n"
            "What's New in Lamp 2.0?\n=======================\n*Released: 2023-11-20*\n\n"
            "The lamp remembers its last level when it is lit again.\n")
    article = parse_article(text, "text", "notes.txt")
    assert [s.title for s in article.sections] == ["What's New in Lamp 2.1?", "What's New in Lamp 2.0?"]
    assert article.sections[0].paragraphs[0] == "*Released: 2024-03-02*"


def test_a_wrapped_first_line_an_aside_and_a_column_listing_are_not_headings() -> None:
    text = ("Keeping Lamps\n\nWhen a keeper lights the lamps on the long jetty where the old ferry\n"
            "used to berth, the wicks must be trimmed first:\n - trim the wick\n - fill the oil\n"
            "(See also the winter checklist, below.)\n\n"
            "Files in this folder:\n\nwicks.txt     notes on wick sizes\nchimneys.txt  how to clean the glass\n")
    article = parse_article(text, "text", "keeping.txt")
    assert [s.title for s in article.sections] == ["Keeping Lamps"]
    assert article.sections[0].paragraphs[0].startswith("When a keeper lights the lamps on the long jetty")
