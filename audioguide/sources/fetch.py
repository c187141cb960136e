"""Fetching a source over HTTP(S): bounded in time, size and redirects, one line when it fails.

urllib3 does the HTTP (see README: it is already installed with gTTS's requests, and imports in
half the time requests does). It bounds connecting and each read, but not resolving the host
name, so the request runs in a daemon thread the caller waits on for at most `timeout_s()`:
an unreachable host fails within that however the resolver behaves. The body is read in small
pieces against a size cap and a deadline, so a server that trickles bytes cannot hold a build.
"""

from __future__ import annotations

import functools
import os
import re
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from audioguide import __version__
from audioguide.errors import SourceError
from audioguide.sources import HTML_TYPES

MAX_REDIRECTS = 5
MAX_TEXT_BYTES = 16 << 20
"""A page or feed larger than this is refused (the longest real articles are a few hundred KB)."""
MAX_BOOK_BYTES = 256 << 20
"""An EPUB larger than this is refused."""
BODY_DEADLINE_S = 120.0
"""The longest a whole download may take once the server has answered."""
PAGE_TYPES = HTML_TYPES
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml",
                        "application/xml", "text/xml"})
BOOK_TYPES = frozenset({"application/epub+zip", "application/zip", "application/octet-stream"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
TEXT_TYPES = {"text/plain": "", "text/markdown": "markdown", "text/x-markdown": "markdown",
              "text/x-rst": "rst", "text/prs.fallenstein.rst": "rst"}
"""Text documents (a raw README, a PEP or an RFC as .txt) and the format their type names
("": the name and the text tell)."""
_CHUNK = 64 << 10


def timeout_s() -> float:
    """Seconds to wait for a server to answer (resolving, connecting and each read)."""
    value = os.environ.get("AUDIOGUIDE_FETCH_TIMEOUT", "10")
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 600:
        raise SourceError(f"AUDIOGUIDE_FETCH_TIMEOUT={value!r}: give seconds between 0 and 600")
    return seconds


@dataclass(frozen=True)
class Fetched:
    """A successful download."""

    url: str
    """Where the content was found, after redirects."""
    media_type: str
    """The Content-Type without its parameters, lower case; "" when the server gave none."""
    charset: str
    """The Content-Type's charset; "" when the server gave none."""
    data: bytes


def fetch(url: str, accept: frozenset[str], what: str) -> Fetched:
    """GET `url`; a content type outside `accept` (a missing one passes) is refused as "not
    `what`". Every failure is a `SourceError` of one line that names the URL and the cause."""
    import urllib3

    timeout = timeout_s()
    response = _answer(url, timeout)
    complete = False
    try:
        if response.status >= 400:
            raise SourceError(f"{url}: HTTP {response.status} {response.reason or ''}".rstrip())
        header = response.headers.get("Content-Type", "")
        media_type = header.split(";")[0].strip().lower()
        if media_type and media_type not in accept:
            raise SourceError(f"{url}: not {what} (the server says {media_type})")
        limit = MAX_BOOK_BYTES if media_type in BOOK_TYPES else MAX_TEXT_BYTES
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise SourceError(f"{url}: too large ({_size(int(declared))}; the limit is {_size(limit)})")
        data = _body(response, url, limit)
        complete = True
    except urllib3.exceptions.HTTPError as error:
        raise SourceError(f"{url}: {_cause(error, timeout)}") from None
    finally:
        if not complete:
            response.close()  # the unread rest must not reach the next request on this connection
        response.release_conn()
    return Fetched(url=_final_url(url, response), media_type=media_type, charset=_charset(header), data=data)


def _answer(url: str, timeout: float):
    """The response's status and headers, waited for at most `timeout` seconds in all."""
    import urllib3

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not host:
        raise SourceError(f"{url}: not a valid URL")
    outcome: dict[str, object] = {}

    def request() -> None:
        try:
            outcome["response"] = _pool().request(
                "GET", url, preload_content=False, redirect=True,
                retries=urllib3.Retry(total=MAX_REDIRECTS, connect=0, read=0, status=0, other=0,
                                      redirect=MAX_REDIRECTS, raise_on_redirect=True),
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
            )
        except Exception as error:  # handed to the waiting thread, which explains it
            outcome["error"] = error

    worker = threading.Thread(target=request, name=f"fetch {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise SourceError(f"{url}: timed out after {timeout:g} s (no answer from {host})")
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, urllib3.exceptions.HTTPError):
            raise SourceError(f"{url}: {_cause(error, timeout)}") from None
        raise SourceError(f"{url}: {error}") from None
    return outcome["response"]


def _final_url(url: str, response) -> str:
    """The URL after redirects: each hop's Location read against the URL it came from."""
    for hop in response.retries.history if response.retries else ():
        if hop.redirect_location:
            url = urljoin(url, hop.redirect_location)
    return url


def _body(response, url: str, limit: int) -> bytes:
    """The (decompressed) body, refused past `limit` bytes or `BODY_DEADLINE_S` seconds."""
    started = time.monotonic()
    pieces: list[bytes] = []
    size = 0
    while True:
        # read1 returns after one read from the socket, so the deadline is checked however
        # slowly the server sends.
        piece = response.read1(_CHUNK)
        if not piece:
            return b"".join(pieces)
        size += len(piece)
        if size > limit:
            raise SourceError(f"{url}: too large (more than {_size(limit)})")
        if time.monotonic() - started > BODY_DEADLINE_S:
            raise SourceError(f"{url}: download took longer than {BODY_DEADLINE_S:g} s")
        pieces.append(piece)


@functools.lru_cache(maxsize=1)
def _pool():
    import urllib3

    headers = urllib3.make_headers(accept_encoding=True, user_agent=f"audioguide/{__version__}")
    headers["Accept"] = ("text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
                         "application/xml;q=0.9,application/epub+zip;q=0.8,*/*;q=0.5")
    return urllib3.PoolManager(headers=headers, num_pools=8)


def _cause(error: Exception, timeout: float) -> str:
    """What went wrong, in the words of the layer that knows: DNS, refused, TLS, redirects."""
    import urllib3.exceptions as e

    reason = error.reason if isinstance(error, e.MaxRetryError) and error.reason else error
    if isinstance(reason, e.NameResolutionError):
        return f"cannot resolve the host name {reason.conn.host!r}"  # type: ignore[union-attr]
    if isinstance(reason, e.NewConnectionError):  # before its base class, ConnectTimeoutError
        if isinstance(reason.__cause__, ConnectionRefusedError) or "refused" in str(reason).lower():
            return "connection refused"
        return f"cannot connect ({_last_words(reason)})"
    if isinstance(reason, e.ConnectTimeoutError):
        return f"timed out after {timeout:g} s (connecting)"
    if isinstance(reason, e.ReadTimeoutError):
        return f"timed out after {timeout:g} s (no data)"
    if isinstance(reason, e.SSLError):
        inner = next((a for a in reason.args if isinstance(a, ssl.SSLError)), None)
        if isinstance(inner, ssl.SSLCertVerificationError):
            return f"TLS certificate not accepted ({inner.verify_message})"
        return f"TLS error ({inner.reason if inner is not None and inner.reason else _last_words(reason)})"
    if isinstance(reason, e.ResponseError) and "redirect" in str(reason):
        return f"too many redirects (more than {MAX_REDIRECTS}; a redirect loop?)"
    if isinstance(reason, e.LocationValueError | e.LocationParseError):
        return "not a valid URL"
    if isinstance(reason, e.ProtocolError):
        return f"the connection broke off ({_last_words(reason)})"
    return _last_words(reason)


def _last_words(error: BaseException) -> str:
    """The innermost part of an error message that nests its causes."""
    text = str(error).rstrip(")")
    return text.rsplit(": ", 1)[-1].strip("'\" ") or type(error).__name__


def _size(count: int) -> str:
    return f"{count / (1 << 20):.0f} MiB" if count >= 1 << 20 else f"{count} bytes"


def _charset(content_type: str) -> str:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.I)
    return match.group(1).lower() if match else ""


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)


def page_text(fetched: Fetched) -> str:
    """A page's text in the charset its server or its own <meta> declares."""
    from audioguide.sources import decode_declared

    meta = _META_CHARSET.search(fetched.data[:4096])
    declared = fetched.charset or (meta.group(1).decode("ascii") if meta else "")
    return decode_declared(fetched.data, declared, fetched.url)
