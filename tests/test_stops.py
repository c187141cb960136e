"""The stops sheet as a document: a card per chapter, deep links, QR codes of those links."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import segno

from audioguide.model import ChapterMark, Episode
from audioguide.stops import chapter_link, render_stops


class Cards(HTMLParser):
    """Each card's text by class, its link, and its QR code's SVG title; and the sheet's note."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: list[dict[str, str]] = []
        self.note = ""
        self.headings: list[str] = []
        self._field: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "li" and "card" in classes:
            self.cards.append({"id": attrs["id"]})
        elif tag == "a" and "link" in classes:
            self.cards[-1]["href"] = attrs["href"]
            self._field = "link"
        if tag == "p" and "note" in classes:
            self._field = "note"
        elif tag == "h2":
            self._field = "heading"
        elif tag == "title" and self.cards:
            self._field = "qr"
        elif tag == "span" and classes and self.cards:  # a card's number, title, episode, duration
            self._field = classes[0]

    def handle_endtag(self, tag):
        if tag in ("span", "a", "title", "p", "h2"):
            self._field = None

    def handle_data(self, data):
        if self._field == "note":
            self.note += data
        elif self._field == "heading":
            self.headings.append(data)
        elif self._field:
            self.cards[-1][self._field] = self.cards[-1].get(self._field, "") + data


def episode(slug: str, title: str, chapters: list[tuple[str, int]]) -> Episode:
    marks, start = [], 0
    for number, (name, length_ms) in enumerate(chapters, start=1):
        marks.append(ChapterMark(f"{number:02d}", name, start, start + length_ms))
        start += length_ms
    return Episode(
        slug=slug, guid=slug, title=title, description="", audio_file=f"{slug}.mp3", audio_bytes=1,
        duration_ms=start, pub_date="2024-01-01T00:00:00+00:00", chapters=tuple(marks), cues=(),
    )  # fmt: skip


WALK = episode("old-town", "The old town", [("Gate", 95_000), ("Tower & <bells>", 40_000), ("End", 3_700_000)])
HARBOUR = episode("harbour", "The harbour", [("Boats", 20_000)])


def parse(page: str) -> Cards:
    cards = Cards()
    cards.feed(page)
    return cards


@pytest.mark.parametrize("base", ["https://guide.example.org/walk", "https://guide.example.org/walk/"])
def test_a_card_per_chapter_with_its_absolute_deep_link(base):
    sheet = parse(render_stops("Walk", [WALK], base))
    assert [card["number"] for card in sheet.cards] == ["Stop 1", "Stop 2", "Stop 3"]
    assert [card["title"] for card in sheet.cards] == ["Gate", "Tower & <bells>", "End"]
    assert [card["duration"] for card in sheet.cards] == ["2 min to listen", "40 s to listen", "1 h 2 min to listen"]
    links = [f"https://guide.example.org/walk/index.html#old-town/{n}" for n in (1, 2, 3)]
    assert [card["href"] for card in sheet.cards] == links
    assert [card["link"] for card in sheet.cards] == links
    assert [card["qr"] for card in sheet.cards] == [f"QR code: {link}" for link in links]
    assert [card["id"] for card in sheet.cards] == ["old-town-1", "old-town-2", "old-town-3"]
    assert "guide.example.org/walk" in sheet.note and "relative" not in sheet.note
    assert sheet.headings == [] and "of" not in sheet.cards[0]


def test_each_code_holds_its_link():
    page = render_stops("Walk", [WALK], "https://guide.example.org/walk")
    paths = re.findall(r'<svg viewBox="0 0 (\d+) \1" class="qr"><title>[^<]*</title><path stroke="#000" d="([^"]+)"', page)
    assert len(paths) == len(WALK.chapters)
    for number, (side, path) in enumerate(paths, start=1):
        expected = segno.make(chapter_link("https://guide.example.org/walk", WALK, number), error="m")
        assert modules(path, int(side)) == [[bool(bit) for bit in row] for row in expected.matrix_iter(border=4)]


def modules(path: str, side: int) -> list[list[bool]]:
    """The dark modules drawn by one of segno's SVG paths: moves (M, m) and horizontal runs (h)."""
    grid = [[False] * side for _ in range(side)]
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for column in range(round(x), round(x + float(a))):
                grid[int(y)][column] = True
            x += float(a)
    return grid


def test_without_a_base_url_the_sheet_says_its_links_are_relative():
    sheet = parse(render_stops("Walk", [WALK]))
    assert [card["href"] for card in sheet.cards] == [f"index.html#old-town/{n}" for n in (1, 2, 3)]
    assert "relative" in sheet.note and "--base-url" in sheet.note


def test_several_episodes_are_grouped_and_each_card_names_its_episode():
    sheet = parse(render_stops("Town", [WALK, HARBOUR], "https://g.example"))
    assert sheet.headings == ["The old town", "The harbour"]
    assert [(card["number"], card["of"]) for card in sheet.cards] == [
        ("Stop 1", "The old town"), ("Stop 2", "The old town"), ("Stop 3", "The old town"), ("Stop 1", "The harbour"),
    ]  # fmt: skip
    assert sheet.cards[-1]["href"] == "https://g.example/index.html#harbour/1"


def test_hostile_titles_stay_text():
    hostile = '</title></svg><script>alert(1)</script> & "x"'
    page = render_stops(hostile, [episode("x", hostile, [(hostile, 1000)])], "https://g.example/?a=1&b=<2>")
    assert "<script>" not in page
    sheet = parse(page)
    assert sheet.cards[0]["title"] == hostile
    assert sheet.cards[0]["href"] == "https://g.example/?a=1&b=<2>/index.html#x/1"
    assert "No episodes yet." in render_stops("Empty", [])
