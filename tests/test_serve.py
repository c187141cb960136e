"""The output-folder server, spoken to over real HTTP on loopback by http.client."""

from __future__ import annotations

import http.client
import ipaddress
import json
import signal
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from PIL import Image

from audioguide.feed import render_feed
from audioguide.model import ChapterMark, Episode
from audioguide.errors import ServeError
from audioguide.serve import (
    banner,
    bind,
    is_valid_range,
    lan_address,
    make_app,
    public_url_for,
    rewrite_feed,
    serve,
)
from audioguide.settings import GuideSettings
from tests.live_server import running_server, sine_mp3

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>T</title><link>https://guide.example/audio/index.html</link>
<item><title>One</title><link>https://elsewhere.example/article</link>
<enclosure url="{base}tour.mp3?v=abc" length="1" type="audio/mpeg"/>
<podcast:chapters url="{base}tour.chapters.json" type="application/json+chapters"/>
</item></channel></rss>
"""
SECRET = "top secret outside the output folder"


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder of small real files, with a secret file beside it (not in it)."""
    root = tmp_path_factory.mktemp("serve")
    (root / "secret.txt").write_text(SECRET)
    out = root / "output"
    out.mkdir()
    sine_mp3(out / "tour.mp3", [440, 660], 1.0)
    (out / "feed.xml").write_text(FEED.format(base="https://guide.example/audio/"), encoding="utf-8")
    (out / "tour.chapters.json").write_text(json.dumps({"version": "1.2.0", "chapters": []}))
    (out / "tour.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nHello.\n")
    (out / "index.html").write_text("<!doctype html><title>Player</title>")
    (out / "manifest.webmanifest").write_text('{"name": "Tour"}')
    (out / "service-worker.js").write_text("self.addEventListener('fetch', () => {});")
    Image.new("RGB", (8, 8), "teal").save(out / "cover.png")
    (out / ".feed.xml.tmp123.part").write_text("half written")
    (out / "sub").mkdir()
    (out / "sub" / "note.txt").write_text("inside a subfolder")
    (out / "escape.txt").symlink_to(root / "secret.txt")
    (out / "alias.vtt").symlink_to(out / "tour.vtt")
    return out


@pytest.fixture(scope="module")
def server(output: Path):
    with running_server(make_app(output)) as url:
        yield urlsplit(url).port


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None):
    """Send `path` exactly as given (no client normalisation); returns (response, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def test_get_sends_whole_file_with_validators(server, output):
    response, body = request(server, "GET", "/tour.mp3")
    assert response.status == 200
    assert body == (output / "tour.mp3").read_bytes()
    assert response.getheader("Content-Type") == "audio/mpeg"
    assert response.getheader("Accept-Ranges") == "bytes"
    assert int(response.getheader("Content-Length")) == len(body)
    assert response.getheader("ETag").startswith('"')
    assert response.getheader("Last-Modified") == formatdate((output / "tour.mp3").stat().st_mtime, usegmt=True)


def test_head_has_headers_of_get_and_no_body(server, output):
    get, _ = request(server, "GET", "/tour.mp3")
    head, body = request(server, "HEAD", "/tour.mp3")
    assert head.status == 200 and body == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Accept-Ranges"):
        assert head.getheader(name) == get.getheader(name)


@pytest.mark.parametrize(
    "spec, first, last",
    [
        ("0-99", 0, 99),
        ("100-", 100, None),
        ("-50", -50, None),
        ("7-7", 7, 7),
        ("1000-999999999", 1000, None),  # an end past the file is cut to the file
        ("-999999999", 0, None),  # a suffix longer than the file is the whole file
    ],
)
def test_byte_ranges(server, output, spec, first, last):
    data = (output / "tour.mp3").read_bytes()
    size = len(data)
    start = first % size if first < 0 else first
    end = size - 1 if last is None else last
    response, body = request(server, "GET", "/tour.mp3", {"Range": f"bytes={spec}"})
    assert response.status == 206
    assert response.getheader("Content-Range") == f"bytes {start}-{end}/{size}"
    assert int(response.getheader("Content-Length")) == end - start + 1
    assert body == data[start : end + 1]


def test_head_with_range_describes_the_part(server, output):
    size = (output / "tour.mp3").stat().st_size
    response, body = request(server, "HEAD", "/tour.mp3", {"Range": "bytes=10-19"})
    assert (response.status, body) == (206, b"")
    assert response.getheader("Content-Range") == f"bytes 10-19/{size}"


@pytest.mark.parametrize("spec", ["{size}-", "{size}-{bigger}", "-0"])
def test_unsatisfiable_range_is_416(server, output, spec):
    size = (output / "tour.mp3").stat().st_size
    header = "bytes=" + spec.format(size=size, bigger=size + 10)
    response, _ = request(server, "GET", "/tour.mp3", {"Range": header})
    assert response.status == 416
    assert response.getheader("Content-Range") == f"bytes */{size}"


@pytest.mark.parametrize("header", ["bytes=9-3", "items=0-5", "bytes=abc", "bytes=", "bytes=-"])
def test_malformed_range_is_ignored(server, output, header):
    response, body = request(server, "GET", "/tour.mp3", {"Range": header})
    assert response.status == 200
    assert body == (output / "tour.mp3").read_bytes()


def test_multiple_ranges_come_back_as_multipart(server, output):
    data = (output / "tour.mp3").read_bytes()
    response, body = request(server, "GET", "/tour.mp3", {"Range": "bytes=0-9,100-109"})
    assert response.status == 206
    assert response.getheader("Content-Type").startswith("multipart/byteranges; boundary=")
    assert f"Content-Range: bytes 0-9/{len(data)}".encode() in body
    assert f"Content-Range: bytes 100-109/{len(data)}".encode() in body
    assert data[0:10] in body and data[100:110] in body


def test_range_validation():
    assert is_valid_range("bytes=0-1") and is_valid_range("BYTES = -5") and is_valid_range("bytes=1-, 3-4")
    assert not is_valid_range("bytes=1-2;3") and not is_valid_range("bytes=--1")


@pytest.mark.parametrize("path", ["/tour.mp3", "/feed.xml"])
def test_not_modified_by_etag_and_by_date(server, path):
    first, _ = request(server, "GET", path)
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"other", W/{etag}'}, {"If-None-Match": "*"}):
        response, body = request(server, "GET", path, headers)
        assert (response.status, body) == (304, b"")
        assert response.getheader("ETag") == etag
    response, _ = request(server, "GET", path, {"If-Modified-Since": modified})
    assert response.status == 304
    long_ago = formatdate(0, usegmt=True)
    stale = ({"If-None-Match": '"stale"'}, {"If-Modified-Since": long_ago}, {"If-Modified-Since": "junk"})
    for headers in stale:
        response, _ = request(server, "GET", path, headers)
        assert response.status == 200
    # If-None-Match wins over If-Modified-Since when both are sent.
    response, _ = request(server, "GET", path, {"If-None-Match": '"stale"', "If-Modified-Since": modified})
    assert response.status == 200


@pytest.mark.parametrize(
    "path, media_type, cors",
    [
        ("/tour.mp3", "audio/mpeg", False),
        ("/feed.xml", "application/rss+xml", True),
        ("/tour.chapters.json", "application/json", True),
        ("/tour.vtt", "text/vtt", True),
        ("/index.html", "text/html", False),
        ("/cover.png", "image/png", False),
        ("/manifest.webmanifest", "application/manifest+json", False),
        ("/service-worker.js", "text/javascript", False),
    ],
)
def test_media_types_and_cors(server, path, media_type, cors):
    response, _ = request(server, "GET", path)
    assert response.status == 200
    assert response.getheader("Content-Type").split(";")[0] == media_type
    assert (response.getheader("Access-Control-Allow-Origin") == "*") is cors


def test_root_serves_the_player_and_folders_are_not_listed(server, output):
    response, body = request(server, "GET", "/")
    assert response.status == 200 and body == (output / "index.html").read_bytes()
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    for path in ("/sub", "/sub/"):
        assert request(server, "GET", path)[0].status == 404
    assert request(server, "GET", "/sub/note.txt")[1] == b"inside a subfolder"


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/%252e%252e/secret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "//" + "{root}/secret.txt",
        "/{root}/secret.txt",
        "/tour.mp3%00.txt",
        "/./sub/../../secret.txt",
    ],
)
def test_path_traversal_is_404(server, output, path):
    response, body = request(server, "GET", path.format(root=str(output.parent).lstrip("/")))
    assert response.status == 404
    assert SECRET.encode() not in body


def test_symlinks_out_of_the_folder_and_hidden_files_are_404(server):
    assert request(server, "GET", "/escape.txt")[0].status == 404
    assert request(server, "GET", "/.feed.xml.tmp123.part")[0].status == 404
    # A link that stays inside the folder is an ordinary file.
    assert request(server, "GET", "/alias.vtt")[0].status == 200


def test_other_methods_are_refused_and_preflight_is_answered(server):
    assert request(server, "POST", "/tour.mp3")[0].status == 405
    response, _ = request(server, "OPTIONS", "/tour.vtt")
    assert response.status == 204
    assert response.getheader("Access-Control-Allow-Origin") == "*"


def test_burst_of_concurrent_range_requests(server, output):
    data = (output / "tour.mp3").read_bytes()
    spans = [((i * 97) % (len(data) - 200), (i * 97) % (len(data) - 200) + 50 + i % 150) for i in range(200)]

    def fetch(span):
        response, body = request(server, "GET", "/tour.mp3", {"Range": f"bytes={span[0]}-{span[1]}"})
        return response.status, body

    with ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(fetch, spans))
    assert all(status == 206 for status, _ in results)
    assert [body for _, body in results] == [data[a : b + 1] for a, b in spans]


def test_lan_feed_points_at_the_served_address_and_disk_is_untouched(output):
    on_disk = (output / "feed.xml").read_bytes()
    with running_server(make_app(output, public_url="http://192.0.2.7:8123/")) as url:
        port = urlsplit(url).port
        response, body = request(port, "GET", "/feed.xml")
        head, head_body = request(port, "HEAD", "/feed.xml")
    assert response.status == 200 and response.getheader("Access-Control-Allow-Origin") == "*"
    assert (head.status, head_body, head.getheader("ETag")) == (200, b"", response.getheader("ETag"))
    parsed = feedparser.parse(body)
    assert parsed.entries[0].enclosures[0].href == "http://192.0.2.7:8123/tour.mp3?v=abc"
    assert parsed.feed.link == "http://192.0.2.7:8123/index.html"
    assert parsed.entries[0].link == "https://elsewhere.example/article"  # not ours: left alone
    assert (output / "feed.xml").read_bytes() == on_disk


@pytest.mark.parametrize("base_url", ["", "https://cdn.example/guides/walk"])
def test_rewrite_of_a_real_feed(base_url):
    episode = Episode(
        slug="walk", guid="g", title="Walk", description="d", audio_file="walk.mp3", audio_bytes=10,
        duration_ms=60000, pub_date="2024-05-01T10:00:00+00:00",
        chapters=(ChapterMark("c1", "Start", 0, 60000),), audio_sha256="ab" * 32,
    )
    xml = render_feed(
        GuideSettings(title="Guide", base_url=base_url), [episode], cover_file="cover.png",
        build_date=datetime(2024, 5, 2, tzinfo=timezone.utc),
    ).decode()
    names = {"walk.mp3", "walk.chapters.json", "cover.png", "feed.xml", "index.html"}
    parsed = feedparser.parse(rewrite_feed(xml, "http://10.0.0.5:8000", names))
    assert parsed.entries[0].enclosures[0].href == f"http://10.0.0.5:8000/walk.mp3?v={'ab' * 6}"
    assert parsed.feed.image.href == "http://10.0.0.5:8000/cover.png"
    assert "cdn.example" not in rewrite_feed(xml, "http://10.0.0.5:8000", names)


def test_addresses_and_banner(output):
    assert not ipaddress.ip_address(lan_address()).is_unspecified
    assert public_url_for("0.0.0.0", 8000) == f"http://{lan_address()}:8000/"
    assert public_url_for("127.0.0.1", 8001) == "http://127.0.0.1:8001/"
    assert public_url_for("::1", 8002) == "http://[::1]:8002/"
    local = banner(output, "http://127.0.0.1:8000/")
    assert "http://127.0.0.1:8000/feed.xml" in local and "█" not in local and "Ctrl-C" in local
    assert "stops.html" not in local  # this folder has no stops sheet
    lan = banner(output, "http://192.168.1.20:8000/")
    assert "http://192.168.1.20:8000/" in lan and "█" in lan and "offline listening needs https" in lan


def test_the_banner_names_the_stops_sheet(tmp_path):
    (tmp_path / "stops.html").write_text("<!doctype html><title>Stops</title>")
    assert "  stops:  http://127.0.0.1:8000/stops.html" in banner(tmp_path, "http://127.0.0.1:8000/").splitlines()


def test_serve_refuses_a_missing_folder_and_a_taken_port(tmp_path, output):
    with pytest.raises(ServeError, match="no output folder"):
        serve(tmp_path / "missing", "127.0.0.1", 0)
    taken = bind("127.0.0.1", 0)
    with taken, pytest.raises(ServeError, match="cannot listen"):
        serve(output, "127.0.0.1", taken.getsockname()[1])


def test_serve_runs_until_ctrl_c_and_stops_cleanly(output):
    code = (
        "import sys; from audioguide.serve import serve; "
        "serve(sys.argv[1], '127.0.0.1', 0, echo=lambda text: print(text, file=sys.stderr), "
        "on_ready=lambda url: print(url, flush=True)); print('returned')"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(output)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        url = process.stdout.readline().strip()
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == (output / "index.html").read_bytes()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out == "returned\n" and "Traceback" not in err
    assert err.startswith(f"Serving {output} at {url}\n") and err.endswith("Press Ctrl-C to stop.\nStopped.\n")
