"""The command line: exit codes, one-line errors, and the installed command itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from audioguide.cli import cli

COMMANDS = ["split", "build", "chapters", "voices", "say", "check", "serve"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(mix_stderr=False)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner, command):
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


def _assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("command", ["split", "build"])
def test_bad_articles_give_one_line_errors(runner, tmp_path, command):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n", encoding="utf-8")
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    missing = tmp_path / "missing.md"
    for path in (empty, binary, missing):
        extra = ["--output", str(tmp_path / "out")] if command == "build" else ["--scripts-dir", str(tmp_path / "s")]
        result = runner.invoke(cli, [command, str(path), *extra])
        _assert_one_line_error(result, path.name)


def test_split_then_build_then_chapters(runner, tmp_path):
    article = tmp_path / "garden.md"
    article.write_text(
        "# The Walled Garden\n\nThe garden dates from 1820.\n\n"
        "## The Rose Beds\n\nOld roses grow along the south wall.\n\n"
        "## The Glasshouse\n\nTender plants spend the winter here.\n",
        encoding="utf-8",
    )
    scripts = tmp_path / "scripts"
    result = runner.invoke(cli, ["split", str(article), "--scripts-dir", str(scripts)])
    assert result.exit_code == 0, result.stderr
    assert (scripts / "guide.toml").exists()
    assert len(list((scripts / "garden").glob("[0-9]*.txt"))) == 3

    output = tmp_path / "output"
    result = runner.invoke(cli, ["build", str(scripts), "--output", str(output)])
    assert result.exit_code == 0, result.stderr
    assert "garden.mp3" in result.output

    result = runner.invoke(cli, ["chapters", str(output / "garden.mp3")])
    assert result.exit_code == 0, result.stderr
    lines = result.output.strip().splitlines()
    assert [line.split("  ", 2)[2] for line in lines] == [
        "The Walled Garden",
        "The Rose Beds",
        "The Glasshouse",
    ]
    assert lines[0].startswith("0:00.000")


def test_chapters_of_a_file_that_is_not_an_mp3(runner, tmp_path):
    bogus = tmp_path / "bogus.mp3"
    bogus.write_text("not audio", encoding="utf-8")
    _assert_one_line_error(runner.invoke(cli, ["chapters", str(bogus)]), "bogus.mp3")


def test_unknown_engine_is_refused_before_any_work(runner, tmp_path):
    article = tmp_path / "a.md"
    article.write_text("# A\n\nSome text.\n", encoding="utf-8")
    output = tmp_path / "out"
    result = runner.invoke(cli, ["build", str(article), "--engine", "nonesuch", "--output", str(output)])
    _assert_one_line_error(result, "nonesuch", "piper")
    assert not output.exists() or not any(output.iterdir())


def test_installed_command_runs_as_module():
    result = subprocess.run(
        [sys.executable, "-m", "audioguide", "--help"], capture_output=True, text=True, check=True
    )
    assert "split" in result.stdout and "build" in result.stdout


def test_voices_lists_the_default_voice(runner):
    result = runner.invoke(cli, ["voices"])
    assert result.exit_code == 0, result.stderr
    piper_rows = [line for line in result.output.splitlines() if line.startswith("piper")]
    assert piper_rows and "yes" in piper_rows[0]


DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("path", "dropped", "notes"),
    [
        (DATA / "articles" / "readme-toc.md", "images without text, inline code a voice cannot say, text a voice for "
         "English cannot say (Chinese characters, Korean), a table of contents under 'Table of Contents'", 4),
        (DATA / "articles" / "pep-lantern.txt", "the editor settings (Local Variables) on lines 84-89, "
         "the header block", 2),
        (DATA / "pages" / "news.html", "293 of the page's 584 words around the article (navigation, sidebars, "
         "comments, footers)", 1),
        (Path("clean.md"), None, 0),  # written below: nothing in it to drop
    ],
    ids=lambda value: value.name if isinstance(value, Path) else "",
)
def test_split_says_in_one_line_what_it_dropped(runner, tmp_path, path, dropped, notes):
    if not path.exists():
        path = tmp_path / path.name
        path.write_text("# Notes\n\nNothing here is boilerplate.\n", encoding="utf-8")
    result = runner.invoke(cli, ["split", str(path), "--scripts-dir", str(tmp_path / "s")])
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"{path.name}: dropped ")]
    assert lines == [f"{path.name}: dropped {dropped or 'nothing'}"]
    assert "Warning:" not in result.stderr
    verbose = runner.invoke(cli, ["split", str(path), "--scripts-dir", str(tmp_path / "v"), "--verbose"])
    assert verbose.stderr.count("Warning:") == notes
