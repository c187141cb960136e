"""A blog's RSS 2.0 or Atom feed as one document per entry, newest first.

feedparser reads the feed (BSD-2; it is given bytes, so it never fetches anything itself, and it
keeps only literal entity declarations). Before it, defusedxml parses the feed once with entity
declarations and external references refused, so an XML bomb gets a one-line error instead of
a quiet half-reading, and so that a feed of thousands of entries is counted before any work.

An entry's slug and guid come from its id (or link): they never change, so a rebuild after a
new post touches none of the other episodes. An entry that carries only a summary is read from
the page it links to.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime, timezone
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import ParseError

from audioguide.article import slugify
from audioguide.errors import SourceError
from audioguide.sources import (
    HTML_TYPES,
    Document,
    Origin,
    Part,
    is_url,
    plain_text,
    safe_xml,
)

MAX_ENTRIES = 200
"""More entries than this are built only with --latest (a full archive is hours of speech)."""
SMALLEST_ARTWORK = 600
"""Pixels on its longer side that a feed's picture needs to become the guide's artwork: RSS's
own <image> is a logo of at most 144 px, which scaled to 1,400 would be a blur."""


def read_feed(data: bytes, origin: str, *, latest: int | None = None, base_url: str = "",
              content_type: str = "") -> Origin:
    """The entries of a feed (newest first, the newest `latest` of them) as documents."""
    import feedparser

    count = _count_entries(data, origin)
    if count > MAX_ENTRIES and latest is None:
        raise SourceError(f"{origin}: the feed holds {count} entries; take the newest with "
                          f"--latest N (at most {MAX_ENTRIES} without it)")
    headers = {"content-location": base_url, "content-type": content_type or "application/xml"}
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False)
    if not parsed.get("version"):
        raise SourceError(f"{origin}: XML, but neither an RSS nor an Atom feed")
    feed = parsed.feed
    notes: list[str] = []
    entries = _newest_first(_unique(parsed.entries, origin, notes))
    if latest is not None:
        entries = entries[:latest]
    author = _author(feed)
    slugs = _slugs([_identity(entry) for entry in entries])
    documents = []
    for entry, slug in zip(entries, slugs):
        document = _document(entry, slug, author, feed.get("language", ""), origin, notes)
        if document is not None:
            documents.append(document)
    if not documents:
        raise SourceError(f"{origin}: the feed has no entries to read")
    return Origin(
        kind="feed", documents=tuple(documents), title=plain_text(feed.get("title", "")),
        author=author, language=feed.get("language", ""),
        description=plain_text(feed.get("subtitle", "")), link=feed.get("link", ""),
        cover=_artwork(feed, origin, notes), notes=tuple(notes),
    )


def _artwork(feed, origin: str, notes: list[str]) -> bytes | None:
    """The feed's own picture (itunes:image, else RSS <image> or Atom <logo>), fetched, for a
    guide whose settings name no image; None (noted) when it fails or is too small."""
    from PIL import Image

    from audioguide.sources.fetch import IMAGE_TYPES, fetch

    href = (feed.get("image") or {}).get("href") or feed.get("logo", "")
    if not is_url(href):
        return None
    try:
        data = fetch(href, IMAGE_TYPES, "an image").data
        with Image.open(io.BytesIO(data)) as image:
            size = image.size
    except SourceError as error:
        notes.append(f"{origin}: the feed's image is not used ({error}); a cover is drawn from the title")
        return None
    except (OSError, Image.DecompressionBombError):
        notes.append(f"{origin}: the feed's image {href} is not a picture; a cover is drawn from the title")
        return None
    if max(size) < SMALLEST_ARTWORK:
        notes.append(f"{origin}: the feed's image is {size[0]}x{size[1]} px, too small for artwork "
                     f"(at least {SMALLEST_ARTWORK} px); a cover is drawn from the title")
        return None
    return data


def _count_entries(data: bytes, origin: str) -> int:
    """Entries in the feed, counted while checking it is XML without entity tricks."""
    try:
        root = safe_xml(data, f"{origin}: the feed")
    except ParseError as error:
        raise SourceError(f"{origin}: not well-formed XML ({error})") from None
    return sum(1 for element in root.iter() if _local(element.tag) in ("item", "entry"))


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _identity(entry) -> str:
    return entry.get("id") or entry.get("link") or entry.get("title", "")


def _unique(entries: list, origin: str, notes: list[str]) -> list:
    """Entries whose identity was not seen before; a repeated id is noted, the first kept."""
    seen: dict[str, int] = {}
    kept = []
    for entry in entries:
        identity = _identity(entry)
        if not identity:
            notes.append(f"{origin}: skipped an entry with no id, link or title")
            continue
        seen[identity] = seen.get(identity, 0) + 1
        if seen[identity] == 1:
            kept.append(entry)
    for identity, times in seen.items():
        if times > 1:
            notes.append(f"{origin}: {times} entries share the id {identity!r}; kept the first")
    return kept


def _newest_first(entries: list) -> list:
    """By date, newest first, when every entry has one; else in the feed's own order."""
    if entries and all(_date(e) for e in entries):
        return sorted(entries, key=_date, reverse=True)
    return entries


def _date(entry) -> str:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime(*stamp[:6], tzinfo=timezone.utc).isoformat() if stamp else ""


def _slugs(identities: list[str]) -> list[str]:
    """A slug per entry id; where two ids make one slug, the later ones get a hash of their id
    (oldest first, so that an episode already built keeps its slug)."""
    slugs = [_slug(identity) for identity in identities]
    taken: set[str] = set()
    for index in reversed(range(len(slugs))):
        if slugs[index] in taken:
            slugs[index] = f"{slugs[index][:64]}-{_hash(identities[index])}"
        taken.add(slugs[index])
    return slugs


def _slug(identity: str) -> str:
    """The readable end of an id: a URL's path and query, a tag: or urn: id's last part."""
    parts = urlsplit(identity)
    if parts.scheme in ("http", "https") and parts.netloc:
        path = re.sub(r"(/index)?\.(html?|php|aspx?)$", "", unquote(parts.path).rstrip("/"))
        readable = path + ("-" + parts.query if parts.query else "")
    else:
        readable = re.split(r"[:,]", identity)[-1]
    return slugify(readable, "") or f"entry-{_hash(identity)}"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def _author(item) -> str:
    """A person's name from "Ann Baker", "ann@host (Ann Baker)" or "Ann Baker <ann@host>";
    a bare e-mail address is no name to read out."""
    author = plain_text(item.get("author", ""))
    named = re.fullmatch(r"\S+@\S+\s*\((.+)\)|(.+?)\s*<\S+@\S+>", author)
    if named:
        return (named.group(1) or named.group(2)).strip()
    return "" if re.fullmatch(r"\S+@\S+", author) else author


def _document(entry, slug: str, feed_author: str, language: str, origin: str,
              notes: list[str]) -> Document | None:
    title = plain_text(entry.get("title", ""))
    label = repr(title or slug)
    summary = entry.get("summary", "")
    link = entry.get("link", "")
    link = link if is_url(link) else ""  # feedparser offers an Atom entry's tag: or urn: id
    name = slug + ".html"
    content = _full_text(entry)
    description = ""
    if content is not None:
        part = Part(content[0], content[1], name)
        # feedparser copies the content into the summary when the entry has none.
        description = plain_text(summary) if summary and summary != content[0] else ""
    elif link:
        part, description = _linked_page(link, name, summary, f"{origin}: entry {label}", notes)
    elif summary:
        part = Part(summary, _fmt(entry.get("summary_detail", {}).get("type", "")), name)
    else:
        notes.append(f"{origin}: skipped entry {label}: it has no text and no link")
        return None
    return Document(
        name=name, parts=(part,), title=title, author=_author(entry) or feed_author,
        language=entry.get("language") or language, link=link, date=_date(entry),
        guid=_identity(entry), slug=slug, description=description,
    )


def _full_text(entry) -> tuple[str, str] | None:
    """The entry's full text (content:encoded, Atom content) and its format; HTML preferred."""
    contents = [c for c in entry.get("content", []) if c.get("value", "").strip()]
    if not contents:
        return None
    best = next((c for c in contents if c.get("type") in HTML_TYPES), contents[0])
    return best["value"], _fmt(best.get("type", ""))


def _fmt(content_type: str) -> str:
    return "text" if content_type == "text/plain" else "html"


def _linked_page(link: str, name: str, summary: str, label: str,
                 notes: list[str]) -> tuple[Part, str]:
    """The entry's page, fetched and read; its summary instead (noted) when the page fails."""
    from audioguide.sources.fetch import PAGE_TYPES, fetch, page_text

    try:
        text = page_text(fetch(link, PAGE_TYPES, "an HTML page"))
    except SourceError as error:
        if not plain_text(summary):
            raise SourceError(f"{label}: {error}") from None
        notes.append(f"{label}: read its summary, as its page failed ({error})")
        return Part(summary, "html", name), ""
    return Part(text, "html", name), plain_text(summary)
