"""gtts: Google Translate's text-to-speech voice, through the gTTS package; needs internet access.

The voice is a gTTS language code (`en`, `fr`, ...); options: `tld` picks the Google host
(`co.uk` gives a British accent), `slow` Google's slow reading, `speed` a tempo change made
while decoding. gTTS waits forever for an answer unless given a timeout, so every request gets
one: `AUDIOGUIDE_GTTS_TIMEOUT` seconds (default 10). The MP3 Google returns is decoded with
ffmpeg to 24 kHz PCM, its native rate.
"""

from __future__ import annotations

import binascii
import importlib.util
import io
import os
import subprocess
from collections.abc import Mapping

from audioguide.engines.base import (
    EngineIdentity,
    LoadedVoice,
    VoiceInfo,
    as_options,
    canonical_options,
    package_version,
    parse_flag,
    parse_number,
    primary_language,
)
from audioguide.errors import AudioError, EngineError
from audioguide.ffmpeg import ffmpeg_exe
from audioguide.model import Speech

NAME = "gtts"
default_voice = "en"
SAMPLE_RATE = 24000
_DEFAULTS = {"tld": "com", "slow": "false", "speed": "1.0"}
_NETWORK = "gTTS needs internet access to reach Google's text-to-speech service"


def _languages() -> dict[str, str]:
    if importlib.util.find_spec("gtts") is None:
        raise EngineError("engine gtts cannot run here: gTTS is not installed (pip install gTTS)")
    from gtts.lang import tts_langs

    return tts_langs()


def voice_for_language(language: str) -> str | None:
    """The gTTS language code for a language tag (`fr-CA` exactly, `de-AT` as `de`), or None."""
    codes = {code.lower(): code for code in _languages()}
    tag = language.replace("_", "-").lower()
    return codes.get(tag) or codes.get(primary_language(tag))


def timeout_s() -> float:
    """Seconds to wait for Google before giving up."""
    value = os.environ.get("AUDIOGUIDE_GTTS_TIMEOUT", "10")
    return parse_number(NAME, "AUDIOGUIDE_GTTS_TIMEOUT", value, 0.01, 600)


def identify(voice: str, options: Mapping[str, str]) -> EngineIdentity:
    """The gTTS language `voice` with `options` (tld, slow, speed 0.5-2), checked offline."""
    languages = _languages()
    if voice not in languages:
        raise EngineError(f"gtts has no voice {voice!r}; available voices: {', '.join(sorted(languages))}")
    values = canonical_options(NAME, options, _DEFAULTS)
    if not values["tld"].strip():
        raise EngineError("gtts: option tld is empty")
    values.update(
        slow=str(parse_flag(NAME, "slow", values["slow"])).lower(),
        speed=repr(parse_number(NAME, "speed", values["speed"], 0.5, 2.0)),
    )
    return EngineIdentity(
        name=NAME,
        voice=voice,
        version=f"gTTS {package_version('gTTS')}",
        options=as_options(values),
        sample_rate=SAMPLE_RATE,
    )


class GoogleEngine(LoadedVoice):
    """Speaks through Google's service; one request per 100 characters, as gTTS splits text."""

    def __init__(self, identity: EngineIdentity) -> None:
        super().__init__(identity)
        self._tld = identity.option("tld")
        self._slow = identity.option("slow") == "true"
        self._speed = float(identity.option("speed"))

    def synthesize(self, text: str) -> Speech:
        import requests
        from gtts import gTTS, gTTSError

        if not any(char.isalnum() for char in text):
            # gTTS refuses text with nothing to say (an assertion); silence is the honest answer.
            return Speech(b"", SAMPLE_RATE)
        timeout = timeout_s()
        mp3 = io.BytesIO()
        try:
            tts = gTTS(text, lang=self.voice, tld=self._tld, slow=self._slow, lang_check=False, timeout=timeout)
            tts.write_to_fp(mp3)
        except gTTSError as error:
            raise EngineError(_explain(error, timeout)) from None
        except requests.RequestException as error:  # a failure while reading the answer
            raise EngineError(f"{_NETWORK} ({_network_cause(error, timeout)})") from None
        except (binascii.Error, UnicodeDecodeError):
            raise EngineError("gTTS: Google's answer held no readable audio") from None
        if not mp3.getvalue():
            raise EngineError("gTTS: Google's answer held no audio (its format may have changed; upgrade gTTS)")
        return Speech(self._decode(mp3.getvalue()), SAMPLE_RATE)

    def _decode(self, mp3: bytes) -> bytes:
        """16-bit mono PCM at 24 kHz of an MP3, tempo changed by the speed option."""
        tempo = ["-af", f"atempo={self._speed}"] if self._speed != 1.0 else []
        command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "mp3", "-i", "pipe:0",
                   *tempo, "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1"]
        try:
            done = subprocess.run(command, input=mp3, capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired, AudioError) as error:
            raise EngineError(f"gTTS: could not run ffmpeg to decode Google's audio: {error}") from None
        if done.returncode != 0 or not done.stdout:
            complaint = done.stderr.decode("utf-8", "replace").strip().splitlines()
            reason = complaint[-1] if complaint else "no audio decoded"
            raise EngineError(f"gTTS: Google's answer is not audio ffmpeg can decode ({reason})")
        return done.stdout


def _network_cause(error: BaseException | None, timeout: float) -> str:
    import requests

    if isinstance(error, requests.Timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(error, requests.ConnectionError):
        return "could not connect"
    return str(error) if error else "request failed"


def _explain(error: Exception, timeout: float) -> str:
    """One line for a gTTSError, naming the likely cause."""
    response = getattr(error, "rsp", None)
    if response is None:
        # gTTS drops the requests exception it caught; it survives as the context.
        return f"{_NETWORK} ({_network_cause(error.__context__, timeout)})"
    status = f"{response.status_code} {response.reason or ''}".strip()
    if response.status_code == 429:
        return f"gTTS: Google refused the request ({status}): too many requests; wait, or use the offline piper engine"
    if response.status_code >= 500:
        return f"gTTS: Google's text-to-speech service failed ({status}); try again later"
    if response.status_code == 200:
        return "gTTS: Google's answer held no audio (its format may have changed; upgrade gTTS)"
    return f"gTTS: Google's text-to-speech service answered {status}"


def load(identity: EngineIdentity) -> GoogleEngine:
    return GoogleEngine(identity)


def voices() -> list[VoiceInfo]:
    try:
        count = len(_languages())
    except EngineError as error:
        return [VoiceInfo(NAME, default_voice, "en", SAMPLE_RATE, offline=False, available=False, reason=str(error))]
    note = f"needs internet access (Google Translate); any of {count} gTTS language codes works as voice"
    return [VoiceInfo(NAME, default_voice, "en", SAMPLE_RATE, offline=False, available=True, reason=note)]
