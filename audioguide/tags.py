"""ID3 tags of an episode MP3: title, artist, cover, transcript, and chapters (CHAP + one CTOC).

Tags are written as ID3v2.3, the version Apple Podcasts, most podcast apps, Windows and car
stereos all read; v2.4 (synchsafe frame sizes, UTF-8) is still misread by some of them. Text frames
are UTF-16, so any title, emoji included, survives.

CHAP frames are stored in time order, followed by the cover: ffmpeg and the players built on it
list chapters in file order and ignore CTOC, while mutagen on its own would order them by size;
and a player streaming the file finds the chapters before the big picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TCON,
    TDRC,
    TIT2,
    TLAN,
    TLEN,
    TPE1,
    USLT,
    WXXX,
    CTOCFlags,
    Encoding,
    ID3Tags,
    PictureType,
)
from mutagen.id3._tags import save_frame
from mutagen.mp3 import MP3

from audioguide.errors import AudioError
from audioguide.model import ChapterMark

MAX_CHAPTERS = 255
"""CTOC counts its entries in one byte."""
TOC_ID = "toc"
_ISO_639_2 = {
    "ar": "ara", "cs": "ces", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "es": "spa",
    "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin", "hu": "hun", "it": "ita", "ja": "jpn",
    "ko": "kor", "nl": "nld", "no": "nor", "pl": "pol", "pt": "por", "ru": "rus", "sv": "swe",
    "tr": "tur", "uk": "ukr", "zh": "zho",
}  # fmt: skip


@dataclass(frozen=True)
class EpisodeTags:
    """What an episode's ID3 tag says about it."""

    title: str
    artist: str = ""
    album: str = ""
    """The guide's title: players group episodes of one guide as an album."""
    date: str = ""
    """Year (`2024`) or ISO date (`2024-05-01`) of publication; empty for none."""
    genre: str = "Podcast"
    language: str = "en"
    """BCP 47 tag of the narration, e.g. `en-US`."""
    description: str = ""
    """Episode summary, stored as the ID3 comment (COMM)."""
    length_ms: int = 0
    """Exact audio length, from the PCM; 0 leaves TLEN out."""


def write_tags(
    mp3_path: Path,
    tags: EpisodeTags,
    chapters: Sequence[ChapterMark],
    *,
    cover: bytes | None,
    cover_mime: str,
    transcript: str = "",
) -> None:
    """Replace the MP3's ID3 tag with one describing the episode and its chapters."""
    if len(chapters) > MAX_CHAPTERS:
        raise AudioError(
            f"{mp3_path.name}: {len(chapters)} chapters, but ID3 holds at most {MAX_CHAPTERS}; "
            "merge some sections"
        )
    tag = _ChapterOrderedID3()
    language = _iso_639_2(tags.language)
    text = {TIT2: tags.title, TPE1: tags.artist, TALB: tags.album, TCON: tags.genre}
    for frame, value in text.items():
        if value:
            tag.add(frame(encoding=Encoding.UTF16, text=value))
    if tags.date:
        tag.add(TDRC(encoding=Encoding.LATIN1, text=tags.date))
    tag.add(TLAN(encoding=Encoding.LATIN1, text=language))
    if tags.length_ms:
        tag.add(TLEN(encoding=Encoding.LATIN1, text=str(tags.length_ms)))
    if tags.description:
        tag.add(COMM(encoding=Encoding.UTF16, lang=language, desc="", text=tags.description))
    if transcript:
        tag.add(USLT(encoding=Encoding.UTF16, lang=language, desc="", text=transcript))
    if cover:
        tag.add(
            APIC(
                encoding=Encoding.UTF16,
                mime=cover_mime,
                type=PictureType.COVER_FRONT,
                desc="Cover",
                data=cover,
            )
        )
    element_ids = [f"chp{index:03d}" for index in range(len(chapters))]
    for element_id, chapter in zip(element_ids, chapters):
        tag.add(_chap(element_id, chapter))
    if chapters:
        tag.add(
            CTOC(
                element_id=TOC_ID,
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=element_ids,
                sub_frames=[TIT2(encoding=Encoding.UTF16, text="Chapters")],
            )
        )
    tag.update_to_v23()
    try:
        tag.save(mp3_path, v1=0, v2_version=3)
    except MutagenError as error:
        raise AudioError(f"{mp3_path.name}: cannot write tags: {error}") from None


def _chap(element_id: str, chapter: ChapterMark) -> CHAP:
    sub_frames = [TIT2(encoding=Encoding.UTF16, text=chapter.title)]
    if chapter.link:
        sub_frames.append(WXXX(encoding=Encoding.LATIN1, desc="", url=chapter.link))
    return CHAP(
        element_id=element_id,
        start_time=chapter.start_ms,
        end_time=chapter.end_ms,
        start_offset=0xFFFFFFFF,
        end_offset=0xFFFFFFFF,
        sub_frames=sub_frames,
    )


def _iso_639_2(bcp47: str) -> str:
    """The three-letter code ID3 wants for a language tag; `und` (undetermined) if unknown."""
    return _ISO_639_2.get(bcp47.split("-")[0].lower(), "und")


class _ChapterOrderedID3(ID3):
    """An ID3 tag that stores its frames as mutagen would, except: CTOC, then CHAP frames by start
    time, then pictures last."""

    def _write(self, config) -> bytearray:  # type: ignore[no-untyped-def]
        kinds = ("CTOC", "CHAP", "APIC")
        rest = ID3Tags()
        for frame in self.values():
            if frame.FrameID not in kinds:
                rest[frame.HashKey] = frame
        placed = [
            *self.getall("CTOC"),
            *sorted(self.getall("CHAP"), key=lambda chap: (chap.start_time, chap.element_id)),
            *self.getall("APIC"),
        ]
        return rest._write(config) + b"".join(save_frame(f, config=config) for f in placed)


def read_chapters(mp3_path: Path) -> tuple[ChapterMark, ...]:
    """The chapters stored in an MP3's CHAP frames, ordered by start time."""
    try:
        audio = MP3(mp3_path)
    except MutagenError as error:
        raise AudioError(f"{mp3_path}: not a readable MP3 ({error})") from None
    chaps = audio.tags.getall("CHAP") if audio.tags is not None else []
    if not chaps:
        raise AudioError(f"{mp3_path}: no chapters in this MP3")
    return tuple(_chapter_mark(chap) for chap in sorted(chaps, key=lambda c: c.start_time))


def _chapter_mark(chap: CHAP) -> ChapterMark:
    titles = chap.sub_frames.getall("TIT2")
    links = chap.sub_frames.getall("WXXX")
    return ChapterMark(
        id=chap.element_id,
        title=str(titles[0]) if titles else chap.element_id,
        start_ms=chap.start_time,
        end_ms=chap.end_time,
        link=links[0].url if links else None,
    )
