"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


TEMP_SUFFIX = ".part"
"""Temporary files are `.<name>.<random>.part` beside their target: hidden, and easy to sweep."""


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds."""
    temp = _temp_beside(target)
    try:
        yield temp
        _publish(temp, target)
    finally:
        temp.unlink(missing_ok=True)


class StagedWrites:
    """Files written under temporary names, then renamed into place together by `commit`, in the
    order they were staged: a folder's readers see the old set of files or the new one (bar the
    instants between renames), never a new file beside an old one that describes it."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def __enter__(self) -> StagedWrites:
        return self

    def __exit__(self, *exc: object) -> None:
        for temp, _ in self._staged:  # what was not committed is dropped
            temp.unlink(missing_ok=True)
        self._staged.clear()

    def path(self, target: Path) -> Path:
        """A temporary path to write `target`'s new content to."""
        temp = _temp_beside(target)
        self._staged.append((temp, target))
        return temp

    def write(self, target: Path, data: bytes | str) -> None:
        self.path(target).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def commit(self) -> None:
        for temp, target in self._staged:
            _publish(temp, target)
        self._staged.clear()


def _temp_beside(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
    os.close(fd)
    # mkstemp makes the file private; give it the permissions an ordinary new file would have.
    os.chmod(name, 0o666 & ~_umask())
    return Path(name)


def _publish(temp: Path, target: Path) -> None:
    with open(temp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(temp, target)


def sweep_temporaries(folder: Path) -> None:
    """Remove temporary files an interrupted writer left in `folder`."""
    for leftover in folder.glob(f".*{TEMP_SUFFIX}"):
        leftover.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(target: Path, data: bytes | str) -> None:
    """Write `data` to `target` atomically (text is written as UTF-8)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(target) as temp:
        temp.write_bytes(payload)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
