"""Choosing voices: per role and per episode from the settings, by language, and from the command
line (`audioguide voices`, `audioguide say`, and `audioguide build` refusing what cannot speak)."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from audioguide.guide import BuildOptions, apply_options, episode_voices
from audioguide.cli import cli
from audioguide.errors import EngineError
from audioguide.model import EngineSpec
from audioguide.settings import EpisodeSettings, GuideSettings, settings_to_toml, voice_specs
from tests.media import decode_mp3

NORMAL = (("speed", "1.0"),)
EPISODE = EpisodeSettings(title="Tour", slug="tour")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(mix_stderr=False)


def one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_every_role_speaks_with_the_guides_voice_by_default() -> None:
    assert voice_specs(GuideSettings()) == {"title": EngineSpec("piper", None, NORMAL), "body": EngineSpec("piper", None, NORMAL)}


def test_titles_may_have_a_voice_of_their_own() -> None:
    guide = GuideSettings(engine="piper", voice="/voices/amy.onnx", title_engine="hibari", speed=1.2)
    fast = (("speed", "1.2"),)
    assert voice_specs(guide, EPISODE) == {
        "title": EngineSpec("hibari", None, fast), "body": EngineSpec("piper", "/voices/amy.onnx", fast),
    }
    same_engine = GuideSettings(voice="/voices/amy.onnx", title_voice="/voices/bob.onnx")
    assert voice_specs(same_engine)["title"] == EngineSpec("piper", "/voices/bob.onnx", NORMAL)


def test_an_episode_may_change_engine_voice_and_speed() -> None:
    guide = GuideSettings(engine="piper", voice="/voices/amy.onnx", speed=1.1)
    hibari = EpisodeSettings(title="T", slug="t", engine="hibari", speed=0.9)
    slow = (("speed", "0.9"),)
    # The guide's piper voice means nothing to hibari: the episode gets hibari's own choice.
    assert voice_specs(guide, hibari) == {"title": EngineSpec("hibari", None, slow), "body": EngineSpec("hibari", None, slow)}
    other_voice = EpisodeSettings(title="T", slug="t", voice="/voices/bob.onnx")
    assert voice_specs(guide, other_voice)["body"] == EngineSpec("piper", "/voices/bob.onnx", (("speed", "1.1"),))


def test_voice_settings_are_written_with_their_docs() -> None:
    guide_toml = settings_to_toml(GuideSettings(title_engine="hibari"))
    assert '# Engine that speaks chapter titles; empty means the narration\'s engine.\ntitle_engine = "hibari"' in guide_toml
    assert "title_voice = \"\"" in guide_toml
    episode_toml = settings_to_toml(EPISODE)
    assert "# Speaking rate for this episode; 0 means the guide's.\nspeed = 0.0" in episode_toml


def test_command_line_voice_options_speak_the_whole_build() -> None:
    guide = GuideSettings(engine="piper", voice="/voices/amy.onnx", title_engine="piper", title_voice="/voices/bob.onnx")
    hibari_episode = EpisodeSettings(title="T", slug="t", engine="hibari", speed=1.5)
    options = BuildOptions(engine="hibari", speed=0.8)
    chosen = episode_voices(apply_options(guide, options), hibari_episode, "en", options)
    heart = EngineSpec("hibari", "heart", (("speed", "0.8"),))
    assert chosen == {"title": heart, "body": heart}


def test_the_episodes_language_chooses_its_voices() -> None:
    guide = GuideSettings(engine="gtts", title_engine="piper")
    with pytest.raises(EngineError, match="piper has no voice for language 'fr'"):
        episode_voices(guide, EPISODE, "fr", BuildOptions())
    chosen = episode_voices(GuideSettings(engine="gtts"), EPISODE, "fr-CA", BuildOptions())
    assert {spec.voice for spec in chosen.values()} == {"fr-CA"}


def test_voices_table_says_what_runs_here(runner) -> None:
    result = runner.invoke(cli, ["voices"])
    assert result.exit_code == 0, result.stderr
    header, *lines = result.output.splitlines()
    assert re.split(r"\s{2,}", header) == ["ENGINE", "VOICE", "LANGUAGE", "RATE", "NEEDS", "CAN RUN HERE"]
    rows = {(row[0], row[1]): row for row in (re.split(r"\s{2,}", line, maxsplit=5) for line in lines)}
    assert rows["piper", "joe"][2:] == ["en-US", "22050 Hz", "offline", "yes"]
    assert rows["hibari", "heart"][2:] == ["en-US", "24000 Hz", "offline", "yes"]
    assert rows["gtts", "en"][4:] == ["online", "yes"]


@pytest.mark.parametrize(("engine", "rate"), [("piper", 22050), ("hibari", 24000)])
def test_say_writes_a_wav_file(runner, tmp_path, engine, rate) -> None:
    target = tmp_path / "hello.wav"
    result = runner.invoke(cli, ["say", "Welcome to the harbour.", "--engine", engine, "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert result.output == f"Wrote {target}\n"
    with wave.open(str(target)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, rate)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    assert 0.7 < len(samples) / rate < 4
    assert np.sqrt(np.mean(samples**2)) > 300, "speech, not silence"


def test_say_writes_an_mp3_file(runner, tmp_path) -> None:
    target = tmp_path / "hello.mp3"
    result = runner.invoke(cli, ["say", "Welcome to the harbour.", "--speed", "1.5", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    samples, rate = decode_mp3(target)
    assert rate == 22050
    assert 0.5 < len(samples) / rate < 3
    assert np.sqrt(np.mean(samples**2)) > 0.01


@pytest.mark.parametrize(
    ("args", "listed"),
    [
        (["--voice", "bob"], "available voices: joe"),
        (["--engine", "hibari", "--voice", "bob"], "available voices: heart"),
        (["--engine", "espeak"], "available engines: piper, gtts, hibari"),
    ],
)
def test_say_refuses_what_cannot_speak_and_writes_nothing(runner, tmp_path, args, listed) -> None:
    target = tmp_path / "hello.wav"
    one_line_error(runner.invoke(cli, ["say", "Hello.", *args, "-o", str(target)]), listed)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "walk.md"
    path.write_text("# Walk\n\n## Harbour\n\nThe harbour is old.\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "listed"),
    [
        (["--voice", "bob"], "available voices: joe"),
        (["--engine", "hibari", "--voice", "emma"], "hibari voice 'emma' is not on this machine"),
        (["--engine", "espeak"], "available engines: piper, gtts, hibari"),
        (["--engine", "piper", "--voice", "/nowhere/voice.onnx"], "piper voice file not found"),
    ],
)
def test_build_refuses_what_cannot_speak_before_any_work(runner, tmp_path, article, args, listed) -> None:
    output, cache = tmp_path / "out", tmp_path / "cache"
    result = runner.invoke(cli, ["build", str(article), "-o", str(output), "--cache-dir", str(cache), *args])
    one_line_error(result, listed)
    assert not output.exists() and not cache.exists()


def test_build_refuses_an_article_in_a_language_no_voice_speaks(runner, tmp_path) -> None:
    german = tmp_path / "rundgang.html"
    german.write_text(
        '<html lang="de"><head><title>Rundgang</title></head><body><h1>Rundgang</h1>'
        "<h2>Der Hafen</h2><p>Der Hafen ist alt.</p></body></html>",
        encoding="utf-8",
    )
    output, cache = tmp_path / "out", tmp_path / "cache"
    result = runner.invoke(cli, ["build", str(german), "-o", str(output), "--cache-dir", str(cache)])
    line = one_line_error(result, "piper has no voice for language 'de'", "installed voices: piper joe (en-US)")
    assert line.endswith("voices for 'de': gtts de")
    assert not output.exists() and not cache.exists()
    result = runner.invoke(cli, ["build", str(german), "-o", str(output), "--engine", "hibari"])
    one_line_error(result, "hibari has no voice for language 'de'")
