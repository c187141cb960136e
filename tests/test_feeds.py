"""Feeds read into one document per entry: RSS and Atom, linked pages over real HTTP, bad feeds."""

from __future__ import annotations

from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

import feedparser
import pytest

from audioguide.errors import SourceError
from audioguide.sources import is_source, open_source, sniff
from audioguide.sources.feeds import MAX_ENTRIES, read_feed

START = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)


def rss(posts: list[dict], *, title: str = "The Bread Blog", extra: str = "") -> bytes:
    """An RSS 2.0 feed of `posts` (title, guid, days after START, html, optional summary/link)."""
    items = []
    for post in posts:
        parts = [f"<title>{escape(post['title'])}</title>", f"<guid>{escape(post['guid'])}</guid>",
                 f"<pubDate>{format_datetime(START + timedelta(days=post['day']))}</pubDate>"]
        if "link" in post:
            parts.append(f"<link>{escape(post['link'])}</link>")
        if "summary" in post:
            parts.append(f"<description>{escape(post['summary'])}</description>")
        if "html" in post:
            parts.append(f"<content:encoded><![CDATA[{post['html']}]]></content:encoded>")
        items.append("<item>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>https://bread.example/</link>"
        "<description>Loaves &amp; crumbs</description><language>en-gb</language>"
        "<managingEditor>ann@bread.example (Ann Baker)</managingEditor>"
        f"{extra}{''.join(items)}</channel></rss>"
    ).encode()


def post(n: int, **more) -> dict:
    return {"title": f"Loaf {n}", "guid": f"https://bread.example/?p={n}", "day": n,
            "html": f"<h2>Flour {n}</h2><p>Loaf {n} needs flour.</p>", **more}


def atom(entries: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">'
        "<title>Le Fournil</title><subtitle>Pains</subtitle><id>urn:uuid:0d4c7a7e-1c7e-4a4f-9d55-1b2c3d4e5f60</id>"
        "<updated>2024-03-05T00:00:00Z</updated><author><name>Jean Mie</name></author>"
        f"{entries}</feed>"
    ).encode()


def test_an_rss_feed_is_one_document_per_entry_newest_first():
    origin = read_feed(rss([post(1), post(3), post(2)]), "bread.xml")
    assert (origin.kind, origin.title, origin.author, origin.language, origin.description) == (
        "feed", "The Bread Blog", "Ann Baker", "en-gb", "Loaves & crumbs")
    assert [d.title for d in origin.documents] == ["Loaf 3", "Loaf 2", "Loaf 1"]
    newest = origin.documents[0]
    assert (newest.slug, newest.guid, newest.author) == ("p-3", "https://bread.example/?p=3", "Ann Baker")
    assert newest.date == "2024-03-04T09:00:00+00:00"
    assert newest.parts[0].text == "<h2>Flour 3</h2><p>Loaf 3 needs flour.</p>"
    assert read_feed(rss([post(1), post(3), post(2)]), "bread.xml", latest=2).documents == origin.documents[:2]


def test_slugs_come_from_ids_and_stay_put_as_the_feed_grows():
    ids = ["https://blog.example/2024/05/first-post/", "tag:blog.example,2024:post-7",
           "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", "https://blog.example/index.php?p=42",
           "https://blog.example/posts/spring.html"]
    posts = [{"title": f"T{i}", "guid": guid, "day": -i, "html": "<p>Text.</p>"} for i, guid in enumerate(ids)]
    slugs = [d.slug for d in read_feed(rss(posts), "f.xml").documents]
    assert slugs == ["2024-05-first-post", "post-7", "1225c695-cfb8-4ebb-aaaa-80da344efa6a",
                     "p-42", "posts-spring"]
    grown = [{"title": "New", "guid": "https://blog.example/new/", "day": 5, "html": "<p>New.</p>"}, *posts]
    assert [d.slug for d in read_feed(rss(grown), "f.xml").documents] == ["new", *slugs]


def test_two_ids_with_one_slug_keep_the_older_plain():
    posts = [{"title": "Old", "guid": "tag:a.example,2020:intro", "day": 1, "html": "<p>Old.</p>"},
             {"title": "New", "guid": "tag:b.example,2024:intro", "day": 2, "html": "<p>New.</p>"}]
    new, old = read_feed(rss(posts), "f.xml").documents
    assert old.slug == "intro"
    assert new.slug.startswith("intro-") and len(new.slug) == len("intro-") + 8


def test_duplicate_entry_ids_are_noted_and_read_once():
    origin = read_feed(rss([post(1), post(1), post(2)]), "bread.xml")
    assert [d.slug for d in origin.documents] == ["p-2", "p-1"]
    assert origin.notes == ("bread.xml: 2 entries share the id 'https://bread.example/?p=1'; kept the first",)


def test_atom_content_of_every_kind_is_read():
    origin = read_feed(atom(
        '<entry><title>Un</title><id>tag:fournil.example,2024:un</id><updated>2024-03-02T00:00:00Z</updated>'
        '<link href="https://fournil.example/un"/><content type="html">&lt;p&gt;Premier.&lt;/p&gt;</content></entry>'
        '<entry><title>Deux</title><id>tag:fournil.example,2024:deux</id><updated>2024-03-03T00:00:00Z</updated>'
        '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Second <b>pain</b>.</p></div></content></entry>'
        '<entry><title>Trois</title><id>tag:fournil.example,2024:trois</id><updated>2024-03-04T00:00:00Z</updated>'
        '<content type="text">Troisième &amp; dernier.</content></entry>'), "fournil.atom")
    assert (origin.title, origin.author, origin.language, origin.description) == (
        "Le Fournil", "Jean Mie", "fr", "Pains")
    trois, deux, un = origin.documents
    assert (trois.parts[0].fmt, trois.parts[0].text) == ("text", "Troisième & dernier.")
    assert "<b>pain</b>" in deux.parts[0].text and deux.parts[0].fmt == "html"
    assert (un.link, deux.link) == ("https://fournil.example/un", "")  # never the tag: id
    assert un.guid == "tag:fournil.example,2024:un" and un.language == "fr"


def test_an_entry_with_only_a_summary_is_read_from_its_page(site):
    site.add("/rye", "text/html", "<html><body><nav>Home | About</nav><article><h1>Rye</h1>"
             "<p>Rye bread is dense.</p></article></body></html>")
    feed = rss([{"title": "Rye", "guid": "rye", "day": 1, "link": site.url + "/rye", "summary": "Dense bread."}])
    (document,) = read_feed(feed, "bread.xml").documents
    assert document.parts[0].text.startswith("<html><body><nav>")
    assert (document.link, document.description) == (site.url + "/rye", "Dense bread.")
    assert site.requests == ["/rye"]


def test_a_page_that_fails_falls_back_to_the_summary_or_fails_in_one_line(site):
    feed = rss([{"title": "Gone", "guid": "gone", "day": 1, "link": site.url + "/gone", "summary": "Gone bread."}])
    origin = read_feed(feed, "bread.xml")
    assert origin.documents[0].parts[0].text == "Gone bread."
    assert origin.notes == (f"bread.xml: entry 'Gone': read its summary, as its page failed "
                            f"({site.url}/gone: HTTP 404 Not Found)",)
    bare = rss([{"title": "Gone", "guid": "gone", "day": 1, "link": site.url + "/gone"}])
    with pytest.raises(SourceError, match=r"^bread.xml: entry 'Gone': http://.*/gone: HTTP 404 Not Found$"):
        read_feed(bare, "bread.xml")


def test_a_feed_is_told_by_its_content_not_its_name(tmp_path):
    odd = tmp_path / "posts.txt"
    odd.write_bytes(rss([post(1)]))
    page = tmp_path / "page.xml"
    page.write_text("<!DOCTYPE html><html><body><p>Hi</p></body></html>", encoding="utf-8")
    assert is_source(odd) and not is_source(page) and not is_source(tmp_path / "missing.xml")
    assert open_source(odd).documents[0].slug == "p-1"
    assert sniff(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- made by hand -->\n<feed xmlns='x'>") == "feed"
    assert sniff("<rss>".encode("utf-16")) == "feed"


BOMB = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(8))
        + b']><rss version="2.0"><channel><title>&i;</title></channel></rss>')


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BOMB, "declares XML entities; refused"),
        (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
         b'<rss version="2.0"><channel><title>&x;</title></channel></rss>', "declares XML entities; refused"),
        (b'<rss version="2.0"><channel><title>Bread & butter</title></channel></rss>', "not well-formed XML"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "neither an RSS nor an Atom feed"),
        (b'<rss version="2.0"><channel><title>Empty</title></channel></rss>', "no entries to read"),
    ],
    ids=["entity-bomb", "external-entity", "not-xml", "not-a-feed", "empty"],
)
def test_bad_feeds_get_one_line(data, message):
    with pytest.raises(SourceError, match=f"^bad.xml: .*{message}") as caught:
        read_feed(data, "bad.xml")
    assert "\n" not in str(caught.value)


def test_an_external_dtd_is_never_fetched(site):
    feed = rss([post(1)]).replace(b"<rss", f'<!DOCTYPE rss SYSTEM "{site.url}/evil.dtd">\n<rss'.encode(), 1)
    assert feedparser.parse(feed).get("version") == "rss20"
    assert [d.slug for d in read_feed(feed, "f.xml").documents] == ["p-1"]
    assert site.requests == []


def test_a_huge_feed_needs_latest():
    # Counted before feedparser reads it (which takes seconds for 10,000 entries).
    posts = [{"title": f"P{n}", "guid": f"https://b.example/p/{n}", "day": n, "summary": "Short."}
             for n in range(10_000)]
    feed = rss(posts)
    with pytest.raises(SourceError, match=f"holds 10000 entries; take the newest with --latest N "
                                          rf"\(at most {MAX_ENTRIES} without it\)"):
        read_feed(feed, "huge.xml")
