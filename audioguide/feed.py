"""The podcast feed: RSS 2.0 with `itunes:`, `podcast:` (Podcasting 2.0) and `psc:` chapter tags.

Written with ElementTree so every title and text is escaped by an XML library, never by hand.
Without a base URL every link is relative to the feed, so the output folder works as-is from any
static host; with one, links are absolute, as podcast directories require.
"""

from __future__ import annotations

import html
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import quote, urlsplit

from audioguide import __version__
from audioguide.errors import BuildError
from audioguide.model import Episode
from audioguide.settings import GuideSettings
from audioguide.sidecars import (
    CHAPTERS_TYPE,
    VTT_TYPE,
    chapters_json,
    read_chapters_json,
    read_webvtt,
    vtt_timestamp,
    webvtt,
)
from audioguide.terminal import clock

__all__ = [
    "FEED_FILE",
    "NAMESPACES",
    "chapters_file",
    "chapters_json",
    "feed_guid",
    "read_chapters_json",
    "read_webvtt",
    "render_feed",
    "transcript_file",
    "webvtt",
]

FEED_FILE = "feed.xml"
PLAYER_FILE = "index.html"

NAMESPACES = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "psc": "http://podlove.org/simple-chapters",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "atom": "http://www.w3.org/2005/Atom",
}
for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)

# Fixed by the Podcasting 2.0 namespace for deriving a feed's podcast:guid from its URL.
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def chapters_file(episode: Episode) -> str:
    return f"{episode.slug}.chapters.json"


def transcript_file(episode: Episode) -> str:
    return f"{episode.slug}.vtt"


def feed_guid(feed_url: str) -> str:
    """The feed's podcast:guid: UUIDv5 of its URL without scheme and trailing slashes."""
    parts = urlsplit(feed_url if "//" in feed_url else f"//{feed_url}")
    bare = parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare.rstrip("/")))


def render_feed(
    guide: GuideSettings,
    episodes: Sequence[Episode],
    *,
    cover_file: str,
    build_date: datetime,
) -> bytes:
    """The feed document for `episodes` (in the given order), as UTF-8 XML bytes.

    `cover_file` is the artwork's file name in the output folder. Without `guide.base_url` the
    feed has no podcast:guid, since that is derived from the feed's public URL.
    """
    links = _Links(guide.base_url)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    _text(channel, "title", guide.title)
    _text(channel, "link", guide.link or links.url(PLAYER_FILE))
    _text(channel, "description", guide.description or guide.title)
    _text(channel, "language", guide.language)
    _text(channel, "generator", f"audioguide {__version__}")
    _text(channel, "lastBuildDate", _rfc822(build_date))
    ET.SubElement(
        channel,
        _tag("atom", "link"),
        {"href": links.url(FEED_FILE), "rel": "self", "type": "application/rss+xml"},
    )
    ET.SubElement(channel, _tag("itunes", "image"), {"href": links.url(cover_file)})
    _category(channel, guide.category)
    _text(channel, _tag("itunes", "explicit"), "true" if guide.explicit else "false")
    # Empty elements would be read as an author named "": leave out what the guide does not say.
    if guide.author:
        _text(channel, _tag("itunes", "author"), guide.author)
    # An owner without an e-mail is an error to the W3C feed validator: none is better.
    if guide.owner_email:
        owner = ET.SubElement(channel, _tag("itunes", "owner"))
        if guide.author:
            _text(owner, _tag("itunes", "name"), guide.author)
        _text(owner, _tag("itunes", "email"), guide.owner_email)
    _text(channel, _tag("itunes", "type"), "episodic")
    if guide.base_url:
        _text(channel, _tag("podcast", "guid"), feed_guid(links.url(FEED_FILE)))
    _text(channel, _tag("podcast", "locked"), "no")
    for episode in episodes:
        _item(channel, episode, guide, links, cover_file)
    ET.indent(rss)
    document = ET.tostring(rss, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{document}\n'.encode()


def _item(
    channel: ET.Element, episode: Episode, guide: GuideSettings, links: _Links, cover_file: str
) -> None:
    item = ET.SubElement(channel, "item")
    _text(item, "title", episode.title)
    if episode.link:
        _text(item, "link", episode.link)
    _text(item, "description", episode.description or episode.title)
    _text(item, _tag("content", "encoded"), _show_notes(episode))
    audio_url = links.url(episode.audio_file)
    if episode.audio_sha256:
        # A new URL makes podcast apps download the audio again after an edit.
        audio_url += f"?v={episode.audio_sha256[:12]}"
    ET.SubElement(
        item,
        "enclosure",
        {"url": audio_url, "length": str(episode.audio_bytes), "type": "audio/mpeg"},
    )
    _text(item, "guid", episode.guid).set("isPermaLink", "false")
    _text(item, "pubDate", _rfc822(_parse_rfc3339(episode.pub_date, episode.slug)))
    _text(item, _tag("itunes", "title"), episode.title)
    if episode.author or guide.author:
        _text(item, _tag("itunes", "author"), episode.author or guide.author)
    _text(item, _tag("itunes", "duration"), str(round(episode.duration_ms / 1000)))
    # Zero is how settings say "none": Apple numbers episodes and seasons from 1.
    if episode.number:
        _text(item, _tag("itunes", "episode"), str(episode.number))
    if episode.season:
        _text(item, _tag("itunes", "season"), str(episode.season))
    _text(item, _tag("itunes", "episodeType"), "full")
    ET.SubElement(item, _tag("itunes", "image"), {"href": links.url(cover_file)})
    if episode.chapters:
        ET.SubElement(
            item,
            _tag("podcast", "chapters"),
            {"url": links.url(chapters_file(episode)), "type": CHAPTERS_TYPE},
        )
    if episode.cues:
        ET.SubElement(
            item,
            _tag("podcast", "transcript"),
            {
                "url": links.url(transcript_file(episode)),
                "type": VTT_TYPE,
                "language": episode.language,
                "rel": "captions",
            },
        )
    if episode.chapters:
        simple = ET.SubElement(item, _tag("psc", "chapters"), {"version": "1.2"})
        for mark in episode.chapters:
            attributes = {"start": vtt_timestamp(mark.start_ms), "title": _xml_chars(mark.title)}
            if mark.link:
                attributes["href"] = _xml_chars(mark.link)
            ET.SubElement(simple, _tag("psc", "chapter"), attributes)


def _show_notes(episode: Episode) -> str:
    """HTML show notes: the description's paragraphs, then the chapter list with start times."""
    paragraphs = re.split(r"\n\s*\n", (episode.description or episode.title).strip())
    parts = [f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs]
    if episode.chapters:
        entries = []
        for mark in episode.chapters:
            title = html.escape(mark.title)
            if mark.link:
                title = f'<a href="{html.escape(mark.link)}">{title}</a>'
            entries.append(f"<li>{clock(mark.start_ms)} {title}</li>")
        parts.append("<p>Chapters:</p>\n<ul>\n" + "\n".join(entries) + "\n</ul>")
    return "\n".join(parts)


def _category(channel: ET.Element, category: str) -> None:
    """itunes:category; `Parent > Child` nests a subcategory inside its parent, as Apple wants."""
    parent = channel
    for name in (part.strip() for part in category.split(">")):
        if name:
            parent = ET.SubElement(parent, _tag("itunes", "category"), {"text": _xml_chars(name)})


class _Links:
    """URLs of files in the output folder: absolute under the base URL, else relative."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/") + "/" if base_url else ""

    def url(self, file_name: str) -> str:
        return self.base + quote(file_name)


def _tag(prefix: str, name: str) -> str:
    return f"{{{NAMESPACES[prefix]}}}{name}"


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _xml_chars(text)
    return element


def _xml_chars(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry at all, not even escaped."""
    return _NOT_XML.sub("", text)


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _rfc822(moment: datetime) -> str:
    """RFC 822 date as RSS wants it, in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _parse_rfc3339(stamp: str, slug: str) -> datetime:
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        raise BuildError(
            f"episode {slug}: pub_date {stamp!r} is not an RFC 3339 timestamp"
        ) from None
