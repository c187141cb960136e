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

from audioguide.errors import ArticleError
from audioguide.readers.blocks import Block, Heading, Parsed
from audioguide.readers.code import code_heading, reads_as_code
from audioguide.readers.html_extract import extract
from audioguide.readers.html_tags import parse_tags

_WIKI_CHROME = " | ".join(
    f"//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
    for tag, name in (("*", "infobox"), ("*", "navbox"), ("*", "reflist"), ("ol", "references"),
                      ("sup", "reference"), ("*", "mw-editsection"), ("*", "hatnote"), ("*", "catlinks"),
                      ("*", "mw-jump-link"), ("*", "noprint"), ("*", "sistersitebox"), ("*", "mw-cite-backlink")))
"""MediaWiki's own furniture (infoboxes, navigation boxes, reference lists and marks, edit links):
the most common wiki engine marks it by class, and none of it is read aloud. A reference mark is a
<sup> and a reference list an <ol>: Sphinx marks every link of its pages "reference"."""
MIN_WORDS = 20
"""An extract shorter than this is not trusted: the page is read by its tags instead."""
REDIRECT_WORDS = 40
"""A page that redirects at once and shows fewer words than this is a stub, not an article."""


def parse_html(text: str) -> Parsed:
    """Headings and blocks of a web page's article, with the page's title, language, author and
    canonical link."""
    page = parse_tags(text)
    tree = _prepared(text)
    total = _page_words(tree)
    if page.redirect and total < REDIRECT_WORDS:
        raise ArticleError(f"the page only sends its readers on to {page.redirect} (a redirect, no article)")
    found = extract(tree)
    if (found is None or _words(found.blocks) < MIN_WORDS or _same_but_flatter(found.blocks, page)
            or _lost_the_structure(found.blocks, page)):
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


def _lost_the_structure(found: list[Block], page: Parsed) -> bool:
    """True when the extract is a small part of a long document of many headings: release notes
    whose every item is a link look like navigation to the extractor, which keeps the headings and
    little else."""
    headings = sum(isinstance(b, Heading) for b in page.blocks)
    return headings >= 10 and _words(page.blocks) > 3 * _words(found)


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
    for summary in tree.iter("summary"):
        # A heading in a <summary> is its title; beside it sit badges, versions and "Source" links.
        heading = summary.xpath(".//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]")
        if heading:
            heading[0].tail = None
            summary.getparent().replace(summary, heading[0])
    for pre in tree.xpath("//pre[not(.//code)]"):
        if reads_as_code(pre.text_content()):  # else the extractor reads it as a quote
            code = lxml.html.Element("code")
            code.text, pre.text = pre.text, None
            code.extend(list(pre))
            pre.append(code)
    for link in tree.xpath("//code//a | //a[starts-with(@href, 'mailto:') and contains(., '@')]"):
        link.drop_tag()  # the extractor tears code apart at its links, and drops mail addresses
    for heading in tree.xpath("//h1|//h2|//h3|//h4|//h5|//h6"):
        for part in heading.xpath(".//*[self::div or self::br or self::p]"):
            part.text = " " + (part.text or "")  # "Vec<T>where T: Clone" reads as two words
        code = "".join(c.text_content() for c in heading.xpath(".//*[self::code or self::tt or self::kbd or self::samp]"
                                                                 "[not(ancestor::code)]"))
        title = code_heading(heading.text_content(), code, heading.get("class", ""))
        if title is not None:  # a signature: the extractor would read it, or lose its name
            for child in list(heading):
                heading.remove(child)
            heading.text = title
    for figure in tree.iter("figure"):
        figure.tag = "div"
    for caption in tree.iter("figcaption"):
        caption.tag = "p"
    return tree
