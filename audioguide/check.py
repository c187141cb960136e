"""`audioguide check`: lint a built output folder the way a podcast directory would.

Every problem names the file it is about and says in one line what is wrong, so a user can fix it
(or see which stage to blame) without reading the feed by hand.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from itertools import pairwise
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import mutagen
from mutagen.mp3 import MP3

from audioguide.check_media import artwork_problems, loudness_problems
from audioguide.errors import AudioguideError
from audioguide.feed import FEED_FILE, NAMESPACES
from audioguide.sidecars import (
    parse_timestamp,
    read_chapters_json,
    read_webvtt,
    vtt_timestamp,
)
from audioguide.webapp import lint_site

DURATION_TOLERANCE_S = 1.0


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the output; a warning is worth fixing but does not fail the check."""

    file: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.file}: {'warning: ' if self.warning else ''}{self.message}"


def check_output(output_dir: Path, *, loudness: bool = True) -> list[Problem]:
    """Every problem found in the built guide at `output_dir`; an empty list means it is fine.

    `loudness=False` skips decoding each MP3 to measure it, the one slow part of the check.
    """
    feed_path = output_dir / FEED_FILE
    if not feed_path.is_file():
        return [Problem(FEED_FILE, "missing: no guide has been built in this folder")]
    try:
        root = _parse_xml(feed_path.read_bytes())
    except ValueError as error:
        return [Problem(FEED_FILE, str(error))]
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        return [Problem(FEED_FILE, "not an RSS feed: expected <rss><channel>")]
    folder = _Folder(output_dir, channel)
    problems = list(_check_channel(channel, folder))
    items = channel.findall("item")
    if not items:
        problems.append(Problem(FEED_FILE, "the feed lists no episodes"))
    guids: set[str] = set()
    for number, item in enumerate(items, start=1):
        problems.extend(_check_item(item, number, folder, guids))
    problems.extend(Problem(name, message) for name, message in lint_site(output_dir))
    if loudness:
        problems.extend(
            Problem(name, message) for name, message in loudness_problems(folder.audio_files)
        )
    return problems


def _parse_xml(data: bytes) -> ET.Element:
    """The parsed feed; a feed declaring a DTD or entities is refused, as directories do."""

    def refuse(*_: object) -> None:
        raise ValueError("declares a DTD or entities, which feeds must not")

    scanner = xml.parsers.expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = refuse
    scanner.EntityDeclHandler = refuse
    try:
        scanner.Parse(data, True)
    except xml.parsers.expat.ExpatError as error:
        raise ValueError(f"not well-formed XML: {error}") from None
    return ET.fromstring(data)


def _text(parent: ET.Element, path: str) -> str:
    return (parent.findtext(path, namespaces=NAMESPACES) or "").strip()


class _Folder:
    """Maps the feed's URLs to files in the output folder, and remembers what it has checked."""

    def __init__(self, root: Path, channel: ET.Element) -> None:
        self.root = root.resolve()
        self_link = next(
            (
                link.get("href", "")
                for link in channel.findall("atom:link", NAMESPACES)
                if link.get("rel") == "self"
            ),
            "",
        )
        # Absolute URLs are files in the folder the feed itself is served from.
        self.base = self_link.rsplit("/", 1)[0] + "/" if urlsplit(self_link).scheme else ""
        self.audio_files: list[Path] = []
        self.checked_artwork: set[Path] = set()

    def find(self, url: str) -> tuple[Path | None, str]:
        """The file `url` points at, or None and why not."""
        parts = urlsplit(url)
        if parts.scheme:
            bare = parts._replace(query="", fragment="").geturl()
            if not self.base or not bare.startswith(self.base):
                return None, f"{url} is not under the feed's own URL {self.base or '(none)'}"
            relative = bare[len(self.base) :]
        else:
            relative = parts.path
        path = (self.root / unquote(relative)).resolve()
        if not path.is_relative_to(self.root) or not relative:
            return None, f"{url} points outside the output folder"
        if not path.is_file():
            return None, f"{url}: {path.name} is missing from the output folder"
        return path, ""

    def name(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def _check_channel(channel: ET.Element, folder: _Folder) -> Iterator[Problem]:
    for tag in ("title", "link", "description", "language"):
        if not _text(channel, tag):
            yield Problem(FEED_FILE, f"the channel has no {tag}")
    # Apple recommends an author but accepts a feed without one.
    if not _text(channel, "itunes:author"):
        yield Problem(
            FEED_FILE, "the channel has no itunes:author; apps show none", warning=True
        )
    category = channel.find("itunes:category", NAMESPACES)
    if category is None or not category.get("text"):
        yield Problem(FEED_FILE, "the channel has no itunes:category")
    explicit = _text(channel, "itunes:explicit")
    if explicit not in ("true", "false"):
        yield Problem(
            FEED_FILE, f"channel itunes:explicit is {explicit!r}, expected 'true' or 'false'"
        )
    if not _text(channel, "itunes:owner/itunes:email"):
        yield Problem(
            FEED_FILE,
            "the channel has no itunes:owner email; directories mail ownership checks there",
            warning=True,
        )
    if not folder.base:
        yield Problem(
            FEED_FILE,
            "links are relative (no base URL); podcast directories need absolute URLs",
            warning=True,
        )
    image = channel.find("itunes:image", NAMESPACES)
    if image is None or not image.get("href"):
        yield Problem(FEED_FILE, "the channel has no itunes:image")
    else:
        yield from _check_artwork(image.get("href", ""), folder)


def _check_artwork(url: str, folder: _Folder) -> Iterator[Problem]:
    """The artwork at `url`, checked once however many times the feed links to it."""
    path, why = folder.find(url)
    if path is None:
        yield Problem(FEED_FILE, f"artwork {why}")
        return
    if path in folder.checked_artwork:
        return
    folder.checked_artwork.add(path)
    name = folder.name(path)
    yield from (Problem(name, message) for message in artwork_problems(path))


def _check_item(
    item: ET.Element, number: int, folder: _Folder, guids: set[str]
) -> Iterator[Problem]:
    title = _text(item, "title")
    label = f"episode {number} ({title!r})" if title else f"episode {number}"
    if not title:
        yield Problem(FEED_FILE, f"{label} has no title")
    guid = _text(item, "guid")
    if not guid:
        yield Problem(FEED_FILE, f"{label} has no guid")
    elif guid in guids:
        yield Problem(FEED_FILE, f"{label} repeats the guid {guid!r} of an earlier episode")
    guids.add(guid)
    try:
        parsedate_to_datetime(_text(item, "pubDate"))
    except (TypeError, ValueError):
        yield Problem(FEED_FILE, f"{label} has no valid RFC 822 pubDate")
    image = item.find("itunes:image", NAMESPACES)
    if image is not None:
        yield from _check_artwork(image.get("href", ""), folder)

    audio, problems = _check_enclosure(item, label, folder)
    yield from problems
    if audio is None:
        return
    try:
        duration_s = MP3(audio).info.length
    except mutagen.MutagenError as error:
        yield Problem(folder.name(audio), f"not a readable MP3 ({error})")
        return
    yield from _check_duration(item, label, duration_s)
    duration_ms = round(duration_s * 1000)
    yield from _check_simple_chapters(item, label, duration_ms)
    yield from _check_chapters_json(item, label, folder, duration_ms)
    yield from _check_transcript(item, label, folder, duration_ms)


def _check_enclosure(
    item: ET.Element, label: str, folder: _Folder
) -> tuple[Path | None, list[Problem]]:
    """The enclosure's audio file, if it can be found, and what is wrong with the enclosure."""
    enclosure = item.find("enclosure")
    if enclosure is None:
        return None, [Problem(FEED_FILE, f"{label} has no enclosure")]
    url, length, kind = (enclosure.get(key, "") for key in ("url", "length", "type"))
    problems = [
        Problem(FEED_FILE, f"{label}: enclosure has no {key}")
        for key, value in (("url", url), ("length", length), ("type", kind))
        if not value
    ]
    if kind and not kind.startswith("audio/"):
        problems.append(
            Problem(FEED_FILE, f"{label}: enclosure type is {kind!r}, expected audio/mpeg")
        )
    if not url:
        return None, problems
    audio, why = folder.find(url)
    if audio is None:
        return None, [*problems, Problem(FEED_FILE, f"{label}: enclosure {why}")]
    folder.audio_files.append(audio)
    size = audio.stat().st_size
    if length and length != str(size):
        problems.append(
            Problem(
                FEED_FILE,
                f"{label}: enclosure length is {length} but {folder.name(audio)} has {size} bytes",
            )
        )
    return audio, problems


def _check_duration(item: ET.Element, label: str, actual_s: float) -> Iterator[Problem]:
    stated = _text(item, "itunes:duration")
    try:
        seconds = (
            float(stated)
            if re.fullmatch(r"\d+(\.\d+)?", stated)
            else parse_timestamp(stated) / 1000
        )
    except ValueError:
        yield Problem(FEED_FILE, f"{label}: itunes:duration {stated!r} is not a duration")
        return
    if abs(seconds - actual_s) > DURATION_TOLERANCE_S:
        yield Problem(
            FEED_FILE,
            f"{label}: itunes:duration says {stated} s but the MP3 lasts {actual_s:.1f} s",
        )


def _check_simple_chapters(item: ET.Element, label: str, duration_ms: int) -> Iterator[Problem]:
    marks = item.findall("psc:chapters/psc:chapter", NAMESPACES)
    starts = []
    for mark in marks:
        try:
            starts.append(parse_timestamp(mark.get("start", "")))
        except ValueError as error:
            yield Problem(FEED_FILE, f"{label}: psc:chapter {error}")
            return
    for message in _chapter_order(starts, duration_ms):
        yield Problem(FEED_FILE, f"{label}: psc:chapters {message}")


def _check_chapters_json(
    item: ET.Element, label: str, folder: _Folder, duration_ms: int
) -> Iterator[Problem]:
    name, marks, problem = _read_linked(
        item, "podcast:chapters", label, folder,
        lambda path, name: read_chapters_json(path.read_bytes(), origin=name),
    )
    if problem is not None:
        yield problem
    if marks is None:
        return
    for message in _chapter_order([mark.start_ms for mark in marks], duration_ms):
        yield Problem(name, f"chapters {message}")


T = TypeVar("T")


def _read_linked(
    item: ET.Element,
    tag: str,
    label: str,
    folder: _Folder,
    read: Callable[[Path, str], T],
) -> tuple[str, T | None, Problem | None]:
    """The file an item links to with `tag`, read by `read(path, name)`: (its name, what was
    read or None, the problem that stopped it or None). No link at all is no problem."""
    link = item.find(tag, NAMESPACES)
    if link is None:
        return "", None, None
    path, why = folder.find(link.get("url", ""))
    if path is None:
        return "", None, Problem(FEED_FILE, f"{label}: {tag} {why}")
    name = folder.name(path)
    try:
        return name, read(path, name), None
    except (AudioguideError, UnicodeDecodeError) as error:
        return name, None, Problem(name, str(error).removeprefix(f"{name}: "))


def _chapter_order(starts: list[int], duration_ms: int) -> Iterator[str]:
    """What is wrong with chapter starts: they must begin at 0, increase, and lie in the audio."""
    if starts and starts[0] != 0:
        yield f"start at {vtt_timestamp(starts[0])}, not at 0"
    for number, (before, start) in enumerate(pairwise(starts), start=2):
        if start <= before:
            yield (
                f"out of order: chapter {number} starts at {vtt_timestamp(start)}, "
                f"not after chapter {number - 1} at {vtt_timestamp(before)}"
            )
    late = [number for number, start in enumerate(starts, start=1) if start >= duration_ms]
    if late:
        yield f"chapter {late[0]} starts after the audio ends at {vtt_timestamp(duration_ms)}"


def _check_transcript(
    item: ET.Element, label: str, folder: _Folder, duration_ms: int
) -> Iterator[Problem]:
    name, cues, problem = _read_linked(
        item, "podcast:transcript", label, folder,
        lambda path, name: read_webvtt(path.read_text(encoding="utf-8"), origin=name),
    )
    if problem is not None:
        yield problem
    if cues is None:
        return
    for number, cue in enumerate(cues, start=1):
        if cue.end_ms < cue.start_ms:
            yield Problem(name, f"cue {number} ends before it starts")
        if cue.end_ms > duration_ms + DURATION_TOLERANCE_S * 1000:
            yield Problem(
                name, f"cue {number} ends after the audio ends at {vtt_timestamp(duration_ms)}"
            )
    for number, (before, cue) in enumerate(pairwise(cues), start=2):
        if cue.start_ms < before.start_ms:
            yield Problem(name, f"cue {number} starts before cue {number - 1}")
