"""Running a build's plan: its segment tasks through an executor, each stale episode handed
back as soon as its segments are in the cache, and progress over the whole build.

The executor is anything shaped like `concurrent.futures.Executor` (`executors.py` makes one:
the build's own threads, or a Dask cluster). Every task is submitted at once, in the plan's
order, so one queue runs across all the episodes of a build. A task that fails on its own
input (a text the engine refuses, a voice that raises) does not stop the others: when all
have ended, one error names every chapter that failed, and the build writes nothing, while the
cache keeps every segment that was made. Anything else (Ctrl-C, a bug) cancels the tasks not
yet started and is raised at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, as_completed
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audioguide.errors import AudioguideError, BuildError
from audioguide.plan import BuildPlan

if TYPE_CHECKING:  # segments imports assembly and numpy, which a build with no tasks never needs
    from audioguide.segments import SegmentResult, SegmentTask

SHOWN_FAILURES = 3
"""Failed chapters named in the error; the rest are counted."""


@dataclass(frozen=True)
class BuildProgress:
    """How far a build is, over all its episodes."""

    episodes_done: int
    """Episodes written, or left as they were because nothing in them changed."""
    episodes: int
    chapters_done: int
    """Chapters ready: made in this build, found in the cache, or in an unchanged episode."""
    chapters: int
    made: int
    """Chapter segments made (spoken, mastered and encoded) so far in this build..."""
    to_make: int
    """...of this many."""
    made_ms: int
    """The audio of the segments made so far."""
    seconds: float
    """Since making began."""


Progress = Callable[[BuildProgress], None]


def run_plan(
    plan: BuildPlan,
    open_executor: Callable[[], AbstractContextManager[Executor]],
    ready: Callable[[int, int], None],
    progress: Progress | None = None,
) -> None:
    """Make the plan's segments, and call `ready(index, spoken)` for each stale episode (its
    index in `plan.episodes`, and how many utterances were spoken for it) as soon as all its
    segments are in the cache, in the calling thread, while the rest are made. The executor is
    opened only if there is something to make."""
    waiting = {index: set(e.missing) for index, e in enumerate(plan.episodes) if e.rebuild}
    spoken = dict.fromkeys(waiting, 0)
    tally = _Tally(plan, progress)

    def episode_ready(index: int) -> None:
        del waiting[index]
        ready(index, spoken[index])
        tally.episode_done()

    def segment_done(task: SegmentTask, result: SegmentResult) -> None:
        needing = [index for index, keys in waiting.items() if result.key in keys]
        tally.segment_made(task, result, chapters=sum(plan.episodes[i].keys.count(result.key) for i in needing))
        for index in needing:
            waiting[index].discard(result.key)
            if plan.episodes[index].work.script.slug == task.episode:
                spoken[index] += result.spoken
            if not waiting[index]:
                episode_ready(index)

    tally.tell()
    for index in [index for index, keys in waiting.items() if not keys]:
        episode_ready(index)
    if plan.tasks:
        with open_executor() as executor:
            run_tasks(plan.tasks, executor, segment_done)


def run_tasks(
    tasks: Sequence[SegmentTask],
    executor: Executor,
    on_done: Callable[[SegmentTask, SegmentResult], None],
) -> None:
    """Make every task's segment through `executor`; `on_done(task, result)` hears of each
    made segment as it is done, in the calling thread. Raises BuildError, once every task has
    ended, if any failed."""
    from audioguide.segments import make_segment

    futures: dict[Future[SegmentResult], SegmentTask] = {executor.submit(make_segment, task): task for task in tasks}
    failures: list[tuple[SegmentTask, BaseException]] = []
    try:
        for future in as_completed(futures):
            task = futures[future]
            try:
                result = future.result()
            except (AudioguideError, OSError) as error:
                failures.append((task, error))
                continue
            on_done(task, result)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    if failures:
        raise BuildError(_failed(failures, len(tasks)))


def _failed(failures: list[tuple[SegmentTask, BaseException]], total: int) -> str:
    """One line: how many chapters failed, the first few with their errors, what was kept."""
    order = sorted(failures, key=lambda failed: (failed[0].episode, failed[0].index))
    named = "; ".join(f"{task.label}: {error}" for task, error in order[:SHOWN_FAILURES])
    more = f"; and {len(order) - SHOWN_FAILURES} more" if len(order) > SHOWN_FAILURES else ""
    made = total - len(failures)
    return (
        f"{len(failures)} of {total} chapters could not be made: {named}{more}. "
        f"Nothing in the output folder was changed; the {made} chapters made are cached"
    )


class _Tally:
    """Counts what is done over the whole build, for the progress callback."""

    def __init__(self, plan: BuildPlan, progress: Progress | None) -> None:
        self.progress = progress
        rebuilt = [e for e in plan.episodes if e.rebuild]
        self.episodes, self.episodes_done = len(plan.episodes), len(plan.episodes) - len(rebuilt)
        self.chapters = sum(len(e.work.script.chapters) for e in plan.episodes)
        self.chapters_done = self.chapters - sum(key in e.missing for e in rebuilt for key in e.keys)
        self.to_make, self.made, self.made_ms = len(plan.tasks), 0, 0
        self.started = time.monotonic()

    def segment_made(self, task: SegmentTask, result: SegmentResult, chapters: int) -> None:
        """One segment made, for `chapters` chapters (more than one where episodes share it)."""
        self.made += 1
        self.chapters_done += chapters
        self.made_ms += round(result.num_samples * 1000 / task.mastering.sample_rate)
        self.tell()

    def episode_done(self) -> None:
        self.episodes_done += 1
        self.tell()

    def tell(self) -> None:
        if self.progress is not None:
            self.progress(
                BuildProgress(
                    self.episodes_done, self.episodes, self.chapters_done, self.chapters,
                    self.made, self.to_make, self.made_ms, time.monotonic() - self.started,
                )
            )  # fmt: skip
