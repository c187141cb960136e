"""terminal: the bars draw only on a terminal, and the dry-run table shows a real plan's estimate.

The other printers are exercised through the commands that use them (tests/test_cli.py,
tests/test_proof.py).
"""

from __future__ import annotations

import io
import re
import sys

import pytest

from audioguide import terminal
from audioguide.build import BuildOptions
from audioguide.plan import dry_run
from audioguide.run import BuildProgress
from tests.walks import write_walk


class _Terminal(io.StringIO):
    """Standard error as a terminal: click draws its bars only there."""

    def isatty(self) -> bool:
        return True


def _progress(made: int, chapters_done: int) -> BuildProgress:
    return BuildProgress(
        episodes_done=0, episodes=2, chapters_done=chapters_done, chapters=5,
        made=made, to_make=3, made_ms=made * 60_000, seconds=made * 30.0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("ms", "plain", "precise"),
    [
        (0, "0:00", "0:00.000"),
        (61_001, "1:01", "1:01.001"),
        (3_725_042, "1:02:05", "1:02:05.042"),
    ],
)
def test_clock_reads_as_minutes_or_hours(ms, plain, precise):
    assert terminal.clock(ms) == plain
    assert terminal.clock(ms, precise=True) == precise


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "piped"])
def test_the_build_bar_shows_counts_and_pace_only_on_a_terminal(monkeypatch, tty):
    stderr = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    with terminal.ProgressBar() as bar:
        bar(_progress(made=1, chapters_done=1))
        # A chapter found in the cache: no step of the bar, but the counts beside it move.
        bar(_progress(made=1, chapters_done=2))
    drawn = stderr.getvalue()
    if not tty:
        assert drawn == ""
        return
    assert "Making chapters" in drawn and "1/3" in drawn
    assert "episodes 0/2, chapters 1/5, 2.0 min of audio/min" in drawn
    assert drawn.rstrip().endswith(
        "episodes 0/2, chapters 2/5, 2.0 min of audio/min\x1b[?25h"
    )


def test_the_labelled_bar_starts_a_new_bar_for_each_label(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    with terminal.LabelledBar() as bar:
        bar("Hearing skin", 1, 2)
        bar("Hearing skin", 2, 2)
        bar("Respelling " + "m" * 50, 1, 4)
    drawn = sys.stderr.getvalue()
    assert "Hearing skin" in drawn and "2/2" in drawn
    # Labels are cut to 40 characters so that the bar fits beside them.
    assert "Respelling " + "m" * 29 + "  [" in drawn and "1/4" in drawn
    assert drawn.count("\x1b[?25h") == 2  # each bar closed: the cursor shown again


def test_the_dry_run_table_lists_each_section_and_what_would_be_made(tmp_path, capsys):
    walk = write_walk(
        tmp_path / "walk.md", "Walk", ["The mill turns.", "The bridge is old."]
    )
    estimates = dry_run([walk], BuildOptions(output_dir=tmp_path / "out"))
    terminal.print_dry_run(estimates)
    lines = capsys.readouterr().out.splitlines()
    (estimate,) = estimates
    assert lines[0] == "Walk (walk): 3 of 3 chapters to make"
    assert [re.sub(r"\s+", " ", line).strip() for line in lines[1:4]] == [
        f"*{s.title} {s.words} words ~{terminal.clock(s.ms)}" for s in estimate.sections
    ]
    assert lines[4].split() == [
        "total",
        str(estimate.words),
        "words",
        f"~{terminal.clock(estimate.ms)}",
    ]
    assert lines[5] == (
        "Would make 3 of 3 chapters (* above) and write 1 of 1 episodes; "
        f"~{terminal.clock(estimate.ms)} of audio in all."
    )
