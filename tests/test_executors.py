"""executors: a build on a real Dask cluster (worker processes, one thread each) makes the same
audio frames as the build's own threads, survives a killed worker, reports a chapter failing on
its input, and speaks nothing it has cached."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from audioguide import executors
from audioguide.build import BuildOptions, build
from audioguide.cli import cli
from audioguide.errors import BuildError
from tests.media import mpeg_audio

distributed = pytest.importorskip(
    "distributed", reason='the cluster extra is not installed (pip install "audioguide[cluster]")'
)

PLUGINS = Path(__file__).parent / "plugins"
ARTICLES = 3
STOPS = 4


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes of one thread each, no dashboard; the test engine is importable
    there because spawned workers start with this process's sys.path."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(PLUGINS))
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as local, distributed.Client(local, set_as_default=False) as client:
            # Workers import audioguide's tasks (and numpy) once, before any test times them.
            client.run(__import__, "audioguide.segments")
            yield local, client


def _articles(folder: Path, *, fail: str = "") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(ARTICLES):
        lines = [f"# Walk {n}", "", f"Walk number {n} has {STOPS} stops.", ""]
        for m in range(STOPS):
            text = fail if fail and (n, m) == (1, 2) else f"At stop {m} of walk {n} the path turns."
            lines += [f"## Stop {m}", "", text, "Look around you.", ""]
        path = folder / f"walk{n}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def _frames(output: Path) -> dict[str, bytes]:
    return {path.name: mpeg_audio(path) for path in sorted(output.glob("*.mp3"))}


@pytest.fixture
def local_build(tmp_path, plugins):
    """The articles built by the build's own threads: what every cluster build must equal."""
    sources = _articles(tmp_path / "articles")
    options = BuildOptions(tmp_path / "local", engine="beeps", voice="square", cache_dir=tmp_path / "local-cache", jobs=2)
    build(sources, options)
    return sources, _frames(options.output_dir)


def test_a_cluster_makes_the_frames_the_builds_own_threads_make(tmp_path, cluster, local_build):
    local, client = cluster
    sources, expected = local_build
    # The cache as a file:// URL, as a cluster's workers would be given a shared one.
    cache = f"file://{tmp_path / 'shared-cache'}"
    options = BuildOptions(tmp_path / "out", engine="beeps", voice="square", cache_dir=cache, scheduler=local.scheduler_address)
    report = build(sources, options)
    assert len(expected) == ARTICLES and _frames(options.output_dir) == expected
    # Stop titles and "Look around you." recur: once spoken, a later chapter finds them cached
    # (two workers may both speak one at the same moment).
    distinct = ARTICLES * (2 + STOPS) + STOPS + 1
    assert report.spoken + report.cached == ARTICLES * (2 + 3 * STOPS) and report.spoken >= distinct
    # The workers wrote the cache themselves: the client process never spoke or encoded.
    assert list((tmp_path / "shared-cache" / "segment-v1").rglob("*.seg"))

    # A second build, with every segment dropped but the speech kept, speaks nothing.
    for segment in (tmp_path / "shared-cache" / "segment-v1").rglob("*.seg"):
        segment.unlink()
    again = build(sources, dataclasses.replace(options, output_dir=tmp_path / "again"))
    assert again.spoken == 0 and [e.rebuilt for e in again.episodes] == [True] * ARTICLES
    assert _frames(tmp_path / "again") == expected


def test_a_worker_killed_mid_build_does_not_change_the_result(tmp_path, cluster, local_build):
    local, client = cluster
    sources, expected = local_build
    client.wait_for_workers(2, timeout=60)
    pids = list(client.run(os.getpid).values())
    killed_at: list[tuple[int, int]] = []

    def kill_one(progress) -> None:
        if progress.made >= 1 and not killed_at:
            os.kill(pids[0], signal.SIGKILL)
            killed_at.append((progress.made, progress.to_make))

    options = BuildOptions(
        tmp_path / "out", engine="beeps", voice="square", cache_dir=tmp_path / "cache", scheduler=local.scheduler_address
    )
    report = build(sources, options, progress=kill_one)
    assert killed_at and killed_at[0][0] < killed_at[0][1], "the worker was killed before the build's end"
    assert _frames(options.output_dir) == expected
    assert all(e.rebuilt for e in report.episodes)


def test_a_chapter_failing_on_its_input_is_named_and_the_rest_is_made(tmp_path, cluster, plugins):
    local, _ = cluster
    sources = _articles(tmp_path / "articles", fail="FAIL on this stop.")
    options = BuildOptions(
        tmp_path / "out", engine="beeps", voice="square", cache_dir=tmp_path / "cache", scheduler=local.scheduler_address
    )
    with pytest.raises(BuildError) as failed:
        build(sources, options)
    assert str(failed.value).startswith(
        f'1 of {ARTICLES * (STOPS + 1)} chapters could not be made: walk1, chapter 4 "Stop 2": '
        "beeps cannot say 'FAIL on this stop.'"
    )
    assert not list(options.output_dir.glob("*.mp3")) and not (options.output_dir / "feed.xml").exists()
    assert len(list((tmp_path / "cache" / "segment-v1").rglob("*.seg"))) == ARTICLES * (STOPS + 1) - 1


def test_the_command_takes_the_scheduler_from_the_environment(tmp_path, cluster, plugins):
    local, _ = cluster
    (source,) = _articles(tmp_path / "articles")[:1]
    result = CliRunner().invoke(
        cli,
        ["build", str(source), "-o", str(tmp_path / "out"), "--engine", "beeps", "--cache-dir", str(tmp_path / "cache")],
        env={"AUDIOGUIDE_SCHEDULER": local.scheduler_address},
    )
    assert result.exit_code == 0, result.output
    assert "walk0.mp3: rebuilt, 5 chapters" in result.output


def test_a_process_private_cache_is_refused_for_a_cluster(tmp_path, cluster, plugins):
    local, _ = cluster
    sources = _articles(tmp_path / "articles")[:1]
    options = BuildOptions(
        tmp_path / "out", engine="beeps", voice="square", cache_dir="memory://audioguide-test", scheduler=local.scheduler_address
    )
    with pytest.raises(BuildError, match="lives in this process only"):
        build(sources, options)


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path, plugins, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1)
    sources = _articles(tmp_path / "articles")[:1]
    options = BuildOptions(tmp_path / "out", engine="beeps", cache_dir=tmp_path / "cache", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(BuildError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        build(sources, options)
    assert not list((tmp_path / "out").glob("*.mp3"))


def test_without_the_extra_a_cluster_build_says_what_to_install(tmp_path, plugins, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    sources = _articles(tmp_path / "articles")[:1]
    options = BuildOptions(tmp_path / "out", engine="beeps", cache_dir=tmp_path / "cache", local_cluster=2)
    with pytest.raises(BuildError, match=r'needs the cluster extra: pip install "audioguide\[cluster\]"'):
        build(sources, options)
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists(), "it fails before any work"


def test_help_and_a_no_op_build_import_neither_dask_nor_fsspec(tmp_path, plugins):
    sources = _articles(tmp_path / "articles")[:1]
    command = ["build", str(sources[0]), "-o", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "--engine", "beeps"]
    assert CliRunner().invoke(cli, command).exit_code == 0
    probe = (
        "import sys\n"
        "from audioguide.cli import cli\n"
        "for args in (['--help'], sys.argv[1:]):\n"
        "    cli(args, standalone_mode=False)\n"
        "print(sorted(m for m in ('dask', 'distributed', 'fsspec', 'audioguide.assemble') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGINS), *sys.path])}
    done = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, env=env, check=True)
    assert "unchanged" in done.stdout and done.stdout.strip().endswith("[]"), done.stdout + done.stderr
