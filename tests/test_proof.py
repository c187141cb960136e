"""Proof-listening on a short real guide: the bundled voice, the packaged recogniser, the CLI."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from audioguide.build import BuildOptions, build
from audioguide.cli import cli
from audioguide.hearing import MISSING, MODEL_ENV, model_dir
from audioguide.lexicon import FOUND_BY_PROOF, LEXICON_FILE, read_lexicon

pytestmark = [pytest.mark.slow, pytest.mark.skipif(model_dir() is None, reason=MISSING)]

# The bundled voice says "microneedling" so that it is heard as "micromedling" (see the bundled
# guide's lexicon); here it has no lexicon entry.
ARTICLE = """Skin Notes

Basics

In fact, microneedling is designed to enhance the skin barrier by promoting the production of new skin cells.
Over the long term, microneedling can lead to significant improvements in skin texture, tone, and overall health.
"""


def _split(root: Path, text: str = ARTICLE) -> Path:
    article = root / "skin.txt"
    article.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["split", str(article), "--scripts-dir", str(root / "scripts")])
    assert result.exit_code == 0, result.output
    return root / "scripts"


def _proof(scripts: Path, output: Path, *args: str) -> tuple[str, dict]:
    report = output.parent / "proof.json"
    result = CliRunner().invoke(cli, ["proof", str(scripts), "--output", str(output), "--json", str(report), *args])
    assert result.exit_code == 0, result.output
    return result.output, json.loads(report.read_text(encoding="utf-8"))


def _suspects(report: dict) -> dict[str, dict]:
    return {s["word"]: s for e in report["episodes"] for c in e["chapters"] for s in c["suspects"]}


@pytest.fixture(scope="module")
def garbled(tmp_path_factory: pytest.TempPathFactory, session_cache: Path):
    """A built guide of two sentences that the voice garbles, and its proof report."""
    root = tmp_path_factory.mktemp("garbled")
    scripts = _split(root)
    build([scripts], BuildOptions(output_dir=root / "output", cache_dir=session_cache, jobs=2))
    table, report = _proof(scripts, root / "output")
    return root, table, report


def test_a_word_the_voice_garbles_is_a_suspect_with_its_time(garbled):
    _, table, report = garbled
    suspect = _suspects(report)["microneedling"]
    assert suspect["heard"] and suspect["heard"] != "microneedling"
    # Said in both sentences, the first of which starts after the title, about a second in.
    assert 1 <= suspect["count"] <= suspect["occurrences"] == 2
    assert 1000 < suspect["start_ms"] < 4000
    assert report["wer"] > 0
    assert "index.html#skin/1" in table
    assert 'microneedling' in table and f'heard as "{suspect["heard"]}"' in table


def test_the_json_report_has_the_documented_shape(garbled):
    _, _, report = garbled
    assert isinstance(report["wer"], float)
    (episode,) = report["episodes"]
    assert {"slug", "wer", "chapters"} <= set(episode) and episode["slug"] == "skin"
    (chapter,) = episode["chapters"]
    assert {"title", "wer", "suspects"} <= set(chapter) and chapter["title"] == "Basics"
    assert chapter["link"] == "index.html#skin/1"
    for suspect in chapter["suspects"]:
        assert {"word", "heard", "start_ms", "count"} <= set(suspect)
        assert isinstance(suspect["start_ms"], int) and isinstance(suspect["count"], int)
    # The guide's rate is its words' rate: one episode, one chapter.
    assert report["wer"] == episode["wer"] == chapter["wer"]


def test_fix_writes_a_respelling_that_the_next_build_makes_heard(garbled, tmp_path, session_cache):
    source, _, before = garbled
    shutil.copytree(source / "scripts", tmp_path / "scripts")
    shutil.copytree(source / "output", tmp_path / "output")
    scripts, output = tmp_path / "scripts", tmp_path / "output"
    table, _ = _proof(scripts, output, "--fix")
    assert "Respelled microneedling as" in table
    lexicon_text = (scripts / LEXICON_FILE).read_text(encoding="utf-8")
    entries = dict(read_lexicon(scripts / LEXICON_FILE).words)
    assert set(entries) == {"microneedling"} and entries["microneedling"] != "microneedling"
    above = lexicon_text.splitlines()[lexicon_text.splitlines().index(f'microneedling = "{entries["microneedling"]}"') - 1]
    assert above.startswith(FOUND_BY_PROOF)

    report = build([scripts], BuildOptions(output_dir=output, cache_dir=session_cache, jobs=2))
    # Only the sentences with the word are spoken again; the title comes from the cache.
    assert report.spoken == 2 and report.cached == 1
    _, after = _proof(scripts, output)
    assert "microneedling" not in _suspects(after)
    assert after["wer"] < before["wer"]


def test_proof_of_a_guide_never_built_says_to_build_it(tmp_path):
    scripts = _split(tmp_path)
    result = CliRunner().invoke(cli, ["proof", str(scripts), "--output", str(tmp_path / "output")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {tmp_path / 'output'}: no built audio for episode skin (skin.mp3 is missing); "
        "run `audioguide build` first"
    ]


def test_proof_without_the_extra_says_how_to_install_it(tmp_path, monkeypatch):
    scripts = _split(tmp_path)
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # as if it were not installed
    result = CliRunner().invoke(cli, ["proof", str(scripts), "--output", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {MISSING}"


def test_proof_refuses_a_language_its_model_cannot_hear(tmp_path, monkeypatch):
    scripts = _split(tmp_path)
    for settings in (scripts / "guide.toml", scripts / "skin" / "episode.toml"):
        settings.write_text(settings.read_text(encoding="utf-8").replace('language = "en"', 'language = "fr"'),
                            encoding="utf-8")
    result = CliRunner().invoke(cli, ["proof", str(scripts), "--output", str(tmp_path)])
    assert result.exit_code == 1
    assert "hears English only" in result.output and "'fr'" in result.output
    assert len(result.output.strip().splitlines()) == 1
    monkeypatch.setenv(MODEL_ENV, str(tmp_path))  # a folder with no model in it
    result = CliRunner().invoke(cli, ["proof", str(scripts), "--output", str(tmp_path)])
    assert result.exit_code == 1 and f"no Whisper model in CTranslate2 form at {tmp_path}" in result.output
