"""segments: a chapter's task speaks only what the cache lacks and caches its encoded segment."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from audioguide import segments
from audioguide.assemble import join
from audioguide.cache import SpeechCache
from audioguide.errors import EngineError
from audioguide.guide import EpisodeSource
from audioguide.model import EngineSpec, Script, ScriptChapter, Utterance
from audioguide.plan import EpisodePlan, EpisodeWork, plan_episode
from audioguide.settings import EpisodeSettings
from tests.media import decode_mp3

PLUGINS = Path(__file__).parent / "plugins"
BEEPS = EngineSpec("beeps")


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


def _plan(script: Script, cache: SpeechCache) -> EpisodePlan:
    work = EpisodeWork(EpisodeSource(Path("walk"), EpisodeSettings(title="Walk", slug="walk")), script, {"body": BEEPS}, 1)
    return plan_episode(work, cache)


def _make_all(script: Script, cache: SpeechCache) -> tuple[EpisodePlan, list[segments.SegmentResult]]:
    episode = _plan(script, cache)
    return episode, [segments.make_segment(episode.task(i, cache.location)) for i in range(len(script.chapters))]


def test_a_task_caches_its_segment_and_returns_only_numbers(tmp_path, beeps):
    cache = SpeechCache(tmp_path)
    episode, results = _make_all(SCRIPT, cache)
    assert [r.spoken for r in results] == [3, 2, 2]
    assert [r.key for r in results] == list(episode.keys)
    for result in results:
        segment = cache.get_segment(result.key)
        assert segment is not None and segment.num_samples == result.num_samples
    # What travels back from a worker is a few numbers, never audio.
    assert all(len(pickle.dumps(r)) < 300 for r in results)


def test_a_task_speaks_only_what_the_speech_cache_lacks(tmp_path, beeps):
    cache = SpeechCache(tmp_path)
    _, first = _make_all(SCRIPT, cache)
    made = {r.key: cache.get_segment(r.key) for r in first}
    for path in cache.root.glob("segment-v1/*/*.seg"):
        path.unlink()
    beeps.spoken.clear()
    _, again = _make_all(SCRIPT, cache)
    assert beeps.spoken == [] and [r.spoken for r in again] == [0, 0, 0]
    assert {r.key: cache.get_segment(r.key) for r in again} == made


def test_an_edit_changes_only_its_own_chapters_key(tmp_path, beeps):
    cache = SpeechCache(tmp_path)
    before, _ = _make_all(SCRIPT, cache)
    chapter = SCRIPT.chapters[1]
    edited = dataclasses.replace(
        SCRIPT,
        chapters=(
            SCRIPT.chapters[0],
            dataclasses.replace(chapter, utterances=chapter.utterances[:1] + (Utterance("Built of red brick", 700),)),
            SCRIPT.chapters[2],
        ),
    )
    after = _plan(edited, cache)
    assert after.missing == (after.keys[1],) and after.keys[1] != before.keys[1]
    assert (after.keys[0], after.keys[2]) == (before.keys[0], before.keys[2])


def test_joined_segments_put_each_chapter_where_its_segment_starts(tmp_path, beeps):
    cache = SpeechCache(tmp_path)
    episode, results = _make_all(SCRIPT, cache)
    made = [cache.get_segment(r.key) for r in results]
    rate = episode.mastering.sample_rate
    audio = join(made, SCRIPT, tmp_path / "walk.mp3", rate)
    starts = [0]
    for segment in made[:-1]:
        starts.append(starts[-1] + segment.stream.span_samples)
    assert [c.start_ms for c in audio.chapters] == [round(s * 1000 / rate) for s in starts]
    samples, decoded_rate = decode_mp3(tmp_path / "walk.mp3")
    assert (decoded_rate, len(samples)) == (rate, audio.num_samples)
    # A chapter's title is heard `lead` after its start: 300 ms, half the 700 ms pause being more.
    titles = [c for c in audio.cues if c.text in {"Lighthouse", "End"}]
    assert [t.start_ms - c.start_ms for t, c in zip(titles, audio.chapters[1:])] == [300, 300]


def test_a_failing_chapter_raises_the_engines_error(tmp_path, beeps):
    cache = SpeechCache(tmp_path)
    episode = _plan(_script(["Start", "fine"], ["FAIL here", "never"]), cache)
    with pytest.raises(EngineError, match="FAIL"):
        segments.make_segment(episode.task(1, cache.location))
    assert episode.task(1, cache.location).label == 'walk, chapter 2 "FAIL here"'


def test_a_machine_that_would_make_another_segment_than_the_build_keyed_refuses(tmp_path, beeps):
    cache = SpeechCache(tmp_path)
    task = _plan(SCRIPT, cache).task(0, cache.location)
    # As on a worker with another engine or ffmpeg version: its own key for the chapter differs.
    with pytest.raises(EngineError, match="differs from the build's"):
        segments.make_segment(dataclasses.replace(task, key="0" * 64))
    assert beeps.spoken == [] and not cache.has_segment("0" * 64)
