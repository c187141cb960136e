"""A narration script, its voices and the speech cache make rendered speech.

Each utterance is spoken by the voice of its role (chapter titles may have a voice of their
own). Only what the cache lacks is spoken, and each distinct (voice, text) once. With
`jobs > 1` the texts are a queue served to worker processes, each loading a voice the first
time it needs it; engines fix their thread count, so the samples are the same whatever `jobs` is.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from audioguide import engines
from audioguide.cache import SpeechCache
from audioguide.errors import EngineError
from audioguide.model import EngineSpec, RenderedChapter, RenderedScript, Script, Speech

TEXTS_PER_WORKER = 12
"""Fewest texts worth starting one more worker process for."""
Progress = Callable[[int], None]
Voices = EngineSpec | Mapping[str, EngineSpec]
"""One voice for everything, or a voice per utterance role; roles not named speak as "body"."""
_Item = tuple[engines.EngineIdentity, str]


def render(
    script: Script,
    voices: Voices,
    cache: SpeechCache,
    *,
    jobs: int = 1,
    on_progress: Progress | None = None,
) -> RenderedScript:
    """Speech for every utterance of `script` (its `spoken_text`, lexicon applied), each in the
    voice of its role; `on_progress(n)` hears of n utterances done at a time.

    Every voice is checked before anything is spoken. `spoken` counts utterances whose speech
    was made in this run, `cached` those found in the cache; together they are all the utterances.
    """
    by_role = {"body": voices} if isinstance(voices, EngineSpec) else dict(voices)
    if "body" not in by_role:
        raise ValueError(f"render needs a 'body' voice; got roles {sorted(by_role)}")
    identity_of = {role: engines.identify(spec) for role, spec in by_role.items()}
    spec_of = {identity: by_role[role] for role, identity in identity_of.items()}

    def item(role: str, text: str) -> _Item:
        return identity_of.get(role, identity_of["body"]), text

    items = [item(u.role, u.spoken_text) for chapter in script.chapters for u in chapter.utterances]
    uses = Counter(items)
    key_of = {it: cache.key(*it) for it in uses}

    speech: dict[_Item, Speech] = {}
    for it in uses:
        found = cache.get(key_of[it])
        if found is not None:
            speech[it] = found
    cached = sum(uses[it] for it in speech)
    if on_progress and cached:
        on_progress(cached)

    missing = [it for it in uses if it not in speech]
    for index, said in _speak([(spec_of[identity], text) for identity, text in missing], jobs):
        it = missing[index]
        cache.put(key_of[it], said)
        speech[it] = said
        if on_progress:
            on_progress(uses[it])

    chapters = tuple(
        RenderedChapter(chapter, tuple(speech[item(u.role, u.spoken_text)] for u in chapter.utterances))
        for chapter in script.chapters
    )
    return RenderedScript(script, chapters, spoken=len(items) - cached, cached=cached)


def _speak(work: list[tuple[EngineSpec, str]], jobs: int) -> Iterator[tuple[int, Speech]]:
    """Speech for each (voice, text) of `work`, as (its index, speech) in the order it is ready."""
    if not work:
        return
    # A worker process costs a start-up and a voice load: small batches stay in this process.
    workers = min(jobs, -(-len(work) // TEXTS_PER_WORKER))
    if workers <= 1:
        for index, (spec, text) in enumerate(work):
            yield index, engines.get_engine(spec).synthesize(text)
        return
    # spawn, not fork: a forked child would inherit onnxruntime's and espeak's state mid-use.
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = {pool.submit(_speak_in_worker, spec, text): index for index, (spec, text) in enumerate(work)}
            try:
                for future in as_completed(futures):
                    yield futures[future], future.result()
            finally:
                for future in futures:
                    future.cancel()
    except BrokenProcessPool as error:
        raise EngineError(f"a speech worker process died ({error}); try --jobs 1") from None


def _speak_in_worker(spec: EngineSpec, text: str) -> Speech:
    # get_engine keeps every voice it loads, so a worker loads each voice once.
    return engines.get_engine(spec).synthesize(text)
