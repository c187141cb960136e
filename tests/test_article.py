"""Reading articles: formats, decoding, headings, sections and their ids, and refusing bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audioguide.article import parse_article, read_article, slugify
from audioguide.clutter import is_boilerplate
from audioguide.errors import ArticleError

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "audioguide" / "examples" / "microneedling.txt"
DATA = Path(__file__).parent / "data" / "articles"


def test_bundled_article_has_eighteen_sections() -> None:
    article = read_article(BUNDLED)
    titles = [s.title for s in article.sections]
    assert len(article.sections) == 18
    assert (article.title, article.slug, article.language) == ("Microneedling", "microneedling", "en")
    assert titles[0] == "Introduction" and len(article.sections[0].paragraphs) == 5
    assert titles.count("Conclusion") == 3
    assert titles.count("Understanding Microneedling and Skin Barrier") == 2
    assert "The Skin Barrier: A Brief Overview" in titles and "Long-Term Benefits vs. Risks" in titles
    assert len({s.id for s in article.sections}) == 18
    assert [s.id for s in article.sections if s.title == "Conclusion"] == [
        "06-conclusion", "12-conclusion", "18-conclusion"]
    assert all(len(s.paragraphs) == 1 for s in article.sections[1:])
    assert article.notes == (
        "Dropped boilerplate: 'Get updated with beauty resources, tips, and news'",
        "Repeated text: sections '07-understanding-microneedling-and-its-impact-on-the-skin-barrier' "
        "and '13-understanding-microneedling-and-skin-barrier' are 80% the same",
        "Repeated text: sections '08-the-skin-barrier-a-brief-overview' and '14-the-role-of-the-skin-barrier' "
        "share the sentence 'The skin barrier, also known as the stratum corneum, is the…'",
    )


def test_crlf_and_bom_read_the_same_as_plain_utf8(tmp_path: Path) -> None:
    text = BUNDLED.read_text(encoding="utf-8")
    crlf = tmp_path / "microneedling.txt"
    crlf.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert read_article(crlf) == read_article(BUNDLED)
    utf16 = tmp_path / "utf16" / "microneedling.txt"
    utf16.parent.mkdir()
    utf16.write_bytes(text.encode("utf-16"))
    assert read_article(utf16) == read_article(BUNDLED)


def test_windows_1252_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "cafe.txt"
    path.write_bytes("Caf\u00e9 notes\n\nThe cr\u00e8me br\u00fbl\u00e9e costs \u20ac5.\n".encode("cp1252"))
    article = read_article(path)
    assert article.title == "Café notes"
    assert article.sections[0].paragraphs == ("The crème brûlée costs €5.",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the article is empty"),
        (b"  \n\t\r\n  ", "the article is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        (bytes(range(128, 256)) * 4, "not a text file"),
        (b"\x81\x8d\x8f\x90\x9d", "not a text file"),
    ],
)
def test_bad_files_are_refused_in_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ArticleError, match=message) as caught:
        read_article(path)
    assert "\n" not in str(caught.value) and "bad.txt" in str(caught.value)


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="no such file"):
        read_article(tmp_path / "missing.md")
    with pytest.raises(ArticleError, match="is a folder"):
        read_article(tmp_path)


def test_nothing_to_narrate_is_refused() -> None:
    with pytest.raises(ArticleError, match="no narratable text"):
        parse_article("# Title\n\n## Only headings\n\n## Here\n", "markdown", "x.md")
    with pytest.raises(ArticleError, match="no narratable text"):
        parse_article("<html><body><nav><p>Menu</p></nav></body></html>", "html", "x.html")
    with pytest.raises(ArticleError, match="unknown article format"):
        parse_article("Hello.", "pdf", "x.pdf")


def test_unknown_extensions_are_sniffed(tmp_path: Path) -> None:
    page = tmp_path / "page.aspx"
    page.write_text("<!DOCTYPE html><html lang='de'><body><h1>Titel</h1><p>Text hier.</p></body></html>")
    assert read_article(page).language == "de" and read_article(page).title == "Titel"
    notes = tmp_path / "notes.rst2"
    notes.write_text("# Notes\n\nSome *text*.\n\n## More\n\nAnd more.\n")
    article = read_article(notes)
    assert article.title == "Notes" and article.sections[0].paragraphs == ("Some text.",)


# ---------------------------------------------------------------------------------------------
# Markdown


def test_markdown_front_matter_titles_and_folded_levels() -> None:
    text = """---
title: "Walking Tour"
author: Ana Souza
lang: pt-BR
---

Opening words.

## Parent

### Child

Child text with a [link](https://example.com) and `code`.

#### Deep detail

Deep text.

Setext Heading
--------------

Under setext.
"""
    article = parse_article(text, "markdown", "tour.md")
    assert (article.title, article.author, article.language, article.slug) == (
        "Walking Tour", "Ana Souza", "pt-BR", "tour")
    assert [s.title for s in article.sections] == ["Walking Tour", "Parent: Child", "Setext Heading"]
    assert article.sections[0].paragraphs == ("Opening words.",)
    assert article.sections[1].paragraphs == (
        "Child text with a link and code.", "Deep detail.", "Deep text.")
    assert not any("title:" in p for s in article.sections for p in s.paragraphs)


def test_markdown_keeps_block_shapes_for_narration() -> None:
    text = "Intro.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```py\nx = 1\n```\n\n> quoted\n"
    paragraphs = parse_article(text, "markdown", "x.md").sections[0].paragraphs
    assert paragraphs == ("Intro.", "- one\n- two", "| a | b |\n|---|---|\n| 1 | 2 |", "```\nx = 1\n```",
                          "> quoted")


def test_markdown_without_lone_h1_uses_file_name() -> None:
    article = parse_article("# One\n\nA.\n\n# Two\n\nB.\n", "markdown", "my_field-notes.md")
    assert article.title == "My field notes"
    assert [s.id for s in article.sections] == ["01-one", "02-two"]


# ---------------------------------------------------------------------------------------------
# HTML


def test_html_skips_page_chrome_and_prefers_the_article() -> None:
    article = read_article(DATA / "blog.html")
    text = " ".join(p for s in article.sections for p in s.paragraphs)
    assert article.title == "Why Sourdough Rises Slowly"
    assert (article.language, article.author) == ("en-GB", "Priya Natarajan")
    assert article.link == "https://crumb.example.com/posts/why-sourdough-rises-slowly"
    for chrome in ("Recipes", "Share on Twitter", "Great post", "Subscribe", "All rights reserved",
                   "enable JavaScript", "dataLayer", "font-family", "Tags:", "6 min read"):
        assert chrome not in text
    assert "12–18 hours from mixing to baking." in text  # footnote mark gone, entity decoded
    assert [s.title for s in article.sections][1] == "Wild yeast & bacteria"
    assert "Related posts" not in [s.title for s in article.sections]


def test_html_entities_and_accents_in_headings() -> None:
    article = read_article(DATA / "potager.html")
    assert article.language == "fr"
    assert [s.id for s in article.sections][-1] == "04-ete-indien-et-premieres-gelees"
    assert article.sections[-1].title == "Été indien et premières gelées"


# ---------------------------------------------------------------------------------------------
# Plain text


def test_plain_text_mail_header_title_headings_and_trailer() -> None:
    article = read_article(DATA / "newsletter.txt")
    assert (article.title, article.author) == ("Summer at the Harbour Museum", "Harbour Museum")
    assert [s.title for s in article.sections] == [
        "Summer at the Harbour Museum", "The Lighthouse Lens", "New Rooms on the First Floor",
        "Opening Hours", "Volunteering"]
    first = article.sections[0].paragraphs
    assert first == ("Dear friends of the museum, this summer we open two new rooms and restore the old "
                     "lighthouse lens. Here is what to expect between June and September, and how you "
                     "can help.",)
    assert "- Saturday mornings, 10 am to 1 pm" in article.sections[-1].paragraphs[1]
    text = " ".join(p for s in article.sections for p in s.paragraphs)
    assert "unsubscribe" not in text and "Edited by" not in text and "Subject" not in text
    assert any("signature" in note for note in article.notes)
    assert "Dropped heading 'Gift shop': no text under it" in article.notes


def test_plain_text_trailing_boilerplate_is_noted() -> None:
    text = "Title Line\n\nSome prose here.\n\nCopyright 2024 Someone\n"
    article = parse_article(text, "text", "t.txt")
    assert article.sections[0].paragraphs == ("Some prose here.",)
    assert article.notes == ("Dropped trailing line 'Copyright 2024 Someone'",)


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("Long-Term Benefits vs. Risks", True),
        ("The Skin Barrier: A Brief Overview", True),
        ("3. Results and Discussion", True),
        ("A short sentence.", False),
        ("Is this a question?", False),
        ("lowercase start", False),
        ("Ends with a colon:", False),
    ],
)
def test_bare_line_headings(line: str, heading: bool) -> None:
    article = parse_article(f"Opening prose line.\n{line}\nProse after it.\n", "text", "h.txt")
    assert (len(article.sections) == 2) is heading


def test_repeated_headings_get_distinct_ids() -> None:
    text = "Intro text.\n\nNotes\n\nFirst.\n\nNotes\n\nSecond.\n"
    assert [s.id for s in parse_article(text, "text", "n.txt").sections] == [
        "01-introduction", "02-notes", "03-notes"]


def test_ids_use_three_digits_past_99_sections() -> None:
    text = "\n".join(f"## Part {n}\n\nText {n}.\n" for n in range(1, 102))
    ids = [s.id for s in parse_article(text, "markdown", "big.md").sections]
    assert ids[0] == "001-part-1" and ids[-1] == "101-part-101"


def test_slugs_are_ascii_and_safe() -> None:
    assert slugify("Peau & Soins, été — Ça va?") == "peau-soins-ete-ca-va"
    assert slugify("🎉🎉") == "section"
    article = parse_article("Hello there.\n", "text", "Été à Paris!.txt")
    assert article.slug == "ete-a-paris" and article.title == "Été à Paris!"


headings = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")),
                   min_size=1, max_size=30)


@settings(max_examples=50, deadline=None)
@given(st.lists(headings, min_size=1, max_size=12))
def test_section_ids_are_unique_and_safe(titles: list[str]) -> None:
    text = "\n".join(f"## {t}\n\nSome text.\n" for t in titles)
    try:
        article = parse_article(text, "markdown", "any.md")
    except ArticleError:
        return  # every heading was empty once markup was removed
    ids = [s.id for s in article.sections]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"\d{2,3}-[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert all(s.paragraphs for s in article.sections)


# ---------------------------------------------------------------------------------------------
# Boilerplate, repetition and language


@pytest.mark.parametrize(
    "block",
    [
        "Get updated with beauty resources, tips, and news",
        "Subscribe to our newsletter!",
        "Share this: Mastodon · Bluesky",
        "- Share on Twitter\n- Share on Facebook",
        "We use cookies to improve your experience. Accept all cookies?",
        "© 2024 The Crumb Journal. All rights reserved.",
        "Home › Recipes › Bread",
        "Skip to main content",
        "Next post: Rye bread",
    ],
)
def test_boilerplate_is_recognised(block: str) -> None:
    assert is_boilerplate(block)


@pytest.mark.parametrize(
    "block",
    [
        "Copyright law protects authors.",
        "Get the latest version from the package index.",
        "Stay up to date with your vaccinations.",
        "Share this knowledge with your children: it matters.",
        "Home is where the heart is.",
        "Next, mix the flour and the water.",
        "- Subscribe to the newsletter\n- Bake bread daily",
        "Subscribe to our newsletter, they said, and so I did; every Sunday it brought a recipe I had never "
        "heard of, and that is how this whole blog began, years ago.",
    ],
)
def test_prose_is_never_boilerplate(block: str) -> None:
    assert not is_boilerplate(block)


def test_boilerplate_is_dropped_with_one_note_listing_it() -> None:
    text = ("# Notes\n\nHome / Blog / Bread\n\nReal text about bread.\n\nShare this post:\n\n"
            "## Subscribe to our newsletter\n\nOne email a week.\n\n"
            "## Baking\n\nMore real text.\n")
    article = parse_article(text, "markdown", "n.md")
    assert [s.title for s in article.sections] == ["Notes", "Baking"]
    assert article.sections[0].paragraphs == ("Real text about bread.",)
    assert article.notes == ("Dropped boilerplate: 'Home / Blog / Bread', 'Share this post:', "
                             "'Subscribe to our newsletter'",)


def test_boilerplate_heading_over_real_prose_is_kept() -> None:
    prose = " ".join(["The newsletter of the club reports each month on the bread we baked."] * 3)
    text = f"# Notes\n\nIntro text.\n\n## Subscribe to our newsletter\n\n{prose}\n"
    article = parse_article(text, "markdown", "n.md")
    assert [s.title for s in article.sections] == ["Notes", "Subscribe to our newsletter"]
    assert article.notes == ()


def test_near_twin_sections_and_shared_sentences_are_noted() -> None:
    twin = ("A starter is a community of wild yeasts and lactic acid bacteria that raise the dough "
            "and give the bread its sour taste.")
    shared = "Temperature matters more than anything else when a dough ferments slowly overnight."
    sections = {
        "One": twin,
        "Two": f"{shared} Keep it warm, away from draughts, and check on it now and then.",
        "Three": twin.replace("sour", "tangy"),
        "Four": f"The oven should be very hot, and the stone inside it well heated through. {shared}",
        "Five": "Something else entirely, said in words of its own.",
    }
    text = "".join(f"## {title}\n\n{body}\n\n" for title, body in sections.items())
    assert parse_article(text, "markdown", "t.md").notes == (
        "Repeated text: sections '01-one' and '03-three' are 96% the same",
        "Repeated text: sections '02-two' and '04-four' share the sentence "
        "'Temperature matters more than anything else when a dough…'",
    )


def test_distinct_sections_are_not_noted() -> None:
    article = read_article(DATA / "newsletter.txt")
    assert not any(note.startswith("Repeated") for note in article.notes)


@pytest.mark.parametrize(
    ("document", "fmt", "language"),
    [
        ('<html lang="fr_ca"><body><p>Bonjour.</p></body></html>', "html", "fr-CA"),
        ('<html><body><article lang="de"><p>Hallo.</p></article></body></html>', "html", "de"),
        ('<html><head><meta property="og:locale" content="es_ES"></head><p>Hola.</p></html>', "html", "es-ES"),
        ("---\nlanguage: Français\n---\nBonjour.\n", "markdown", "fr"),
        ("---\nlang: en-gb\n---\nHello.\n", "markdown", "en-GB"),
        ("Hello.\n", "text", "en"),
    ],
)
def test_language_comes_from_the_document(document: str, fmt: str, language: str) -> None:
    assert parse_article(document, fmt, "doc").language == language


# ---------------------------------------------------------------------------------------------
# For the ear: tables of contents, reference sections, what split says it dropped


def test_a_readme_contents_list_of_forty_headings_is_dropped_with_a_note() -> None:
    names = [f"Topic number {n}" for n in range(1, 41)]
    toc = "\n".join(f"- [{name}](#{name.lower().replace(' ', '-')})" for name in names)
    body = "\n".join(f"## {name}\n\nText about {name.lower()}.\n" for name in names)
    article = parse_article(f"# Guide\n\nIntro.\n\n{toc}\n\n{body}", "markdown", "guide.md")
    assert [s.title for s in article.sections] == ["Guide", *names]
    assert article.sections[0].paragraphs == ("Intro.",)
    assert article.notes == ("Dropped a table of contents (40 entries)",)


def test_a_contents_heading_goes_with_its_list_and_numbered_entries_match() -> None:
    text = ("Intro.\n\n## Contents\n\n1. Getting started ........ 2\n2. Going further ........ 5\n\n"
            "## 1. Getting started\n\nFirst.\n\n## 2. Going further\n\nSecond.\n")
    article = parse_article(text, "markdown", "c.md")
    assert [s.title for s in article.sections] == ["Introduction", "1. Getting started", "2. Going further"]
    assert article.notes == ("Dropped a table of contents under 'Contents'",)


def test_a_list_that_names_only_some_headings_is_kept() -> None:
    text = "Intro.\n\n- Apples are sweet\n- Pears\n- Plums ripen late\n\n## Pears\n\nSoft.\n"
    assert parse_article(text, "markdown", "p.md").sections[0].paragraphs == (
        "Intro.", "- Apples are sweet\n- Pears\n- Plums ripen late")


def test_reference_sections_are_dropped_but_a_see_also_with_prose_is_kept() -> None:
    prose = ("This part explains at some length how the mill was restored, stone by stone, over ten years, "
             "and who paid for the work when the trust ran out of money.")
    text = (f"# Mill\n\nText.\n\n## See also\n\n{prose}\n\n## References\n\n1. Foster, Mills, 1998.\n"
            "2. Heritage list entry.\n\n## External links\n\n- [Trust](https://example.org)\n")
    article = parse_article(text, "markdown", "m.md")
    assert [s.title for s in article.sections] == ["Mill", "See also"]
    assert article.notes == (
        "Dropped the section 'References': references and links, not for listening",
        "Dropped the section 'External links': references and links, not for listening")


def test_dropped_summary_is_one_line_from_the_notes() -> None:
    from audioguide.article import dropped_summary

    notes = ("Dropped heading 'A': no text under it", "Dropped heading 'B': no text under it",
             "Dropped boilerplate: 'Subscribe'", "Repeated text: sections '01-a' and '02-b' are 90% the same",
             "Left out inline code a voice cannot say: '=>'")
    assert dropped_summary(notes) == ("2 empty headings ('A', 'B'), boilerplate, "
                                      "inline code a voice cannot say")
    assert dropped_summary(("Repeated text: x",)) == ""


def test_a_contents_heading_whose_list_was_not_kept_is_not_joined_to_the_first_chapter() -> None:
    from audioguide.article import build_article
    from audioguide.readers.blocks import Heading, Parsed

    parsed = Parsed(blocks=[Heading("Lamp Guide", 1), "How to keep an oil lamp burning.", Heading("Table of contents", 2),
                            Heading("Synopsis", 3), "Trim, fill, light.", Heading("Description", 3), "More on each."])
    article = build_article(parsed, "lamp.html")
    assert [s.title for s in article.sections] == ["Lamp Guide", "Synopsis", "Description"]
    assert "Dropped heading 'Table of contents': a table of contents, its list not read" in article.notes
