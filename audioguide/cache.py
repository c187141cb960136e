"""Content-addressed store of rendered speech and encoded segments, shared by every build on
the machine.

A speech entry's key is the SHA-256 of everything that decides its sound: engine, engine
version, voice, options and the exact text; it lives under `root/speech-v1/ab/<key>.pcm`.
A segment entry (one chapter, mastered and encoded) is keyed by `assemble.segment_key` and lives
under `root/segment-v1/ab/<key>.seg`. Each entry carries a header with a checksum of its
payload, so a torn or corrupt entry is noticed, deleted and treated as a miss. Writes are
atomic renames, so concurrent builds never see half an entry (two writers of one key write the
same bytes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import tempfile
from pathlib import Path
from collections.abc import Callable
from typing import Protocol, TypeVar

from audioguide.model import EncodedSegment, EncodedStream, Speech

_LOG = logging.getLogger(__name__)
T = TypeVar("T")
_SPEECH_LAYOUT = "speech-v1"
_SPEECH_MAGIC = b"AGSPEECH"
# magic, sample rate, payload length, payload SHA-256
_SPEECH_HEADER = struct.Struct("<8sIQ32s")
_SEGMENT_LAYOUT = "segment-v1"
_SEGMENT_MAGIC = b"AGSEGMNT"
# magic, description length, SHA-256 of description and payload
_SEGMENT_HEADER = struct.Struct("<8sI32s")


class SpeechSource(Protocol):
    """What identifies a voice's sound; engines and their identities both qualify."""

    name: str
    version: str
    voice: str
    options: tuple[tuple[str, str], ...]


def default_cache_dir() -> Path:
    """`$AUDIOGUIDE_CACHE_DIR`, else `$XDG_CACHE_HOME/audioguide`, else `~/.cache/audioguide`."""
    explicit = os.environ.get("AUDIOGUIDE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "audioguide"


def speech_key(source: SpeechSource, text: str) -> str:
    """SHA-256 hex of a canonical JSON of the source's identity and the exact text."""
    identity = {
        "engine": source.name,
        "version": source.version,
        "voice": source.voice,
        "options": sorted([key, value] for key, value in source.options),
        "text": text,
    }
    canonical = json.dumps(identity, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class SpeechCache:
    """Rendered speech (addressed by `key(source, text)`) and encoded segments, on disk."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def key(self, source: SpeechSource, text: str) -> str:
        return speech_key(source, text)

    def path(self, key: str) -> Path:
        return self.root / _SPEECH_LAYOUT / key[:2] / f"{key}.pcm"

    def get(self, key: str) -> Speech | None:
        """The stored speech, or None if absent or damaged (a damaged entry is deleted)."""
        return _read(self.path(key), _decode_speech)

    def put(self, key: str, speech: Speech) -> None:
        """Store `speech` under `key`, atomically."""
        _write(self.path(key), _encode_speech(speech))

    def has(self, key: str) -> bool:
        """Whether speech is stored under `key` (not whether it is intact: `get` checks that)."""
        return self.path(key).is_file()

    def segment_path(self, key: str) -> Path:
        return self.root / _SEGMENT_LAYOUT / key[:2] / f"{key}.seg"

    def get_segment(self, key: str) -> EncodedSegment | None:
        """The stored segment, or None if absent or damaged (a damaged entry is deleted)."""
        return _read(self.segment_path(key), _decode_segment)

    def put_segment(self, key: str, segment: EncodedSegment) -> None:
        _write(self.segment_path(key), _encode_segment(segment))


def _read(path: Path, decode: Callable[[bytes], T | None]) -> T | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    entry = decode(data)
    if entry is None:
        _LOG.warning("audioguide cache: discarding damaged entry %s", path)
        path.unlink(missing_ok=True)
    return entry


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:16]}.", suffix=".part")
    try:
        # No fsync: an entry torn by a crash fails its checksum and is simply made again.
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    finally:
        Path(temp).unlink(missing_ok=True)


def _encode_speech(speech: Speech) -> bytes:
    digest = hashlib.sha256(speech.pcm).digest()
    return _SPEECH_HEADER.pack(_SPEECH_MAGIC, speech.sample_rate, len(speech.pcm), digest) + speech.pcm


def _decode_speech(data: bytes) -> Speech | None:
    if len(data) < _SPEECH_HEADER.size:
        return None
    magic, sample_rate, length, digest = _SPEECH_HEADER.unpack_from(data)
    pcm = data[_SPEECH_HEADER.size :]
    if magic != _SPEECH_MAGIC or length != len(pcm) or sample_rate == 0 or hashlib.sha256(pcm).digest() != digest:
        return None
    return Speech(pcm, sample_rate)


def _encode_segment(segment: EncodedSegment) -> bytes:
    stream = segment.stream
    blobs = [stream.info_frame, stream.audio, segment.loudness_steps]
    description = json.dumps(
        {
            "frame_count": stream.frame_count,
            "frame_samples": stream.frame_samples,
            "delay": stream.delay,
            "padding": stream.padding,
            "music_crc": stream.music_crc,
            "num_samples": segment.num_samples,
            "utterances": segment.utterances,
            "blobs": [len(blob) for blob in blobs],
        }
    ).encode()
    body = description + b"".join(blobs)
    return _SEGMENT_HEADER.pack(_SEGMENT_MAGIC, len(description), hashlib.sha256(body).digest()) + body


def _decode_segment(data: bytes) -> EncodedSegment | None:
    if len(data) < _SEGMENT_HEADER.size:
        return None
    magic, length, digest = _SEGMENT_HEADER.unpack_from(data)
    body = data[_SEGMENT_HEADER.size :]
    if magic != _SEGMENT_MAGIC or hashlib.sha256(body).digest() != digest:
        return None
    meta = json.loads(body[:length])
    blobs, offset = [], length
    for size in meta["blobs"]:
        blobs.append(body[offset : offset + size])
        offset += size
    info_frame, audio, steps = blobs
    stream = EncodedStream(
        info_frame, audio, meta["frame_count"], meta["frame_samples"], meta["delay"], meta["padding"], meta["music_crc"]
    )
    utterances = tuple(tuple(span) if span is not None else None for span in meta["utterances"])
    return EncodedSegment(stream, meta["num_samples"], utterances, steps)
