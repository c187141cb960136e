"""A real uvicorn server on loopback in a background thread, and small real media, for serve tests."""

from __future__ import annotations

import contextlib
import functools
import http.server
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from audioguide.ffmpeg import ffmpeg_exe
from audioguide.serve import bind


@contextlib.contextmanager
def running_server(app) -> Iterator[str]:
    """Run `app` on a free port of 127.0.0.1; yields its base URL (no trailing slash)."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


@contextlib.contextmanager
def running_static_server(folder: Path) -> Iterator[str]:
    """Python's own file server on a free port of 127.0.0.1, as a plain static host: no byte
    ranges, no ETags of ours, its own content types. Yields its base URL (no trailing slash)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietFiles, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def sine_mp3(path: Path, frequencies: list[int], seconds_each: float) -> Path:
    """An MP3 of consecutive sine tones, one per frequency, made by ffmpeg."""
    sources = "".join(
        f"sine=frequency={f}:duration={seconds_each}:sample_rate=22050[s{i}];" for i, f in enumerate(frequencies)
    )
    joined = "".join(f"[s{i}]" for i in range(len(frequencies)))
    graph = f"{sources}{joined}concat=n={len(frequencies)}:v=0:a=1[out]"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-filter_complex", graph, "-map", "[out]",
         "-c:a", "libmp3lame", "-b:a", "64k", str(path)],
        check=True, capture_output=True,
    )
    return path


class Site:
    """What a test web site serves: path -> (content type, body), changeable while it runs.
    A body that is a callable is awaited instead, to misbehave (stall, redirect, trickle)."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, object]] = {}
        self.requests: list[str] = []

    def add(self, path: str, content_type: str, body) -> None:
        self.pages[path] = (content_type, body.encode("utf-8") if isinstance(body, str) else body)

    def app(self):
        from starlette.applications import Starlette
        from starlette.responses import Response
        from starlette.routing import Route

        async def page(request):
            path = request.url.path
            self.requests.append(path)
            if path not in self.pages:
                return Response("not here", status_code=404, media_type="text/plain")
            content_type, body = self.pages[path]
            if callable(body):
                return await body(request)
            return Response(body, headers={"Content-Type": content_type} if content_type else {})

        return Starlette(routes=[Route("/{path:path}", page)])


@contextlib.contextmanager
def running_site(site: Site) -> Iterator[str]:
    """Serve `site` on 127.0.0.1; yields its base URL."""
    with running_server(site.app()) as url:
        yield url
