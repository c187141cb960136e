"""Guides built from where content lives: page URLs, RSS and Atom feeds, EPUBs, over real HTTP on
127.0.0.1. The MP3s are read back by mutagen, the feed by feedparser and podcastparser.

Builds speak with the `beeps` test engine: what is under test is which texts become which
episodes and chapters, not the voice.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import podcastparser
import pytest
from click.testing import CliRunner
from PIL import Image

from audioguide.build import BuildOptions, build
from audioguide.cli import cli
from audioguide.errors import AudioguideError
from audioguide.guide import load_guide
from audioguide.plan import dry_run
from audioguide.tags import read_chapters
from tests.books import cover_jpeg, make_epub
from tests.test_feeds import atom, post, rss

REPO = Path(__file__).resolve().parent.parent
NAV = "<header><nav><a href='/'>Home</a> <a href='/about'>About the bakery</a></nav></header>"
FOOTER = "<footer><p>Copyright 2024 The Bread Blog. Subscribe to our newsletter.</p></footer>"


def page(title: str, sections: dict[str, str]) -> str:
    body = "".join(f"<h2>{heading}</h2><p>{text}</p>" for heading, text in sections.items())
    return (f"<!DOCTYPE html><html lang='en'><head><title>{title} | The Bread Blog</title></head><body>"
            f"{NAV}<main><article><h1>{title}</h1><p>An opening line about {title.lower()}.</p>{body}"
            f"</article></main><aside class='sidebar'><h2>Popular posts</h2><p>Ten loaves to try.</p></aside>"
            f"{FOOTER}</body></html>")


@pytest.fixture
def beeps(plugins, tmp_path) -> BuildOptions:
    return BuildOptions(output_dir=tmp_path / "out", engine="beeps", voice="square", cache_dir=tmp_path / "cache")


def _stamps(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.glob("*.mp3"))}


def _feed(folder: Path):
    parsed = feedparser.parse((folder / "feed.xml").read_bytes())
    assert not parsed.bozo
    return parsed


def test_a_page_url_builds_a_guide_whose_chapters_are_its_headings(site, beeps):
    site.add("/2024/rye-bread.html", "text/html; charset=utf-8",
             page("Rye Bread", {"Choosing the flour": "Dark rye flour holds water.",
                                "Baking it slowly": "Bake it for two hours."}))
    url = site.url + "/2024/rye-bread.html"
    report = build([url], beeps)
    (episode,) = report.episodes
    assert episode.slug == "rye-bread"
    chapters = read_chapters(beeps.output_dir / "rye-bread.mp3")
    assert [c.title for c in chapters] == ["Rye Bread", "Choosing the flour", "Baking it slowly"]
    (item,) = _feed(beeps.output_dir).entries
    assert (item.title, item.link) == ("Rye Bread", url)
    transcript = (beeps.output_dir / "rye-bread.vtt").read_text(encoding="utf-8")
    assert "Dark rye flour holds water." in transcript
    assert "About the bakery" not in transcript and "newsletter" not in transcript
    assert "Popular posts" not in transcript


PEP = """PEP: 9999
Title: Rye as a Builtin
Author: Ann Baker

Abstract

    This PEP proposes that every loaf be made of rye.

Specification

    The loaf is baked slowly:

        def bake(loaf):
            return loaf.heat(hours=2)

    It rests overnight before it is cut.
"""


@pytest.mark.parametrize(("path", "content_type", "body", "chapters", "said", "unsaid"), [
    # A PEP or an RFC as .txt: indentation is its structure, its code is not read.
    ("/peps/pep-9999.txt", "text/plain; charset=utf-8", PEP.encode(),
     ["Abstract", "Specification"], "It rests overnight before it is cut.", "loaf.heat"),
    # A README as raw hosts serve it: text/plain, named .md, in the charset the header gives.
    ("/raw/main/README.md", "text/plain; charset=iso-8859-1",
     "# Crème brûlée\n\nA custard.\n\n## Burning the sugar\n\nUse a torch.\n".encode("latin-1"),
     ["Crème brûlée", "Burning the sugar"], "Use a torch.", "##"),
    # Markdown by its type, whatever the name.
    ("/notes/loaf", "text/markdown", b"# Loaf\n\nIntro.\n\n## Crust\n\nDark `crust()` here.\n",
     ["Loaf", "Crust"], "Dark crust here.", "`"),
])
def test_a_text_file_url_is_read_by_its_format(site, beeps, path, content_type, body, chapters, said, unsaid):
    site.add(path, content_type, body)
    report = build([site.url + path], beeps)
    (episode,) = report.episodes
    assert [c.title for c in read_chapters(beeps.output_dir / f"{episode.slug}.mp3")] == chapters
    transcript = (beeps.output_dir / f"{episode.slug}.vtt").read_text(encoding="utf-8")
    assert said in transcript and unsaid not in transcript
    assert _feed(beeps.output_dir).entries[0].link == site.url + path


def _picture(side: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), colour).save(out, "JPEG")
    return out.getvalue()


def _feed_image(url: str) -> str:
    return f"<image><url>{url}</url><title>The Bread Blog</title><link>https://bread.example/</link></image>"


def test_a_feeds_image_becomes_the_guides_artwork(site, beeps):
    site.add("/art.jpg", "image/jpeg", _picture(1600, (200, 30, 30)))
    site.add("/feed", "application/rss+xml", rss([post(1)], extra=_feed_image(site.url + "/art.jpg")))
    report = build([site.url + "/feed"], beeps)
    assert not report.notes
    with Image.open(beeps.output_dir / "cover.jpg") as art:
        assert art.size == (1600, 1600)
        assert art.getpixel((800, 800)) == pytest.approx((200, 30, 30), abs=3)
    assert _feed(beeps.output_dir).feed.image.href.endswith("cover.jpg")


@pytest.mark.parametrize(("path", "body", "content_type", "said"), [
    ("/logo.jpg", _picture(144, (200, 30, 30)), "image/jpeg", "is 144x144 px, too small for artwork"),
    ("/gone.jpg", None, "", "HTTP 404"),
    ("/page.jpg", b"<html></html>", "text/html", "not an image (the server says text/html)"),
])
def test_a_feed_image_that_cannot_serve_as_artwork_leaves_a_drawn_cover(site, beeps, path, body, content_type, said):
    if body is not None:
        site.add(path, content_type, body)
    site.add("/feed", "application/rss+xml", rss([post(1)], extra=_feed_image(site.url + path)))
    report = build([site.url + "/feed"], beeps)
    (note,) = report.notes
    assert said in note and note.endswith("a cover is drawn from the title")
    assert (beeps.output_dir / "cover.png").exists() and not (beeps.output_dir / "cover.jpg").exists()


def test_an_rss_feed_builds_an_episode_per_post_and_a_new_post_adds_one(site, beeps):
    site.add("/feed", "application/rss+xml", rss([post(1), post(2), post(3)]))
    first = build([site.url + "/feed"], beeps)
    assert [e.slug for e in first.episodes] == ["p-3", "p-2", "p-1"]
    before, feed_before = _stamps(beeps.output_dir), _feed(beeps.output_dir)
    guids = {e.title: e.id for e in feed_before.entries}
    assert len(set(guids.values())) == 3
    assert (feed_before.feed.title, feed_before.feed.author, feed_before.feed.language) == (
        "The Bread Blog", "Ann Baker", "en-GB")
    newest = feed_before.entries[0]
    assert newest.published_parsed[:5] == (2024, 3, 4, 9, 0)  # the post's date, not the build's
    assert "itunes_episode" not in newest  # posts have dates, not numbers

    site.add("/feed", "application/rss+xml", rss([post(1), post(2), post(3), post(4)]))
    second = build([site.url + "/feed"], beeps)
    assert [(e.slug, e.rebuilt) for e in second.episodes] == [
        ("p-4", True), ("p-3", False), ("p-2", False), ("p-1", False)]
    after = _stamps(beeps.output_dir)
    assert {name: after[name] for name in before} == before
    assert set(after) - set(before) == {"p-4.mp3"}
    feed_after = _feed(beeps.output_dir)
    assert {e.title: e.id for e in feed_after.entries if e.title in guids} == guids
    assert [e.title for e in feed_after.entries] == ["Loaf 4", "Loaf 3", "Loaf 2", "Loaf 1"]
    assert [e["title"] for e in podcastparser.parse(site.url, open(beeps.output_dir / "feed.xml", "rb"))["episodes"]] \
        == ["Loaf 4", "Loaf 3", "Loaf 2", "Loaf 1"]


def test_an_edited_post_respeaks_only_the_changed_section(site, beeps):
    edited = post(2, html="<h2>Flour 2</h2><p>Loaf 2 needs flour.</p><h2>Water</h2><p>Add water.</p>")
    site.add("/feed", "application/rss+xml", rss([post(1), edited]))
    build([site.url + "/feed"], beeps)
    edited["html"] = edited["html"].replace("Add water.", "Add warm water slowly.")
    site.add("/feed", "application/rss+xml", rss([post(1), edited]))
    report = build([site.url + "/feed"], beeps)
    assert [(e.slug, e.rebuilt, e.spoken) for e in report.episodes] == [("p-2", True, 1), ("p-1", False, 0)]


def test_a_post_gone_from_the_feed_stays_unless_pruned(site, beeps):
    site.add("/feed", "application/rss+xml", rss([post(1), post(2), post(3)]))
    build([site.url + "/feed"], beeps)
    site.add("/feed", "application/rss+xml", rss([post(2), post(3)]))
    report = build([site.url + "/feed"], beeps)
    assert [e.slug for e in report.episodes] == ["p-3", "p-2"]
    assert any("kept 1 episode(s)" in note and "p-1" in note for note in report.notes)
    assert [e.title for e in _feed(beeps.output_dir).entries] == ["Loaf 3", "Loaf 2", "Loaf 1"]
    assert (beeps.output_dir / "p-1.mp3").exists()
    latest = build([site.url + "/feed"], BuildOptions(**{**beeps.__dict__, "latest": 1}))
    assert [e.slug for e in latest.episodes] == ["p-3"]
    assert len(_feed(beeps.output_dir).entries) == 3
    pruned = build([site.url + "/feed"], BuildOptions(**{**beeps.__dict__, "latest": 1, "prune": True}))
    assert [e.slug for e in pruned.episodes] == ["p-3"]
    assert [e.title for e in _feed(beeps.output_dir).entries] == ["Loaf 3"]
    assert sorted(p.name for p in beeps.output_dir.glob("*.mp3")) == ["p-3.mp3"]


def test_an_atom_feed_of_summaries_is_read_from_the_linked_pages(site, beeps):
    site.add("/rye", "text/html", page("Rye", {"Sourness": "Rye loves a sour start."}))
    site.add("/spelt", "text/html", page("Spelt", {"Age": "Spelt is an old wheat."}))
    entries = "".join(
        f'<entry><title>{name.title()}</title><id>tag:bread.example,2024:{name}</id>'
        f'<updated>2024-03-0{day}T00:00:00Z</updated><link href="{site.url}/{name}"/>'
        f"<summary>A short note on {name}.</summary></entry>"
        for day, name in ((1, "rye"), (2, "spelt")))
    site.add("/atom", "application/atom+xml", atom(entries))
    report = build([site.url + "/atom"], beeps)
    assert [e.slug for e in report.episodes] == ["spelt", "rye"]
    assert [c.title for c in read_chapters(beeps.output_dir / "rye.mp3")] == ["Rye", "Sourness"]
    transcript = (beeps.output_dir / "rye.vtt").read_text(encoding="utf-8")
    assert "Rye loves a sour start." in transcript
    for chrome in ("Home", "About the bakery", "Popular posts", "Copyright", "newsletter"):
        assert chrome not in transcript
    feed = _feed(beeps.output_dir)
    assert (feed.feed.title, feed.feed.author, feed.feed.language) == ("Le Fournil", "Jean Mie", "fr")
    assert [e.summary for e in feed.entries] == ["A short note on spelt.", "A short note on rye."]


def test_a_three_chapter_epub_builds_in_order_with_the_books_title_author_and_cover(tmp_path, beeps):
    book = tmp_path / "bakers-year.epub"
    book.write_bytes(make_epub([("Sowing", ["Seeds go into the cold ground."]),
                                ("Growing", ["Wheat grows tall by June."]),
                                ("Harvest", ["We reap in August."])], cover=cover_jpeg()))
    (episode,) = build([book], beeps).episodes
    assert [c.title for c in read_chapters(beeps.output_dir / f"{episode.slug}.mp3")] == [
        "Sowing", "Growing", "Harvest"]
    feed = _feed(beeps.output_dir)
    assert (feed.feed.title, feed.feed.author) == ("The Baker's Year", "Ann Baker")
    with Image.open(beeps.output_dir / "cover.jpg") as art:
        assert art.size == (1400, 1400)
        assert art.getpixel((700, 700)) == pytest.approx((40, 90, 160), abs=3)  # the book's own cover


def test_an_epub_without_a_table_of_contents_takes_titles_from_headings(tmp_path, beeps):
    book = tmp_path / "notes.epub"
    book.write_bytes(make_epub([("First Notes", ["One."]), ("Second Notes", ["Two."])], toc=False, version=2))
    (plan,) = dry_run([book])
    assert [s.title for s in plan.sections] == ["First Notes", "Second Notes"]


def test_split_of_a_feed_writes_scripts_and_keeps_hand_edits(site, tmp_path):
    site.add("/feed", "application/rss+xml", rss([post(1), post(2)]))
    scripts = tmp_path / "scripts"
    runner = CliRunner(mix_stderr=False)
    result = runner.invoke(cli, ["split", site.url + "/feed", "--scripts-dir", str(scripts)])
    assert result.exit_code == 0, result.output + result.stderr
    assert sorted(p.name for p in scripts.iterdir()) == ["guide.toml", "p-1", "p-2"]
    assert 'title = "The Bread Blog"' in (scripts / "guide.toml").read_text(encoding="utf-8")
    episode_toml = (scripts / "p-2" / "episode.toml").read_text(encoding="utf-8")
    assert 'date = "2024-03-03T09:00:00+00:00"' in episode_toml
    assert 'guid = "https://bread.example/?p=2"' in episode_toml
    script = scripts / "p-2" / "01-flour-2.txt"
    script.write_text(script.read_text(encoding="utf-8").replace("needs flour", "needs good flour"), encoding="utf-8")
    changed = post(2, html="<h2>Flour 2</h2><p>Loaf 2 needs rye flour.</p>")
    site.add("/feed", "application/rss+xml", rss([post(1), changed]))
    again = runner.invoke(cli, ["split", site.url + "/feed", "--scripts-dir", str(scripts), "--latest", "1"])
    assert again.exit_code == 0
    assert "needs good flour" in script.read_text(encoding="utf-8")
    assert "Kept p-2/01-flour-2.txt: edited by hand" in again.stderr
    guide = load_guide([scripts])
    assert [(s.settings.slug, s.settings.guid) for s in guide.sources] == [
        ("p-1", "https://bread.example/?p=1"), ("p-2", "https://bread.example/?p=2")]


def test_split_of_an_epub_keeps_its_cover_as_the_guides_artwork(tmp_path):
    book = tmp_path / "year.epub"
    book.write_bytes(make_epub([("Sowing", ["Seeds."])], cover=cover_jpeg()))
    scripts = tmp_path / "scripts"
    assert CliRunner().invoke(cli, ["split", str(book), "--scripts-dir", str(scripts)]).exit_code == 0
    assert 'image = "cover.jpg"' in (scripts / "guide.toml").read_text(encoding="utf-8")
    with Image.open(scripts / "cover.jpg") as art:
        assert art.size == (1400, 1400)


def test_dry_run_of_a_url_fetches_and_shows_sections(site):
    site.add("/post", "text/html", page("Rye", {"Sourness": "Rye loves a sour start."}))
    result = CliRunner().invoke(cli, ["build", "--dry-run", site.url + "/post"])
    assert result.exit_code == 0
    assert "Rye (post)" in result.output and "Sourness" in result.output


def test_an_unreachable_url_fails_fast_in_one_line_and_touches_nothing(site, beeps, tmp_path):
    site.add("/feed", "application/rss+xml", rss([post(1)]))
    build([site.url + "/feed"], beeps)
    output = beeps.output_dir
    before = {p.name: p.stat().st_mtime_ns for p in output.iterdir()}
    for url in ("http://127.0.0.1:9/post", "http://no-such-host.invalid/feed.xml"):
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "audioguide", "build", url, "-o", str(output)],
                              capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert time.monotonic() - started < 20
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"Error: {url}: "), done.stderr
        assert "Traceback" not in done.stderr
    assert {p.name: p.stat().st_mtime_ns for p in output.iterdir()} == before


def test_bad_sources_are_refused_before_any_work(site, tmp_path):
    site.add("/pdf", "application/pdf", b"%PDF-1.7")
    site.add("/svg", "image/svg+xml", b"<svg/>")
    site.add("/xml", "application/xml", b"<?xml version='1.0'?><catalog><book/></catalog>")
    notes = tmp_path / "notes.epub"
    notes.write_text("not a book", encoding="utf-8")
    refused_pdf = "not an HTML page, a feed, an EPUB or a text file (the server says application/pdf)"
    for source, message in ((site.url + "/pdf", refused_pdf),
                            (site.url + "/svg", "the server says image/svg+xml"),
                            (site.url + "/xml", "XML, but neither an RSS nor an Atom feed"),
                            (str(notes), "notes.epub: not an EPUB (not a zip archive)")):
        with pytest.raises(AudioguideError) as caught:
            load_guide([source])
        assert message in str(caught.value)


@pytest.mark.parametrize("command", ["split", "build"])
def test_bad_sources_give_one_line_errors_on_the_command_line(site, tmp_path, command):
    site.add("/big-feed", "application/rss+xml",
             rss([{"title": f"P{n}", "guid": f"p{n}", "day": n, "summary": "S."} for n in range(300)]))
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]>'
                     b'<rss version="2.0"><channel><title>&b;</title></channel></rss>')
    empty_book = tmp_path / "empty.epub"
    empty_book.write_bytes(make_epub([("Blank", [])], toc=False))
    cases = {site.url + "/big-feed": "holds 300 entries; take the newest with --latest N",
             str(bomb): "declares XML entities", str(empty_book): "no narratable text found",
             site.url + "/missing": "HTTP 404 Not Found"}
    runner = CliRunner(mix_stderr=False)
    for source, message in cases.items():
        extra = ["--output", str(tmp_path / "out")] if command == "build" else ["--scripts-dir", str(tmp_path / "s")]
        result = runner.invoke(cli, [command, source, *extra])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"Error: {source}: ") and message in line
    assert not (tmp_path / "out").exists() and not (tmp_path / "s").exists()


def test_a_date_in_episode_settings_must_be_a_date(tmp_path):
    scripts = tmp_path / "scripts"
    (scripts / "rye").mkdir(parents=True)
    (scripts / "guide.toml").write_text('title = "Bread"\n', encoding="utf-8")
    (scripts / "rye" / "episode.toml").write_text('title = "Rye"\nslug = "rye"\ndate = "last Tuesday"\n',
                                                  encoding="utf-8")
    with pytest.raises(AudioguideError, match="date 'last Tuesday' is not a date and time"):
        load_guide([scripts])
