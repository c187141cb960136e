"""The web app files as a build writes them: manifest, icons, worker, and their lint."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from audioguide import webapp
from audioguide.cover import prepare_cover
from audioguide.model import ChapterMark, Cue, Episode
from audioguide.player import offline_files
from audioguide.settings import GuideSettings

SETTINGS = GuideSettings(title="Old Town Walk: the long way round", description="Walls and gates.", language="de")


def episode(slug: str = "walk", sha: str = "ab" * 32) -> Episode:
    return Episode(
        slug=slug, guid=slug, title="Walk", description="", audio_file=f"{slug}.mp3", audio_bytes=1234,
        duration_ms=60_000, pub_date="2024-01-01T00:00:00+00:00",
        chapters=(ChapterMark("01", "Gate", 0, 30_000), ChapterMark("02", "Tower", 30_000, 60_000)),
        cues=(Cue(0, 1000, "Hello."),), audio_sha256=sha,
    )  # fmt: skip


def cover_png() -> bytes:
    """A cover whose edge is one colour and whose middle is another, to see where each goes."""
    picture = Image.new("RGB", (1400, 1400), (20, 60, 120))
    ImageDraw.Draw(picture).rectangle((300, 300, 1100, 1100), fill=(240, 180, 40))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return webapp.site_files(SETTINGS, "cover.png", cover_png(), "feed.xml", [episode()])


def worker_config(worker: bytes) -> dict:
    (config,) = re.findall(r"^var CONFIG = (.*);$", worker.decode(), flags=re.M)
    return json.loads(config)


def test_the_files_and_their_order(files):
    assert list(files) == [
        "icon-192.png", "icon-512.png", "icon-maskable-512.png", "manifest.webmanifest",
        "stops.html", "index.html", "service-worker.js",
    ]  # fmt: skip
    page = files["index.html"].decode()
    assert '<link rel="manifest" href="manifest.webmanifest">' in page
    theme = json.loads(files["manifest.webmanifest"])["theme_color"]
    assert f'<meta name="theme-color" content="{theme}">' in page
    assert '<html lang="de">' in page


def test_the_manifest_names_the_guide_and_its_icons(files):
    document = json.loads(files["manifest.webmanifest"])
    assert document["name"] == SETTINGS.title
    assert document["short_name"] == "Old Town"
    assert (document["start_url"], document["scope"], document["display"]) == ("index.html", "./", "standalone")
    assert document["lang"] == "de" and document["description"] == "Walls and gates."
    for icon in document["icons"]:
        picture = Image.open(io.BytesIO(files[icon["src"]]))
        assert (picture.format, icon["type"]) == ("PNG", "image/png")
        assert icon["sizes"] == f"{picture.width}x{picture.height}"
    assert [(i["sizes"], i["purpose"]) for i in document["icons"]] == [
        ("192x192", "any"), ("512x512", "any"), ("512x512", "maskable"),
    ]  # fmt: skip


def test_icons_are_the_cover_and_the_maskable_one_keeps_it_inside_the_safe_zone(files):
    plain = Image.open(io.BytesIO(files["icon-512.png"])).convert("RGB")
    maskable = Image.open(io.BytesIO(files["icon-maskable-512.png"])).convert("RGB")
    assert plain.getpixel((5, 5)) == (20, 60, 120) and plain.getpixel((256, 256)) == (240, 180, 40)
    assert maskable.getpixel((0, 0)) == (20, 60, 120)  # the margin continues the cover's edge
    assert maskable.getpixel((256, 256)) == (240, 180, 40)
    # The cover's yellow square (300-1100 of 1400) lands within the middle 80% of the icon.
    yellow = [x for x in range(512) if maskable.getpixel((x, 256)) == (240, 180, 40)]
    assert 51 <= yellow[0] and yellow[-1] <= 461
    assert json.loads(files["manifest.webmanifest"])["theme_color"] != "#000000"


def test_icons_from_a_generated_cover():
    cover, _ = prepare_cover(None, "A generated cover")
    files = webapp.site_files(GuideSettings(title="A generated cover"), "cover.png", cover, "feed.xml", [])
    assert Image.open(io.BytesIO(files["icon-192.png"])).size == (192, 192)
    assert worker_config(files["service-worker.js"])["episodes"] == {}


def test_the_worker_keeps_the_shell_and_knows_each_episodes_files(files):
    config = worker_config(files["service-worker.js"])
    assert config["shell"] == [
        "index.html", "icon-192.png", "icon-512.png", "icon-maskable-512.png", "manifest.webmanifest",
        "stops.html", "cover.png",
    ]  # fmt: skip
    assert config["episodes"] == {
        "walk": {"cache": "episode walk abababababab", "files": ["walk.mp3?v=abababababab", "walk.chapters.json", "walk.vtt"]}
    }
    assert config["episodes"]["walk"]["files"] == offline_files(episode())


def test_the_worker_changes_exactly_when_the_guide_does(files):
    again = webapp.site_files(SETTINGS, "cover.png", cover_png(), "feed.xml", [episode()])
    assert again == files  # the same build writes the same bytes: no-op rebuilds touch nothing
    rebuilt = webapp.site_files(SETTINGS, "cover.png", cover_png(), "feed.xml", [episode(sha="cd" * 32)])
    old, new = worker_config(files["service-worker.js"]), worker_config(rebuilt["service-worker.js"])
    assert old["version"] != new["version"]
    assert new["episodes"]["walk"]["cache"] == "episode walk cdcdcdcdcdcd"


@given(st.text(min_size=0, max_size=60))
def test_short_names_fit_under_an_icon(title):
    name = webapp.short_name(title)
    assert 0 < len(name) <= webapp.SHORT_NAME_CHARS and name == name.strip()
    if title.split() and len(title.split()[0]) <= webapp.SHORT_NAME_CHARS:
        assert " ".join(title.split()).startswith(name)


def publish(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def test_lint_passes_a_built_site_and_ignores_a_folder_without_a_player(files, tmp_path):
    assert webapp.lint_site(tmp_path) == []
    assert webapp.lint_site(publish(tmp_path / "site", files)) == []


def test_lint_names_what_stops_installing(files, tmp_path):
    folder = publish(tmp_path / "site", files)
    (folder / "service-worker.js").unlink()
    document = json.loads(files["manifest.webmanifest"])
    document["icons"][0]["sizes"] = "96x96"
    del document["short_name"]
    (folder / "manifest.webmanifest").write_text(json.dumps(document))
    (folder / "icon-512.png").write_bytes(b"not a png")
    assert webapp.lint_site(folder) == [
        ("service-worker.js", "missing: rebuild the guide to write it"),
        ("manifest.webmanifest", "has no short_name"),
        ("manifest.webmanifest", "icon icon-192.png says it is 96x96 but is 192x192 px"),
        ("manifest.webmanifest", "icon 'icon-512.png' is missing or not an image"),
        ("manifest.webmanifest", "no icon of at least 192 px: browsers will not install it"),
    ]
    (folder / "manifest.webmanifest").write_text("{not json")
    assert webapp.lint_site(folder)[-1][1].startswith("not valid JSON")
    (folder / "index.html").write_text("<!doctype html><title>old player</title>")
    (folder / "manifest.webmanifest").unlink()
    assert webapp.lint_site(folder) == [
        ("index.html", "does not link the web app manifest manifest.webmanifest"),
        ("service-worker.js", "missing: rebuild the guide to write it"),
        ("manifest.webmanifest", "missing: rebuild the guide to write it"),
    ]
