"""Content-addressed store of rendered speech, shared by every build on the machine.

An entry's key is the SHA-256 of everything that decides its sound: engine, engine version,
voice, options and the exact text. Entries live under `root/speech-v1/ab/<key>.pcm`; each
carries a header with its sample rate, length and payload checksum, so a torn or corrupt
entry is noticed, deleted and treated as a miss. Writes are atomic renames, so concurrent
builds never see half an entry (two writers of one key write the same bytes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import tempfile
from pathlib import Path
from typing import Protocol

from audioguide.model import Speech

_LOG = logging.getLogger(__name__)
_LAYOUT = "speech-v1"
_MAGIC = b"AGSPEECH"
# magic, sample rate, payload length, payload SHA-256
_HEADER = struct.Struct("<8sIQ32s")


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
    """Rendered speech on disk, addressed by `key(source, text)`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def key(self, source: SpeechSource, text: str) -> str:
        return speech_key(source, text)

    def path(self, key: str) -> Path:
        return self.root / _LAYOUT / key[:2] / f"{key}.pcm"

    def get(self, key: str) -> Speech | None:
        """The stored speech, or None if absent or damaged (a damaged entry is deleted)."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        speech = _decode(data)
        if speech is None:
            _LOG.warning("speech cache: discarding damaged entry %s", path)
            path.unlink(missing_ok=True)
        return speech

    def put(self, key: str, speech: Speech) -> None:
        """Store `speech` under `key`, atomically."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:16]}.", suffix=".part")
        try:
            # No fsync: an entry torn by a crash fails its checksum and is simply spoken again.
            with os.fdopen(fd, "wb") as f:
                f.write(_encode(speech))
            os.replace(temp, path)
        finally:
            Path(temp).unlink(missing_ok=True)


def _encode(speech: Speech) -> bytes:
    digest = hashlib.sha256(speech.pcm).digest()
    return _HEADER.pack(_MAGIC, speech.sample_rate, len(speech.pcm), digest) + speech.pcm


def _decode(data: bytes) -> Speech | None:
    if len(data) < _HEADER.size:
        return None
    magic, sample_rate, length, digest = _HEADER.unpack_from(data)
    pcm = data[_HEADER.size :]
    if magic != _MAGIC or length != len(pcm) or sample_rate == 0 or hashlib.sha256(pcm).digest() != digest:
        return None
    return Speech(pcm, sample_rate)
