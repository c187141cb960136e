"""A narration script, its voices and the speech cache make rendered speech.

Each utterance is spoken by the voice of its role (chapter titles may have a voice of their
own). Only what the cache lacks is spoken, and each distinct (voice, text) once. With
`jobs > 1` the texts are a queue served by that many threads, which share each loaded voice:
onnxruntime runs sessions concurrently outside the GIL, and piper guards its phonemiser itself,
so one voice in memory serves every thread. An engine that does not declare itself
`concurrent` speaks one text at a time; one that sets `chars_at_once` is never handed more
characters at a time than that, a thread taking the next text that fits rather than waiting.
Engines fix their own thread count, and no text depends on another, so the samples are the same
whatever `jobs` is and in whatever order the texts are spoken.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

from audioguide import engines
from audioguide.cache import SpeechCache
from audioguide.model import EngineSpec, RenderedChapter, RenderedScript, Script, Speech

QUEUE_PER_JOB = 4
"""Texts queued ahead per thread: enough to keep every thread busy, few enough that speech
waiting to be assembled stays a small part of memory."""
Progress = Callable[[int], None]
Voices = EngineSpec | Mapping[str, EngineSpec]
"""One voice for everything, or a voice per utterance role; roles not named speak as "body"."""
_Item = tuple[engines.EngineIdentity, str]
_engine_locks: dict[engines.EngineIdentity, threading.Lock] = {}
_engine_locks_guard = threading.Lock()


_speaking: Counter[engines.EngineIdentity] = Counter()
"""Characters each voice is speaking now in this process, whichever thread speaks them."""
_turn = threading.Condition()
"""Guards `_speaking`; told whenever a text is done."""


def _engine_lock(identity: engines.EngineIdentity) -> threading.Lock:
    """The lock that keeps a voice that is not `concurrent` to one text at a time in this
    process, whichever chapter (and so whichever thread) asks it to speak."""
    with _engine_locks_guard:
        return _engine_locks.setdefault(identity, threading.Lock())


class _Resolver:
    """Which voice speaks each utterance, and the cache key of what it says."""

    def __init__(self, voices: Voices, cache: SpeechCache) -> None:
        by_role = {"body": voices} if isinstance(voices, EngineSpec) else dict(voices)
        if "body" not in by_role:
            raise ValueError(f"render needs a 'body' voice; got roles {sorted(by_role)}")
        self.identity_of = {role: engines.identify(spec) for role, spec in by_role.items()}
        self.spec_of = {identity: by_role[role] for role, identity in self.identity_of.items()}
        self.cache = cache

    def items(self, script: Script, index: int) -> list[_Item]:
        body = self.identity_of["body"]
        return [(self.identity_of.get(u.role, body), u.spoken_text) for u in script.chapters[index].utterances]

    def key(self, item: _Item) -> str:
        return self.cache.key(*item)


def speech_keys(script: Script, voices: Voices, cache: SpeechCache) -> list[list[str]]:
    """The cache key of every utterance's speech, per chapter: known before anything is spoken."""
    resolver = _Resolver(voices, cache)
    return [[resolver.key(item) for item in resolver.items(script, i)] for i in range(len(script.chapters))]


def render_chapters(
    script: Script,
    voices: Voices,
    cache: SpeechCache,
    *,
    jobs: int = 1,
    only: Collection[int] | None = None,
    on_progress: Progress | None = None,
) -> Iterator[RenderedChapter]:
    """Speech for the chapters of `script` (those indexed by `only`, if given), yielded in order,
    each as soon as all of its utterances are spoken or found in the cache.

    Every voice is checked before anything is spoken; `on_progress(1)` hears of each utterance
    as it is ready. Speech is held only until the last chapter that needs it has been yielded.
    """
    resolver = _Resolver(voices, cache)
    wanted = [i for i in range(len(script.chapters)) if only is None or i in only]
    items = {i: resolver.items(script, i) for i in wanted}
    uses = Counter(item for i in wanted for item in items[i])
    missing = list(dict.fromkeys(item for i in wanted for item in items[i] if not cache.has(resolver.key(item))))
    with _Speaker(resolver, cache, jobs, missing) as speaker:
        for index in wanted:
            chapter_items = items[index]
            speech, spoken = [], 0
            for item in chapter_items:
                said, fresh = speaker.speech(item)
                speech.append(said)
                spoken += fresh
                if on_progress:
                    on_progress(1)
            for item in chapter_items:
                uses[item] -= 1
                if not uses[item]:
                    speaker.forget(item)
            yield RenderedChapter(script.chapters[index], tuple(speech), spoken=spoken)


def render(
    script: Script,
    voices: Voices,
    cache: SpeechCache,
    *,
    jobs: int = 1,
    on_progress: Progress | None = None,
) -> RenderedScript:
    """Speech for every utterance of `script`, all in memory (see `render_chapters`).

    `spoken` counts utterances whose speech was made in this run, `cached` those found in the
    cache; together they are all the utterances.
    """
    chapters = tuple(render_chapters(script, voices, cache, jobs=jobs, on_progress=on_progress))
    spoken = sum(c.spoken for c in chapters)
    total = sum(len(c.speech) for c in chapters)
    return RenderedScript(script, chapters, spoken=spoken, cached=total - spoken)


class _Speaker:
    """Speaks `missing` texts on a pool of threads, a bounded queue ahead of the reader, and
    hands out speech: fresh (and stored in the cache) or cached."""

    def __init__(self, resolver: _Resolver, cache: SpeechCache, jobs: int, missing: list[_Item]) -> None:
        self.resolver, self.cache = resolver, cache
        self.pending = deque(missing)
        self.unresolved = set(missing)
        self.futures: dict[_Item, Future[Speech]] = {}
        self.queued: list[tuple[_Item, Future[Speech]]] = []
        """Texts handed to the pool, not yet taken by a thread."""
        self.budgets: dict[engines.EngineIdentity, int | None] = {}
        self.ready: dict[_Item, tuple[Speech, bool]] = {}
        self.window = max(1, jobs) * QUEUE_PER_JOB
        self.pool = ThreadPoolExecutor(max(1, min(jobs, len(missing))), thread_name_prefix="speech") if missing else None

    def __enter__(self) -> _Speaker:
        self._top_up()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            # Threads finish the text they are speaking (a sentence) and take no more.
            self.pool.shutdown(wait=True, cancel_futures=True)

    def speech(self, item: _Item) -> tuple[Speech, bool]:
        """The speech of `item`, and whether it was spoken in this run."""
        if item in self.ready:
            return self.ready[item]
        if item in self.unresolved:
            while item not in self.futures:
                self._top_up(force=True)
            said = self.futures.pop(item).result()
            self.unresolved.discard(item)
            self._top_up()
            self.ready[item] = (said, True)
            return self.ready[item]
        found = self.cache.get(self.resolver.key(item))
        # A cache entry found damaged only now is spoken here and then.
        self.ready[item] = (found, False) if found is not None else (self._speak(item), True)
        return self.ready[item]

    def forget(self, item: _Item) -> None:
        self.ready.pop(item, None)

    def _top_up(self, force: bool = False) -> None:
        assert self.pool is not None or not self.pending
        while self.pending and (force or len(self.futures) < self.window):
            item = self.pending.popleft()
            self.futures[item] = Future()
            self._budget(item[0])
            with _turn:
                self.queued.append((item, self.futures[item]))
            self.pool.submit(self._speak_next)  # type: ignore[union-attr]
            force = False

    def _speak_next(self) -> None:
        """Speak the first queued text its voice has room for, whatever other threads of the
        process (this render's, or other chapters') are speaking (there is one task per text)."""
        with _turn:
            while (taken := next((q for q in self.queued if self._has_room(q[0])), None)) is None:
                _turn.wait()
            self.queued.remove(taken)
            (identity, text), future = taken
            _speaking[identity] += len(text)
        try:
            future.set_result(self._speak((identity, text)))
        except BaseException as error:  # handed to whoever waits for this text
            future.set_exception(error)
        finally:
            with _turn:
                _speaking[identity] -= len(text)
                _turn.notify_all()

    def _budget(self, identity: engines.EngineIdentity) -> int | None:
        """The voice's `chars_at_once` (loading it: it is about to speak)."""
        if identity not in self.budgets:
            engine = engines.get_engine(self.resolver.spec_of[identity])
            self.budgets[identity] = getattr(engine, "chars_at_once", None)
        return self.budgets[identity]

    def _has_room(self, item: _Item) -> bool:
        """Whether the voice may start this text now, within its budget (under `_turn`)."""
        identity, text = item
        budget, busy = self.budgets[identity], _speaking[identity]
        return budget is None or not busy or busy + len(text) <= budget

    def _speak(self, item: _Item) -> Speech:
        identity, text = item
        engine = engines.get_engine(self.resolver.spec_of[identity])
        if getattr(engine, "concurrent", False):
            said = engine.synthesize(text)
        else:
            with _engine_lock(identity):
                said = engine.synthesize(text)
        self.cache.put(self.resolver.key(item), said)
        return said
