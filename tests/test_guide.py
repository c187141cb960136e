"""A guide of three episodes built for real (piper), then read back the way podcast apps read it.

The acceptance of "A podcast every client accepts": podcastparser and feedparser read the feed,
ElementTree checks every tag, mutagen reads the ID3 tag, ffmpeg decodes and measures the audio,
and `audioguide check` judges the bundled guide and broken copies of it.
"""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import feedparser
import numpy as np
import podcastparser
import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from PIL import Image

from audioguide import article, narration
from audioguide.assemble import CHAPTER_LEAD_MS, LEAD_IN_MS, TAIL_MS
from audioguide.build import BuildOptions, BuildReport, EpisodeReport, build
from audioguide.guide import load_guide
from audioguide.cli import cli
from audioguide.ffmpeg import ffmpeg_exe
from audioguide.settings import (
    EPISODE_FILE,
    GUIDE_FILE,
    EpisodeSettings,
    GuideSettings,
    read_settings,
    settings_to_toml,
)
from audioguide.tags import read_chapters
from tests.media import decode_mp3

BASE_URL = "https://example.org/walks/"
FEED_URL = BASE_URL + "feed.xml"
GUIDE_TITLE = "Walks & Talks <on foot> 🚶"
SPECIAL_TITLE = "<Tom & Jerry's \"Guide\"> 🎧"
SPECIAL_HEADINGS = ["Cats & Dogs <3 🐱", "\"Quotes\" & 'Apostrophes' > less", "🎧🎧"]
# Spelled out, not imported from feed.py: the namespace URIs themselves are under test.
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "psc": "http://podlove.org/simple-chapters",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "atom": "http://www.w3.org/2005/Atom",
}
ARTICLES = {
    "harbour.md": (
        "# The Harbour Walk\n\nA short walk along the old harbour.\n\n"
        "## The Lighthouse\n\nThe lighthouse was built of local granite. It still shines.\n\n"
        "## The Fish Market\n\nFishermen sell the morning catch here.\n"
    ),
    "garden.txt": (
        "The Botanic Garden\n\nWelcome to the garden.\n\n"
        "The Palm House\n\nThe palm house is warm all year.\n\n"
        "The Rose Beds\n\nRoses bloom in June. Their scent fills the air.\n"
    ),
    "tom.html": (
        "<html><head><title>&lt;Tom &amp; Jerry's \"Guide\"&gt; 🎧</title></head><body>"
        "<h1>&lt;Tom &amp; Jerry's \"Guide\"&gt; 🎧</h1>"
        "<h2>Cats &amp; Dogs &lt;3 🐱</h2><p>Tom chases Jerry across the kitchen.</p>"
        "<h2>\"Quotes\" &amp; 'Apostrophes' &gt; less</h2><p>Jerry always escapes.</p>"
        "<h2>🎧🎧</h2><p>Music plays at the end.</p></body></html>"
    ),
}
# Episode numbers set in episode.toml put the guide in an order other than its folder names'.
NUMBERS = {"harbour": 1, "tom": 2, "garden": 3}
SEASON = 2
ORDER = sorted(NUMBERS, key=NUMBERS.__getitem__)
PAUSES = GuideSettings()
MAX_PAUSE_MS = max(
    PAUSES.title_pause_ms,
    PAUSES.sentence_pause_ms,
    PAUSES.paragraph_pause_ms,
    PAUSES.section_pause_ms,
)


@dataclass(frozen=True)
class Built:
    scripts: Path
    output: Path
    report: BuildReport
    cache: Path

    @property
    def feed(self) -> bytes:
        return (self.output / "feed.xml").read_bytes()

    def items(self) -> dict[str, ET.Element]:
        """Feed items by episode slug (from the enclosure's file name), in feed order."""
        channel = ET.fromstring(self.feed).find("channel")
        return {_slug(item.find("enclosure").get("url")): item for item in channel.findall("item")}

    def podcastparser_episodes(self) -> dict[str, dict]:
        episodes = podcastparser.parse(FEED_URL, io.BytesIO(self.feed))["episodes"]
        return {_slug(e["enclosures"][0]["url"]): e for e in episodes}

    def feedparser_entries(self) -> dict[str, feedparser.FeedParserDict]:
        return {_slug(e.enclosures[0].href): e for e in feedparser.parse(self.feed).entries}

    def report_of(self, slug: str) -> EpisodeReport:
        (report,) = [e for e in self.report.episodes if e.slug == slug]
        return report


def _slug(audio_url: str) -> str:
    return audio_url.rsplit("/", 1)[-1].split(".mp3")[0]


def _write_settings(path: Path, cls: type, **changes: object) -> None:
    path.write_text(settings_to_toml(dataclasses.replace(read_settings(cls, path), **changes)))


def _cover(path: Path, width: int, height: int | None = None) -> None:
    size = (width, height or width)
    ramp = Image.linear_gradient("L")
    bands = (ramp, ramp.transpose(Image.Transpose.ROTATE_90), ramp.point(lambda v: 255 - v))
    Image.merge("RGB", bands).resize(size).save(path)


def _split(folder: Path) -> Path:
    """Write the three articles into `folder` and split them into one scripts folder."""
    scripts = folder / "scripts"
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
        narration.write_scripts(article.read_article(folder / name), scripts)
    # Split writes chapter titles for the ear ("&" said "and", emoji dropped); a script's title
    # line is shown as written, so an editor can put the article's own headings back.
    tom = sorted((scripts / "tom").glob("[0-9]*.txt"))
    assert len(tom) == len(SPECIAL_HEADINGS)
    for path, heading in zip(tom, SPECIAL_HEADINGS, strict=True):
        lines = path.read_text(encoding="utf-8").split("\n")
        path.write_text("\n".join([f"# {heading}", *lines[1:]]), encoding="utf-8")
    return scripts


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Three articles (Markdown, plain text, HTML) split into one guide and built with piper."""
    root = tmp_path_factory.mktemp("guide")
    scripts = _split(root)
    (scripts / "art").mkdir()
    _cover(scripts / "art" / "cover.jpg", 2000)
    _write_settings(
        scripts / GUIDE_FILE,
        GuideSettings,
        title=GUIDE_TITLE,
        author="Ada & Co",
        description="Three short walks.",
        base_url=BASE_URL,
        owner_email="ada@example.org",
        category="Society & Culture > Places & Travel",
        image="art/cover.jpg",
    )
    for slug, number in NUMBERS.items():
        episode_file = scripts / slug / EPISODE_FILE
        _write_settings(episode_file, EpisodeSettings, number=number, season=SEASON)
    cache = root / "cache"
    output = root / "output"
    report = build([scripts], BuildOptions(output_dir=output, cache_dir=cache, jobs=2))
    return Built(scripts, output, report, cache)


def _script_titles(scripts: Path, slug: str) -> list[str]:
    files = sorted((scripts / slug).glob("[0-9]*.txt"))
    return [f.read_text(encoding="utf-8").split("\n", 1)[0].removeprefix("# ") for f in files]


# --- 1. several episodes, in the order settings give, read by real clients --------------------


def test_episodes_come_in_the_order_and_numbers_their_settings_give(guide):
    assert [e.slug for e in guide.report.episodes] == ORDER
    items = guide.items()
    assert list(items) == ORDER
    for slug, item in items.items():
        assert item.findtext("itunes:episode", namespaces=NS) == str(NUMBERS[slug])
        assert item.findtext("itunes:season", namespaces=NS) == str(SEASON)
    episodes = guide.podcastparser_episodes()
    assert {slug: (e["number"], e["season"]) for slug, e in episodes.items()} == {
        slug: (number, SEASON) for slug, number in NUMBERS.items()
    }
    # Folders in name order would be garden, harbour, tom: the numbers decided.
    assert [s.settings.slug for s in load_guide([guide.scripts]).sources] == ORDER


def test_an_episode_without_a_number_never_repeats_one_set_in_settings(tmp_path, plugins):
    scripts = tmp_path / "scripts"
    for name in ("a", "b", "c"):
        source = tmp_path / f"{name}.md"
        source.write_text(f"# Stop {name}\n\n## Look\n\nLook around.\n", encoding="utf-8")
        narration.write_scripts(article.read_article(source), scripts)
    _write_settings(scripts / "c" / EPISODE_FILE, EpisodeSettings, number=2)
    output = tmp_path / "output"
    build([scripts], BuildOptions(output_dir=output, engine="beeps", voice="square"))
    items = ET.parse(output / "feed.xml").getroot().iter("item")
    numbers = [item.findtext("itunes:episode", namespaces=NS) for item in items]
    assert len(set(numbers)) == len(numbers) == 3, numbers


def test_a_rebuild_keeps_the_order_and_the_feed(guide):
    before = guide.feed
    report = build([guide.scripts], BuildOptions(output_dir=guide.output, cache_dir=guide.cache))
    assert [e.slug for e in report.episodes] == ORDER
    assert report.spoken == 0
    assert guide.feed == before


def test_podcastparser_reads_episodes_enclosures_durations_and_chapters(guide):
    parsed = podcastparser.parse(FEED_URL, io.BytesIO(guide.feed))
    assert parsed["title"] == GUIDE_TITLE
    episodes = guide.podcastparser_episodes()
    assert sorted(episodes) == sorted(ORDER)
    for slug, episode in episodes.items():
        mp3 = guide.output / f"{slug}.mp3"
        (enclosure,) = episode["enclosures"]
        assert enclosure["url"].startswith(f"{BASE_URL}{slug}.mp3")
        assert enclosure["file_size"] == mp3.stat().st_size
        assert enclosure["mime_type"] == "audio/mpeg"
        assert abs(episode["total_time"] - MP3(mp3).info.length) <= 1
        id3 = read_chapters(mp3)
        # podcastparser keeps whole seconds of psc:chapter starts.
        assert [(c["start"], c["title"]) for c in episode["chapters"]] == [
            (m.start_ms // 1000, m.title) for m in id3
        ]
        # (podcastparser 0.6 knows the podcast: namespace only by its old GitHub URI, so it
        # skips podcast:chapters and podcast:transcript; the xpath test below checks them.)


def test_feedparser_reads_the_feed_without_complaint(guide):
    parsed = feedparser.parse(guide.feed)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.encoding.lower() == "utf-8"
    assert parsed.feed.title == GUIDE_TITLE
    assert [_slug(e.enclosures[0].href) for e in parsed.entries] == ORDER


CHANNEL_TAGS = [
    "title", "link", "description", "language", "lastBuildDate", "itunes:image",
    "itunes:category", "itunes:explicit", "itunes:author", "itunes:owner",
    "itunes:owner/itunes:name", "itunes:owner/itunes:email", "itunes:type", "podcast:guid",
    "podcast:locked", "atom:link",
]  # fmt: skip
ITEM_TAGS = [
    "title", "description", "content:encoded", "enclosure", "guid", "pubDate", "itunes:duration",
    "itunes:episode", "itunes:episodeType", "podcast:chapters", "podcast:transcript",
    "psc:chapters", "psc:chapters/psc:chapter",
]  # fmt: skip


def test_the_feed_holds_every_tag_the_issue_lists(guide):
    data = guide.feed
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    for prefix, uri in NS.items():
        assert f'xmlns:{prefix}="{uri}"'.encode() in data
    root = ET.fromstring(data)
    assert (root.tag, root.get("version")) == ("rss", "2.0")
    channel = root.find("channel")
    for path in CHANNEL_TAGS:
        assert channel.find(path, NS) is not None, f"channel has no {path}"
    assert channel.find("itunes:image", NS).get("href") == BASE_URL + "cover.jpg"
    category = channel.find("itunes:category", NS)
    assert category.get("text") == "Society & Culture"
    assert category.find("itunes:category", NS).get("text") == "Places & Travel"
    assert channel.findtext("itunes:explicit", namespaces=NS) in ("true", "false")
    assert channel.findtext("itunes:type", namespaces=NS) in ("episodic", "serial")
    self_link = channel.find("atom:link[@rel='self']", NS)
    assert self_link.get("href") == FEED_URL
    # podcast:guid is UUIDv5 of the feed URL without its scheme, in the namespace the spec fixes.
    spec_namespace = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
    assert channel.findtext("podcast:guid", namespaces=NS) == str(
        uuid.uuid5(spec_namespace, "example.org/walks/feed.xml")
    )
    guids = set()
    for slug, item in guide.items().items():
        for path in ITEM_TAGS:
            assert item.find(path, NS) is not None, f"{slug} has no {path}"
        enclosure = item.find("enclosure")
        assert enclosure.get("type") == "audio/mpeg"
        assert enclosure.get("length") == str((guide.output / f"{slug}.mp3").stat().st_size)
        duration = item.findtext("itunes:duration", namespaces=NS)
        assert int(duration) == round(guide.report_of(slug).duration_ms / 1000)
        chapters = item.find("podcast:chapters", NS)
        assert chapters.get("type") == "application/json+chapters"
        transcript = item.find("podcast:transcript", NS)
        assert (transcript.get("type"), transcript.get("rel")) == ("text/vtt", "captions")
        notes = html.unescape(item.findtext("content:encoded", namespaces=NS))
        for mark in read_chapters(guide.output / f"{slug}.mp3"):
            minutes, seconds = divmod(mark.start_ms // 1000, 60)
            assert f"{minutes}:{seconds:02d} {mark.title}" in notes
        guids.add(item.findtext("guid"))
    assert len(guids) == len(ORDER)


# --- 2. chapters agree everywhere; cues cover the audio ---------------------------------------


def _vtt_cues(path: Path) -> list[tuple[int, int, str]]:
    """(start ms, end ms, text) of each cue, read without audioguide's own reader."""

    def ms(stamp: str) -> int:
        hours, minutes, seconds = stamp.split(":")
        return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)

    text = path.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT")
    cues = []
    for block in text.split("\n\n")[1:]:
        timing, _, words = block.strip().partition("\n")
        start, end = re.fullmatch(r"(\S+) --> (\S+)", timing).groups()
        cues.append((ms(start), ms(end), html.unescape(words)))
    return cues


@pytest.mark.parametrize("slug", ORDER)
def test_chapters_agree_in_id3_feed_json_and_transcript(guide, slug):
    id3 = read_chapters(guide.output / f"{slug}.mp3")
    assert [m.title for m in id3] == _script_titles(guide.scripts, slug)
    entry = guide.feedparser_entries()[slug]
    psc = [
        (round(c.start_parsed.total_seconds() * 1000), c.title) for c in entry.psc_chapters.chapters
    ]
    document = json.loads((guide.output / f"{slug}.chapters.json").read_text(encoding="utf-8"))
    assert document["version"] == "1.2.0"
    from_json = [(round(c["startTime"] * 1000), c["title"]) for c in document["chapters"]]
    assert [t for _, t in psc] == [t for _, t in from_json] == [m.title for m in id3]
    for mark, (psc_ms, _), (json_ms, _) in zip(id3, psc, from_json, strict=True):
        assert abs(mark.start_ms - psc_ms) <= 1 and abs(mark.start_ms - json_ms) <= 1

    # Each chapter's first cue is its spoken title: after the chapter starts, before the next.
    cues = _vtt_cues(guide.output / f"{slug}.vtt")
    ends = [m.start_ms for m in id3[1:]] + [id3[-1].end_ms]
    for number, (mark, end) in enumerate(zip(id3, ends, strict=True)):
        first = next(c for c in cues if c[0] >= mark.start_ms)
        assert first[0] < end, f"chapter {mark.title!r} has no cue of its own"
        lead = LEAD_IN_MS if number == 0 else min(CHAPTER_LEAD_MS, PAUSES.section_pause_ms // 2)
        assert abs(first[0] - mark.start_ms - lead) <= 1


@pytest.mark.parametrize("slug", ORDER)
def test_cues_cover_the_audio_with_no_gap_longer_than_a_pause(guide, slug):
    mp3 = guide.output / f"{slug}.mp3"
    cues = _vtt_cues(guide.output / f"{slug}.vtt")
    duration = guide.report_of(slug).duration_ms
    assert cues[0][0] <= LEAD_IN_MS + 1
    # The tail fills the last MP3 frame: up to one frame longer (36 ms at 16 kHz and above).
    assert duration - TAIL_MS - 37 <= cues[-1][1] <= duration - TAIL_MS + 1
    for (_, end, text), (start, _, _) in pairwise(cues):
        assert 0 < start - end <= MAX_PAUSE_MS + 1, f"gap of {start - end} ms after {text!r}"
    # The cues follow the speech itself: sound inside every cue, silence between them.
    samples, rate = decode_mp3(mp3)
    assert abs(len(samples) * 1000 / rate - duration) < 100
    peak = np.abs(samples).max()

    def rms(start_ms: int, end_ms: int) -> float:
        window = samples[start_ms * rate // 1000 : end_ms * rate // 1000]
        return float(np.sqrt(np.mean(window**2)))

    for start, end, text in cues:
        assert rms(start, end) > 0.05 * peak, f"cue {text!r} holds no speech"
    guard = 100  # ms: encoder delay and MP3 frames blur the edges of a pause
    for (_, end, _), (start, _, text) in pairwise(cues):
        if start - end > 2 * guard:
            silence = rms(end + guard, start - guard)
            assert silence < 0.01 * peak, f"sound in the pause before {text!r}"


# --- 3. loudness, measured by ffmpeg's ebur128 on the decoded MP3 -----------------------------


def _ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) from the summary ffmpeg's ebur128 filter prints."""
    stderr = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-vn",
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = stderr[stderr.rindex("Summary:") :]
    integrated = re.search(r"Integrated loudness:\s+I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    return float(integrated.group(1)), float(peak.group(1))


@pytest.mark.parametrize("slug", ORDER)
def test_each_episode_is_at_podcast_loudness(guide, slug):
    lufs, peak = _ebur128(guide.output / f"{slug}.mp3")
    assert -17.0 <= lufs <= -15.0
    assert peak <= -1.0
    # What the build reports is what a listener's app would measure.
    assert guide.report_of(slug).loudness_lufs == pytest.approx(lufs, abs=0.5)


def test_check_passes_on_the_three_episode_guide(guide):
    result = CliRunner().invoke(cli, ["check", str(guide.output)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    assert result.output.strip().endswith("no problems found")


# --- 4. `audioguide check` on the bundled guide and broken copies of it -----------------------


def test_check_passes_on_the_bundled_guide(bundled_guide):
    _, output, _ = bundled_guide
    result = CliRunner().invoke(cli, ["check", str(output)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"{output}: no problems found")


def _edit_feed(folder: Path, change) -> None:
    """Change the feed's text in place, leaving every other byte as the build wrote it."""
    path = folder / "feed.xml"
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def _bump_length(folder: Path) -> str:
    length = int(re.search(r'length="(\d+)"', (folder / "feed.xml").read_text()).group(1))
    _edit_feed(folder, lambda feed: feed.replace(f'length="{length}"', f'length="{length + 1}"'))
    return f"enclosure length is {length + 1} but microneedling.mp3 has {length} bytes"


def _drop_category(folder: Path) -> str:
    _edit_feed(folder, lambda feed: re.sub(r"\s*<itunes:category [^>]*/>", "", feed))
    return "feed.xml: the channel has no itunes:category"


def _swap_psc_chapters(folder: Path) -> str:
    starts = re.findall(r'<psc:chapter start="([^"]+)"', (folder / "feed.xml").read_text())
    second, third = starts[1], starts[2]
    swap = {f'start="{second}"': f'start="{third}"', f'start="{third}"': f'start="{second}"'}
    _edit_feed(folder, lambda feed: re.sub("|".join(swap), lambda m: swap[m.group(0)], feed))
    order = f"chapter 3 starts at {second}, not after chapter 2 at {third}"
    return f"psc:chapters out of order: {order}"


def _swap_json_chapters(folder: Path) -> str:
    path = folder / "microneedling.chapters.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    chapters = document["chapters"]
    chapters[1], chapters[2] = chapters[2], chapters[1]
    path.write_text(json.dumps(document), encoding="utf-8")
    return "microneedling.chapters.json: chapters out of order: chapter 3 starts at"


def _small_cover(folder: Path) -> str:
    _cover(folder / "cover.png", 500)
    return "cover.png: artwork is 500x500 px, expected 1400 to 3000 px a side"


@pytest.mark.parametrize(
    "breakage",
    [_bump_length, _drop_category, _swap_psc_chapters, _swap_json_chapters, _small_cover],
)
def test_check_names_what_is_broken_in_a_copy_of_the_bundled_guide(
    bundled_guide, tmp_path, breakage
):
    _, output, _ = bundled_guide
    broken = Path(shutil.copytree(output, tmp_path / "output"))
    expected = breakage(broken)
    result = CliRunner().invoke(cli, ["check", "--no-loudness", str(broken)])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if "warning:" not in line]
    assert len(errors) == 2, result.output  # the problem, then the count
    assert expected in errors[0]
    assert errors[1] == f"Error: 1 problem(s) found in {broken}"


# --- 5. special characters round-trip through the feed and the ID3 tags ----------------------


def test_titles_with_markup_characters_and_emoji_round_trip(guide):
    mp3 = guide.output / "tom.mp3"
    tag = ID3(mp3)
    assert str(tag["TIT2"]) == SPECIAL_TITLE
    assert str(tag["TALB"]) == GUIDE_TITLE
    assert [m.title for m in read_chapters(mp3)] == SPECIAL_HEADINGS
    raw_chapters = sorted(tag.getall("CHAP"), key=lambda chap: chap.start_time)
    assert [str(c.sub_frames["TIT2"]) for c in raw_chapters] == SPECIAL_HEADINGS

    entry = guide.feedparser_entries()["tom"]
    assert entry.title == SPECIAL_TITLE
    assert [c.title for c in entry.psc_chapters.chapters] == SPECIAL_HEADINGS
    episode = guide.podcastparser_episodes()["tom"]
    assert episode["title"] == SPECIAL_TITLE
    assert [c["title"] for c in episode["chapters"]] == SPECIAL_HEADINGS
    item = guide.items()["tom"]
    assert item.findtext("itunes:title", namespaces=NS) == SPECIAL_TITLE
    notes = html.unescape(item.findtext("content:encoded", namespaces=NS))
    assert all(heading in notes for heading in SPECIAL_HEADINGS)

    document = json.loads((guide.output / "tom.chapters.json").read_text(encoding="utf-8"))
    assert document["title"] == SPECIAL_TITLE
    assert [c["title"] for c in document["chapters"]] == SPECIAL_HEADINGS


def test_article_headings_reach_the_chapters_as_written(guide, tmp_path):
    source = tmp_path / "tom.html"
    source.write_text(ARTICLES["tom.html"], encoding="utf-8")
    output = tmp_path / "output"
    build([source], BuildOptions(output_dir=output, cache_dir=guide.cache))
    assert [m.title for m in read_chapters(output / "tom.mp3")] == SPECIAL_HEADINGS


# --- 6. cover art --------------------------------------------------------------------------


def test_the_guides_own_image_is_embedded_and_referenced(guide):
    cover = guide.output / "cover.jpg"
    with Image.open(cover) as image:
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (2000, 2000))
    assert not (guide.output / "cover.png").exists()
    for slug, item in guide.items().items():
        assert item.find("itunes:image", NS).get("href") == BASE_URL + "cover.jpg"
        (picture,) = ID3(guide.output / f"{slug}.mp3").getall("APIC")
        assert picture.mime == "image/jpeg"
        assert picture.data == cover.read_bytes()


@pytest.mark.parametrize(
    ("size", "complaint"),
    [((500, 500), "cover art is 500x500 px"), ((2000, 1800), "cover art must be square")],
)
def test_an_unfit_cover_fails_the_build_in_one_line(guide, tmp_path, size, complaint):
    scripts = Path(shutil.copytree(guide.scripts, tmp_path / "scripts"))
    _cover(scripts / "art" / "cover.jpg", *size)
    output = tmp_path / "output"
    command = ["build", str(scripts), "--output", str(output)]
    result = CliRunner().invoke(cli, command, env={"AUDIOGUIDE_CACHE_DIR": str(guide.cache)})
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ") and complaint in line and "cover.jpg" in line
    assert not list(output.glob("*.mp3"))


# --- 7. the rest of the ID3 tag ----------------------------------------------------------------


@pytest.mark.parametrize("slug", ORDER)
def test_id3_is_version_2_3_with_transcript_and_length(guide, slug):
    mp3 = guide.output / f"{slug}.mp3"
    assert mp3.read_bytes()[:4] == b"ID3\x03"
    tag = ID3(mp3)
    assert tag.version == (2, 3, 0)
    duration = guide.report_of(slug).duration_ms
    assert int(str(tag["TLEN"])) == duration
    # The MP3 decodes a frame or two longer than the PCM (encoder padding), never shorter.
    assert 0 <= MP3(mp3).info.length * 1000 - duration < 120
    # The full transcript: every sentence spoken, as the timed transcript shows it.
    (lyrics,) = tag.getall("USLT")
    cues = _vtt_cues(guide.output / f"{slug}.vtt")
    assert lyrics.text.split("\n") == [text for _, _, text in cues]

