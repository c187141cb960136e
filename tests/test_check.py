"""`check_output` over a real built folder (tiny MP3s, a PNG cover) and broken copies of it."""

from __future__ import annotations

import dataclasses
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mutagen.mp3 import MP3
from PIL import Image

from audioguide.check import Problem, check_output
from audioguide.feed import NAMESPACES, chapters_json, render_feed, webvtt
from audioguide.ffmpeg import measure_loudness
from audioguide.files import sha256_file
from audioguide.model import ChapterMark, Cue, Episode
from audioguide.settings import GuideSettings
from audioguide.sidecars import vtt_timestamp
from tests.media import encode_sine

GUIDE = GuideSettings(
    title="Old Town walk",
    author="Ada Guide",
    description="A walk through the old town.",
    base_url="https://example.org/tour",
    category="Places & Travel",
    owner_email="ada@example.org",
)


def write_cover(path: Path, size: int = 1400, mode: str = "RGB") -> None:
    Image.new(mode, (size, size), "teal").save(path)


def describe(folder: Path, slug: str, title: str, starts: Sequence[int]) -> Episode:
    """The episode as build.py would describe its MP3 in `folder`."""
    audio = folder / f"{slug}.mp3"
    duration_ms = round(MP3(audio).info.length * 1000)
    ends = [*starts[1:], duration_ms]
    return Episode(
        slug=slug,
        guid=f"urn:audioguide:{slug}",
        title=title,
        description=f"All about {title}.",
        audio_file=audio.name,
        audio_bytes=audio.stat().st_size,
        duration_ms=duration_ms,
        pub_date="2024-05-01T10:00:00Z",
        chapters=tuple(
            ChapterMark(f"{n:02d}", f"Part {n}", start, end)
            for n, (start, end) in enumerate(zip(starts, ends, strict=True), start=1)
        ),
        cues=(Cue(0, 1_400, f"{title}."), Cue(1_700, 2_900, "Look & listen.")),
        number=1,
        audio_sha256=sha256_file(audio),
    )


def publish(folder: Path, guide: GuideSettings, episodes: Sequence[Episode]) -> None:
    """Write the feed and every episode's sidecar files, as a build does."""
    for episode in episodes:
        (folder / f"{episode.slug}.chapters.json").write_bytes(chapters_json(episode))
        (folder / f"{episode.slug}.vtt").write_text(webvtt(episode), encoding="utf-8")
    feed = render_feed(guide, episodes, cover_file="cover.png", build_date=datetime.now(UTC))
    (folder / "feed.xml").write_bytes(feed)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list[Episode]]:
    folder = tmp_path_factory.mktemp("output")
    encode_sine(folder / "square.mp3")
    encode_sine(folder / "river.mp3")
    write_cover(folder / "cover.png")
    episodes = [
        describe(folder, "square", "The square", [0, 1_000, 2_000]),
        describe(folder, "river", "The river", [0, 1_500]),
    ]
    publish(folder, GUIDE, episodes)
    return folder, episodes


@pytest.fixture
def copy(built, tmp_path) -> Path:
    """A copy of the good output, free to break."""
    return Path(shutil.copytree(built[0], tmp_path / "output"))


def messages(problems: list[Problem]) -> list[str]:
    return [str(problem) for problem in problems]


def edit_feed(folder: Path, change) -> None:
    tree = ET.parse(folder / "feed.xml")
    change(tree.getroot().find("channel"))
    tree.write(folder / "feed.xml", encoding="utf-8", xml_declaration=True)


def test_the_test_audio_is_at_podcast_loudness(built):
    lufs, peak = measure_loudness(built[0] / "square.mp3")
    assert lufs == pytest.approx(-16, abs=0.3)
    assert peak < -1


def test_a_good_folder_passes(built):
    assert check_output(built[0]) == []


def test_a_folder_built_without_base_url_passes_with_a_warning(copy, built):
    publish(copy, dataclasses.replace(GUIDE, base_url=""), built[1])
    problems = check_output(copy)
    assert [p.warning for p in problems] == [True]
    assert "relative" in problems[0].message


def test_a_missing_feed_is_one_problem(tmp_path):
    assert messages(check_output(tmp_path)) == [
        "feed.xml: missing: no guide has been built in this folder"
    ]


def test_malformed_xml_is_reported(copy):
    (copy / "feed.xml").write_text("<rss><channel></rss>")
    [problem] = check_output(copy)
    assert problem.file == "feed.xml"
    assert problem.message.startswith("not well-formed XML: mismatched tag: line 1")


def test_a_feed_declaring_entities_is_refused(copy):
    (copy / "feed.xml").write_text(
        '<!DOCTYPE rss [<!ENTITY a "aaaa">]><rss><channel>&a;</channel></rss>'
    )
    assert messages(check_output(copy)) == [
        "feed.xml: declares a DTD or entities, which feeds must not"
    ]


def test_a_wrong_enclosure_length_is_caught(copy, built):
    square, river = built[1]
    publish(copy, GUIDE, [dataclasses.replace(square, audio_bytes=square.audio_bytes + 1), river])
    assert messages(check_output(copy)) == [
        f"feed.xml: episode 1 ('The square'): enclosure length is {square.audio_bytes + 1} "
        f"but square.mp3 has {square.audio_bytes} bytes"
    ]


def test_a_missing_category_is_caught(copy):
    edit_feed(copy, lambda channel: channel.remove(channel.find("itunes:category", NAMESPACES)))
    assert messages(check_output(copy)) == ["feed.xml: the channel has no itunes:category"]


def test_unordered_chapters_are_caught_in_the_feed_and_the_json(copy, built):
    square, river = built[1]
    first, second, third = square.chapters
    swapped = (first, third, second)
    publish(copy, GUIDE, [dataclasses.replace(square, chapters=swapped), river])
    order = "out of order: chapter 3 starts at 00:00:01.000, not after chapter 2 at 00:00:02.000"
    assert messages(check_output(copy)) == [
        f"feed.xml: episode 1 ('The square'): psc:chapters {order}",
        f"square.chapters.json: chapters {order}",
    ]


def test_chapters_must_start_at_zero_and_within_the_audio(copy, built):
    square, river = built[1]
    late = (
        ChapterMark("1", "Late start", 500, 2_000),
        ChapterMark("2", "After the end", 9_000, 10_000),
    )
    publish(copy, GUIDE, [dataclasses.replace(square, chapters=late), river])
    problems = messages(check_output(copy))
    assert "square.chapters.json: chapters start at 00:00:00.500, not at 0" in problems
    assert any("chapters chapter 2 starts after the audio ends at 00:00:03." in p for p in problems)
    assert len(problems) == 4  # both complaints, from psc:chapters and from the JSON


def test_a_small_cover_is_caught(copy):
    write_cover(copy / "cover.png", size=500)
    assert messages(check_output(copy)) == [
        "cover.png: artwork is 500x500 px, expected 1400 to 3000 px a side"
    ]


def test_a_missing_audio_file_is_caught(copy, built):
    (copy / "river.mp3").unlink()
    version = built[1][1].audio_sha256[:12]
    assert messages(check_output(copy)) == [
        "feed.xml: episode 2 ('The river'): enclosure "
        f"https://example.org/tour/river.mp3?v={version}: "
        "river.mp3 is missing from the output folder"
    ]


def test_a_duration_that_disagrees_with_the_mp3_is_caught(copy, built):
    square, river = built[1]
    publish(copy, GUIDE, [square, dataclasses.replace(river, duration_ms=6_000)])
    [problem] = check_output(copy)
    assert problem.file == "feed.xml"
    assert problem.message.startswith(
        "episode 2 ('The river'): itunes:duration says 6 s but the MP3 lasts 3."
    )


def test_enclosures_outside_the_feed_folder_are_caught(copy):
    def point_elsewhere(channel):
        channel.find("item/enclosure").set("url", "https://cdn.example.com/square.mp3")
        channel.findall("item")[1].find("enclosure").set("url", "../river.mp3")

    edit_feed(copy, point_elsewhere)
    assert messages(check_output(copy)) == [
        "feed.xml: episode 1 ('The square'): enclosure https://cdn.example.com/square.mp3 "
        "is not under the feed's own URL https://example.org/tour/",
        "feed.xml: episode 2 ('The river'): enclosure ../river.mp3 points outside the output "
        "folder",
    ]


def test_cues_past_the_end_of_the_audio_are_caught(copy, built):
    square, river = built[1]
    publish(copy, GUIDE, [square, dataclasses.replace(river, cues=(Cue(0, 9_000, "Too long."),))])
    assert messages(check_output(copy)) == [
        f"river.vtt: cue 1 ends after the audio ends at {vtt_timestamp(river.duration_ms)}"
    ]


def test_a_broken_transcript_is_caught(copy):
    (copy / "river.vtt").write_text("not a transcript")
    assert messages(check_output(copy)) == ["river.vtt: missing the WEBVTT header"]


def test_missing_owner_email_is_only_a_warning(copy, built):
    publish(copy, dataclasses.replace(GUIDE, owner_email=""), built[1])
    [problem] = check_output(copy)
    assert problem.warning
    assert str(problem).startswith("feed.xml: warning: the channel has no itunes:owner email")


def test_a_guide_without_author_passes_with_a_warning(copy, built):
    publish(copy, dataclasses.replace(GUIDE, author=""), built[1])
    [problem] = check_output(copy)
    assert problem.warning
    assert str(problem) == "feed.xml: warning: the channel has no itunes:author; apps show none"


def test_loudness_is_checked_for_each_episode_unless_skipped(copy):
    # What is measured and said is in tests/test_check_media.py; here, that the check does it.
    encode_sine(copy / "river.mp3", gain_db=18)
    problems = check_output(copy)
    assert {p.file for p in problems if p.file.endswith(".mp3")} == {"river.mp3"}
    assert check_output(copy, loudness=False) == [p for p in problems if not p.file.endswith(".mp3")]


def test_the_player_site_is_linted_when_there_is_one(copy, built):
    from audioguide.webapp import site_files

    for name, data in site_files(GUIDE, "cover.png", (copy / "cover.png").read_bytes(), "feed.xml", built[1]).items():
        (copy / name).write_bytes(data)
    assert check_output(copy, loudness=False) == []
    (copy / "icon-192.png").unlink()
    (copy / "icon-512.png").write_bytes((copy / "icon-maskable-512.png").read_bytes()[:100])
    assert messages(check_output(copy, loudness=False)) == [
        "manifest.webmanifest: icon 'icon-192.png' is missing or not an image",
        "manifest.webmanifest: icon 'icon-512.png' is missing or not an image",
        "manifest.webmanifest: no icon of at least 192 px: browsers will not install it",
    ]
