"""The web page reader: the article found by trafilatura, its structure kept, the page's own tags
where the extractor falls short, and the evaluation against hand-marked pages."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from audioguide.article import parse_article, read_article
from audioguide.errors import ArticleError
from audioguide.readers.blocks import Heading
from audioguide.readers.html_page import _prepared, parse_html
from audioguide.readers.html_tags import parse_tags

PAGES = Path(__file__).parent / "data" / "pages"
PROSE = ("The tide came in over the mudflats faster than anyone on the path expected, and the "
         "wardens walked the line of the causeway twice to be sure that nobody was left behind. ")


def _load_evaluation():
    spec = importlib.util.spec_from_file_location("page_evaluation", PAGES / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["page_evaluation"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_new_reader_beats_trafilatura_alone_and_the_old_reader_on_marked_pages() -> None:
    evaluation = _load_evaluation()
    results = evaluation.evaluate()
    new, alone, old = (evaluation.mean_f1(results[name]) for name in (
        "audioguide (new reader)", "trafilatura alone", "tags only (the old reader)"))
    assert len(results["audioguide (new reader)"]) >= 12
    assert new >= 0.88 and new >= alone and new > old, (new, alone, old)
    assert all(score.recall > 0.5 for score in results["audioguide (new reader)"].values())


def test_marked_text_is_what_lies_between_the_markers() -> None:
    evaluation = _load_evaluation()
    page = "<p>menu</p><!--article--><h1>Title</h1><p>Body &amp; more</p><!--/article--><p>footer</p>"
    assert evaluation.words(evaluation.marked_text(page)) == evaluation.words("title body more")
    assert evaluation.score("title body extra", "title body more").f1 == pytest.approx(2 / 3)


def page(body: str, head: str = "<title>A Walk | Coast Paths</title>") -> str:
    return f"<!DOCTYPE html><html lang='en'><head>{head}</head><body>{body}</body></html>"


def test_structure_comes_through_as_block_text() -> None:
    html = page(f"""<nav><a href="/">Home</a> <a href="/walks">Walks</a></nav><article><h1>A Walk</h1>
        <p>{PROSE}</p><h2>Before you go</h2><ul><li>Check the tide tables</li><li>Take water</li></ul>
        <table><tr><th>Tide</th><th>Time</th></tr><tr><td>High</td><td>09:40</td></tr></table>
        <figure><img src="a.jpg" alt="x"><figcaption>The causeway at low water.</figcaption></figure>
        <blockquote><p>Never race the tide.</p></blockquote><pre><code>tide --port=holy-island</code></pre>
        <p>{PROSE}</p></article><footer>Copyright 2024 Coast Paths</footer>""")
    article = parse_article(html, "html", "walk.html")
    assert article.title == "A Walk" and [s.title for s in article.sections] == ["A Walk", "Before you go"]
    assert article.sections[1].paragraphs[:5] == (
        "- Check the tide tables\n- Take water", "| Tide | Time |\n|---|---|\n| High | 09:40 |",
        "The causeway at low water.", "> Never race the tide.", "```\ntide --port=holy-island\n```")


def test_a_page_the_extractor_finds_too_little_in_is_read_by_its_tags_not_refused() -> None:
    parsed = parse_html(page("<div class='content-sidebar-wrap'><p>Short notice: closed on Monday.</p></div>"
                             "<p>Open again on Tuesday at nine.</p>"))
    assert parsed.blocks == ["Open again on Tuesday at nine."]


def test_headings_the_extractor_drops_are_put_back_and_bold_lines_are_headings() -> None:
    html = page(f"""<article><h1>A Walk</h1><p>{PROSE}</p>
        <div role="heading" aria-level="2">The Causeway</div><p>{PROSE.replace('tide', 'sea')}</p>
        <p><b>The Return</b></p><p>{PROSE.replace('tide', 'water')}</p></article>""")
    titles = [b.text for b in parse_html(html).blocks if isinstance(b, Heading)]
    assert titles == ["The Causeway", "The Return"]


def test_layout_tables_wiki_furniture_link_lists_and_title_repeats_are_not_read() -> None:
    html = page(f"""<table><tr><td><a href="/">Home</a><br><a href="/a">Walks</a></td><td>
        <h2>A Walk</h2><p>{PROSE * 2}</p><table class="infobox"><tr><th>Length</th><td>4 km</td></tr></table>
        <h3>Re: A Walk</h3><p>{PROSE.replace('tide', 'fog')}<sup class="reference"><a href="#c1">[1]</a></sup></p>
        <ul><li><a href="/x">Another walk</a></li><li><a href="/y">A third walk</a></li></ul>
        <ol class="references"><li id="c1">Smith, Tides, 1999.</li></ol></td></tr></table>""",
                head="<title>A Walk - Coast Paths Forum</title>")
    parsed = parse_html(html)
    text = " ".join(b if isinstance(b, str) else b.text for b in parsed.blocks)
    assert parsed.title == "A Walk"
    for unwanted in ("Home", "Length", "4 km", "Re: A Walk", "[1]", "Another walk", "Smith", "|"):
        assert unwanted not in text, unwanted
    assert "The fog came in" in text and "Dropped 1 list of links" in parsed.notes


def test_a_short_page_the_extractor_flattens_keeps_its_headings() -> None:
    html = page("<h1>Garden</h1><h2>The Roses</h2><p>Old roses grow along the south wall of the garden.</p>"
                "<h2>The Glasshouse</h2><p>Tender plants spend the winter in the glasshouse here.</p>")
    assert parse_html(html).blocks == [Heading("The Roses", 2), "Old roses grow along the south wall of the garden.",
                                       Heading("The Glasshouse", 2),
                                       "Tender plants spend the winter in the glasshouse here."]


def test_an_xhtml_page_with_an_xml_declaration_goes_through_the_extractor() -> None:
    html = ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>'
            f'<article><h1>Fog</h1><p>{PROSE}</p><p><b>Later</b></p><p>{PROSE}</p></article></body></html>')
    assert _prepared(html) is not None
    # A bold line as a heading is the extractor's reading; the page's tags alone would not see one.
    assert parse_html(html).blocks == [PROSE.strip(), Heading("Later", 3), PROSE.strip()]


def test_every_marked_page_gives_an_article() -> None:
    for path in sorted(PAGES.glob("*.html")):
        article = read_article(path)
        assert article.sections and article.title, path.name


def test_trafilatura_is_imported_only_when_a_page_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\nSome text.\n", encoding="utf-8")
    code = ("import sys; from audioguide import cli, article; article.read_article(sys.argv[1]); "
            "assert 'trafilatura' not in sys.modules, 'imported'; "
            "article.parse_article('<p>' + 'word ' * 30 + '</p>', 'html', 'x.html'); "
            "assert 'trafilatura' in sys.modules")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "a.md")], check=True)


def test_code_in_a_quote_or_a_list_item_stays_code_and_a_command_alone_is_code() -> None:
    html = page(f"""<main><h1>Lamps</h1><p>{PROSE}</p>
        <blockquote><p>First, trim the wick:</p><pre><code>wick.trim(2)\nwick.light()</code></pre>
        <p>Then close the glass.</p></blockquote>
        <ul><li><p><code>lamp.dim()</code>: lowers the flame by one step.</p>
        <pre><code>if lamp.lit {{\n    lamp.dim();\n}}</code></pre></li><li>Refill the oil weekly.</li></ul>
        <p>To build the lamp tools:</p><ul><li><code>sudo make install --prefix=$HOME/lamps</code></li>
        <li><code>lamp-tool --check &amp;&amp; lamp-tool --light</code></li></ul><p>{PROSE}</p></main>""")
    blocks = parse_html(html).blocks
    assert blocks[1:8] == [
        "> First, trim the wick:", "```\nwick.trim(2)\nwick.light()\n```", "> Then close the glass.",
        "- lamp.dim: lowers the flame by one step.", "```\nif lamp.lit {\n    lamp.dim();\n}\n```",
        "- Refill the oil weekly.", "To build the lamp tools:"]
    assert blocks[8] == "```\nsudo make install --prefix=$HOME/lamps\n\nlamp-tool --check && lamp-tool --light\n```"


def test_signature_headings_of_an_api_reference_are_titled_by_name_without_badges() -> None:
    method = ("<details open><summary><section class='method'><span class='rightside'>1.2.0 · "
              "<a class='src' href='#'>Source</a></span><h4 class='code-header'>pub fn {name}(&amp;mut self, "
              "level: <a href='#'>u8</a>) -&gt; <a href='#'>Result</a>&lt;(), Error&gt;</h4></section></summary>"
              "<div class='docblock'><p>{text}</p></div></details>")
    html = page(f"""<main><h1>Struct Lamp</h1><p>{PROSE}</p>
        <h2>Implementations</h2><details open><summary><section class='impl'><a class='src rightside'
        href='#'>Source</a><h3 class='code-header'>impl&lt;T: Oil&gt; <a href='#'>Lamp</a>&lt;T&gt;</h3>
        </section></summary>{method.format(name='set_flame', text='Sets the height of the flame, in steps.')}
        {method.format(name='trim_wick', text='Trims the wick so the flame burns evenly again.')}</details>
        <h3><code>lamp.light([level][, callback])</code><a class="mark" href="#l">#</a></h3>
        <p>Lights the lamp at the given level, or the last one used.</p></main>""")
    blocks = parse_html(html).blocks
    headings = [(b.text, b.level) for b in blocks if isinstance(b, Heading)]
    assert headings == [("Implementations", 2), ("Lamp", 3), ("set_flame", 4), ("trim_wick", 4), ("lamp.light", 3)]
    text = " ".join(b if isinstance(b, str) else b.text for b in blocks)
    assert "Source" not in text and "1.2.0" not in text and "pub fn" not in text


def test_a_page_whose_body_class_names_a_sidebar_is_still_read_by_its_tags() -> None:
    html = ("<html class='js sidebar-visible'><body class='post has-sidebar'><nav>Menu</nav><main>"
            f"<h1>Lamps</h1><p>{PROSE}</p></main></body></html>")
    assert parse_tags(html).blocks == [PROSE.strip()]


def test_release_notes_whose_items_are_links_are_read_whole() -> None:
    versions = "".join(
        f"<h2>Version 1.{n}</h2><h3>Language</h3><ul>" + "".join(
            f"<li><a href='https://example.org/pull/{n}{i}'>Make the lamp {word} when the oil runs low</a></li>"
            for i, word in enumerate(("dim", "flicker", "hiss", "cool", "stop")))
        + "</ul><h3>Compatibility</h3><ul><li><a href='#'>The old wick size is no longer accepted</a></li></ul>"
        for n in range(12))
    html = page(f"<h1>Lamp Release Notes</h1><p>{PROSE}</p>{versions}")
    blocks = parse_html(html).blocks
    assert sum(isinstance(b, Heading) for b in blocks) == 36
    assert sum(b.count("Make the lamp") for b in blocks if isinstance(b, str)) == 60


def test_a_redirect_stub_is_refused_in_one_line_and_a_page_that_also_redirects_is_read() -> None:
    stub = page("<p>Redirecting to... <a href='lamps-2.html'>lamps-2.html</a>.</p>",
                head="<title>Redirecting...</title><meta http-equiv='refresh' content='0; URL=lamps-2.html'>")
    with pytest.raises(ArticleError, match=r"^stub.html: the page only sends its readers on to lamps-2.html "):
        parse_article(stub, "html", "stub.html")
    full = page(f"<article><h1>Lamps</h1><p>{PROSE * 2}</p></article>",
                head="<meta http-equiv='refresh' content='300; url=lamps.html'>")
    assert parse_article(full, "html", "lamps.html").sections[0].paragraphs == ((PROSE * 2).strip(),)


def test_sphinx_links_marked_reference_keep_their_text_and_mail_addresses_are_not_emptied() -> None:
    html = page(f"""<div role="main"><section><h1>Lamps</h1><p>{PROSE}</p>
        <p>See <a class="reference internal" href="wicks.html">the wick guide</a> and the
        <a class="reference external" href="https://example.org/oil">oil tables</a> before lighting.</p>
        <ul><li><p>Ada Lamplighter &lt;<a class="reference external" href="mailto:ada&#64;example.org">ada<span>&#64;</span>example<span>&#46;</span>org</a>&gt;</p></li></ul>
        <p>{PROSE}</p></section></div>""")
    text = " ".join(b for b in parse_html(html).blocks if isinstance(b, str))
    assert "See the wick guide and the oil tables before lighting." in text
    assert "Ada Lamplighter <ada@example.org>" in text


def test_a_bare_pre_of_code_is_code_and_a_pre_of_prose_is_read() -> None:
    html = page(f"""<article><h1>Lamps</h1><p>{PROSE}</p><p>Build the tools with:</p>
        <pre>./configure\nmake\nmake install</pre><p>Declare the fuel at the top of the file:</p>
        <pre>&lt;?lamp fuel="paraffin"?&gt;</pre>
        <pre>The lamp was lit at dusk, as it had been for a hundred years,
and the keeper wrote the hour in the log before he went down.</pre><p>{PROSE}</p></article>""")
    blocks = parse_html(html).blocks
    assert "```\n./configure\nmake\nmake install\n```" in blocks and '```\n<?lamp fuel="paraffin"?>\n```' in blocks
    assert not any("configure" in b or "paraffin" in b for b in blocks if not b.startswith("```"))
    assert any("the keeper wrote the hour in the log" in b and not b.startswith("```") for b in blocks)


def test_a_type_name_written_in_angle_brackets_is_read_as_the_name() -> None:
    html = page(f"""<main><h1>Lamps</h1><p>{PROSE}</p><ul><li>Extends: <a class="type" href="#">&lt;LampBase&gt;</a></li>
        <li>Returns: <a class="type" href="#">&lt;Promise&gt;</a> once the wick is lit.</li></ul><p>{PROSE}</p></main>""")
    assert "- Extends: LampBase\n- Returns: Promise once the wick is lit." in parse_html(html).blocks
