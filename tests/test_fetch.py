"""Fetching over real HTTP from a server on 127.0.0.1: answers, charsets and every way it fails."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time

import pytest
from starlette.responses import RedirectResponse, Response, StreamingResponse

from audioguide.errors import SourceError
from audioguide.sources import fetch as fetching
from audioguide.sources.fetch import PAGE_TYPES, fetch, page_text

WHAT = "an HTML page"


def test_a_page_is_fetched_through_redirects_and_records_where_it_ended(site):
    site.add("/post", "text/html; charset=utf-8", "<p>Grüß Gott</p>")

    async def moved(request):
        return RedirectResponse("/post", status_code=301)

    site.add("/old", "", moved)
    fetched = fetch(site.url + "/old", PAGE_TYPES, WHAT)
    assert fetched.url == site.url + "/post"
    assert (fetched.media_type, fetched.charset) == ("text/html", "utf-8")
    assert page_text(fetched) == "<p>Grüß Gott</p>"


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        ("text/html; charset=ISO-8859-1", "<p>café</p>".encode("latin-1"), "<p>café</p>"),
        ("text/html", '<meta charset="windows-1251"><p>Привет</p>'.encode("cp1251"),
         '<meta charset="windows-1251"><p>Привет</p>'),
        ("text/html", "<p>naïve</p>".encode("utf-8"), "<p>naïve</p>"),
        ("text/html", "<p>naïve</p>".encode("cp1252"), "<p>naïve</p>"),
        ("text/html; charset=no-such-codec", "<p>déjà</p>".encode("utf-8"), "<p>déjà</p>"),
        ("text/html; charset=iso-8859-1", b"\xef\xbb\xbf<p>\xc3\xa9t\xc3\xa9</p>", "<p>été</p>"),
    ],
    ids=["header", "meta", "utf-8", "cp1252-guess", "unknown-codec", "bom-wins"],
)
def test_the_charset_comes_from_the_header_the_page_or_the_bytes(site, content_type, body, text):
    site.add("/p", content_type, body)
    assert page_text(fetch(site.url + "/p", PAGE_TYPES, WHAT)) == text


def test_compressed_pages_are_inflated(site):
    async def zipped(request):
        assert "gzip" in request.headers["accept-encoding"]
        return Response(gzip.compress(b"<p>small</p>"), media_type="text/html",
                        headers={"Content-Encoding": "gzip"})

    site.add("/z", "", zipped)
    assert fetch(site.url + "/z", PAGE_TYPES, WHAT).data == b"<p>small</p>"


def _refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_each_failure_is_one_line_that_says_which(site, monkeypatch):
    site.add("/pdf", "application/pdf", b"%PDF-1.7")

    async def loop(request):
        return RedirectResponse("/loop" if request.url.path == "/loop2" else "/loop2", status_code=302)

    site.add("/loop", "", loop)
    site.add("/loop2", "", loop)
    cases = {
        "/missing": "HTTP 404 Not Found",
        "/pdf": "not an HTML page (the server says application/pdf)",
        "/loop": "too many redirects",
    }
    for path, message in cases.items():
        with pytest.raises(SourceError) as caught:
            fetch(site.url + path, PAGE_TYPES, WHAT)
        assert str(caught.value).startswith(f"{site.url}{path}: {message}")
        assert "\n" not in str(caught.value)
    with pytest.raises(SourceError, match="connection refused"):
        fetch(f"http://127.0.0.1:{_refused_port()}/x", PAGE_TYPES, WHAT)
    with pytest.raises(SourceError, match="not a valid URL"):
        fetch("http://[::1/x", PAGE_TYPES, WHAT)
    with pytest.raises(SourceError, match="TLS error"):
        fetch(site.url.replace("http:", "https:") + "/x", PAGE_TYPES, WHAT)


def test_an_unresolvable_host_fails_at_once(monkeypatch):
    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(SourceError, match="cannot resolve the host name 'blog.example'"):
        fetch("http://blog.example/post", PAGE_TYPES, WHAT)


def test_a_resolver_that_hangs_is_cut_off_by_the_timeout(monkeypatch):
    monkeypatch.setenv("AUDIOGUIDE_FETCH_TIMEOUT", "0.5")
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: time.sleep(5))
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"timed out after 0\.5 s \(no answer from blog\.example\)"):
        fetch("http://blog.example/post", PAGE_TYPES, WHAT)
    assert time.monotonic() - started < 3


def test_a_server_that_never_answers_times_out(site, monkeypatch):
    monkeypatch.setenv("AUDIOGUIDE_FETCH_TIMEOUT", "0.5")

    async def stall(request):
        await asyncio.sleep(1)
        return Response("late", media_type="text/html")

    site.add("/stall", "", stall)
    with pytest.raises(SourceError, match="timed out after 0.5 s"):
        fetch(site.url + "/stall", PAGE_TYPES, WHAT)


def test_too_large_is_refused_by_its_declared_length_or_while_reading(site, monkeypatch):
    monkeypatch.setattr(fetching, "MAX_TEXT_BYTES", 1000)
    site.add("/big", "text/html", b"x" * 2000)

    async def endless(request):
        async def chunks():
            while True:
                yield b"<p>more</p>" * 100
                await asyncio.sleep(0)

        return StreamingResponse(chunks(), media_type="text/html")

    site.add("/endless", "", endless)
    with pytest.raises(SourceError, match=r"/big: too large \(2000 bytes; the limit is 1000 bytes\)"):
        fetch(site.url + "/big", PAGE_TYPES, WHAT)
    with pytest.raises(SourceError, match=r"/endless: too large \(more than 1000 bytes\)"):
        fetch(site.url + "/endless", PAGE_TYPES, WHAT)


def test_a_trickling_server_is_cut_off_by_the_download_deadline(site, monkeypatch):
    monkeypatch.setattr(fetching, "BODY_DEADLINE_S", 0.3)

    async def trickle(request):
        async def chunks():
            for _ in range(40):
                yield b"<p>"
                await asyncio.sleep(0.05)

        return StreamingResponse(chunks(), media_type="text/html")

    site.add("/trickle", "", trickle)
    with pytest.raises(SourceError, match="download took longer than 0.3 s"):
        fetch(site.url + "/trickle", PAGE_TYPES, WHAT)


def test_a_bad_timeout_setting_is_refused(monkeypatch):
    monkeypatch.setenv("AUDIOGUIDE_FETCH_TIMEOUT", "soon")
    with pytest.raises(SourceError, match="AUDIOGUIDE_FETCH_TIMEOUT"):
        fetch("http://127.0.0.1:1/", PAGE_TYPES, WHAT)
