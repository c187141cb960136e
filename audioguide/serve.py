"""Serve a built output folder over HTTP: the player page, the feed, and seekable audio.

Podcast apps and `<audio>` elements seek with byte ranges and revalidate with ETags, so the server
answers both; it serves nothing outside the folder, and no directory listings. On the local network
it rewrites the feed on the fly so that its links point at the address the phone can reach.

Byte ranges are Starlette's FileResponse's: one range gets 206 with Content-Range; several get one
206 multipart/byteranges answer (416 if any of them starts past the end); a malformed Range header
or another unit is ignored (200, whole file), as RFC 9110 allows.
"""

from __future__ import annotations

import email.utils
import hashlib
import io
import ipaddress
import mimetypes
import re
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import uvicorn
from starlette.datastructures import Headers
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from audioguide.errors import ServeError

FEED_FILE = "feed.xml"
INDEX_FILE = "index.html"
STOPS_FILE = "stops.html"

MEDIA_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".xml": "application/rss+xml; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}

# Web podcast players and chapter/transcript viewers fetch these from other origins.
CORS_HEADERS = {
    "access-control-allow-origin": "*",
    "access-control-expose-headers": "Content-Range, Content-Length, Accept-Ranges, ETag",
}
CORS_SUFFIXES = {".json", ".vtt", ".srt", ".xml"}
ALLOWED = "GET, HEAD, OPTIONS"
PREFLIGHT_HEADERS = {
    "access-control-allow-methods": "GET, HEAD",
    "access-control-allow-headers": "Range, If-None-Match, If-Modified-Since",
    "allow": ALLOWED,
}

# One or more byte-range specs: `a-b`, `a-`, `-n`. Anything else is ignored, as RFC 9110 allows.
_RANGE_SPEC = re.compile(r"(\d*)-(\d*)")

# Link-bearing places in an RSS feed: url="..."/href="..." attributes, and <url>/<link> text.
_LINK_ATTRIBUTE = re.compile(r"""\b(url|href)=(["'])(.*?)\2""")
_LINK_ELEMENT = re.compile(r"<(url|link)>([^<]*)</\1>")


def media_type(path: Path) -> str:
    """The Content-Type to send for `path`, by its suffix."""
    suffix = path.suffix.lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def resolve(root: Path, url_path: str) -> Path | None:
    """The file inside `root` that the decoded URL path names, or None if it names nothing servable.

    Refuses `..`, hidden names (temporary files of atomic writes), backslashes, NUL bytes, and
    anything (symlinks included) whose real location is outside `root`.
    """
    if "\x00" in url_path or "\\" in url_path:
        return None
    parts = [part for part in url_path.split("/") if part]
    if any(part.startswith(".") for part in parts):
        return None
    if not parts:
        parts = [INDEX_FILE]
    real_root = root.resolve()
    try:
        target = real_root.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(real_root) or not target.is_file():
        return None
    return target


def is_valid_range(header: str) -> bool:
    """True if `header` is a well-formed `bytes=` Range header; other ones are to be ignored."""
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes" or not specs.strip():
        return False
    for spec in specs.split(","):
        match = _RANGE_SPEC.fullmatch(spec.strip())
        if not match or match.group(0) == "-":
            return False
        first, last = match.groups()
        if first and last and int(first) > int(last):
            return False
    return True


def is_not_modified(request: Headers, etag: str, mtime: float) -> bool:
    """Whether a GET may be answered 304, from If-None-Match (preferred) or If-Modified-Since."""
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    if_modified_since = request.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    return int(mtime) <= since.timestamp()


def rewrite_feed(xml: str, public_url: str, names: set[str]) -> str:
    """Point the feed's links at `public_url`: relative links, and absolute ones whose last path
    segment names a file in the output folder (`names`) together with every link under the same base.
    """
    public_url = public_url.rstrip("/") + "/"
    values = [m.group(3) for m in _LINK_ATTRIBUTE.finditer(xml)] + [
        m.group(2) for m in _LINK_ELEMENT.finditer(xml)
    ]
    bases = set()
    for value in values:
        parts = urlsplit(value)
        base, _, name = parts.path.rpartition("/")
        if parts.scheme and parts.netloc and unquote(name) in names:
            bases.add(f"{parts.scheme}://{parts.netloc}{base}/")

    def relink(value: str) -> str:
        parts = urlsplit(value)
        if not parts.scheme and not value.startswith(("//", "#")) and value.strip():
            return urljoin(public_url, value)
        for base in bases:
            if value.startswith(base):
                return public_url + value[len(base) :]
        return value

    xml = _LINK_ATTRIBUTE.sub(lambda m: f"{m.group(1)}={m.group(2)}{relink(m.group(3))}{m.group(2)}", xml)
    return _LINK_ELEMENT.sub(lambda m: f"<{m.group(1)}>{relink(m.group(2))}</{m.group(1)}>", xml)


class OutputApp:
    """ASGI app serving one output folder (see the module docstring)."""

    def __init__(self, root: Path, public_url: str | None = None) -> None:
        self.root = root
        self.public_url = public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = Headers(scope=scope)
        range_header = headers.get("range")
        if range_header is not None and not is_valid_range(range_header):
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"range"]}
        response = self.respond(scope["method"], scope["path"], headers)
        await response(scope, receive, send)

    def respond(self, method: str, path: str, headers: Headers) -> Response:
        """The response to `method path`; file bodies and byte ranges are left to FileResponse."""
        if method == "OPTIONS":
            return Response(status_code=204, headers={**CORS_HEADERS, **PREFLIGHT_HEADERS})
        if method not in ("GET", "HEAD"):
            return PlainTextResponse("Method not allowed", status_code=405, headers={"allow": ALLOWED})
        target = resolve(self.root, path)
        if target is None:
            return PlainTextResponse("Not found", status_code=404)
        extra = {"cache-control": "no-cache"}
        if target.suffix.lower() in CORS_SUFFIXES:
            extra.update(CORS_HEADERS)
        stat = target.stat()
        if self.public_url and target.name == FEED_FILE and target.parent == self.root.resolve():
            return self._feed_response(target, headers, extra, stat.st_mtime)
        response = FileResponse(target, media_type=media_type(target), headers=extra, stat_result=stat)
        if is_not_modified(headers, response.headers["etag"], stat.st_mtime):
            return _not_modified(response, extra)
        return response

    def _feed_response(self, target: Path, headers: Headers, extra: dict[str, str], mtime: float) -> Response:
        names = {p.name for p in target.parent.iterdir() if p.is_file()}
        body = rewrite_feed(target.read_text(encoding="utf-8"), self.public_url or "", names).encode("utf-8")
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        response = Response(
            body,
            media_type=media_type(target),
            headers={**extra, "etag": etag, "last-modified": email.utils.formatdate(mtime, usegmt=True)},
        )
        if is_not_modified(headers, etag, mtime):
            return _not_modified(response, extra)
        return response


def _not_modified(response: Response, extra: dict[str, str]) -> Response:
    kept = {name: response.headers[name] for name in ("etag", "last-modified")}
    return Response(status_code=304, headers={**extra, **kept})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def make_app(output_dir: Path, public_url: str | None = None) -> OutputApp:
    """An ASGI app serving `output_dir`; with `public_url`, feed.xml is served pointing there."""
    return OutputApp(Path(output_dir), public_url)


def lan_address() -> str:
    """This machine's address on the local network, as a phone on the same Wi-Fi would reach it.

    Connecting a UDP socket sends nothing; it only asks the kernel which interface routes outward.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere for real
            address = probe.getsockname()[0]
        except OSError:
            address = ""
    if address and not ipaddress.ip_address(address).is_loopback:
        return address
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def public_url_for(host: str, port: int) -> str:
    """The URL to announce for a server bound to `host:port` (all interfaces: the LAN address)."""
    if host in ("", "0.0.0.0", "::"):
        host = lan_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def banner(output_dir: Path, url: str) -> str:
    """What `audioguide serve` prints once listening: the addresses, and a QR code off loopback."""
    lines = [
        f"Serving {output_dir} at {url}",
        f"  player: {url}",
        f"  feed:   {url}{FEED_FILE}",
    ]
    if (output_dir / STOPS_FILE).is_file():
        lines.append(f"  stops:  {url}{STOPS_FILE}")
    host = urlsplit(url).hostname or ""
    if host not in ("localhost",) and not _is_loopback(host):
        import segno

        qr = io.StringIO()
        segno.make(url, error="m").terminal(out=qr, compact=True)
        lines += ["Open the player on a phone on the same network (scan):", qr.getvalue().rstrip("\n")]
        lines.append("Anyone on this network can reach these files while the server runs.")
        # Browsers run service workers only over https or on localhost.
        lines.append("Keeping episodes for offline listening needs https: host the folder for that.")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.on_started()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port` (port 0: any free one), or ServeError saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host or "0.0.0.0", port), family=family, backlog=512)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(
    output_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    echo: Callable[[str], None] | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `output_dir` until Ctrl-C. Once listening, `echo` gets the messages for the user
    (addresses, QR code; see `banner`) and `on_ready` the public URL."""
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        raise ServeError(f"no output folder at {output_dir}: run `audioguide build` first")
    sock = bind(host, port)
    url = public_url_for(host, sock.getsockname()[1])

    def started() -> None:
        if echo:
            echo(banner(output_dir, url))
        if on_ready:
            on_ready(url)

    config = uvicorn.Config(
        make_app(output_dir, public_url=url), log_level="warning", access_log=False, lifespan="off"
    )
    try:
        _Server(config, on_started=started).run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn shuts down gracefully on SIGINT, then re-raises it: that is the normal way out.
        pass
    finally:
        sock.close()
    if echo:
        echo("Stopped.")
