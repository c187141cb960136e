"""Content-addressed store of rendered speech and encoded segments, shared by every build on
the machine.

A speech entry's key is the SHA-256 of everything that decides its sound: engine, engine
version, voice, options and the exact text; it lives under `root/speech-v1/ab/<key>.pcm`.
A segment entry (one chapter, mastered and encoded) is keyed by `assemble.segment_key` and lives
under `root/segment-v1/ab/<key>.seg`. Each entry carries a header with a checksum of its
payload, so a torn or corrupt entry is noticed, deleted and treated as a miss. Entries are
immutable by key, and two writers of one key write the same bytes; a reader never sees half an
entry: in a folder each is written to a temporary file beside it and renamed into place.

The root may also be an fsspec URL (`s3://bucket/prefix`, `gs://...`, `memory://...`), so that
the workers of a cluster share one cache; there an entry is written straight to its final key
(an object store's PUT is atomic). fsspec is imported only when a URL is given; a `file://` URL
is a folder.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import struct
import tempfile
from pathlib import Path
from collections.abc import Callable
from typing import Protocol, TypeVar

from audioguide.errors import BuildError
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
    """Rendered speech (addressed by `key(source, text)`) and encoded segments, in a folder or
    under an fsspec URL."""

    def __init__(self, root: Path | str) -> None:
        self._store = _open_store(root)
        self.root: Path | str = self._store.root
        """The folder (a Path), or the URL (a str) of a cache that is not a local folder."""

    @property
    def location(self) -> str:
        """Where the cache is, as another process opens it: an absolute path or a URL."""
        return str(self.root)

    @property
    def private(self) -> bool:
        """True when only this process can see the cache (a `memory://` URL)."""
        return self._store.private

    def key(self, source: SpeechSource, text: str) -> str:
        return speech_key(source, text)

    def path(self, key: str) -> Path | str:
        return _child(self.root, _speech_name(key))

    def get(self, key: str) -> Speech | None:
        """The stored speech, or None if absent or damaged (a damaged entry is deleted)."""
        return self._read(_speech_name(key), _decode_speech)

    def put(self, key: str, speech: Speech) -> None:
        """Store `speech` under `key`, atomically."""
        self._store.write(_speech_name(key), _encode_speech(speech))

    def has(self, key: str) -> bool:
        """Whether speech is stored under `key` (not whether it is intact: `get` checks that)."""
        return self._store.exists(_speech_name(key))

    def get_segment(self, key: str) -> EncodedSegment | None:
        """The stored segment, or None if absent or damaged (a damaged entry is deleted)."""
        return self._read(_segment_name(key), _decode_segment)

    def put_segment(self, key: str, segment: EncodedSegment) -> None:
        self._store.write(_segment_name(key), _encode_segment(segment))

    def has_segment(self, key: str) -> bool:
        """Whether a segment is stored under `key` (`get_segment` checks that it is intact)."""
        return self._store.exists(_segment_name(key))

    def _read(self, name: str, decode: Callable[[bytes], T | None]) -> T | None:
        data = self._store.read(name)
        if data is None:
            return None
        entry = decode(data)
        if entry is None:
            _LOG.warning("audioguide cache: discarding damaged entry %s", _child(self.root, name))
            self._store.delete(name)
        return entry


@functools.lru_cache(maxsize=8)
def open_cache(location: str) -> SpeechCache:
    """The cache at `location`, opened once per process (worker processes keep theirs)."""
    return SpeechCache(location)


def _speech_name(key: str) -> str:
    return f"{_SPEECH_LAYOUT}/{key[:2]}/{key}.pcm"


def _segment_name(key: str) -> str:
    return f"{_SEGMENT_LAYOUT}/{key[:2]}/{key}.seg"


def _child(root: Path | str, name: str) -> Path | str:
    return root / name if isinstance(root, Path) else f"{root.rstrip('/')}/{name}"


class _Store(Protocol):
    root: Path | str
    private: bool

    def read(self, name: str) -> bytes | None: ...

    def write(self, name: str, data: bytes) -> None: ...

    def exists(self, name: str) -> bool: ...

    def delete(self, name: str) -> None: ...


def _open_store(root: Path | str) -> _Store:
    if isinstance(root, str) and "://" in root:
        try:
            from fsspec.core import url_to_fs
            from fsspec.implementations.local import LocalFileSystem
        except ImportError:
            raise BuildError(
                f'a cache URL ({root}) needs fsspec: pip install "audioguide[cluster]"'
            ) from None
        try:
            fs, path = url_to_fs(root)
        except (ImportError, ValueError) as error:
            raise BuildError(f"cannot open the cache {root}: {error}") from None
        if isinstance(fs, LocalFileSystem):
            return _Folder(Path(path))
        return _Bucket(fs, path, root)
    return _Folder(Path(root).expanduser().absolute())


class _Folder:
    """Entries as files in a folder, each renamed into place whole."""

    private = False

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, name: str) -> bytes | None:
        try:
            return (self.root / name).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, name: str, data: bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:16]}.", suffix=".part")
        try:
            # No fsync: an entry torn by a crash fails its checksum and is simply made again.
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(temp, path)
        finally:
            Path(temp).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return (self.root / name).is_file()

    def delete(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)


class _Bucket:
    """Entries as objects under an fsspec file system's path, each written to its final key in
    one PUT (object stores have no rename: fsspec's `mv` copies, then deletes)."""

    def __init__(self, fs, path: str, url: str) -> None:  # fs: fsspec.AbstractFileSystem
        self.fs, self.path, self.root = fs, path.rstrip("/"), url
        self.private = "memory" in fs.protocol

    def read(self, name: str) -> bytes | None:
        try:
            return self.fs.cat_file(f"{self.path}/{name}")
        except FileNotFoundError:
            return None

    def write(self, name: str, data: bytes) -> None:
        self.fs.pipe_file(f"{self.path}/{name}", data)

    def exists(self, name: str) -> bool:
        return self.fs.exists(f"{self.path}/{name}")

    def delete(self, name: str) -> None:
        try:
            self.fs.rm_file(f"{self.path}/{name}")
        except FileNotFoundError:
            pass


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
