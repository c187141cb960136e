"""bench: its measuring tools measure, and its long article is long and new throughout."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from audioguide import bench
from audioguide.ffmpeg import ffmpeg_exe


def test_measure_sees_the_memory_of_child_processes():
    child = "import time; block = bytearray(150 * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(0.5)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    run = bench.measure([sys.executable, "-c", parent])
    assert run.peak_mb >= 150 and run.seconds >= 0.5


def test_long_article_has_the_words_asked_for_and_no_repeated_sentence():
    text = bench.long_article(3000)
    words = len(re.findall(r"[A-Za-z'-]+", text))
    assert 3000 <= words <= 3300
    sentences = re.findall(r"[^.\n#]+\.", text)
    assert len(set(sentences)) == len(sentences)
    assert text.startswith("# ") and "## Part 2" in text


def test_measure_counts_the_cpu_time_of_the_whole_tree():
    child = "sum(range(3 * 10**7))"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    run = bench.measure([sys.executable, "-c", parent])
    assert 0.2 <= run.cpu_seconds <= run.seconds * (os.cpu_count() or 1) + 0.1
    assert run.largest_mb <= run.peak_mb


def test_loudness_report_reads_ffmpegs_own_figures(tmp_path):
    # ffmpeg's sine source plays at 1/8 of full scale (-18.1 dB); a full-scale 997 Hz sine
    # measures -3.0 LUFS in one channel (BS.1770's calibration); the MP3 loses a few tenths.
    mp3 = tmp_path / "tone.mp3"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=997:duration=5:sample_rate=22050", "-ac", "1", "-b:a", "64k", str(mp3)],
                   check=True)  # fmt: skip
    report = bench.loudness_report(mp3)
    integrated = float(re.match(r"\s*(-?[\d.]+) LUFS", report).group(1))
    peak = float(re.search(r"true peak (-?[\d.]+) dBTP", report).group(1))
    assert integrated == pytest.approx(-21.1, abs=0.6)
    assert peak == pytest.approx(-18.1, abs=0.5)
