"""`make bench-archive`: an archive of generated articles built by the build's own threads and by
a local Dask cluster, what each task costs on the cluster, and what N machines would make.

Each build is a fresh `audioguide build` process with an empty cache and output folder. CPU
seconds are those of the whole process tree (the build, its ffmpeg encoders, a local cluster's
worker processes); the client's own are those of the build process alone (with a local
cluster it also runs the scheduler). The projection to N machines is arithmetic on these
figures, not a measurement: each machine adds workers at the cluster's measured rate until the
client, which joins and tags every episode and hears of every task, is busy all the time.

    python -m audioguide.bench_archive [--articles 20] [--words 120] [--engine piper] [--workers 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from audioguide.bench import audio_seconds, long_article
from audioguide.executors import CLUSTER_EXTRA

SECTIONS = 3
EMPTY_TASKS = 200
MACHINES = (1, 2, 4, 8, 16, 32, 64, 128)


@dataclass(frozen=True)
class Build:
    wall_s: float
    cpu_s: float
    """Of the whole process tree."""
    client_cpu_s: float
    audio_min: float
    chapters: int
    """Chapter segments made."""

    @property
    def audio_per_minute(self) -> float:
        return self.audio_min / (self.wall_s / 60)

    @property
    def cpu_per_audio_minute(self) -> float:
        return self.cpu_s / self.audio_min


def write_archive(folder: Path, articles: int, words: int) -> list[Path]:
    """`articles` Markdown articles of about `words` words in SECTIONS sections, no sentence
    shared between them (so nothing of one comes from the cache of another)."""
    wanted = articles * words
    sentences = re.findall(r"[A-Z][^.#\n]*\.", long_article(wanted, seed=11))
    per_article = max(SECTIONS + 1, len(sentences) // articles)
    while len(sentences) < per_article * articles:  # too few, long sentences: a sentence for every part
        wanted *= 2
        sentences = re.findall(r"[A-Z][^.#\n]*\.", long_article(wanted, seed=11))
    paths = []
    for n in range(articles):
        mine = sentences[n * per_article : (n + 1) * per_article]
        # Dealt round, so that no part is left empty (an empty section is no chapter).
        parts = [" ".join(mine[part :: SECTIONS + 1]) for part in range(SECTIONS + 1)]
        lines = [f"# Archive Article {n + 1}", "", parts[0], ""]
        for section in range(SECTIONS):
            lines += [f"## Part {section + 1}", "", parts[section + 1], ""]
        path = folder / f"article-{n + 1:02d}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def measure_build(articles: list[Path], work: Path, engine: str, extra: list[str], *, output: str = "output") -> Build:
    """One build in a process of its own; wall, CPU of its tree, CPU of the build alone."""
    cache = work / "cache"
    command = [sys.executable, "-m", "audioguide", "build", *map(str, articles), "--output", str(work / output),
               "--cache-dir", str(cache), "--engine", engine, *extra]  # fmt: skip
    segments_before = sum(1 for _ in cache.rglob("*.seg"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    client = 0.0
    while process.poll() is None:
        try:
            times = process.cpu_times()
            client = times.user + times.system
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - started
    output_text = process.stdout.read() if process.stdout else ""
    if process.returncode:
        raise SystemExit(f"benchmark build failed: {' '.join(command)}\n{output_text}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    chapters = sum(1 for _ in cache.rglob("*.seg")) - segments_before
    return Build(wall, cpu, client, audio_seconds(output_text) / 60, chapters)


@dataclass(frozen=True)
class RoundTrip:
    start_s: float
    """To start a local cluster."""
    wall_s: float
    cpu_s: float
    """Per empty task: wall seconds, and CPU seconds of the client and scheduler."""


def dask_round_trip(workers: int) -> RoundTrip:
    """Empty tasks sent through a local cluster of `workers` one-thread processes and back."""
    import distributed

    started = time.perf_counter()
    with distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster, distributed.Client(cluster) as client:
        start_s = time.perf_counter() - started
        client.gather(client.map(abs, range(workers), pure=False))  # warm the connections
        started, cpu = time.perf_counter(), time.process_time()
        client.gather(client.map(abs, range(EMPTY_TASKS), pure=False))
        wall_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    return RoundTrip(start_s, wall_s / EMPTY_TASKS, cpu_s / EMPTY_TASKS)


@dataclass(frozen=True)
class SteadyState:
    """What one more chapter costs once everything has started: CPU seconds on some worker to
    make it, and on the one client to plan, join and tag it and hear of its task."""

    worker_s: float
    client_s: float
    audio_min: float
    """Minutes of audio per chapter."""

    def audio_per_minute(self, machines: int, cores: int) -> float:
        chapters_per_s = min(machines * cores / self.worker_s, 1 / self.client_s)
        return chapters_per_s * self.audio_min * 60


def client_seconds(articles: list[Path], work: Path, engine: str) -> float:
    """CPU seconds per chapter that a build's own process spends when the cache holds every
    segment (planning, joining, tagging, writing): measured in this process, after a first such
    build has paid for the imports."""
    from audioguide.build import BuildOptions, build

    options = BuildOptions(output_dir=work / "warm", engine=engine, cache_dir=work / "cache")
    build(articles, options)
    started = time.process_time()
    report = build(articles, dataclasses.replace(options, output_dir=work / "measured"))
    return (time.process_time() - started) / sum(e.chapters for e in report.episodes)


def steady_state(local: Build, planned: Build, client_s: float, trip: RoundTrip) -> SteadyState:
    """From the local build, less what a build costs that only plans (`planned`: imports, keys)
    and the client's share of each chapter."""
    worker_s = (local.cpu_s - planned.cpu_s) / local.chapters - client_s
    return SteadyState(worker_s, client_s + trip.cpu_s, local.audio_min / local.chapters)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20, help="articles in the archive")
    parser.add_argument("--words", type=int, default=120, help="words per article")
    parser.add_argument("--engine", default="piper", help="speech engine (hibari is about 3x faster)")
    parser.add_argument("--workers", type=int, default=2, help="local cluster workers, and --jobs")
    args = parser.parse_args(argv)
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise SystemExit(f"make bench-archive needs the cluster extra: {CLUSTER_EXTRA}") from None

    work = Path(tempfile.mkdtemp(prefix="audioguide-bench-archive-"))
    jobs = ["--jobs", str(args.workers)]
    try:
        (work / "articles").mkdir()
        articles = write_archive(work / "articles", args.articles, args.words)
        local = measure_build(articles, work / "local", args.engine, jobs)
        # What a build costs with nothing made (imports, keys), and with every episode written
        # again from its cached segments.
        planned = measure_build(articles, work / "local", args.engine, ["--dry-run"], output="again")
        client_s = client_seconds(articles, work / "local", args.engine)
        cluster = measure_build(articles, work / "cluster", args.engine, ["--local-cluster", str(args.workers)])
        trip = dask_round_trip(args.workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cores = os.cpu_count() or 1
    steady = steady_state(local, planned, client_s, trip)
    print(f"\naudioguide archive benchmark: {args.articles} articles, {local.chapters} chapters, "
          f"{local.audio_min:.1f} min of audio, {args.engine}; {cores} cores, Python {sys.version.split()[0]}\n")
    rows = [
        ("", "wall", "audio min/min", "CPU-s/audio min", "client CPU-s/audio min"),
        (f"local threads (--jobs {args.workers})", *_figures(local)),
        (f"LocalCluster, {args.workers} workers x 1 thread", *_figures(cluster)),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(row, widths))]
        print("  " + "  ".join(cells))
    print(
        f"\n  per-task overhead, cluster vs threads: {(cluster.cpu_s - local.cpu_s) / cluster.chapters:+.2f} CPU-s, "
        f"{(cluster.wall_s - local.wall_s) / cluster.chapters:+.2f} s wall per chapter, start-ups included\n"
        f"    (the cluster's {trip.start_s:.1f} s to start; each worker's imports and voice)\n"
        f"  Dask's own round trip: {trip.wall_s * 1000:.1f} ms wall, {trip.cpu_s * 1000:.1f} ms client CPU per empty task\n"
        f"  steady state, per chapter of {steady.audio_min * 60:.0f} s: {steady.worker_s:.2f} CPU-s on a worker to make it, "
        f"{steady.client_s * 1000:.1f} ms CPU on the client to plan, join, tag and hear of it"
    )
    print(f"\n  projection, not measured: N machines of {cores} cores, a one-thread worker per core kept busy, one client")
    print("  " + "".join(f"{n:>7}" for n in MACHINES) + "  machines")
    print("  " + "".join(f"{steady.audio_per_minute(n, cores):7.0f}" for n in MACHINES) + "  audio min/min")


def _figures(run: Build) -> tuple[str, str, str, str]:
    return (
        f"{run.wall_s:.1f} s",
        f"{run.audio_per_minute:.1f}",
        f"{run.cpu_per_audio_minute:.1f}",
        f"{run.client_cpu_s / run.audio_min:.2f}",
    )


if __name__ == "__main__":
    main()
