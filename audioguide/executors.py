"""Where a build's segment tasks run: one `concurrent.futures.Executor`-shaped seam.

By default, a pool of the build's own threads (`--jobs`, one per core): speech engines release
the GIL while they speak and share one loaded voice, and each thread masters and encodes the
chapter it spoke while the others go on speaking. On request, a Dask cluster (`distributed`,
the optional `cluster` extra, imported only then): an existing one by its scheduler's address,
or one started here for trying it out.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor

from audioguide.cache import SpeechCache
from audioguide.errors import AudioguideError, BuildError

MAX_DEFAULT_JOBS = 8
"""Beyond this many threads speaking at once, onnxruntime sessions only contend for memory
bandwidth."""
CLUSTER_EXTRA = 'pip install "audioguide[cluster]"'
CONNECT_TIMEOUT_S = 10
"""How long to try reaching a scheduler before saying it cannot be reached."""


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_JOBS))


@contextlib.contextmanager
def local_threads(jobs: int | None = None) -> Iterator[Executor]:
    """`jobs` threads of this process (default: one per core, up to MAX_DEFAULT_JOBS)."""
    from threadpoolctl import threadpool_limits

    pool = ThreadPoolExecutor(jobs or default_jobs(), thread_name_prefix="segment")
    # BLAS's thread count is the process's: held at one for as long as the threads master
    # (assembly limits it per segment too, which alone would race between threads: one
    # segment's end would restore it while another's mastering runs).
    try:
        with threadpool_limits(1, "blas"):
            yield pool
    finally:
        # On a failure or Ctrl-C, the chapters not started are dropped; those under way finish
        # (a few seconds at most) and stay cached.
        pool.shutdown(wait=True, cancel_futures=True)



@contextlib.contextmanager
def dask_cluster(
    cache: SpeechCache, *, scheduler: str | None = None, local_workers: int | None = None
) -> Iterator[Executor]:
    """Tasks on a Dask cluster: the one whose scheduler is at `scheduler`, whose workers have
    audioguide installed, or one started here of `local_workers` one-thread worker processes.

    Workers read and write the cache themselves, so it must be one they share; each worker
    loads a voice once (engines keep loaded voices per process) and runs as many tasks at once
    as it has threads. A task whose worker is lost is run again on another.
    """
    distributed = _import_distributed()
    if cache.private:
        raise BuildError(
            f"the cache {cache.location} lives in this process only; a cluster's workers need one "
            "they share (a folder on shared storage, or an s3:// or gs:// URL)"
        )
    with contextlib.ExitStack() as stack:
        address: object = scheduler
        if local_workers:
            address = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=local_workers, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR,
                )
            )  # fmt: skip
        try:
            client = stack.enter_context(
                distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            )
        except OSError as error:  # a timeout too
            raise BuildError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        executor = DaskExecutor(client)
        try:
            yield executor
        finally:
            executor.shutdown(cancel_futures=True)


class DaskExecutor(Executor):
    """A Dask client's tasks as `concurrent.futures` futures. A task whose workers kept dying
    under it, or that a worker cannot load (audioguide missing there), fails with a BuildError
    that says so, as a task failing on its own input does."""

    def __init__(self, client) -> None:  # client: distributed.Client
        self._client = client
        self._pending: set[Future] = set()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        # Named by the segment's key: two builds sharing a cluster make a segment once.
        key = getattr(args[0], "key", None) if args else None
        inner = self._client.submit(fn, *args, pure=False, key=f"audioguide-{key}" if key else None, **kwargs)
        outer: Future = Future()
        self._pending.add(inner)

        def relay(done) -> None:
            self._pending.discard(done)
            if outer.cancelled():
                return
            error = BuildError("the cluster dropped the task") if done.cancelled() else done.exception()
            if error is None:
                outer.set_result(done.result())
            else:
                outer.set_exception(_explained(error))

        inner.add_done_callback(relay)
        outer.add_done_callback(lambda f: inner.cancel() if f.cancelled() else None)
        return outer

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            for inner in list(self._pending):
                inner.cancel()


def _explained(error: BaseException) -> BaseException:
    if isinstance(error, (AudioguideError, OSError)):
        return error
    if type(error).__name__ == "KilledWorker":
        return BuildError(f"every worker that ran it died ({error})")
    if isinstance(error, ImportError):
        return BuildError(f"a worker cannot load audioguide's tasks ({error}); install audioguide on every worker")
    return error


def check_cluster_extra() -> None:
    """Raise BuildError, naming what to install, if Dask is not installed (without importing it)."""
    if importlib.util.find_spec("distributed") is None:
        raise BuildError(f"running on a Dask cluster needs the cluster extra: {CLUSTER_EXTRA}")


def _import_distributed():
    check_cluster_extra()
    import distributed

    return distributed
