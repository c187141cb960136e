"""bench: its measuring tools measure, and its long article is long and new throughout."""

from __future__ import annotations

import re
import sys

from audioguide import bench


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
