"""The guide as a web app in headless Chromium: installable, controlled by its service worker,
playing kept episodes offline, opening deep links, and a stops sheet whose codes scan.

One small guide (twelve stops spoken by the `beeps` test engine, built for real) is served by the
real server. Playwright's `context.set_offline(True)` also fails the service worker's own fetches
in this Chromium (measured below); the offline test stops the server as well, so nothing could
answer but the cache.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from audioguide.build import BuildOptions, build
from audioguide.serve import make_app
from tests.live_server import running_server, running_static_server
from tests.test_player_browser import ARTIFACTS, CHROMIUM, browser  # noqa: F401 (browser: a fixture)

pytestmark = pytest.mark.browser

pytest.importorskip("playwright.sync_api", reason="playwright is missing (pip install playwright)")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)", allow_module_level=True)

PLUGINS = Path(__file__).resolve().parent / "plugins"
GUIDE = "Old Town Walk"
STOPS = [
    "Welcome", "The market square", "Town hall", "The old bridge", "Cathedral steps", "The clock tower",
    "Merchants' houses", "City walls", "The river gate", "The fish market", "Guild hall", "Goodbye",
]  # fmt: skip
AUDIO = "document.getElementById('player')"


def write_article(path: Path, stops: list[str], extra: str = "") -> Path:
    sections = "".join(
        f"## {title}\n\nHere we are at stop {n}, {title.lower()}. Look around and listen.{extra if n == 3 else ''}\n\n"
        for n, title in enumerate(stops, start=1)
    )
    path.write_text(f"# {GUIDE}\n\n{sections}", encoding="utf-8")
    return path


def build_guide(article: Path, output: Path, base_url: str, cache: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(PLUGINS))  # the beeps engine, as if installed
        build([article], BuildOptions(output, engine="beeps", voice="square", base_url=base_url, cache_dir=cache))


@dataclasses.dataclass(frozen=True)
class Site:
    url: str
    output: Path
    article: Path
    chapters: list[dict]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, session_cache: Path):
    """The twelve-stop guide, built with the address it is served at as its base URL."""
    root = tmp_path_factory.mktemp("webapp")
    output = root / "output"
    output.mkdir()
    article = write_article(root / "walk.md", STOPS)
    with running_server(make_app(output)) as url:
        build_guide(article, output, url + "/", session_cache)
        chapters = json.loads((output / "walk.chapters.json").read_text())["chapters"]
        yield Site(url, output, article, chapters)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    context.set_default_timeout(10_000)
    context.errors = []
    context.on("weberror", lambda error: context.errors.append(str(error.error)))
    yield context
    context.close()


def controlled_page(context, url: str):
    """A page of the guide after its worker installed and one reload, which the worker answered."""
    page = context.new_page()
    page.goto(url + "/")
    page.wait_for_function("navigator.serviceWorker.ready.then(r => !!r.active)")
    response = page.reload()
    assert response.from_service_worker
    assert page.evaluate("!!navigator.serviceWorker.controller")
    return page


def playing_within(page, start: float, end: float) -> float:
    """Wait until the audio plays inside [start, end) and its time moves on; return that time."""
    page.wait_for_function(f"(a => !a.paused && !a.seeking && a.currentTime >= {start})({AUDIO})")
    first = page.evaluate(f"{AUDIO}.currentTime")
    page.wait_for_function(f"(a => a.currentTime > {first} + 0.3)({AUDIO})")
    now = page.evaluate(f"{AUDIO}.currentTime")
    assert start <= first < now < end
    return now


def keep(page, slug: str = "walk") -> list[str]:
    """Tap the episode's offline control and wait until it is kept; returns the labels it showed."""
    page.evaluate(
        """slug => {
          window.labels = [];
          const button = document.querySelector(`[data-offline="${slug}"]`);
          new MutationObserver(() => window.labels.push(button.innerText.trim()))
            .observe(button, {subtree: true, childList: true, characterData: true});
        }""",
        slug,
    )
    page.click(f"[data-offline={slug}]")
    page.wait_for_function(f"document.querySelector('[data-offline={slug}]').dataset.state === 'kept'")
    return page.evaluate("window.labels")


def test_installable_and_controlled_after_one_reload(context, site):
    page = controlled_page(context, site.url)
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == site.url + "/manifest.webmanifest" and manifest["errors"] == []
    # Chromium's own verdict: installable, but for being in a private (incognito-like) context.
    errors = {e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]}
    assert errors <= {"in-incognito"}
    with urllib.request.urlopen(manifest["url"]) as response:
        assert response.headers["content-type"] == "application/manifest+json"
        document = json.load(response)
    assert (document["name"], document["short_name"], document["display"]) == (GUIDE, "Old Town", "standalone")
    assert document["start_url"] == "index.html" and re.fullmatch(r"#[0-9a-f]{6}", document["theme_color"])
    sides = []
    for icon in document["icons"]:
        with urllib.request.urlopen(f"{site.url}/{icon['src']}") as response:
            picture = Image.open(io.BytesIO(response.read()))
        assert icon["sizes"] == "{}x{}".format(*picture.size) and picture.format == "PNG"
        sides.append((picture.width, icon["purpose"]))
    assert sides == [(192, "any"), (512, "any"), (512, "maskable")]
    assert context.errors == []


def test_a_deep_link_plays_its_chapter_and_names_it(context, site):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site.url + "/index.html#walk/5")
    fifth, sixth = site.chapters[4], site.chapters[5]
    playing_within(page, fifth["startTime"], fifth["endTime"])
    metadata = page.evaluate("(m => [m.title, m.artist, m.album])(navigator.mediaSession.metadata)")
    assert metadata == ["Cathedral steps", GUIDE, GUIDE]
    links = page.locator("#chapters a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert links == [f"#walk/{n}" for n in range(1, len(STOPS) + 1)]
    page.click("#next-chapter")
    playing_within(page, sixth["startTime"], sixth["endTime"])
    page.wait_for_function("navigator.mediaSession.metadata.title === 'The clock tower'")
    page.click("#share")  # no Web Share in desktop Chromium: the link is copied
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Link copied')")
    assert page.evaluate("navigator.clipboard.readText()") == site.url + "/index.html#walk/6"
    page.evaluate("location.hash = '#walk/2'")  # a link followed inside the page
    playing_within(page, site.chapters[1]["startTime"], site.chapters[1]["endTime"])
    assert context.errors == []


@pytest.mark.parametrize("host", ["audioguide serve", "a plain static host"])
def test_a_kept_episode_plays_and_seeks_offline(context, site, host):
    audio = []
    server = running_server(make_app(site.output)) if host == "audioguide serve" else running_static_server(site.output)
    with server as url:
        page = controlled_page(context, url)
        page.on("response", lambda r: audio.append(r) if ".mp3" in r.url else None)
        labels = keep(page)
        assert any(re.fullmatch(r"\d+%", label) for label in labels), labels  # progress was shown
        assert re.search(r"kept offline, \d+ kB", page.locator("#episodes li").inner_text())
        assert "1 episode" in page.locator("#offline-summary").inner_text()
        context.set_offline(True)
        worker = context.service_workers[0]
        reach = "fetch('feed.xml', {cache: 'no-store'}).then(() => 'reached', () => 'failed')"
        assert worker.evaluate(reach) == "failed"  # set_offline covers the worker's own fetches too
    audio.clear()
    page.goto(url + "/index.html#walk/10")  # the server is gone as well
    tenth, third = site.chapters[9], site.chapters[2]
    playing_within(page, tenth["startTime"], tenth["endTime"])
    assert audio and all(r.from_service_worker and r.status == 206 for r in audio)
    page.locator("#chapters a").nth(2).click()
    playing_within(page, third["startTime"], third["endTime"])
    page.evaluate(f"{AUDIO}.pause()")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "player-offline-360.png"))  # the README's picture
    assert page.locator("#status").inner_text() == ""
    mp3 = (site.output / "walk.mp3").read_bytes()
    part = page.evaluate(
        f"""fetch({AUDIO}.src, {{headers: {{Range: 'bytes=1000-1999'}}}})
          .then(async r => [r.status, r.headers.get('content-range'), Array.from(new Uint8Array(await r.arrayBuffer()))])"""
    )
    assert part == [206, f"bytes 1000-1999/{len(mp3)}", list(mp3[1000:2000])]
    page.click("[data-offline=walk]")
    assert page.locator("[data-offline=walk]").inner_text() == "Remove?"
    page.click("[data-offline=walk]")
    page.wait_for_function("document.querySelector('[data-offline=walk]').dataset.state === 'none'")
    assert not [n for n in page.evaluate("caches.keys()") if " episode " in n]
    assert context.errors == []


def test_from_disk_the_page_plays_and_offers_no_keeping(context, site):
    page = context.new_page()
    page.goto((site.output / "index.html").as_uri() + "#walk/4")
    playing_within(page, site.chapters[3]["startTime"], site.chapters[3]["endTime"])
    assert page.locator("[data-offline]").is_hidden() and page.locator("#offline-summary").is_hidden()
    assert context.errors == []


def test_a_new_build_replaces_the_kept_copy(context, site, tmp_path, session_cache):
    output = Path(shutil.copytree(site.output, tmp_path / "output"))
    with running_server(make_app(output)) as url:
        page = controlled_page(context, url)
        keep(page)
        before = page.evaluate(f"{AUDIO}.getAttribute('src')")
        article = write_article(tmp_path / "walk.md", STOPS, extra=" Mind the step.")
        build_guide(article, output, url + "/", session_cache)
        page.reload()  # the browser finds the new worker, which keeps the new audio before it waits
        page.wait_for_selector("#update:not([hidden])")
        page.click("#update-now")
        page.wait_for_function(f"{AUDIO}.getAttribute('src') !== {before!r}")
        after = page.evaluate(f"{AUDIO}.getAttribute('src')")
        page.wait_for_function("document.querySelector('[data-offline=walk]').dataset.state === 'kept'")
        names = page.evaluate("caches.keys()")
    assert after.startswith("walk.mp3?v=") and after != before
    # The old copy and the old shell are gone: one kept episode, at the new version.
    assert [n.rsplit(" ", 1)[1] for n in names if " episode " in n] == [after.split("=")[1]]
    assert len([n for n in names if " shell " in n]) == 1
    assert context.errors == []


def test_the_stops_sheet_has_a_code_and_a_link_per_chapter(browser, site):
    zxingcpp = pytest.importorskip("zxingcpp")
    pdfium = pytest.importorskip("pypdfium2")
    context = browser.new_context(viewport={"width": 820, "height": 1100}, device_scale_factor=2)
    page = context.new_page()
    page.goto(site.url + "/stops.html")
    cards = page.locator(".card")
    assert cards.count() == len(STOPS)
    links = []
    for index, title in enumerate(STOPS):
        card = cards.nth(index)
        link = card.locator("a.link").get_attribute("href")
        assert link == f"{site.url}/index.html#walk/{index + 1}"
        assert card.locator(".number").inner_text() == f"Stop {index + 1}"
        assert card.locator(".title").inner_text() == title
        picture = Image.open(io.BytesIO(card.locator("svg.qr").screenshot()))
        assert [code.text for code in zxingcpp.read_barcodes(picture)] == [link]
        links.append(link)
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "stops-sheet.png"))
    for paper in ("A4", "Letter"):
        document = pdfium.PdfDocument(page.pdf(format=paper))
        pages = ["".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document))]
        for index, link in enumerate(links):
            # Each card whole on one page: its number, title and link are printed together.
            whole = f"Stop{index + 1}{''.join(STOPS[index].split())}"
            assert [p for p in pages if whole in p and link in p] != [], (paper, index)
        assert sum(len(re.findall(r"Stop\d+", p)) for p in pages) == len(STOPS)
    context.close()
