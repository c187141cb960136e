"""Where articles come from: a page URL, a feed (URL or file), an EPUB (URL or file).

`open_source` turns one SOURCE into `Document`s, the text of each episode with what its source
says about it (title, author, language, link, date, id), plus what the source says about the
guide as a whole (an `Origin`); `article.parse_article` reads the text. Article files on disk
are not sources in this sense: `article.read_article` reads them, as before. Nothing here is
imported until a source needs it: the HTTP client and the feed parser cost more to import
than a whole no-op build takes.
"""

from __future__ import annotations

import codecs
import html
import re
from dataclasses import dataclass
from pathlib import Path

from audioguide.errors import SourceError

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
"""The media types of an HTML page, whether a server, an EPUB's manifest or a feed's content names them."""


@dataclass(frozen=True)
class Part:
    """The text of one chapter of a document, for `article.parse_article(text, fmt, name)`."""

    text: str
    fmt: str
    """text, markdown or html."""
    name: str
    title: str = ""
    """The chapter's title as the source gives it (a book's table of contents); "" leaves
    it to the reader."""


@dataclass(frozen=True)
class Document:
    """One episode's text, in one part, or in several that each become one chapter (a short book)."""

    name: str
    """A file name for messages, and for the slug when `slug` is empty."""
    parts: tuple[Part, ...]
    title: str = ""
    author: str = ""
    language: str = ""
    link: str = ""
    date: str = ""
    """RFC 3339 publication date; "" when the source gives none."""
    guid: str = ""
    """The feed entry's id: the episode's guid for good."""
    slug: str = ""
    """Made from the entry's id, so that it never changes; "" leaves it to the reader."""
    description: str = ""


@dataclass(frozen=True)
class Origin:
    """What one source holds: its documents in guide order, and what it says about the guide."""

    kind: str
    """page, feed or book."""
    documents: tuple[Document, ...]
    title: str = ""
    author: str = ""
    language: str = ""
    description: str = ""
    link: str = ""
    cover: bytes | None = None
    """The source's own picture: a book's cover as stored in the EPUB, a feed's image."""
    notes: tuple[str, ...] = ()


def is_url(source: str) -> bool:
    return re.match(r"https?://", source, re.I) is not None


def is_source(source: str | Path) -> bool:
    """True for a URL, for a file whose content is a feed or an EPUB (whatever its name), and
    for a file named .epub (which had better be one)."""
    if isinstance(source, str) and is_url(source):
        return True
    path = Path(source)
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return sniff(head) in ("feed", "book") or path.suffix.lower() == ".epub"


def sniff(head: bytes) -> str:
    """What the first bytes of a document are: book (a zip), feed, page, or "" when unclear."""
    if head.startswith(b"PK\x03\x04"):
        return "book"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    text = head.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    # Past the XML declaration, processing instructions, comments and a doctype to the root.
    text = re.sub(r"^(\s+|<\?.*?\?>|<!--.*?-->)+", "", text, flags=re.S)
    if re.match(r"<!doctype\s+html", text, re.I):
        return "page"
    text = re.sub(r"^(<!DOCTYPE[^[>]*(\[.*?\])?\s*>|\s+|<!--.*?-->)+", "", text, flags=re.S)
    root = re.match(r"<(?:[\w.-]+:)?([\w.-]+)", text)
    if root is None:
        return ""
    name = root.group(1).lower()
    return "feed" if name in ("rss", "feed", "rdf") else "page" if name == "html" else ""


def decode_declared(data: bytes, declared: str, origin: str) -> str:
    """Bytes in the charset their source declares (a header, a <meta>, an XML declaration);
    a byte-order mark overrules it, and without a charset Python knows, they are read the
    way local files are (`article.decode`: UTF-8, else Windows-1252)."""
    from audioguide.article import decode

    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode(data, origin)
    try:
        codec = codecs.lookup(declared).name if declared else ""
    except LookupError:
        codec = ""
    if codec and not codec.startswith("utf-16"):  # UTF-16 without a BOM is mislabelled
        data = data.decode(codec, errors="replace").encode("utf-8")
    return decode(data, origin)


_BLOCK_TAG = re.compile(r"</?(p|div|br|li|ul|ol|h[1-6]|blockquote|pre|tr|td|th|table|section|"
                        r"article|body)\b[^>]*>", re.I)


ENTITIES_REFUSED = "declares XML entities; refused, as entity expansion is how XML bombs work"


class EntitiesRefused(SourceError):
    """XML that declares entities, refused before anything could expand them."""


def safe_xml(data: bytes, what: str):
    """The element tree of XML `data` (`what` names it in the refusal) with entity declarations
    and external references refused; malformed XML raises xml.etree's ParseError, for the caller
    to word."""
    import defusedxml.ElementTree as SafeTree
    from defusedxml import DefusedXmlException

    try:
        return SafeTree.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise EntitiesRefused(f"{what} {ENTITIES_REFUSED}") from None


def plain_text(markup: str) -> str:
    """The words of a bit of HTML (a feed's title or summary, a chapter to count): scripts and
    tags dropped, entities read, white space closed up."""
    text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", markup, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]*>", "", _BLOCK_TAG.sub(" ", text)))
    return re.sub(r"\s+", " ", text).strip()


def open_source(source: str | Path, *, latest: int | None = None) -> Origin:
    """The documents of a page or text file URL, a feed or an EPUB; `latest` keeps a feed's newest
    entries."""
    if isinstance(source, str) and is_url(source):
        return _open_url(source, latest)
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: cannot be read ({error.strerror})") from None
    kind = sniff(data[:4096])
    if kind == "book" or path.suffix.lower() == ".epub":
        from audioguide.sources.epub import read_epub

        return read_epub(data, str(source))
    if kind == "feed":
        from audioguide.sources.feeds import read_feed

        return read_feed(data, str(source), latest=latest)
    raise SourceError(f"{path}: neither a feed nor an EPUB")


def _open_url(url: str, latest: int | None) -> Origin:
    from audioguide.sources import fetch

    accepted = fetch.PAGE_TYPES | fetch.FEED_TYPES | fetch.BOOK_TYPES | frozenset(fetch.TEXT_TYPES)
    fetched = fetch.fetch(url, accepted, "an HTML page, a feed, an EPUB or a text file")
    kind = sniff(fetched.data[:4096])
    if fetched.media_type in fetch.BOOK_TYPES or kind == "book":
        from audioguide.sources.epub import read_epub

        return read_epub(fetched.data, url)
    if kind == "feed":
        from audioguide.sources.feeds import read_feed

        return read_feed(fetched.data, url, latest=latest, base_url=fetched.url,
                         content_type=fetched.media_type)
    if fetched.media_type in fetch.FEED_TYPES and kind != "page":
        raise SourceError(f"{url}: XML, but neither an RSS nor an Atom feed")
    if fetched.media_type in fetch.TEXT_TYPES and kind != "page":
        return Origin(kind="page", documents=(text_document(fetched),))
    document = page_document(fetched)
    return Origin(kind="page", documents=(document,))


def page_document(fetched) -> Document:
    """A fetched HTML page as a one-part document named after its URL's last path segment."""
    from audioguide.sources.fetch import page_text

    name = re.sub(r"\.(html?|xhtml|php|aspx?)$", "", _last_segment(fetched.url), flags=re.I) + ".html"
    return Document(name=name, parts=(Part(page_text(fetched), "html", name),), link=fetched.url)


def text_document(fetched) -> Document:
    """A fetched text file (plain text, Markdown or reStructuredText) as a one-part document, in
    the charset its server declares; its format from its type, else from its name and text."""
    from audioguide.article import format_of
    from audioguide.sources.fetch import TEXT_TYPES

    name = _last_segment(fetched.url)
    text = decode_declared(fetched.data, fetched.charset, fetched.url)
    fmt = TEXT_TYPES[fetched.media_type] or format_of(name, text)
    return Document(name=name, parts=(Part(text, fmt, name),), link=fetched.url)


def _last_segment(url: str) -> str:
    """The last segment of a URL's path (else its host), which names the document."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    return unquote(next((s for s in reversed(parts.path.split("/")) if s), "")) or parts.hostname or "page"
