"""EPUBs read into documents: spine order, titles from nav or NCX, metadata, cover; bad books refused."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from audioguide.errors import SourceError
from audioguide.sources import epub
from audioguide.sources.epub import read_epub
from tests.books import CONTAINER, chapter_xhtml, cover_jpeg, make_epub

CHAPTERS = [("Sowing", ["Seeds go into the cold ground."]), ("Growing", ["Wheat grows tall by June."]),
            ("Harvest", ["We reap in August."])]


@pytest.mark.parametrize("version", [3, 2])
def test_a_short_book_is_one_document_with_a_part_per_chapter(version):
    picture = cover_jpeg()
    origin = read_epub(make_epub(CHAPTERS, version=version, cover=picture, front_matter="All rights reserved."),
                       "bakers-year.epub")
    assert (origin.kind, origin.title, origin.author, origin.language) == ("book", "The Baker's Year", "Ann Baker", "en")
    assert origin.cover == picture
    (document,) = origin.documents
    assert (document.title, document.slug) == ("The Baker's Year", "bakers-year")
    assert [(p.title, p.name) for p in document.parts] == [
        ("Sowing", "ch1.xhtml"), ("Growing", "ch2.xhtml"), ("Harvest", "ch3.xhtml")]
    assert "Wheat grows tall by June." in document.parts[1].text
    assert origin.notes == ("bakers-year.epub: skipped front matter before the first chapter of the "
                            "table of contents: title.xhtml",)


def test_without_a_table_of_contents_every_spine_file_is_a_chapter():
    (document,) = read_epub(make_epub(CHAPTERS, toc=False, front_matter="A note."), "b.epub").documents
    assert [p.title for p in document.parts] == ["", "", "", ""]  # titles left to the headings
    assert "A note." in document.parts[0].text


def test_a_long_book_is_one_document_per_chapter(monkeypatch):
    monkeypatch.setattr(epub, "SHORT_BOOK_WORDS", 10)
    documents = read_epub(make_epub(CHAPTERS), "bakers-year.epub").documents
    assert [(d.title, d.slug) for d in documents] == [
        ("Sowing", "bakers-year-01"), ("Growing", "bakers-year-02"), ("Harvest", "bakers-year-03")]


def test_a_chapter_split_over_files_is_joined_and_a_cover_page_skipped():
    extra = {"OEBPS/text/ch1b.xhtml": chapter_xhtml("Sowing, continued", ["Then we wait."], heading=False),
             "OEBPS/text/cover.xhtml": '<html xmlns="http://www.w3.org/1999/xhtml"><body><img src="a.jpg"/></body></html>'}
    book = make_epub(CHAPTERS, extra_files=extra)
    book = _edit_opf(book, lambda opf: opf.replace(
        '<itemref idref="ch2"/>', '<itemref idref="ch1b"/><itemref idref="ch2"/>').replace(
        '<itemref idref="ch1"/>', '<itemref idref="cover"/><itemref idref="ch1"/>').replace(
        "</manifest>", '<item id="ch1b" href="text/ch1b.xhtml" media-type="application/xhtml+xml"/>'
                       '<item id="cover" href="text/cover.xhtml" media-type="application/xhtml+xml"/></manifest>'))
    origin = read_epub(book, "b.epub")
    sowing = origin.documents[0].parts[0]
    assert "Seeds go into the cold ground." in sowing.text and "Then we wait." in sowing.text
    assert len(origin.documents[0].parts) == 3
    assert "cover.xhtml" in origin.notes[0]


def _edit_opf(book: bytes, change) -> bytes:
    return _rewrite(book, {"OEBPS/content.opf": lambda data: change(data.decode()).encode()})


def _rewrite(book: bytes, changes: dict) -> bytes:
    """The book with some files changed (a callable of the old bytes, or new bytes; None drops)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename in changes:
                change = changes[info.filename]
                data = change(data) if callable(change) else change
            if data is not None:
                new.writestr(info.filename, data)
        for name, data in changes.items():
            if name not in old.namelist() and not callable(data) and data is not None:
                new.writestr(name, data)
    return out.getvalue()


ENCRYPTION = ('<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
              'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
              '<enc:EncryptionMethod Algorithm="{}"/><enc:CipherData>'
              '<enc:CipherReference URI="OEBPS/text/ch1.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>')


def test_obfuscated_fonts_are_no_drm():
    book = _rewrite(make_epub(CHAPTERS), {
        "META-INF/encryption.xml": ENCRYPTION.format("http://www.idpf.org/2008/embedding")})
    assert len(read_epub(book, "b.epub").documents[0].parts) == 3


BOMB_OPF = ('<?xml version="1.0"?><!DOCTYPE package [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            '<package xmlns="http://www.idpf.org/2007/opf"><metadata/></package>')


@pytest.mark.parametrize(
    ("book", "message"),
    [
        (b"PK\x03\x04 not really a zip", "not an EPUB (not a zip archive)"),
        (_rewrite(make_epub(CHAPTERS), {"META-INF/container.xml": None}), "not an EPUB (no META-INF/container.xml)"),
        (_rewrite(make_epub(CHAPTERS), {"META-INF/container.xml": CONTAINER.replace("<rootfile ", "<other ")}),
         "not an EPUB (no package file"),
        (_rewrite(make_epub(CHAPTERS), {"OEBPS/content.opf": None}), "malformed EPUB (OEBPS/content.opf is missing)"),
        (_rewrite(make_epub(CHAPTERS), {"OEBPS/content.opf": b"<package><metadata>"}),
         "malformed EPUB (OEBPS/content.opf: no element found"),
        (_rewrite(make_epub(CHAPTERS), {"OEBPS/text/ch2.xhtml": None}), "malformed EPUB (OEBPS/text/ch2.xhtml is missing)"),
        (_rewrite(make_epub(CHAPTERS), {"META-INF/rights.xml": "<rights/>"}), "encrypted (DRM: META-INF/rights.xml)"),
        (_rewrite(make_epub(CHAPTERS), {"META-INF/encryption.xml": ENCRYPTION.format(
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc")}), "encrypted (DRM: META-INF/encryption.xml)"),
        (_rewrite(make_epub(CHAPTERS), {"OEBPS/content.opf": BOMB_OPF}), "content.opf declares XML entities; refused"),
        (_rewrite(make_epub(CHAPTERS), {"OEBPS/text/ch1.xhtml": lambda d: d.replace(
            b"<!DOCTYPE html>", b'<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>')}),
         "ch1.xhtml declares XML entities; refused"),
        (_rewrite(make_epub(CHAPTERS), {f"OEBPS/text/ch{n}.xhtml": chapter_xhtml("", [], heading=False)
                                        for n in (1, 2, 3)}), "the book has no chapters with text"),
    ],
    ids=["not-zip", "no-containe", "no-rootfile", "no-package", "bad-package", "missing-chapte", "rights",
         "encrypted", "entity-bomb", "external-entity", "no-text"],
)
def test_bad_books_get_one_line(book, message):
    with pytest.raises(SourceError) as caught:
        read_epub(book, "b.epub")
    assert str(caught.value).startswith("b.epub: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_zip_bomb_is_refused_by_its_declared_size(monkeypatch):
    monkeypatch.setattr(epub, "MAX_ENTRY_BYTES", 50_000)
    book = make_epub([("Sowing", ["Seeds. " * 20_000])])  # 140 KB that deflates to a few hundred bytes
    with pytest.raises(SourceError, match=r"^b.epub: OEBPS/text/ch1.xhtml inflates to more than .*refused \(a zip bomb\?\)$"):
        read_epub(book, "b.epub")


def test_an_entry_that_lies_about_its_size_is_refused():
    book = bytearray(make_epub(CHAPTERS))
    name = b"OEBPS/text/ch1.xhtml"
    # Claim a tenth of the real inflated size in the central directory: zipfile stops there and
    # the checksum fails, so the rest is never inflated.
    central = book.rindex(b"PK\x01\x02", 0, book.rindex(name))
    size_at = central + 24
    (real,) = struct.unpack_from("<I", book, size_at)
    struct.pack_into("<I", book, size_at, real // 10)
    with pytest.raises(SourceError, match=r"^b.epub: malformed EPUB \(OEBPS/text/ch1.xhtml: Bad CRC-32"):
        read_epub(bytes(book), "b.epub")
