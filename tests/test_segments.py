"""segments: each chapter encoded once, reused from the cache until its speech or layout changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from audioguide import segments
from audioguide.assemble import Mastering, join
from audioguide.cache import SpeechCache
from audioguide.model import EngineSpec, Script, ScriptChapter, Utterance
from tests.media import decode_mp3

PLUGINS = Path(__file__).parent / "plugins"
BEEPS = EngineSpec("beeps")
MASTERING = Mastering(8000)


@pytest.fixture
def beeps(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(PLUGINS))
    import audioguide_beeps

    audioguide_beeps.spoken.clear()
    return audioguide_beeps


def _script(*chapters: list[str]) -> Script:
    return Script(
        "walk",
        "Walk",
        tuple(
            ScriptChapter(
                f"{n:02d}", texts[0], tuple(Utterance(t, 700 if i == len(texts) - 1 else 250) for i, t in enumerate(texts))
            )
            for n, texts in enumerate(chapters, 1)
        ),
    )


SCRIPT = _script(["Harbour", "Boats moor here", "Gulls wait"], ["Lighthouse", "Built of granite"], ["End", "Goodbye"])


def _segment_files(cache: SpeechCache) -> set[Path]:
    return set(cache.root.glob("segment-v1/*/*.seg"))


def test_a_second_run_reuses_every_segment_without_loading_speech(tmp_path, beeps):
    cache = SpeechCache(tmp_path)
    first, spoken = segments.episode_segments(SCRIPT, BEEPS, cache, MASTERING)
    assert spoken == 7 and len(first) == 3 and len(_segment_files(cache)) == 3
    for path in cache.root.glob("speech-v1/*/*.pcm"):
        path.unlink()  # unchanged chapters need none of their speech
    beeps.spoken.clear()
    progress: list[int] = []
    again, spoken = segments.episode_segments(SCRIPT, BEEPS, cache, MASTERING, on_progress=progress.append)
    assert (again, spoken, beeps.spoken, progress) == (first, 0, [], [7])


def test_an_edit_makes_only_its_own_chapter_again(tmp_path, beeps):
    cache = SpeechCache(tmp_path)
    first, _ = segments.episode_segments(SCRIPT, BEEPS, cache, MASTERING, jobs=2)
    before = _segment_files(cache)
    chapter = SCRIPT.chapters[1]
    edited = dataclasses.replace(
        SCRIPT,
        chapters=(
            SCRIPT.chapters[0],
            dataclasses.replace(chapter, utterances=chapter.utterances[:1] + (Utterance("Built of red brick", 700),)),
            SCRIPT.chapters[2],
        ),
    )
    beeps.spoken.clear()
    again, spoken = segments.episode_segments(edited, BEEPS, cache, MASTERING, jobs=2)
    assert spoken == 1 and beeps.spoken == ["Built of red brick"]
    assert len(_segment_files(cache) - before) == 1
    assert again[0] == first[0] and again[2] == first[2] and again[1] != first[1]


def test_a_damaged_segment_is_made_again_from_cached_speech(tmp_path, beeps):
    cache = SpeechCache(tmp_path)
    first, _ = segments.episode_segments(SCRIPT, BEEPS, cache, MASTERING)
    damaged = sorted(_segment_files(cache))[0]
    damaged.write_bytes(damaged.read_bytes()[:-10])
    beeps.spoken.clear()
    again, spoken = segments.episode_segments(SCRIPT, BEEPS, cache, MASTERING)
    assert (again, spoken, beeps.spoken) == (first, 0, [])


def test_speech_threads_never_change_a_segment(tmp_path, beeps):
    alone, _ = segments.episode_segments(SCRIPT, BEEPS, SpeechCache(tmp_path / "one"), MASTERING, jobs=1)
    shared, _ = segments.episode_segments(SCRIPT, BEEPS, SpeechCache(tmp_path / "two"), MASTERING, jobs=2)
    assert shared == alone


def test_joined_segments_put_each_chapter_where_its_segment_starts(tmp_path, beeps):
    made, _ = segments.episode_segments(SCRIPT, BEEPS, SpeechCache(tmp_path), MASTERING)
    audio = join(made, SCRIPT, tmp_path / "walk.mp3", MASTERING.sample_rate)
    starts = [0]
    for segment in made[:-1]:
        starts.append(starts[-1] + segment.stream.span_samples)
    assert [c.start_ms for c in audio.chapters] == [round(s * 1000 / 8000) for s in starts]
    samples, rate = decode_mp3(tmp_path / "walk.mp3")
    assert (rate, len(samples)) == (8000, audio.num_samples)
    # A chapter's title is heard `lead` after its start: 300 ms, half the 700 ms pause being more.
    titles = [c for c in audio.cues if c.text in {"Lighthouse", "End"}]
    assert [t.start_ms - c.start_ms for t, c in zip(titles, audio.chapters[1:])] == [300, 300]


def test_a_failing_chapter_stops_the_build_with_the_engines_error(tmp_path, beeps):
    from audioguide.errors import EngineError

    with pytest.raises(EngineError, match="FAIL"):
        segments.episode_segments(_script(["Start", "fine"], ["FAIL here", "never"]), BEEPS, SpeechCache(tmp_path), MASTERING, jobs=2)
