"""A narration script, an engine and the speech cache make rendered speech.

Only what the cache lacks is spoken, and each distinct text once. With `jobs > 1` the texts are
a queue served to worker processes, each loading the voice once; engines fix their thread
count, so the samples are the same whatever `jobs` is.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from audioguide import engines
from audioguide.cache import SpeechCache
from audioguide.errors import EngineError
from audioguide.model import EngineSpec, RenderedChapter, RenderedScript, Script, Speech

Progress = Callable[[int], None]


def render(
    script: Script,
    spec: EngineSpec,
    cache: SpeechCache,
    *,
    jobs: int = 1,
    on_progress: Progress | None = None,
) -> RenderedScript:
    """Speech for every utterance of `script` (its `spoken_text`, lexicon applied); `on_progress(n)`
    hears of n utterances done at a time.

    `spoken` counts utterances whose speech was made in this run, `cached` those found in the
    cache; together they are all the utterances.
    """
    identity = engines.identify(spec)
    texts = [u.spoken_text for chapter in script.chapters for u in chapter.utterances]
    key_of = {text: cache.key(identity, text) for text in texts}
    uses: dict[str, int] = {}
    for text in texts:
        uses[text] = uses.get(text, 0) + 1

    speech: dict[str, Speech] = {}
    for text in uses:
        found = cache.get(key_of[text])
        if found is not None:
            speech[text] = found
    cached = sum(uses[text] for text in speech)
    if on_progress and cached:
        on_progress(cached)

    missing = [text for text in uses if text not in speech]
    for text, said in _speak(spec, missing, jobs):
        cache.put(key_of[text], said)
        speech[text] = said
        if on_progress:
            on_progress(uses[text])

    chapters = tuple(
        RenderedChapter(chapter, tuple(speech[u.spoken_text] for u in chapter.utterances))
        for chapter in script.chapters
    )
    return RenderedScript(script, chapters, spoken=len(texts) - cached, cached=cached)


def _speak(spec: EngineSpec, texts: list[str], jobs: int) -> Iterator[tuple[str, Speech]]:
    """Speech for each text, in the order it is ready."""
    if not texts:
        return
    workers = min(jobs, len(texts))
    if workers <= 1:
        engine = engines.get_engine(spec)
        for text in texts:
            yield text, engine.synthesize(text)
        return
    # spawn, not fork: a forked child would inherit onnxruntime's and espeak's state mid-use.
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(spec,)) as pool:
            futures = {pool.submit(_speak_in_worker, text): text for text in texts}
            try:
                for future in as_completed(futures):
                    yield futures[future], future.result()
            finally:
                for future in futures:
                    future.cancel()
    except BrokenProcessPool as error:
        raise EngineError(f"a speech worker process died ({error}); try --jobs 1") from None


_worker_engine: engines.Engine | None = None


def _start_worker(spec: EngineSpec) -> None:
    """Load the voice once in a worker process."""
    global _worker_engine
    _worker_engine = engines.get_engine(spec)


def _speak_in_worker(text: str) -> Speech:
    assert _worker_engine is not None, "worker started without its engine"
    return _worker_engine.synthesize(text)
