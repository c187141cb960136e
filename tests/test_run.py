"""run: a build's tasks run as one queue; a chapter failing on its input is named, the rest is
made and cached, and the output folder is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from audioguide.build import BuildOptions, build
from audioguide.errors import BuildError
from audioguide.run import BuildProgress
from tests.media import mpeg_audio
from tests.walks import write_walk


@pytest.fixture
def options(tmp_path: Path, plugins) -> BuildOptions:
    return BuildOptions(output_dir=tmp_path / "out", engine="beeps", voice="square", cache_dir=tmp_path / "cache", jobs=2)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.endswith(".lock")}


def test_a_failing_chapter_is_named_and_the_rest_is_made_but_nothing_written(tmp_path, options):
    import audioguide_beeps

    walk = write_walk(tmp_path / "walk.md", "Walk", ["The mill.", "The bridge.", "The weir."])
    park = write_walk(tmp_path / "park.md", "Park", ["The gate.", "The pond."])
    build([walk, park], options)
    before = _snapshot(options.output_dir)

    write_walk(walk, "Walk", ["The mill.", "FAIL at the bridge.", "The weir."])
    write_walk(park, "Park", ["The gate.", "The frozen pond."])
    with pytest.raises(BuildError) as failed:
        build([walk, park], options)
    message = str(failed.value)
    assert message.startswith('1 of 2 chapters could not be made: walk, chapter 3 "Stop 2": ')
    assert "beeps cannot say 'FAIL at the bridge.'" in message and "\n" not in message
    assert _snapshot(options.output_dir) == before

    # The chapter that was made is cached: fixing the failing one makes only that one.
    write_walk(walk, "Walk", ["The mill.", "The stone bridge.", "The weir."])
    audioguide_beeps.spoken.clear()
    report = build([walk, park], options)
    assert audioguide_beeps.spoken == ["The stone bridge."]
    assert [e.rebuilt for e in report.episodes] == [True, True]


def test_progress_counts_episodes_and_chapters_over_the_whole_build(tmp_path, options):
    sources = [write_walk(tmp_path / f"walk{n}.md", f"Walk {n}", [f"Stop {n} {m}." for m in range(3)]) for n in range(3)]
    build(sources[:1], options)
    heard: list[BuildProgress] = []
    build(sources, options, progress=heard.append)
    first, last = heard[0], heard[-1]
    assert (first.episodes_done, first.episodes, first.chapters_done, first.chapters) == (1, 3, 4, 12)
    assert (first.made, first.to_make) == (0, 8)
    assert (last.episodes_done, last.chapters_done, last.made) == (3, 12, 8) and last.made_ms > 0
    made = [p.made for p in heard]
    assert made == sorted(made) and max(made) == 8


def test_one_queue_across_episodes_gives_the_same_frames_as_one_thread(tmp_path, options):
    import dataclasses

    sources = [write_walk(tmp_path / f"walk{n}.md", f"Walk {n}", [f"Stop {n} {m}." for m in range(4)]) for n in range(3)]
    one = dataclasses.replace(options, output_dir=tmp_path / "one", cache_dir=tmp_path / "cache-one", jobs=1)
    build(sources, one)
    build(sources, options)
    for n in range(3):
        assert mpeg_audio(tmp_path / "one" / f"walk{n}.mp3") == mpeg_audio(options.output_dir / f"walk{n}.mp3")


def test_a_voice_that_is_not_concurrent_speaks_one_text_at_a_time_across_chapters(tmp_path, options, monkeypatch):
    import threading
    import time

    import audioguide_beeps

    speaking, most = [0], [0]
    guard = threading.Lock()
    real = audioguide_beeps.Beeps.synthesize

    def counted(self, text):
        with guard:
            speaking[0] += 1
            most[0] = max(most[0], speaking[0])
        time.sleep(0.02)
        try:
            return real(self, text)
        finally:
            with guard:
                speaking[0] -= 1

    monkeypatch.setattr(audioguide_beeps.Beeps, "synthesize", counted)
    walk = write_walk(tmp_path / "walk.md", "Walk", [f"Stop number {n} is here." for n in range(6)])
    report = build([walk], options)
    assert report.spoken == 14 and most[0] == 1
