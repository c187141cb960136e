"""Builds killed at any moment leave a loadable output and resume from the speech cache."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import podcastparser
import pytest

from audioguide.tags import read_chapters

SECTIONS = 10
SENTENCES = [
    "The old mill stands where the river bends to the east.",
    "Its wheel turned for two hundred years before the flood.",
    "Visitors can still see the grinding stones inside.",
    "The miller's house next door is now a small museum.",
]


def _write_article(path: Path, variant: str, *, all_new: bool = False) -> None:
    """A ten-section article.

    The first sentence of each stop names the variant; with `all_new` every sentence does, so
    nothing of it can come from the cache."""
    lines = [f"# River Walk {variant}", ""]
    for n in range(SECTIONS):
        lines += [f"## Stop {n + 1} {variant}", ""]
        lines += [
            f"{s[:-1]} at stop {n + 1} of walk {variant}." if all_new or i == 0 else s
            for i, s in enumerate(SENTENCES)
        ]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def _build_command(article: Path, output: Path, cache: Path) -> list[str]:
    return [sys.executable, "-m", "audioguide", "build", str(article), "--output", str(output),
            "--cache-dir", str(cache)]


def _assert_loadable(output: Path) -> None:
    """The feed parses and every episode it lists is an MP3 with its chapters."""
    feed_bytes = (output / "feed.xml").read_bytes()
    assert not feedparser.parse(feed_bytes).bozo
    podcast = podcastparser.parse("http://localhost/feed.xml", io.BytesIO(feed_bytes))
    assert podcast["episodes"]
    for episode in podcast["episodes"]:
        name = episode["enclosures"][0]["url"].rsplit("/", 1)[-1].split("?")[0]
        assert read_chapters(output / name), f"{name} has no chapters"


def _spoken(stdout: str) -> tuple[int, int]:
    match = re.search(r"Spoke (\d+) utterances, (\d+) from cache", stdout)
    assert match, stdout
    return int(match.group(1)), int(match.group(2))


@pytest.mark.slow
def test_sigkill_at_any_moment_leaves_a_loadable_output(tmp_path):
    article, output, cache = tmp_path / "walk.md", tmp_path / "output", tmp_path / "cache"
    _write_article(article, "A")
    subprocess.run(_build_command(article, output, cache), check=True, capture_output=True)
    _assert_loadable(output)

    _write_article(article, "B", all_new=True)

    def cached_entries() -> int:
        return sum(1 for _ in cache.rglob("*.pcm"))

    # Kill points: during start-up, after some speech was cached, and while an output file
    # is being written (its temporary `.part` file exists).
    kill_points = [
        lambda start: time.monotonic() - start > 0.3,
        *(lambda start, n=n: cached_entries() >= baseline + n for n in (1, 4, 8)),
        lambda start: any(output.glob(".*.part")),
    ]
    killed_while_running = 0
    for ready in kill_points:
        baseline = cached_entries()
        process = subprocess.Popen(
            _build_command(article, output, cache),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
        start = time.monotonic()
        while process.poll() is None and not ready(start) and time.monotonic() - start < 120:
            time.sleep(0.01)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            killed_while_running += 1
        process.communicate()
        _assert_loadable(output)
    assert killed_while_running >= 4, "builds finished before they could be killed"

    final = subprocess.run(_build_command(article, output, cache), check=True, capture_output=True, text=True)
    _, cached = _spoken(final.stdout)
    if "rebuilt" in final.stdout:
        assert cached > 0, "the killed builds' speech was not kept in the cache"
    _assert_loadable(output)


def test_ctrl_c_ends_with_one_line_and_status_130(tmp_path):
    article, output, cache = tmp_path / "walk.md", tmp_path / "output", tmp_path / "cache"
    _write_article(article, "C", all_new=True)
    process = subprocess.Popen(
        _build_command(article, output, cache),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        # As from a terminal: a test run started in the background inherits SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # Interrupt once speech is under way: the first utterance has reached the cache.
    deadline = time.monotonic() + 60
    while not any(cache.rglob("*.pcm")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the build ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["Interrupted; the previous output is left as it was."]


def test_two_builds_at_once_one_waits_or_fails_clearly(tmp_path):
    article, output, cache = tmp_path / "walk.md", tmp_path / "output", tmp_path / "cache"
    _write_article(article, "D")
    processes = [
        subprocess.Popen(_build_command(article, output, cache), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in processes]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0
    if codes[1] != 0:
        failed = next(err for code, err in results if code != 0)
        assert "another build is running" in failed
    _assert_loadable(output)
