"""Rendering scripts: what is spoken, what comes from the cache, and that jobs never change a sample."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from audioguide import synthesize
from audioguide.cache import SpeechCache
from audioguide.engines import identify
from audioguide.errors import EngineError
from audioguide.model import EngineSpec, Script, ScriptChapter, Utterance

PLUGINS = Path(__file__).parent / "plugins"
PIPER = EngineSpec("piper")
BEEPS = EngineSpec("beeps")


def script_of(*chapters: list[str]) -> Script:
    """A script whose chapters hold the given texts; each chapter's first text is its title."""
    return Script(
        slug="test",
        title="Test",
        chapters=tuple(
            ScriptChapter(
                id=f"{n:02d}-chapter",
                title=texts[0],
                utterances=tuple(
                    Utterance(text, 300, role="title" if i == 0 else "body") for i, text in enumerate(texts)
                ),
            )
            for n, texts in enumerate(chapters, 1)
        ),
    )


# "Second sentence here!" is one whose samples differ with onnxruntime's thread count (measured).
SPOKEN = script_of(
    ["Getting started.", "Piper speaks one sentence at a time.", "Each is cached."],
    ["Second part.", "Nothing here is spoken twice.", "Second sentence here!", "Each is cached."],
)


@pytest.fixture
def beeps(monkeypatch: pytest.MonkeyPatch):
    """The test plugin engine, discoverable through its entry point."""
    monkeypatch.syspath_prepend(str(PLUGINS))
    import audioguide_beeps

    audioguide_beeps.spoken.clear()
    return audioguide_beeps


def flat(rendered) -> list:
    return [speech for chapter in rendered.chapters for speech in chapter.speech]


def test_render_speaks_each_utterance_in_order(tmp_path: Path) -> None:
    rendered = synthesize.render(SPOKEN, PIPER, SpeechCache(tmp_path))
    assert [c.chapter for c in rendered.chapters] == list(SPOKEN.chapters)
    assert [len(c.speech) for c in rendered.chapters] == [3, 4]
    assert (rendered.spoken, rendered.cached) == (7, 0)
    speeches = flat(rendered)
    assert all(s.sample_rate == 22050 and s.num_samples > 11025 for s in speeches)
    # The repeated sentence is the same audio; different sentences are not.
    assert speeches[2] == speeches[6]
    assert len({s.pcm for s in speeches}) == 6


def test_second_render_comes_from_the_cache(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path)
    first = synthesize.render(SPOKEN, PIPER, cache)
    again = synthesize.render(SPOKEN, PIPER, cache)
    assert (again.spoken, again.cached) == (0, 7)
    assert flat(again) == flat(first)


def test_jobs_never_change_a_sample(tmp_path: Path) -> None:
    alone = synthesize.render(SPOKEN, PIPER, SpeechCache(tmp_path / "one"), jobs=1)
    shared = synthesize.render(SPOKEN, PIPER, SpeechCache(tmp_path / "two"), jobs=2)
    assert flat(shared) == flat(alone)
    assert (shared.spoken, shared.cached) == (7, 0)


def test_damaged_cache_entry_is_spoken_again(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path)
    first = synthesize.render(SPOKEN, PIPER, cache)
    path = cache.path(cache.key(identify(PIPER), "Each is cached."))
    path.write_bytes(path.read_bytes()[:-100])
    again = synthesize.render(SPOKEN, PIPER, cache)
    assert (again.spoken, again.cached) == (2, 5), "the one damaged text, used twice"
    assert flat(again) == flat(first)
    assert cache.get(cache.key(identify(PIPER), "Each is cached.")) == flat(first)[2]


def test_each_distinct_text_is_spoken_once(tmp_path: Path, beeps) -> None:
    script = script_of(["Intro", "same", "same", "other"], ["Intro", "same"])
    progress: list[int] = []
    rendered = synthesize.render(script, BEEPS, SpeechCache(tmp_path), on_progress=progress.append)
    assert sorted(beeps.spoken) == ["Intro", "other", "same"]
    assert (rendered.spoken, rendered.cached) == (6, 0)
    assert progress == [1] * 6


def test_the_engine_says_the_respelled_text(tmp_path: Path, beeps) -> None:
    chapter = ScriptChapter("01-x", "Title", (Utterance("Nginx runs.", 300, say="Engine x runs."),))
    rendered = synthesize.render(Script("x", "X", (chapter,)), BEEPS, SpeechCache(tmp_path))
    assert beeps.spoken == ["Engine x runs."]
    assert rendered.chapters[0].speech[0].num_samples == len("Enginexruns") * 80


def test_progress_counts_cached_utterances_too(tmp_path: Path, beeps) -> None:
    cache = SpeechCache(tmp_path)
    synthesize.render(script_of(["Intro", "one"]), BEEPS, cache)
    progress: list[int] = []
    rendered = synthesize.render(script_of(["Intro", "one", "two"]), BEEPS, cache, on_progress=progress.append)
    assert (rendered.spoken, rendered.cached) == (1, 2)
    assert progress == [1, 1, 1]


def test_threads_report_engine_failures(tmp_path: Path, beeps) -> None:
    cache = SpeechCache(tmp_path)
    ok = synthesize.render(script_of(["Intro", "alpha", "beta"]), BEEPS, cache, jobs=2)
    assert [s.num_samples for s in flat(ok)] == [5 * 80, 5 * 80, 4 * 80]
    with pytest.raises(EngineError, match="beeps cannot say 'FAIL now'"):
        synthesize.render(script_of(["Intro", "FAIL now", "gamma"]), BEEPS, cache, jobs=2)


def test_threads_never_speak_more_characters_at_once_than_the_voice_allows(tmp_path, beeps, monkeypatch):
    lock, now, most, together = threading.Lock(), [0], [0], [0]
    speak = beeps.Beeps.synthesize
    speaking: list[str] = []

    def counted(self, text):
        with lock:
            speaking.append(text)
            now[0] += len(text)
            most[0] = max(most[0], now[0])
            together[0] = max(together[0], len(speaking))
        time.sleep(0.05)
        with lock:
            speaking.remove(text)
            now[0] -= len(text)
        return speak(self, text)

    monkeypatch.setattr(beeps.Beeps, "concurrent", True)
    monkeypatch.setattr(beeps.Beeps, "chars_at_once", 12)
    monkeypatch.setattr(beeps.Beeps, "synthesize", counted)
    texts = ["Intro", "longer text", "ab", "another one", "cd", "ef", "a text over twelve", "gh", "final text"]
    threaded = synthesize.render(script_of(texts), BEEPS, SpeechCache(tmp_path / "four"), jobs=4)
    # The text over the budget went alone; the others in pairs that fit, short ones beside long.
    assert most[0] == len("a text over twelve")
    assert together[0] >= 2
    assert sorted(beeps.spoken) == sorted(texts)
    one = synthesize.render(script_of(texts), BEEPS, SpeechCache(tmp_path / "one"), jobs=1)
    assert flat(threaded) == flat(one)


def test_engine_failure_in_process_is_an_engine_error(tmp_path: Path, beeps) -> None:
    with pytest.raises(EngineError, match="beeps cannot say"):
        synthesize.render(script_of(["FAIL"]), BEEPS, SpeechCache(tmp_path))


def test_unknown_engine_fails_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="unknown engine 'nope'; available engines: piper"):
        synthesize.render(SPOKEN, EngineSpec("nope"), SpeechCache(tmp_path / "cache"))
    assert not (tmp_path / "cache").exists()


def test_empty_script_renders_without_loading_anything(tmp_path: Path) -> None:
    rendered = synthesize.render(script_of(), PIPER, SpeechCache(tmp_path), jobs=4)
    assert (rendered.chapters, rendered.spoken, rendered.cached) == ((), 0, 0)


def test_each_role_speaks_in_its_own_voice(tmp_path: Path, beeps) -> None:
    # "Intro" is a title in one chapter and narration in the other: two voices, two entries.
    script = script_of(["Intro", "Intro", "Walk on."], ["Harbour", "Walk on."])
    cache = SpeechCache(tmp_path)
    rendered = synthesize.render(script, {"title": BEEPS, "body": PIPER}, cache)
    titles, bodies = [], []
    for chapter in rendered.chapters:
        for utterance, speech in zip(chapter.chapter.utterances, chapter.speech):
            (titles if utterance.role == "title" else bodies).append(speech)
    assert [(s.sample_rate, s.num_samples) for s in titles] == [(8000, 5 * 80), (8000, 7 * 80)]
    assert all(s.sample_rate == 22050 and s.num_samples > 11025 for s in bodies)
    assert sorted(beeps.spoken) == ["Harbour", "Intro"], "titles only, each once"
    assert (rendered.spoken, rendered.cached) == (5, 0)
    assert cache.get(cache.key(identify(PIPER), "Intro")) == bodies[0]
    assert cache.get(cache.key(identify(BEEPS), "Intro")) == titles[0]

    again = synthesize.render(script, {"title": BEEPS, "body": PIPER}, cache)
    assert (again.spoken, again.cached) == (0, 5) and flat(again) == flat(rendered)
    # One voice for every role: only what that voice never said is spoken.
    beeps.spoken.clear()
    alone = synthesize.render(script, BEEPS, cache)
    assert sorted(beeps.spoken) == ["Walk on."] and (alone.spoken, alone.cached) == (2, 3)


def test_threads_speak_every_voice_alike(tmp_path: Path, beeps) -> None:
    voices = {"title": BEEPS, "body": PIPER}
    alone = synthesize.render(SPOKEN, voices, SpeechCache(tmp_path / "one"), jobs=1)
    shared = synthesize.render(SPOKEN, voices, SpeechCache(tmp_path / "two"), jobs=2)
    assert flat(shared) == flat(alone)
    assert {s.sample_rate for s in flat(shared)} == {8000, 22050}


def test_roles_without_a_voice_speak_as_the_body(tmp_path: Path, beeps) -> None:
    rendered = synthesize.render(script_of(["Intro", "one"]), {"body": BEEPS}, SpeechCache(tmp_path))
    assert [s.sample_rate for s in flat(rendered)] == [8000, 8000]
    with pytest.raises(ValueError, match="'body' voice"):
        synthesize.render(script_of(["Intro"]), {"title": BEEPS}, SpeechCache(tmp_path))


def test_an_unknown_title_voice_fails_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="hibari has no voice 'bob'; available voices: heart"):
        synthesize.render(SPOKEN, {"title": EngineSpec("hibari", "bob"), "body": PIPER}, SpeechCache(tmp_path / "c"))
    assert not (tmp_path / "c").exists()


def test_render_chapters_speaks_only_the_chapters_asked_for(tmp_path: Path, beeps) -> None:
    script = script_of(["Intro", "one"], ["Middle", "two"], ["End", "three", "one"])
    rendered = list(synthesize.render_chapters(script, BEEPS, SpeechCache(tmp_path), jobs=2, only={0, 2}))
    assert [r.chapter for r in rendered] == [script.chapters[0], script.chapters[2]]
    assert sorted(beeps.spoken) == ["End", "Intro", "one", "three"]
    assert [r.spoken for r in rendered] == [2, 3]


def test_speech_keys_are_known_before_speaking(tmp_path: Path, beeps) -> None:
    script = script_of(["Intro", "one"], ["End", "one"])
    cache = SpeechCache(tmp_path)
    keys = synthesize.speech_keys(script, BEEPS, cache)
    assert beeps.spoken == [] and keys[0][1] == keys[1][1]
    synthesize.render(script, BEEPS, cache)
    assert all(cache.has(key) for chapter in keys for key in chapter)
