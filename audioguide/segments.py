"""Every chapter of an episode as an encoded segment: from the cache, or spoken and encoded.

A segment's cache key is known before anything is spoken (it hashes its speech's cache keys), so
an unchanged chapter costs one file read: its speech is not even loaded. The chapters that are
missing are spoken on the speech threads, and each is mastered and encoded on one more thread
as soon as its speech is ready, while the next chapters are being spoken.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from audioguide import assemble, synthesize
from audioguide.assemble import Mastering
from audioguide.cache import SpeechCache
from audioguide.model import EncodedSegment, RenderedChapter, Script


def episode_segments(
    script: Script,
    voices: synthesize.Voices,
    cache: SpeechCache,
    mastering: Mastering,
    *,
    jobs: int = 1,
    on_progress: synthesize.Progress | None = None,
) -> tuple[list[EncodedSegment], int]:
    """Each chapter's segment, in order, and how many utterances were spoken to make them.
    `on_progress(n)` hears of n utterances done, cached ones included."""
    plans = assemble.plan_segments(script, mastering.sample_rate)
    keys = [
        assemble.segment_key(plan, speech, mastering)
        for plan, speech in zip(plans, synthesize.speech_keys(script, voices, cache))
    ]
    segments: dict[int, EncodedSegment] = {}
    for index, key in enumerate(keys):
        found = cache.get_segment(key)
        if found is not None:
            segments[index] = found
    reused = sum(len(script.chapters[index].utterances) for index in segments)
    if reused and on_progress:
        on_progress(reused)
    todo = [index for index in range(len(plans)) if index not in segments]

    def make(index: int, rendered: RenderedChapter) -> EncodedSegment:
        segment = assemble.encode_segment(rendered, plans[index], mastering)
        cache.put_segment(keys[index], segment)
        return segment

    spoken = 0
    assembler = ThreadPoolExecutor(1, thread_name_prefix="assemble")
    chapters = synthesize.render_chapters(script, voices, cache, jobs=jobs, only=set(todo), on_progress=on_progress)
    try:
        made = []
        for index, rendered in zip(todo, chapters):
            spoken += rendered.spoken
            made.append((index, assembler.submit(make, index, rendered)))
        for index, future in made:
            segments[index] = future.result()
    finally:
        # On a failure or Ctrl-C, the speech threads and the queued chapters stop at once; what
        # is under way finishes (a sentence, a chapter's encoding) and stays cached.
        chapters.close()
        assembler.shutdown(wait=True, cancel_futures=True)
    return [segments[index] for index in range(len(plans))], spoken
