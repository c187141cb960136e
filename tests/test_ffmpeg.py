"""Which ffmpeg runs, and that audioguide's options work on every ffmpeg from 5.1 on.

A system ffmpeg (Debian 12's is 5.1; `.ci/run` installs it when root) is looked for on PATH; the
tests that compare against it are skipped, saying so, where there is none.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import pytest
from click.testing import CliRunner

from audioguide.cli import cli
from audioguide.errors import AudioError
from audioguide.ffmpeg import FFMPEG_ENV, ffmpeg_exe, ffmpeg_version, measure_loudness
from media import mpeg_audio

PINNED = imageio_ffmpeg.get_ffmpeg_exe()
SYSTEM = next(
    (found for found in [shutil.which("ffmpeg")] if found and os.path.realpath(found) != os.path.realpath(PINNED)),
    None,
)
needs_system_ffmpeg = pytest.mark.skipif(
    SYSTEM is None, reason="no system ffmpeg on PATH (apt-get install ffmpeg; .ci/run does as root)"
)
ARTICLE = (
    "# Harbour Walk\n\nThe walk starts at the old harbour.\n\n"
    "## The Lighthouse\n\nIts lamp was first lit in 1839.\n"
)


@pytest.fixture
def tour(tmp_path: Path) -> Path:
    article = tmp_path / "harbour.md"
    article.write_text(ARTICLE, encoding="utf-8")
    return article


def _ffmpeg_dir(tmp_path: Path, real: str) -> Path:
    """A folder holding an `ffmpeg` that is `real`, to put first on PATH."""
    folder = tmp_path / "system-bin"
    folder.mkdir(exist_ok=True)
    (folder / "ffmpeg").symlink_to(real)
    return folder


def test_the_pinned_ffmpeg_is_used_whatever_is_on_path(tmp_path, monkeypatch):
    # An `ffmpeg` first on PATH that would fail loudly if it were ever run.
    impostor = tmp_path / "bin" / "ffmpeg"
    impostor.parent.mkdir()
    impostor.write_text("#!/bin/sh\necho 'the ffmpeg on PATH ran' >&2\nexit 3\n")
    impostor.chmod(impostor.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{impostor.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv(FFMPEG_ENV, raising=False)
    assert ffmpeg_exe() == PINNED
    assert ffmpeg_version().startswith("ffmpeg version")


def test_an_explicit_ffmpeg_is_used_and_named_in_the_version(monkeypatch, tmp_path):
    copy = _ffmpeg_dir(tmp_path, PINNED) / "ffmpeg"
    monkeypatch.setenv(FFMPEG_ENV, str(copy))
    assert ffmpeg_exe() == str(copy)
    monkeypatch.setenv(FFMPEG_ENV, str(tmp_path / "nowhere" / "ffmpeg"))
    with pytest.raises(AudioError, match=f"{FFMPEG_ENV}=.*nowhere/ffmpeg: no such executable"):
        ffmpeg_exe()


def _built(tmp_path: Path, tour: Path, name: str, env: dict[str, str]) -> Path:
    """The tour built by `python -m audioguide` in a fresh process with environment `env`,
    into a speech and segment cache of its own (so nothing encoded by the other build is reused)."""
    output = tmp_path / name
    subprocess.run(
        [sys.executable, "-m", "audioguide", "build", str(tour), "--output", str(output),
         "--engine", "hibari", "--cache-dir", str(tmp_path / f"cache-{name}")],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    return output / "harbour.mp3"


@pytest.mark.slow
@needs_system_ffmpeg
def test_a_build_is_the_same_with_and_without_a_system_ffmpeg_on_path(tmp_path, tour):
    assert SYSTEM is not None
    without = os.pathsep.join(
        folder for folder in os.environ["PATH"].split(os.pathsep) if not (Path(folder) / "ffmpeg").exists()
    )
    beside = f"{_ffmpeg_dir(tmp_path, SYSTEM)}{os.pathsep}{without}"
    environment = {key: value for key, value in os.environ.items() if key != FFMPEG_ENV}
    # The other machine is elsewhere in the world, too.
    elsewhere = {"PATH": beside, "TZ": "Pacific/Kiritimati", "LC_ALL": "C.UTF-8", "LANG": "de_DE.UTF-8"}
    with_system = _built(tmp_path, tour, "with-system-ffmpeg", {**environment, **elsewhere})
    with_none = _built(tmp_path, tour, "with-no-ffmpeg", {**environment, "PATH": without})
    assert mpeg_audio(with_system) == mpeg_audio(with_none)
    for sidecar in ("harbour.chapters.json", "harbour.vtt", "cover.png"):
        assert (with_system.parent / sidecar).read_bytes() == (with_none.parent / sidecar).read_bytes()


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small built guide, to measure and check with every ffmpeg there is."""
    from audioguide.build import BuildOptions, build

    root = tmp_path_factory.mktemp("ffmpeg-guide")
    article = root / "harbour.md"
    article.write_text(ARTICLE, encoding="utf-8")
    build([article], BuildOptions(output_dir=root / "output", engine="hibari", cache_dir=root / "cache"))
    return root / "output" / "harbour.mp3"


def _every_ffmpeg() -> list:
    system = pytest.param(SYSTEM, id="system", marks=needs_system_ffmpeg)
    return [pytest.param(PINNED, id="pinned"), system]


@pytest.mark.parametrize("exe", _every_ffmpeg())
def test_loudness_is_measured_alike_by_every_ffmpeg(episode, monkeypatch, exe):
    monkeypatch.setenv(FFMPEG_ENV, exe)
    lufs, peak = measure_loudness(episode)
    monkeypatch.delenv(FFMPEG_ENV)
    pinned_lufs, pinned_peak = measure_loudness(episode)
    assert lufs == pytest.approx(pinned_lufs, abs=0.1)
    assert peak == pytest.approx(pinned_peak, abs=0.1)
    assert -17 <= lufs <= -15 and peak <= -1


@pytest.mark.parametrize("exe", _every_ffmpeg())
def test_check_passes_a_good_guide_with_every_ffmpeg(episode, monkeypatch, exe):
    monkeypatch.setenv(FFMPEG_ENV, exe)
    result = CliRunner(mix_stderr=False).invoke(cli, ["check", str(episode.parent)])
    assert result.exit_code == 0, result.output + result.stderr


def test_a_file_that_is_not_audio_is_told_apart_from_an_unusable_option(tmp_path, monkeypatch, episode):
    noise = tmp_path / "noise.mp3"
    noise.write_bytes(b"not audio at all " * 64)
    with pytest.raises(AudioError, match=r"could not decode it to measure its loudness: .*noise\.mp3"):
        measure_loudness(noise)
    # A real ffmpeg given an option its build does not know, as ffmpeg 5.1 was given `framelog=quiet`.
    strict = tmp_path / "strict-ffmpeg"
    strict.write_text(
        "#!/bin/sh\n"
        'for arg do shift; case "$arg" in ebur128=*) arg="$arg:no_such_option=1";; esac; set -- "$@" "$arg"; done\n'
        f'exec "{PINNED}" "$@"\n'
    )
    strict.chmod(strict.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv(FFMPEG_ENV, str(strict))
    with pytest.raises(AudioError, match=r"cannot measure loudness with the options audioguide passes: .*"):
        measure_loudness(episode)
