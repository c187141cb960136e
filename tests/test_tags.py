"""tags: ID3 written with mutagen, read back with mutagen and with ffmpeg (as players see it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from audioguide.errors import AudioError
from audioguide.ffmpeg import ffmpeg_exe
from audioguide.model import ChapterMark
from audioguide.tags import EpisodeTags, read_chapters, write_tags
from tests.media import decode_mp3

TRICKY = "Ships & <sails>: \"quoted\", 'single' 🎧⚓ — café"
# Size order (short, long, medium) is not time order, which is what mutagen alone would store.
CHAPTERS = (
    ChapterMark("01-a", "Go", 0, 1000),
    ChapterMark(
        "02-b", "A very long chapter title " * 6 + TRICKY, 1000, 2000, "https://example.org/#b"
    ),
    ChapterMark("03-c", "Middling title here", 2000, 3000),
)
TAGS = EpisodeTags(
    title=TRICKY,
    artist="Jane Doe",
    album="Harbour guide",
    date="2024-05-01",
    language="en-US",
    description="An episode.",
    length_ms=3000,
)


@pytest.fixture(scope="module")
def silent_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mp3") / "tone.mp3"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=3:sample_rate=22050",
         "-ac", "1", "-codec:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "0", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture
def mp3(silent_mp3: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "episode.mp3"
    shutil.copyfile(silent_mp3, copy)
    return copy


def _write(path: Path, chapters=CHAPTERS, **kwargs) -> None:
    kwargs.setdefault("cover", b"\x89PNG fake cover bytes")
    kwargs.setdefault("cover_mime", "image/png")
    write_tags(path, TAGS, chapters, **kwargs)


def _ffmpeg_chapters(path: Path) -> list[tuple[int, int, str]]:
    """(start ms, end ms, title) in file order; -copyts keeps ffmpeg from shifting them by the
    encoder delay."""
    meta = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-copyts", "-i", str(path), "-f", "ffmetadata", "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    chapters = []
    for block in meta.split("[CHAPTER]")[1:]:
        fields = dict(line.split("=", 1) for line in block.strip().splitlines() if "=" in line)
        assert fields["TIMEBASE"] == "1/1000"
        chapters.append((int(fields["START"]), int(fields["END"]), fields["title"]))
    return chapters


def test_chapters_round_trip_through_mutagen(mp3):
    _write(mp3)
    read = read_chapters(mp3)
    assert [(c.title, c.start_ms, c.end_ms, c.link) for c in read] == [
        (c.title, c.start_ms, c.end_ms, c.link) for c in CHAPTERS
    ]
    assert [c.id for c in read] == ["chp000", "chp001", "chp002"]


def test_ffmpeg_lists_chapters_in_time_order(mp3):
    _write(mp3)
    assert _ffmpeg_chapters(mp3) == [(c.start_ms, c.end_ms, c.title) for c in CHAPTERS]


def test_chapters_given_out_of_order_are_stored_in_time_order(mp3):
    _write(mp3, chapters=tuple(reversed(CHAPTERS)))
    assert [start for start, _, _ in _ffmpeg_chapters(mp3)] == [0, 1000, 2000]


def test_one_ordered_top_level_table_of_contents(mp3):
    _write(mp3)
    tag = ID3(mp3)
    (toc,) = tag.getall("CTOC")
    assert toc.element_id == "toc"
    assert toc.flags == 3  # top-level + ordered
    assert toc.child_element_ids == ["chp000", "chp001", "chp002"]
    assert str(toc.sub_frames["TIT2"]) == "Chapters"
    chap = tag.getall("CHAP")[0]
    assert (chap.start_offset, chap.end_offset) == (0xFFFFFFFF, 0xFFFFFFFF)


def test_episode_fields_round_trip_as_id3v23(mp3):
    _write(mp3, transcript=f"Hello.\n{TRICKY}")
    tag = ID3(mp3, translate=False)
    assert tag.version == (2, 3, 0)
    assert str(tag["TIT2"]) == TRICKY
    assert (str(tag["TPE1"]), str(tag["TALB"]), str(tag["TCON"])) == (
        "Jane Doe",
        "Harbour guide",
        "Podcast",
    )
    assert str(tag["TYER"]) == "2024"  # v2.3 keeps the date in TYER + TDAT
    assert str(tag["TLEN"]) == "3000"
    assert str(tag["TLAN"]) == "eng"
    (comment,) = tag.getall("COMM")
    assert (comment.lang, comment.text) == ("eng", ["An episode."])
    (lyrics,) = tag.getall("USLT")
    assert (lyrics.lang, lyrics.text) == ("eng", f"Hello.\n{TRICKY}")
    (picture,) = tag.getall("APIC")
    assert (picture.type, picture.mime, picture.data) == (
        3,
        "image/png",
        b"\x89PNG fake cover bytes",
    )


def test_ffmpeg_reads_the_tricky_title(mp3):
    _write(mp3)
    meta = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(mp3), "-f", "ffmetadata", "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert f"title={TRICKY}" in meta.splitlines()


def test_chapters_come_before_the_cover(mp3):
    _write(mp3)
    data = mp3.read_bytes()
    assert data.index(b"CTOC") < data.index(b"CHAP") < data.index(b"APIC")


def test_tags_leave_the_audio_alone(mp3, silent_mp3):
    _write(mp3, transcript="words")
    assert MP3(mp3).info.length == MP3(silent_mp3).info.length
    assert (decode_mp3(mp3, 22050)[0] == decode_mp3(silent_mp3, 22050)[0]).all()


def test_writing_again_replaces_the_tag(mp3):
    _write(mp3)
    _write(mp3, chapters=CHAPTERS[:1], cover=None)
    assert [c.title for c in read_chapters(mp3)] == ["Go"]
    assert not ID3(mp3).getall("APIC")


def test_255_chapters_fit_and_256_do_not(mp3):
    many = [ChapterMark(f"{i}", f"Chapter {i}", i * 10, i * 10 + 10) for i in range(256)]
    _write(mp3, chapters=many[:255])
    assert len(_ffmpeg_chapters(mp3)) == 255
    with pytest.raises(AudioError, match="256 chapters.*at most 255"):
        _write(mp3, chapters=many)


def test_reading_chapters_of_a_file_without_them(mp3, tmp_path):
    with pytest.raises(AudioError, match="no chapters"):
        read_chapters(mp3)
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all\n" * 100)
    with pytest.raises(AudioError, match="not a readable MP3"):
        read_chapters(text)
    with pytest.raises(AudioError, match="not a readable MP3"):
        read_chapters(tmp_path / "missing.mp3")


titles = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80).filter(
    str.strip
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=titles, second=titles)
def test_any_title_round_trips(mp3, first, second):
    chapters = (ChapterMark("a", first, 0, 1500), ChapterMark("b", second, 1500, 3000))
    _write(mp3, chapters=chapters)
    assert [c.title for c in read_chapters(mp3)] == [first, second]
