"""The player page in headless Chromium, served by the real server: lists, seeking, speed, memory."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw

from audioguide.player import render_player
from audioguide.serve import make_app
from tests.live_server import running_server, sine_mp3

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
GUIDE_TITLE = "Old Town <Walk> & “Tales” 🏰"
CHAPTER_TITLES = ["Welcome", "The <market> square", "Bridges & towers", "Goodbye"]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing (pip install playwright)")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)", allow_module_level=True)


def _episodes():
    from audioguide.model import ChapterMark, Cue, Episode

    def episode(slug, title, chapter_titles, seconds_each):
        step = seconds_each * 1000
        chapters = tuple(
            ChapterMark(f"{i:02d}", t, i * step, (i + 1) * step) for i, t in enumerate(chapter_titles)
        )
        cues = tuple(
            Cue(i * step // 2, (i + 1) * step // 2, f"Sentence {i + 1} of {title}.")
            for i in range(2 * len(chapter_titles))
        )
        return Episode(
            slug=slug, guid=slug, title=title, description="", audio_file=f"{slug}.mp3", audio_bytes=0,
            duration_ms=step * len(chapter_titles), pub_date="2024-01-01T00:00:00+00:00",
            chapters=chapters, cues=cues, audio_sha256="0123456789abcdef" * 4,
        )

    return [
        episode("old-town", "The old town: <walls> & gates", CHAPTER_TITLES, 5),
        episode("harbour", "The harbour", ["Boats", "Fish market"], 3),
    ]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """Two episodes of sine tones in an output folder served on loopback; yields (url, episodes, folder)."""
    out = tmp_path_factory.mktemp("player")
    episodes = _episodes()
    sine_mp3(out / "old-town.mp3", [330, 440, 550, 660], 5.0)
    sine_mp3(out / "harbour.mp3", [500, 700], 3.0)
    cover = Image.new("RGB", (600, 600), "#12355b")
    ImageDraw.Draw(cover).ellipse((120, 120, 480, 480), fill="#f2b134")
    cover.save(out / "cover.png")
    (out / "feed.xml").write_text("<rss version='2.0'><channel><title>t</title></channel></rss>")
    page = render_player(GUIDE_TITLE, "A walk through old streets, told by a calm voice.",
                         "cover.png", "feed.xml", episodes)
    (out / "index.html").write_text(page, encoding="utf-8")
    with running_server(make_app(out)) as url:
        yield url, episodes, out


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, site):
    url = site[0]
    context = browser.new_context(viewport={"width": 360, "height": 740})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []
    page.foreign_requests = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "request",
        lambda r: None if urlsplit(r.url).netloc == urlsplit(url).netloc else page.foreign_requests.append(r.url),
    )
    page.goto(url + "/")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    yield page
    context.close()


def audio_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def test_lists_episodes_and_chapters_with_text_escaped(page, site):
    episodes = site[1]
    assert page.locator("h1").inner_text() == GUIDE_TITLE
    assert page.locator("#episodes li .episode-title").all_inner_texts() == [e.title for e in episodes]
    buttons = page.locator("#chapters a[data-start]")
    assert buttons.locator(".chapter-title").all_inner_texts() == CHAPTER_TITLES
    starts = [float(buttons.nth(i).get_attribute("data-start")) for i in range(buttons.count())]
    assert starts == [c.start_ms / 1000 for c in episodes[0].chapters]
    assert page.locator("#transcript .cue").count() == len(episodes[0].cues)
    assert page.evaluate("document.getElementById('player').getAttribute('src')") == "old-town.mp3?v=0123456789ab"
    assert page.locator("#subscribe").get_attribute("href") == "feed.xml"
    assert page.errors == [] and page.foreign_requests == []


def test_tapping_a_chapter_seeks_and_follows_it(page, site):
    episodes = site[1]
    chapter = episodes[0].chapters[2]
    page.locator("#chapters a").nth(2).click()
    page.wait_for_function(
        f"(a => !a.seeking && Math.abs(a.currentTime - {chapter.start_ms / 1000}) < 0.5)"
        "(document.getElementById('player'))"
    )
    assert abs(audio_time(page) - chapter.start_ms / 1000) <= 0.5
    current = page.locator("#chapters a[aria-current='true'] .chapter-title")
    assert current.inner_text() == chapter.title
    assert page.locator("#now-chapter").inner_text() == chapter.title
    cue = next(c for c in episodes[0].cues if c.start_ms <= audio_time(page) * 1000 < c.end_ms)
    assert page.locator("#transcript .cue.current").inner_text() == cue.text
    metadata = page.evaluate(
        "(m => m && {title: m.title, artist: m.artist, album: m.album, art: m.artwork.length})"
        "(navigator.mediaSession.metadata)"
    )
    assert metadata == {"title": chapter.title, "artist": episodes[0].title, "album": GUIDE_TITLE, "art": 1}
    page.locator("#next-chapter").click()
    page.wait_for_function(
        f"(a => !a.seeking && Math.abs(a.currentTime - {episodes[0].chapters[3].start_ms / 1000}) < 0.5)"
        "(document.getElementById('player'))"
    )
    assert page.errors == []


def test_page_works_straight_from_disk(browser, site):
    episodes, folder = site[1], site[2]
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((folder / "index.html").as_uri())
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    assert page.locator("#chapters a").count() == len(episodes[0].chapters)
    assert abs(page.evaluate("document.getElementById('player').duration") - 20) < 0.5
    assert errors == []
    context.close()


def test_speed_and_position_survive_a_reload(page):
    page.select_option("#speed", "1.5")
    assert page.evaluate("document.getElementById('player').playbackRate") == 1.5
    page.locator("#forward").click()
    page.wait_for_function("(a => !a.seeking && a.currentTime >= 14)(document.getElementById('player'))")
    page.evaluate("document.getElementById('player').pause()")
    position = audio_time(page)
    page.reload()
    page.wait_for_function(
        f"(a => a.readyState >= 1 && !a.seeking && Math.abs(a.currentTime - {position}) < 0.5)"
        "(document.getElementById('player'))"
    )
    assert abs(audio_time(page) - position) < 0.5
    assert page.evaluate("document.getElementById('player').playbackRate") == 1.5
    assert page.locator("#speed").input_value() == "1.5"
    assert "left" in page.locator("#episodes li").first.inner_text()
    assert page.errors == []


def test_switching_episodes_loads_its_audio_and_chapters(page, site):
    episodes = site[1]
    page.locator("#episodes .episode").nth(1).click()
    page.wait_for_function("document.getElementById('player').src.includes('harbour.mp3')")
    assert page.locator("#chapters .chapter-title").all_inner_texts() == ["Boats", "Fish market"]
    selected = page.locator("#episodes .episode[aria-current='true'] .episode-title")
    assert selected.inner_text() == episodes[1].title
    assert page.locator("#now-episode").inner_text() == episodes[1].title


def test_screenshots_at_phone_width(browser, site):
    url = site[0]
    ARTIFACTS.mkdir(exist_ok=True)
    for scheme, name in (("light", "player-360.png"), ("dark", "player-360-dark.png")):
        context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme=scheme)
        page = context.new_page()
        page.goto(url + "/")
        page.wait_for_function("document.getElementById('player').readyState >= 1")
        page.locator("#chapters a").nth(1).click()
        page.evaluate("document.getElementById('player').pause()")
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        # Nothing may stick out sideways on a narrow phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        context.close()
    assert (ARTIFACTS / "player-360.png").stat().st_size > 1000
