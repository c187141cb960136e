"""The feed, chapters JSON and WebVTT files, read back by the parsers podcast apps use."""

from __future__ import annotations

import dataclasses
import io
import json
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import feedparser
import podcastparser
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audioguide.errors import BuildError
from audioguide.feed import (
    NAMESPACES,
    chapters_json,
    feed_guid,
    read_chapters_json,
    read_webvtt,
    render_feed,
    webvtt,
)
from audioguide.model import ChapterMark, Cue, Episode
from audioguide.settings import GuideSettings

FEED_URL = "https://example.org/tour/feed.xml"
GUIDE = GuideSettings(
    title="Old Town walk",
    author="Ada Guide",
    description="A walk through the old town.",
    language="en-GB",
    base_url="https://example.org/tour/",
    link="https://example.org/",
    category="Society & Culture > Places & Travel",
    owner_email="ada@example.org",
)
BUILD_DATE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
SHA = "0123456789abcdef" * 4


def episode(slug: str = "market-square", title: str = "The market square", **changes) -> Episode:
    value = Episode(
        slug=slug,
        guid=f"urn:audioguide:{slug}",
        title=title,
        description="Stalls & a fountain.",
        audio_file=f"{slug}.mp3",
        audio_bytes=123_457,
        duration_ms=754_321,
        pub_date="2024-05-01T10:00:00+02:00",
        chapters=(
            ChapterMark("01-intro", "Introduction", 0, 61_500),
            ChapterMark(
                "02-fountain", "The fountain", 61_500, 3_723_250, "https://example.org/f#x"
            ),
            ChapterMark("03-stalls", "Stalls", 3_723_250, 3_800_000),
        ),
        cues=(Cue(0, 1_200, "The market square."), Cue(1_500, 4_000, "Look left & up.")),
        number=3,
        season=2,
        author="",
        language="en-GB",
        audio_sha256=SHA,
    )
    return dataclasses.replace(value, **changes)


def parse(feed: bytes) -> ET.Element:
    return ET.fromstring(feed)


def podcast(feed: bytes, url: str = FEED_URL) -> dict:
    return podcastparser.parse(url, io.BytesIO(feed))


def test_channel_has_every_tag_apps_and_directories_read():
    channel = parse(
        render_feed(GUIDE, [episode()], cover_file="cover.png", build_date=BUILD_DATE)
    ).find("channel")
    expected_text = {
        "title": "Old Town walk",
        "link": "https://example.org/",
        "description": "A walk through the old town.",
        "language": "en-GB",
        "lastBuildDate": "Mon, 06 May 2024 07:08:09 GMT",
        "itunes:explicit": "false",
        "itunes:author": "Ada Guide",
        "itunes:owner/itunes:name": "Ada Guide",
        "itunes:owner/itunes:email": "ada@example.org",
        "itunes:type": "episodic",
        "podcast:locked": "no",
        "podcast:guid": str(
            uuid.uuid5(
                uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), "example.org/tour/feed.xml"
            )
        ),
    }
    for path, text in expected_text.items():
        assert channel.findtext(path, namespaces=NAMESPACES) == text, path
    assert channel.findtext("generator").startswith("audioguide ")
    assert (
        channel.find("itunes:image", NAMESPACES).get("href") == "https://example.org/tour/cover.png"
    )
    self_link = channel.find("atom:link", NAMESPACES)
    assert (self_link.get("rel"), self_link.get("href")) == ("self", FEED_URL)
    parent = channel.find("itunes:category", NAMESPACES)
    assert parent.get("text") == "Society & Culture"
    assert [c.get("text") for c in parent.findall("itunes:category", NAMESPACES)] == [
        "Places & Travel"
    ]


def test_an_author_the_guide_does_not_give_is_left_out_not_written_empty():
    anonymous = dataclasses.replace(GUIDE, author="")
    channel = parse(
        render_feed(anonymous, [episode()], cover_file="cover.png", build_date=BUILD_DATE)
    ).find("channel")
    assert channel.find("itunes:author", NAMESPACES) is None
    assert channel.find("item/itunes:author", NAMESPACES) is None
    assert [child.tag.split("}")[1] for child in channel.find("itunes:owner", NAMESPACES)] == [
        "email"
    ]
    nobody = dataclasses.replace(anonymous, owner_email="")
    channel = parse(
        render_feed(nobody, [episode()], cover_file="cover.png", build_date=BUILD_DATE)
    ).find("channel")
    assert channel.find("itunes:owner", NAMESPACES) is None
    # An episode's own author still shows.
    feed = render_feed(
        nobody, [episode(author="Bo Writer")], cover_file="cover.png", build_date=BUILD_DATE
    )
    assert parse(feed).findtext("channel/item/itunes:author", namespaces=NAMESPACES) == "Bo Writer"


def test_item_has_every_tag_apps_and_directories_read():
    item = parse(
        render_feed(GUIDE, [episode()], cover_file="cover.png", build_date=BUILD_DATE)
    ).find("channel/item")
    expected_text = {
        "title": "The market square",
        "description": "Stalls & a fountain.",
        "guid": "urn:audioguide:market-square",
        "itunes:title": "The market square",
        "itunes:author": "Ada Guide",
        "itunes:duration": "754",
        "itunes:episode": "3",
        "itunes:season": "2",
        "itunes:episodeType": "full",
    }
    for path, text in expected_text.items():
        assert item.findtext(path, namespaces=NAMESPACES) == text, path
    assert item.find("guid").get("isPermaLink") == "false"
    assert parsedate_to_datetime(item.findtext("pubDate")) == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert item.find("enclosure").attrib == {
        "url": "https://example.org/tour/market-square.mp3?v=0123456789ab",
        "length": "123457",
        "type": "audio/mpeg",
    }
    assert item.find("itunes:image", NAMESPACES).get("href") == "https://example.org/tour/cover.png"
    assert item.find("podcast:chapters", NAMESPACES).attrib == {
        "url": "https://example.org/tour/market-square.chapters.json",
        "type": "application/json+chapters",
    }
    assert item.find("podcast:transcript", NAMESPACES).attrib == {
        "url": "https://example.org/tour/market-square.vtt",
        "type": "text/vtt",
        "language": "en-GB",
        "rel": "captions",
    }
    simple = item.find("psc:chapters", NAMESPACES)
    assert simple.get("version") == "1.2"
    assert [c.attrib for c in simple.findall("psc:chapter", NAMESPACES)] == [
        {"start": "00:00:00.000", "title": "Introduction"},
        {"start": "00:01:01.500", "title": "The fountain", "href": "https://example.org/f#x"},
        {"start": "01:02:03.250", "title": "Stalls"},
    ]
    notes = item.findtext("content:encoded", namespaces=NAMESPACES)
    assert "<li>0:00 Introduction</li>" in notes
    assert '<li>1:01 <a href="https://example.org/f#x">The fountain</a></li>' in notes
    assert "<li>1:02:03 Stalls</li>" in notes
    assert notes.startswith("<p>Stalls &amp; a fountain.</p>\n<p>Chapters:</p>")


def test_show_notes_keep_paragraphs_and_unset_numbers_are_left_out():
    text = "First paragraph.\n\nSecond one."
    feed = render_feed(
        GUIDE,
        [episode(description=text, number=0, season=None)],
        cover_file="cover.png",
        build_date=BUILD_DATE,
    )
    item = parse(feed).find("channel/item")
    notes = item.findtext("content:encoded", namespaces=NAMESPACES)
    assert notes.startswith("<p>First paragraph.</p>\n<p>Second one.</p>")
    assert item.findtext("description") == text
    assert item.find("itunes:episode", NAMESPACES) is None
    assert item.find("itunes:season", NAMESPACES) is None


def test_podcastparser_reads_episodes_enclosures_durations_and_chapters():
    second = episode(
        "river", "The river", number=4, season=None, audio_sha256="", duration_ms=2_499
    )
    parsed = podcast(
        render_feed(GUIDE, [episode(), second], cover_file="cover.png", build_date=BUILD_DATE)
    )
    assert parsed["title"] == "Old Town walk"
    assert parsed["explicit"] is False
    assert parsed["cover_url"] == "https://example.org/tour/cover.png"
    first, river = parsed["episodes"]
    assert first["enclosures"] == [
        {
            "url": "https://example.org/tour/market-square.mp3?v=0123456789ab",
            "file_size": 123457,
            "mime_type": "audio/mpeg",
        }
    ]
    assert first["total_time"] == 754
    assert (first["number"], first["season"]) == (3, 2)
    assert [(c["start"], c["title"]) for c in first["chapters"]] == [
        (0, "Introduction"),
        (61, "The fountain"),
        (3723, "Stalls"),
    ]
    assert first["chapters"][1]["href"] == "https://example.org/f#x"
    # podcastparser knows podcast: only under an obsolete namespace URI, so the xpath test above
    # covers podcast:chapters and podcast:transcript.
    assert river["enclosures"][0]["url"] == "https://example.org/tour/river.mp3"
    assert river["total_time"] == 2


def test_feedparser_reads_the_feed_without_complaint():
    parsed = feedparser.parse(
        render_feed(GUIDE, [episode()], cover_file="cover.png", build_date=BUILD_DATE)
    )
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Old Town walk"
    entry = parsed.entries[0]
    assert entry.id == "urn:audioguide:market-square"
    assert entry.enclosures[0].href.endswith("market-square.mp3?v=0123456789ab")
    assert entry.itunes_duration == "754"


def test_explicit_is_written_as_true():
    guide = dataclasses.replace(GUIDE, explicit=True)
    feed = render_feed(guide, [episode()], cover_file="cover.png", build_date=BUILD_DATE)
    assert parse(feed).findtext("channel/itunes:explicit", namespaces=NAMESPACES) == "true"
    assert podcast(feed)["explicit"] is True


def test_without_base_url_links_are_relative_to_the_feed_folder():
    guide = dataclasses.replace(GUIDE, base_url="", link="")
    feed = render_feed(
        guide, [episode(audio_sha256="")], cover_file="cover.jpg", build_date=BUILD_DATE
    )
    channel = parse(feed).find("channel")
    assert channel.find("podcast:guid", NAMESPACES) is None
    assert channel.findtext("link") == "index.html"
    item = channel.find("item")
    assert item.find("enclosure").get("url") == "market-square.mp3"
    # Served from any folder, apps resolve each link against the feed's own URL.
    parsed = podcast(feed, "http://192.168.1.5:8000/guide/feed.xml")
    episode_ = parsed["episodes"][0]
    assert episode_["enclosures"][0]["url"] == "http://192.168.1.5:8000/guide/market-square.mp3"
    assert parsed["cover_url"] == "http://192.168.1.5:8000/guide/cover.jpg"


MARKUP = "<b>&\"'</b>"


@pytest.mark.parametrize("title", [MARKUP, "<&>\"'", "🎧🗺️", "Ünïcødé — “quoted” & ‘more’"])
def test_titles_with_markup_or_emoji_survive_exactly(title):
    mark = ChapterMark("01", title, 0, 5_000)
    guide = dataclasses.replace(GUIDE, title=title, author=title, description=title)
    feed = render_feed(
        guide,
        [episode(title=title, description=title, chapters=(mark,))],
        cover_file="cover.png",
        build_date=BUILD_DATE,
    )
    parsed = podcast(feed)
    assert parsed["title"] == title
    assert parsed["episodes"][0]["title"] == title
    assert parsed["episodes"][0]["chapters"][0]["title"] == title
    read = feedparser.parse(feed)
    assert not read.bozo
    assert read.feed.title == title
    assert read.entries[0].title == title
    assert read.feed.author == title
    # The show notes are HTML, so the description is escaped once inside them.
    assert (
        parse(feed)
        .findtext("channel/item/content:encoded", namespaces=NAMESPACES)
        .startswith("<p>")
    )


def test_characters_xml_cannot_carry_are_dropped_so_the_feed_still_parses():
    feed = render_feed(
        GUIDE, [episode(title="Bell\x07 tower\x0c")], cover_file="cover.png", build_date=BUILD_DATE
    )
    assert podcast(feed)["episodes"][0]["title"] == "Bell tower"


@pytest.mark.parametrize(
    ("url", "guid"),
    [
        # Vectors published with the Podcasting 2.0 guid tag.
        ("https://mp3s.nashownotes.com/pc20rss.xml", "917393e3-1b1e-5cef-ace4-edaa54e1f810"),
        ("podnews.net/rss/", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        ("https://podnews.net/rss////", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
    ],
)
def test_feed_guid_follows_the_podcasting_2_recipe(url, guid):
    assert feed_guid(url) == guid


def test_a_bad_pub_date_is_a_build_error():
    with pytest.raises(BuildError, match="market-square.*yesterday"):
        render_feed(
            GUIDE, [episode(pub_date="yesterday")], cover_file="cover.png", build_date=BUILD_DATE
        )


def test_chapters_json_has_the_podcasting_2_shape():
    document = json.loads(chapters_json(episode(), podcast_name="Old Town walk"))
    assert document["version"] == "1.2.0"
    assert (document["title"], document["podcastName"]) == ("The market square", "Old Town walk")
    assert document["chapters"][1] == {
        "startTime": 61.5,
        "endTime": 3723.25,
        "title": "The fountain",
        "url": "https://example.org/f#x",
    }
    assert "url" not in document["chapters"][0]


titles = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@st.composite
def chapter_lists(draw) -> tuple[ChapterMark, ...]:
    bounds = sorted(draw(st.sets(st.integers(0, 10 * 3600 * 1000), min_size=1, max_size=12)))
    names = draw(st.lists(titles, min_size=len(bounds), max_size=len(bounds)))
    links = draw(
        st.lists(
            st.none() | st.just("https://example.org/a?b=1&c=<2>"),
            min_size=len(bounds),
            max_size=len(bounds),
        )
    )
    ends = bounds[1:] + [bounds[-1] + 1000]
    return tuple(
        ChapterMark(str(n), name, start, end, link)
        for n, (name, start, end, link) in enumerate(
            zip(names, bounds, ends, links, strict=True), start=1
        )
    )


@given(chapter_lists())
def test_chapters_json_round_trips(chapters):
    read = read_chapters_json(chapters_json(episode(chapters=chapters)))
    assert read == chapters


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{}",
        b'{"chapters": 3}',
        b'{"chapters": [{"title": "x"}]}',
        b'{"chapters": [{"startTime": "0"}]}',
    ],
)
def test_malformed_chapters_json_is_refused(data):
    with pytest.raises(BuildError, match="^x.json: not a valid chapters file"):
        read_chapters_json(data, origin="x.json")


def test_webvtt_writes_exact_timestamps_and_escapes_markup():
    cues = (Cue(0, 1_250, "Fish & <chips>"), Cue(3_599_999, 3_723_004, "Line one\nline two"))
    assert webvtt(episode(cues=cues)) == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:01.250\nFish &amp; &lt;chips&gt;\n\n"
        "00:59:59.999 --> 01:02:03.004\nLine one line two\n"
    )


@st.composite
def cue_lists(draw) -> tuple[Cue, ...]:
    starts = sorted(draw(st.lists(st.integers(0, 10 * 3600 * 1000), max_size=10)))
    return tuple(Cue(start, start + draw(st.integers(0, 20_000)), draw(titles)) for start in starts)


@given(cue_lists())
def test_webvtt_round_trips(cues):
    read = read_webvtt(webvtt(episode(cues=cues)))
    assert read == tuple(dataclasses.replace(cue, text=" ".join(cue.text.split())) for cue in cues)


def test_read_webvtt_skips_identifiers_notes_and_tags():
    text = (
        "\ufeffWEBVTT - guide\r\n\r\nNOTE made by hand\r\n\r\n"
        "intro\r\n01:02.500 --> 01:03.000 align:start\r\n<v Ada>Hello</v> &amp; bye\r\n"
    )
    assert read_webvtt(text) == (Cue(62_500, 63_000, "Hello & bye"),)


@pytest.mark.parametrize(
    "text", ["", "00:00.000 --> 00:01.000\nno header", "WEBVTT\n\n00:00 --> soon\nx"]
)
def test_malformed_webvtt_is_refused(text):
    with pytest.raises(BuildError, match="^t.vtt: "):
        read_webvtt(text, origin="t.vtt")


@pytest.mark.parametrize(
    ("author", "email"), [("Ada Guide", "ada@example.org"), ("Ada Guide", ""), ("", "ada@example.org"), ("", "")]
)
def test_an_owner_always_has_the_email_the_w3c_validator_requires(author, email):
    # The W3C Feed Validator's rule: "Missing itunes:owner element: itunes:email".
    guide = dataclasses.replace(GUIDE, author=author, owner_email=email)
    channel = parse(render_feed(guide, [episode()], cover_file="cover.png", build_date=BUILD_DATE)).find("channel")
    owners = channel.findall("itunes:owner", NAMESPACES)
    assert len(owners) == (1 if email else 0)
    for owner in owners:
        assert owner.findtext("itunes:email", namespaces=NAMESPACES) == email
        assert owner.findtext("itunes:name", namespaces=NAMESPACES) == (author or None)
