"""Short articles written for build tests: a title, an introduction, and one section per stop."""

from __future__ import annotations

from pathlib import Path


def write_walk(path: Path, title: str, stops: list[str]) -> Path:
    lines = [f"# {title}", "", "A walk of a few stops.", ""]
    for n, text in enumerate(stops, 1):
        lines += [f"## Stop {n}", "", text, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
