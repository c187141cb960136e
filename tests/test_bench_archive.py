"""bench_archive: its archive is what it says, and its projection is capped by the one client."""

from __future__ import annotations

import re

from audioguide import bench_archive
from audioguide.article import read_article


def test_the_archive_has_the_articles_and_sections_asked_for_and_shares_no_sentence(tmp_path):
    paths = bench_archive.write_archive(tmp_path, 20, 80)
    assert len(paths) == 20
    sentences = []
    for path in paths:
        article = read_article(path)
        assert len(article.sections) == 1 + bench_archive.SECTIONS
        sentences += re.findall(r"[^.]+\.", " ".join(p for s in article.sections for p in s.paragraphs))
    assert len(sentences) == len(set(sentences))
    words = sum(len(path.read_text(encoding="utf-8").split()) for path in paths)
    assert 20 * 60 <= words <= 20 * 120


def test_the_projection_grows_with_machines_until_the_client_is_busy():
    # 2 CPU-s per chapter on a worker, 10 ms on the client, 0.5 min of audio per chapter.
    steady = bench_archive.SteadyState(worker_s=2.0, client_s=0.01, audio_min=0.5)
    assert steady.audio_per_minute(1, 2) == 30.0
    assert steady.audio_per_minute(4, 2) == 120.0
    assert steady.audio_per_minute(1000, 2) == 100 * 0.5 * 60
