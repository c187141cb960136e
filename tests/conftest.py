"""Fixtures shared by the test modules: an isolated speech cache and one build of the bundled guide."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One speech cache for the whole run, so the bundled guide is spoken once."""
    return tmp_path_factory.mktemp("speech-cache")


@pytest.fixture(autouse=True)
def _isolated_cache(monkeypatch: pytest.MonkeyPatch, session_cache: Path) -> None:
    # Never read or fill the user's real cache from a test.
    monkeypatch.setenv("AUDIOGUIDE_CACHE_DIR", str(session_cache))


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test plugin distribution (tests/plugins: the `beeps` engine) discoverable,
    as if it were installed."""
    monkeypatch.syspath_prepend(str(REPO / "tests" / "plugins"))


@pytest.fixture(scope="session")
def bundled_guide(tmp_path_factory: pytest.TempPathFactory, session_cache: Path):
    """The committed scripts of the bundled guide, built once into a temporary output folder."""
    from audioguide.build import BuildOptions, build

    root = tmp_path_factory.mktemp("bundled")
    scripts = root / "scripts"
    shutil.copytree(REPO / "scripts", scripts)
    output = root / "output"
    report = build([scripts], BuildOptions(output_dir=output, cache_dir=session_cache, jobs=2))
    return scripts, output, report


@pytest.fixture
def site():
    """A web site on 127.0.0.1 whose pages a test adds (tests/live_server.py: `Site`); `site.url`
    is its base URL."""
    from tests.live_server import Site, running_site

    site = Site()
    with running_site(site) as url:
        site.url = url
        yield site
