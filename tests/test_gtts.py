"""The gtts engine against a local stand-in for Google's service; the real network is never used.

gTTS posts to `https://translate.google.{tld}/...`; with tld `com@127.0.0.1:PORT` the host part
becomes user info and the request reaches the local server. gTTS does not verify certificates,
so a throwaway self-signed one made with openssl serves.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from audioguide import engines
from audioguide.errors import EngineError
from audioguide.ffmpeg import ffmpeg_exe
from audioguide.model import EngineSpec

TONE_S = 1.2


@dataclass
class FakeGoogle:
    """What the server answers and what it was asked."""

    port: int
    mp3: bytes
    answer: str = "audio"
    requests: list[list] = field(default_factory=list)

    def spec(self, voice: str = "en", **options: str) -> EngineSpec:
        options = {"tld": f"com@127.0.0.1:{self.port}", **options}
        return EngineSpec("gtts", voice, tuple(sorted(options.items())))


def google_reply(mp3: bytes) -> bytes:
    """A batchexecute answer as Google sends it: an XSSI guard, then length-prefixed JSON chunks."""
    compact = {"separators": (",", ":")}
    payload = json.dumps([base64.b64encode(mp3).decode("ascii")], **compact)
    chunk = json.dumps([["wrb.fr", "jQ1olc", payload, None, None, None, "generic"], ["di", 57]], **compact)
    tail = json.dumps([["e", 4, None, None, len(chunk)]], **compact)
    return f")]}}'\n\n{len(chunk)}\n{chunk}\n{len(tail)}\n{tail}\n".encode()


def make_handler(state: FakeGoogle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            rpc = json.loads(urllib.parse.parse_qs(body)["f.req"][0])
            state.requests.append(json.loads(rpc[0][0][1]))
            if state.answer == "hang":
                time.sleep(5)
                return
            status, reply = {
                "audio": (200, google_reply(state.mp3)),
                "429": (429, b"<html>Too Many Requests</html>"),
                "500": (500, b"<html>Server Error</html>"),
                "garbage": (200, b"<html><body>Our systems have detected unusual traffic</body></html>"),
                "not-mp3": (200, google_reply(b"\x00\x01 definitely not an mp3 stream " * 40)),
                "bad-format": (200, b')]}\'\n\n30\n[["wrb.fr","jQ1olc",null]]\n'),
            }[state.answer]
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    return Handler


def words(text: str) -> list[str]:
    """The words of a text; gTTS trims punctuation at the edges of what it sends."""
    return re.findall(r"\w+", text)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate for the local HTTPS server")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def tone_mp3() -> bytes:
    """An MP3 like Google's (24 kHz mono, 32 kbit/s) of a known length."""
    return subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"sine=frequency=440:duration={TONE_S}:sample_rate=24000",
         "-ac", "1", "-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3", "pipe:1"],
        check=True, capture_output=True,
    ).stdout


@pytest.fixture
def google(certificate: tuple[Path, Path], tone_mp3: bytes, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AUDIOGUIDE_GTTS_TIMEOUT", "0.5")
    state = FakeGoogle(port=0, mp3=tone_mp3)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def test_speech_is_google_mp3_decoded_to_pcm(google: FakeGoogle) -> None:
    speech = engines.get_engine(google.spec()).synthesize("Hello from the test.")
    assert speech.sample_rate == 24000
    assert abs(speech.num_samples / 24000 - TONE_S) < 0.05
    samples = np.frombuffer(speech.pcm, dtype="<i2").astype(np.float64)
    loudest_hz = np.argmax(np.abs(np.fft.rfft(samples))) * 24000 / len(samples)
    assert abs(loudest_hz - 440) < 5, "the tone Google sent, not silence or noise"
    assert [[words(r[0]), *r[1:]] for r in google.requests] == [[words("Hello from the test."), "en", None, "null"]]


def test_options_reach_google(google: FakeGoogle) -> None:
    engines.get_engine(google.spec("fr", slow="yes")).synthesize("Bonjour.")
    assert [[words(r[0]), *r[1:]] for r in google.requests] == [[["Bonjour"], "fr", True, "null"]]


def test_long_text_is_sent_in_parts_and_joined(google: FakeGoogle) -> None:
    text = "This sentence is long enough, with its many words and clauses, that gTTS sends it to Google in parts."
    assert len(text) > 100, "gTTS sends at most 100 characters a request"
    speech = engines.get_engine(google.spec()).synthesize(text)
    parts = len(google.requests)
    assert parts >= 2 and sum((words(r[0]) for r in google.requests), []) == words(text)
    assert abs(speech.num_samples / 24000 - parts * TONE_S) < 0.1


def test_speed_changes_the_tempo(google: FakeGoogle) -> None:
    speech = engines.get_engine(google.spec(speed="1.5")).synthesize("Hello.")
    assert abs(speech.num_samples / 24000 - TONE_S / 1.5) < 0.06


def test_nothing_to_say_is_silence_without_asking_google(google: FakeGoogle) -> None:
    assert engines.get_engine(google.spec()).synthesize(" ... ").num_samples == 0
    assert google.requests == []


def test_no_answer_times_out_quickly(google: FakeGoogle) -> None:
    google.answer = "hang"
    started = time.monotonic()
    with pytest.raises(EngineError, match=r"needs internet access .*no answer within 0\.5 s"):
        engines.get_engine(google.spec()).synthesize("Hello.")
    assert time.monotonic() - started < 4


def test_unreachable_host_says_internet_is_needed(google: FakeGoogle) -> None:
    closed = EngineSpec("gtts", "en", (("tld", "com@127.0.0.1:9"),))
    started = time.monotonic()
    with pytest.raises(EngineError, match=r"^gTTS needs internet access to reach Google's text-to-speech service"):
        engines.get_engine(closed).synthesize("Hello.")
    assert time.monotonic() - started < 4


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("429", r"429 .*too many requests"),
        ("500", r"failed \(500 .*try again later"),
        ("garbage", "held no audio"),
        ("bad-format", "held no audio"),
        ("not-mp3", "not audio ffmpeg can decode"),
    ],
)
def test_bad_answers_are_clear_errors(google: FakeGoogle, answer: str, message: str) -> None:
    google.answer = answer
    with pytest.raises(EngineError, match=message) as caught:
        engines.get_engine(google.spec()).synthesize("Hello.")
    assert "\n" not in str(caught.value)
