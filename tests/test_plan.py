"""plan: what a build must make is known before anything is made, and is only what changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from audioguide.build import BuildOptions, build
from audioguide.guide import load_guide
from audioguide.plan import dry_run, episodes_of, open_build_cache, plan_build
from tests.walks import write_walk


@pytest.fixture
def options(tmp_path: Path, plugins) -> BuildOptions:
    return BuildOptions(output_dir=tmp_path / "out", engine="beeps", voice="square", cache_dir=tmp_path / "cache")


def _plan(sources: list[Path], options: BuildOptions):
    guide = load_guide(sources)
    settings, works = episodes_of(guide, options)
    return plan_build(guide, settings, works, options.output_dir, open_build_cache(options))


def test_a_clean_plan_makes_every_chapter_and_writes_nothing(tmp_path, options):
    article = write_walk(tmp_path / "walk.md", "Walk", ["The mill.", "The bridge."])
    plan = _plan([article], options)
    assert [(t.episode, t.index) for t in plan.tasks] == [("walk", 0), ("walk", 1), ("walk", 2)]
    assert [e.rebuild for e in plan.episodes] == [True]
    assert not options.output_dir.exists() and not Path(options.cache_dir).exists()


def test_after_a_build_only_what_changed_is_planned(tmp_path, options):
    walk = write_walk(tmp_path / "walk.md", "Walk", ["The mill.", "The bridge."])
    park = write_walk(tmp_path / "park.md", "Park", ["The gate.", "The pond."])
    build([walk, park], options)
    plan = _plan([walk, park], options)
    assert plan.tasks == () and [e.rebuild for e in plan.episodes] == [False, False]

    write_walk(park, "Park", ["The gate.", "The frozen pond."])
    (options.output_dir / "walk.mp3").unlink()
    plan = _plan([walk, park], options)
    assert [e.rebuild for e in plan.episodes] == [True, True]
    # walk's files are gone but its segments are cached; park's last stop changed.
    assert [(t.episode, t.index) for t in plan.tasks] == [("park", 2)]
    assert plan.episodes[0].missing == () and plan.episodes[1].missing == (plan.tasks[0].key,)


def test_a_chapter_heard_the_same_in_two_episodes_is_made_once(tmp_path, options):
    first = write_walk(tmp_path / "first.md", "Walk", ["The mill.", "The bridge."])
    second = write_walk(tmp_path / "second.md", "Walk", ["The mill.", "The bridge."])
    plan = _plan([first, second], options)
    assert len(plan.tasks) == 3 and plan.episodes[0].keys == plan.episodes[1].keys
    report = build([first, second], options)
    assert [e.rebuilt for e in report.episodes] == [True, True]
    assert (options.output_dir / "first.mp3").stat().st_size == (options.output_dir / "second.mp3").stat().st_size


def test_dry_run_counts_the_chapters_a_build_would_make(tmp_path, options):
    walk = write_walk(tmp_path / "walk.md", "Walk", ["The mill turns.", "The bridge is old."])
    (estimate,) = dry_run([walk], options)
    assert (estimate.rebuild, estimate.to_make, len(estimate.sections)) == (True, 3, 3)
    assert estimate.sections[2].words == 6 and estimate.ms > 0
    build([walk], options)
    write_walk(walk, "Walk", ["The mill turns.", "The bridge is new."])
    (estimate,) = dry_run([walk], options)
    assert (estimate.rebuild, [s.make for s in estimate.sections]) == (True, [False, False, True])
