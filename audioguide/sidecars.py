"""Files published beside each episode's MP3: Podcasting 2.0 chapters JSON, a WebVTT transcript.

Each format has a writer and a reader; the readers serve round-trip tests and `audioguide check`,
which verifies built output the way a podcast app would read it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

from audioguide.errors import BuildError
from audioguide.model import ChapterMark, Cue, Episode

CHAPTERS_VERSION = "1.2.0"
CHAPTERS_TYPE = "application/json+chapters"
VTT_TYPE = "text/vtt"


def chapters_json(episode: Episode, *, podcast_name: str = "") -> bytes:
    """The episode's chapters in the Podcasting 2.0 JSON chapters format (UTF-8)."""
    document: dict = {"version": CHAPTERS_VERSION, "title": episode.title}
    if podcast_name:
        document["podcastName"] = podcast_name
    chapters = []
    for mark in episode.chapters:
        chapter = {
            "startTime": mark.start_ms / 1000,
            "endTime": mark.end_ms / 1000,
            "title": mark.title,
        }
        if mark.link:
            chapter["url"] = mark.link
        chapters.append(chapter)
    document["chapters"] = chapters
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def read_chapters_json(
    data: bytes | str, *, origin: str = "chapters JSON"
) -> tuple[ChapterMark, ...]:
    """Chapters read back from a JSON chapters file, in file order; ids are their 1-based positions.

    A chapter without `endTime` ends where the next one starts (the last one where it starts).
    """
    try:
        document = json.loads(data)
        entries = document["chapters"]
        if not isinstance(entries, list):
            raise TypeError("'chapters' is not a list")
        starts = [_seconds_to_ms(entry["startTime"]) for entry in entries]
        marks = []
        for index, entry in enumerate(entries):
            following = starts[index + 1] if index + 1 < len(starts) else starts[index]
            end = entry.get("endTime")
            marks.append(
                ChapterMark(
                    id=str(index + 1),
                    title=str(entry.get("title", "")),
                    start_ms=starts[index],
                    end_ms=following if end is None else _seconds_to_ms(end),
                    link=entry.get("url"),
                )
            )
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise BuildError(f"{origin}: not a valid chapters file ({_describe(error)})") from None
    return tuple(marks)


def _seconds_to_ms(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"time {value!r} is not a number")
    return round(value * 1000)


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing {error}"
    return str(error).splitlines()[0]


def webvtt(episode: Episode) -> str:
    """A WebVTT transcript with one cue per spoken sentence, at the times assembly measured.

    Line breaks inside a sentence become spaces: a blank line would end the cue early.
    """
    blocks = ["WEBVTT"]
    for cue in episode.cues:
        timing = f"{vtt_timestamp(cue.start_ms)} --> {vtt_timestamp(cue.end_ms)}"
        text = _escape_vtt(" ".join(cue.text.split()))
        blocks.append(f"{timing}\n{text}" if text else timing)
    return "\n\n".join(blocks) + "\n"


def vtt_timestamp(ms: int) -> str:
    """`HH:MM:SS.mmm`, the form both WebVTT and Podlove simple chapters accept."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def parse_timestamp(text: str) -> int:
    """Milliseconds of a `[HH:]MM:SS[.mmm]` timestamp; raises ValueError on anything else."""
    match = _TIMESTAMP.fullmatch(text.strip())
    if not match:
        raise ValueError(f"bad timestamp {text!r}")
    hours, minutes, seconds, fraction = match.groups()
    millis = round(float(f"0.{fraction}") * 1000) if fraction else 0
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis


_TIMESTAMP = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.(\d{1,3}))?")


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def read_webvtt(text: str, *, origin: str = "WebVTT") -> tuple[Cue, ...]:
    """Cues read back from a WebVTT file: timings, and text with markup tags removed."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines[0].startswith("WEBVTT"):
        raise BuildError(f"{origin}: missing the WEBVTT header")
    cues = []
    for block in _blocks(lines[1:]):
        if "-->" not in block[0] and (len(block) < 2 or "-->" not in block[1]):
            continue  # NOTE, STYLE and REGION blocks carry no cue
        if "-->" not in block[0]:
            block = block[1:]  # a cue identifier line
        start, _, rest = block[0].partition("-->")
        try:
            start_ms = parse_timestamp(start)
            end_ms = parse_timestamp(rest.split()[0] if rest.split() else "")
        except ValueError as error:
            raise BuildError(f"{origin}: {error} in cue timing {block[0]!r}") from None
        payload = re.sub(r"<[^>]*>", "", "\n".join(block[1:]))
        cues.append(Cue(start_ms=start_ms, end_ms=end_ms, text=html.unescape(payload)))
    return tuple(cues)


def _blocks(lines: list[str]) -> Iterator[list[str]]:
    """Runs of non-blank lines."""
    block: list[str] = []
    for line in lines:
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block
