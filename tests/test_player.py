"""The player page as a static document: escaping, the embedded data, no outside requests."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from audioguide.model import ChapterMark, Cue, Episode
from audioguide.player import audio_url, deep_link, offline_files, render_player, script_json


class Outline(HTMLParser):
    """What a browser's parser sees: elements with their attributes, and each script's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts.append((dict(attrs), ""))
        self._open.append(dict(attrs).get("id") or tag)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        if self.scripts and self._open and self._open[-1] in ("script", "guide-data"):
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif self._open:
            self.text[self._open[-1]] = self.text.get(self._open[-1], "") + data


def episode(title: str = "Walk", text: str = "Hello.", sha: str = "") -> Episode:
    return Episode(
        slug="walk", guid="g", title=title, description="", audio_file="walk.mp3", audio_bytes=1,
        duration_ms=90_000, pub_date="2024-01-01T00:00:00+00:00",
        chapters=(ChapterMark("01", title, 0, 45_000), ChapterMark("02", "Two", 45_000, 90_000)),
        cues=(Cue(0, 1500, text),), audio_sha256=sha,
    )


def parse(page: str) -> Outline:
    outline = Outline()
    outline.feed(page)
    return outline


def embedded(outline: Outline) -> dict:
    (text,) = [text for attrs, text in outline.scripts if attrs.get("id") == "guide-data"]
    return json.loads(text)


def test_hostile_text_stays_text():
    hostile = "</script><script>alert(1)</script> <!-- & \"quotes\" 'x' 🏰 \u2028"
    page = render_player(hostile, hostile, "cover.png", "feed.xml", [episode(hostile, hostile)])
    outline = parse(page)
    # Exactly our three scripts: the data block, the player, the offline keeper; nothing injected.
    assert [attrs.get("type") for attrs, _ in outline.scripts] == ["application/json", None, None]
    data = embedded(outline)
    assert data["title"] == hostile
    assert data["episodes"][0]["title"] == hostile
    assert data["episodes"][0]["cues"] == [[0, 1500, hostile]]
    assert outline.text["guide-title"] == hostile
    assert "</script><script>alert" not in page.split("<body>")[1].split('id="guide-data"')[0]


@settings(max_examples=50)
@given(st.text())
def test_script_json_round_trips_and_never_closes_the_script(value):
    text = script_json({"v": value})
    assert json.loads(text) == {"v": value}
    assert "<" not in text and ">" not in text


def test_audio_url_carries_the_feed_version():
    assert audio_url(episode(sha="")) == "walk.mp3"
    assert audio_url(episode(sha="ab12" * 16)) == "walk.mp3?v=ab12ab12ab12"
    page = render_player("G", "", "cover.png", "feed.xml", [episode(sha="ab12" * 16)])
    assert embedded(parse(page))["episodes"][0]["src"] == "walk.mp3?v=ab12ab12ab12"


def test_page_asks_nothing_of_other_hosts():
    page = render_player("G", "d", "cover.png", "feed.xml", [episode()])
    outline = parse(page)
    for _, attrs in outline.elements:
        for name in ("src", "href"):
            assert not re.match(r"(https?:)?//", attrs.get(name) or ""), attrs
    assert "@import" not in page and "url(" not in page


def test_accessible_controls_and_test_hooks():
    outline = parse(render_player("G", "d", "", "feed.xml", [episode()]))
    ids = {attrs.get("id") for _, attrs in outline.elements}
    assert {"player", "speed", "episodes", "chapters", "transcript", "subscribe", "seek"} <= ids
    for tag, attrs in outline.elements:
        if tag == "button":
            assert attrs.get("type") == "button"
    buttons = [attrs for tag, attrs in outline.elements if tag == "button" and "id" in attrs]
    labelled = {attrs["id"]: attrs.get("aria-label") for attrs in buttons}
    icons_only = {"prev-chapter", "back", "play", "forward", "next-chapter", "share"}
    assert icons_only <= labelled.keys() and all(labelled[name] for name in icons_only)
    (offline,) = [attrs for tag, attrs in outline.elements if tag == "button" and "data-offline" in attrs]
    assert offline["data-offline"] == "walk" and offline["aria-label"] == "Keep Walk for offline listening"
    assert "hidden" in offline  # shown only where the browser can keep it
    assert not any(tag == "img" for tag, _ in outline.elements)  # no cover given, no broken image
    speeds = [attrs["value"] for tag, attrs in outline.elements if tag == "option"]
    assert speeds[0] == "0.75" and speeds[-1] == "2"


def test_empty_guide_renders():
    page = render_player("G", "", "cover.png", "feed.xml", [])
    assert embedded(parse(page))["episodes"] == []
    assert "No episodes yet." in page


def test_deep_links_and_what_keeping_an_episode_stores():
    assert deep_link("old-town", 5) == "#old-town/5"
    assert offline_files(episode(sha="ab12" * 16)) == ["walk.mp3?v=ab12ab12ab12", "walk.chapters.json", "walk.vtt"]
    data = embedded(parse(render_player("G", "", "cover.png", "feed.xml", [episode(sha="ab12" * 16)])))
    (walk,) = data["episodes"]
    assert (walk["offline"], walk["cache"], walk["bytes"]) == (offline_files(episode(sha="ab12" * 16)), "episode walk ab12ab12ab12", 1)


def test_the_web_app_is_linked_only_when_asked_for():
    plain = parse(render_player("G", "", "cover.png", "feed.xml", [episode()]))
    assert not [attrs for tag, attrs in plain.elements if tag == "link" and attrs.get("rel") == "manifest"]
    assert embedded(plain)["worker"] == ""  # the page then registers no worker and offers no keeping
    app = parse(
        render_player(
            "G", "", "cover.png", "feed.xml", [episode()],
            manifest_file="manifest.webmanifest", worker_file="service-worker.js", theme_color="#123456",
        )  # fmt: skip
    )
    assert ("link", {"rel": "manifest", "href": "manifest.webmanifest"}) in app.elements
    assert ("meta", {"name": "theme-color", "content": "#123456"}) in app.elements
    assert embedded(app)["worker"] == "service-worker.js"
