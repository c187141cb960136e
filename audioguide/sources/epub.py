"""An EPUB (2 or 3) read with zipfile and defusedxml: container -> package -> spine, in order.

The common EPUB libraries are AGPL, and an EPUB is only a zip of XHTML files, a package file
(OPF) that lists them in reading order (the spine) with the book's metadata, and a table of
contents (EPUB 3's navigation document, EPUB 2's NCX). Chapter titles come from the table of
contents, else from each chapter's own headings. Every entry is read against a size cap (a zip
bomb gets a one-line error), every XML file with entity declarations and external references
refused, and a book with DRM (encrypted content, a rights file) is refused, not read as noise.

A short book (up to SHORT_BOOK_WORDS, about an hour of speech) is one episode with a chapter
per book chapter; a longer one is one episode per book chapter, whose headings are its chapters.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import ParseError

from audioguide.article import slugify
from audioguide.errors import SourceError
from audioguide.sources import (
    ENTITIES_REFUSED,
    HTML_TYPES,
    Document,
    EntitiesRefused,
    Origin,
    Part,
    decode_declared,
    plain_text,
    safe_xml,
)

MAX_ENTRY_BYTES = 32 << 20
"""The most one file of the book may inflate to (the longest chapters are a few hundred KB)."""
MAX_READ_BYTES = 256 << 20
"""The most all the files read from one book may inflate to together."""
MAX_CHAPTERS = 2000
SHORT_BOOK_WORDS = 10_000
"""A book of at most this many words (about an hour at the voice's pace) is one episode."""
_FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
_NS = {
    "container": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "enc": "http://www.w3.org/2001/04/xmlenc#",
}


@dataclass(frozen=True)
class _Chapter:
    title: str
    files: tuple[str, ...]
    text: str
    words: int


def read_epub(data: bytes, origin: str) -> Origin:
    """The book's chapters as documents, and its title, author, language and cover."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise SourceError(f"{origin}: not an EPUB (not a zip archive)") from None
    with archive:
        return _Book(archive, origin).read()


class _Book:
    def __init__(self, archive: zipfile.ZipFile, origin: str) -> None:
        self.archive = archive
        self.origin = origin
        self.budget = MAX_READ_BYTES
        self.notes: list[str] = []

    def read(self) -> Origin:
        self._refuse_drm()
        package_path = self._package_path()
        package = self._xml(package_path)
        base = posixpath.dirname(package_path)
        manifest = {
            item.get("id", ""): (_join(base, item.get("href", "")), item.get("media-type", ""),
                                 item.get("properties", "").split())
            for item in package.iterfind("opf:manifest/opf:item", _NS)
        }
        metadata = package.find("opf:metadata", _NS)
        if metadata is None:
            raise SourceError(f"{self.origin}: malformed EPUB ({package_path} has no metadata)")
        title = _first(metadata, "dc:title")
        author = ", ".join(t for e in metadata.iterfind("dc:creator", _NS) if (t := _words(e)))
        chapters = self._chapters(package, manifest)
        if not chapters:
            raise SourceError(f"{self.origin}: the book has no chapters with text")
        stem = _stem(self.origin)
        book_slug = slugify(stem, "") or slugify(title, "book")
        language = _first(metadata, "dc:language")
        documents = _documents(chapters, book_slug, title, stem)
        return Origin(
            kind="book", documents=documents, title=title, author=author,
            language=language, description=plain_text(_first(metadata, "dc:description")),
            cover=self._cover(package, manifest), notes=tuple(self.notes),
        )

    # -- the archive ---------------------------------------------------------------------

    def _bytes(self, name: str) -> bytes:
        """One file of the book, inflated under the caps."""
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise SourceError(f"{self.origin}: malformed EPUB ({name} is missing)") from None
        cap = min(MAX_ENTRY_BYTES, self.budget)
        refusal = (f"{self.origin}: {name} inflates to more than {cap >> 20} MiB; "
                   "refused (a zip bomb?)")
        if info.file_size > cap:
            raise SourceError(refusal)
        try:
            with self.archive.open(info) as f:
                data = f.read(cap + 1)
        except RuntimeError:  # zipfile's word for an entry encrypted with a password
            raise SourceError(f"{self.origin}: {name} is encrypted; refused (DRM)") from None
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError) as error:
            raise SourceError(f"{self.origin}: malformed EPUB ({name}: {error})") from None
        if len(data) > cap:
            raise SourceError(refusal)
        self.budget -= len(data)
        return data

    def _xml(self, name: str):
        try:
            return safe_xml(self._bytes(name), f"{self.origin}: {name}")
        except ParseError as error:
            raise SourceError(f"{self.origin}: malformed EPUB ({name}: {error})") from None

    def _refuse_drm(self) -> None:
        names = set(self.archive.namelist())
        if "META-INF/rights.xml" in names:
            raise SourceError(f"{self.origin}: the book is encrypted (DRM: META-INF/rights.xml); "
                              "only DRM-free EPUBs can be read")
        if "META-INF/encryption.xml" in names:
            for entry in self._xml("META-INF/encryption.xml").iter(f"{{{_NS['enc']}}}EncryptedData"):
                method = entry.find("enc:EncryptionMethod", _NS)
                algorithm = method.get("Algorithm", "") if method is not None else ""
                if algorithm not in _FONT_OBFUSCATION:  # obfuscated fonts are no DRM
                    raise SourceError(f"{self.origin}: the book is encrypted (DRM: "
                                      "META-INF/encryption.xml); only DRM-free EPUBs can be read")

    def _package_path(self) -> str:
        if "META-INF/container.xml" not in self.archive.namelist():
            raise SourceError(f"{self.origin}: not an EPUB (no META-INF/container.xml)")
        container = self._xml("META-INF/container.xml")
        for rootfile in container.iterfind("container:rootfiles/container:rootfile", _NS):
            path = rootfile.get("full-path", "")
            if path and rootfile.get("media-type", "application/oebps-package+xml") == \
                    "application/oebps-package+xml":
                return unquote(path)
        raise SourceError(f"{self.origin}: not an EPUB (no package file in META-INF/container.xml)")

    # -- contents ------------------------------------------------------------------------

    def _chapters(self, package, manifest: dict) -> list[_Chapter]:
        """Spine files grouped into chapters: a chapter starts at each file the table of contents
        names, and takes the unnamed files after it (a chapter split over several files)."""
        toc = self._toc(package, manifest)
        spine = []
        for ref in package.iterfind("opf:spine/opf:itemref", _NS):
            path, media_type, _ = manifest.get(ref.get("idref", ""), ("", "", []))
            if ref.get("linear", "yes") != "no" and path and media_type in HTML_TYPES:
                spine.append(path)
        if len(spine) > MAX_CHAPTERS:
            raise SourceError(f"{self.origin}: {len(spine)} files in the spine; "
                              f"at most {MAX_CHAPTERS} are read")
        groups: list[tuple[str, list[str]]] = []
        skipped: list[str] = []
        for path in spine:
            if path in toc or not toc:
                groups.append((toc.get(path, ""), [path]))
            elif groups:
                groups[-1][1].append(path)
            else:
                skipped.append(posixpath.basename(path))
        if skipped:
            self.notes.append(f"{self.origin}: skipped front matter before the first chapter of "
                              f"the table of contents: {', '.join(skipped)}")
        chapters = []
        for title, paths in groups:
            bodies = [self._chapter_text(path) for path in paths]
            text = bodies[0] if len(bodies) == 1 else "<html><body>" + "".join(
                _body(b) for b in bodies) + "</body></html>"
            plain = plain_text(_body(text))
            if re.search(r"[^\W\d_]", plain):  # a cover page has no words
                chapters.append(_Chapter(title, tuple(paths), text, len(plain.split())))
        return chapters

    def _chapter_text(self, path: str) -> str:
        data = self._bytes(path)
        if re.search(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", data[:65536], re.I):
            raise EntitiesRefused(f"{self.origin}: {path} {ENTITIES_REFUSED}")
        declared = re.match(rb"\s*<\?xml[^>]*encoding=[\"']([\w.:-]+)", data)
        return decode_declared(data, declared.group(1).decode("ascii") if declared else "",
                               f"{self.origin}: {path}")

    def _toc(self, package, manifest: dict) -> dict[str, str]:
        """File -> title of its first entry in the table of contents (nav, else NCX)."""
        entries: list[tuple[str, str]] = []
        nav = next((path for path, _, props in manifest.values() if "nav" in props), None)
        if nav is not None:
            entries = self._nav_entries(nav)
        if not entries:
            ncx_id = package.find("opf:spine", _NS)
            ncx_id = ncx_id.get("toc", "") if ncx_id is not None else ""
            ncx = manifest.get(ncx_id) or next(
                (m for m in manifest.values() if m[1] == "application/x-dtbncx+xml"), None)
            if ncx is not None:
                entries = self._ncx_entries(ncx[0])
        toc: dict[str, str] = {}
        for path, title in entries:
            if title:
                toc.setdefault(path, title)
        return toc

    def _nav_entries(self, path: str) -> list[tuple[str, str]]:
        try:
            document = self._xml(path)
        except EntitiesRefused:
            raise
        except SourceError as error:
            self.notes.append(f"{self.origin}: could not read the navigation document ({error})")
            return []
        navs = list(document.iter(f"{{{_NS['xhtml']}}}nav"))
        toc = next((n for n in navs if "toc" in n.get(f"{{{_NS['epub']}}}type", "").split()),
                   navs[0] if navs else None)
        if toc is None:
            return []
        base = posixpath.dirname(path)
        return [(_join(base, a.get("href", "")), _words(a))
                for a in toc.iter(f"{{{_NS['xhtml']}}}a") if a.get("href")]

    def _ncx_entries(self, path: str) -> list[tuple[str, str]]:
        document = self._xml(path)
        base = posixpath.dirname(path)
        entries = []
        for point in document.iter(f"{{{_NS['ncx']}}}navPoint"):
            label = point.find("ncx:navLabel/ncx:text", _NS)
            content = point.find("ncx:content", _NS)
            if content is not None and content.get("src"):
                entries.append((_join(base, content.get("src", "")), _words(label)))
        return entries

    def _cover(self, package, manifest: dict) -> bytes | None:
        """The cover picture: EPUB 3's cover-image item, EPUB 2's cover meta, or an image named so."""
        images = {key: m for key, m in manifest.items() if m[1].startswith("image/")}
        chosen = next((m for m in images.values() if "cover-image" in m[2]), None)
        if chosen is None:
            meta = package.find("opf:metadata/opf:meta[@name='cover']", _NS)
            chosen = images.get(meta.get("content", "")) if meta is not None else None
        if chosen is None:
            chosen = next((m for key, m in images.items() if "cover" in (key + m[0]).lower()), None)
        return self._bytes(chosen[0]) if chosen is not None else None


def _documents(chapters: list[_Chapter], book_slug: str, title: str, stem: str) -> tuple[Document, ...]:
    words = sum(c.words for c in chapters)
    parts = [Part(c.text, "html", PurePosixPath(c.files[0]).name, c.title) for c in chapters]
    if words <= SHORT_BOOK_WORDS:
        return (Document(name=f"{stem}.epub", parts=tuple(parts), title=title, slug=book_slug),)
    width = 3 if len(parts) > 99 else 2
    return tuple(
        Document(name=part.name, parts=(part,), title=part.title, slug=f"{book_slug}-{n:0{width}d}")
        for n, part in enumerate(parts, start=1)
    )


def _join(base: str, href: str) -> str:
    """A manifest or table-of-contents reference as a path inside the archive, without anchor."""
    return posixpath.normpath(posixpath.join(base, unquote(href.split("#", 1)[0])))


def _stem(origin: str) -> str:
    name = posixpath.basename(urlsplit(origin).path if "://" in origin else origin.replace("\\", "/"))
    return name.rsplit(".", 1)[0] if "." in name else name


def _first(parent, path: str) -> str:
    return next((t for e in parent.iterfind(path, _NS) if (t := _words(e))), "")


def _words(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip() if element is not None else ""


def _body(text: str) -> str:
    match = re.search(r"<body\b[^>]*>(.*)</body\s*>", text, re.S | re.I)
    return match.group(1) if match else text
