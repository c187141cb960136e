"""Small real EPUBs made for tests: EPUB 3 (navigation document) or EPUB 2 (NCX), with a cover."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from PIL import Image

CONTAINER = (
    '<?xml version="1.0"?>\n<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)


def chapter_xhtml(title: str, paragraphs: list[str], *, heading: bool = True) -> str:
    body = (f"<h1>{escape(title)}</h1>" if heading else "") + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>'
            f"{escape(title)}</title></head><body>{body}</body></html>")


def cover_jpeg(width: int = 600, height: int = 900) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def make_epub(
    chapters: list[tuple[str, list[str]]],
    *,
    title: str = "The Baker's Year",
    author: str = "Ann Baker",
    language: str = "en",
    version: int = 3,
    cover: bytes | None = None,
    extra_files: dict[str, bytes | str] | None = None,
    front_matter: str | None = None,
    toc: bool = True,
) -> bytes:
    """An EPUB of `chapters` (title, paragraphs), one XHTML file each, in spine order."""
    files: dict[str, bytes | str] = {"META-INF/container.xml": CONTAINER}
    items, spine, points, links = [], [], [], []
    if front_matter is not None:
        files["OEBPS/title.xhtml"] = chapter_xhtml(title, [front_matter], heading=False)
        items.append('<item id="title" href="title.xhtml" media-type="application/xhtml+xml"/>')
        spine.append('<itemref idref="title"/>')
    for n, (name, paragraphs) in enumerate(chapters, start=1):
        files[f"OEBPS/text/ch{n}.xhtml"] = chapter_xhtml(name, paragraphs)
        items.append(f'<item id="ch{n}" href="text/ch{n}.xhtml" media-type="application/xhtml+xml"/>')
        spine.append(f'<itemref idref="ch{n}"/>')
        points.append(f'<navPoint id="p{n}" playOrder="{n}"><navLabel><text>{escape(name)}</text></navLabel>'
                      f'<content src="text/ch{n}.xhtml"/></navPoint>')
        links.append(f'<li><a href="text/ch{n}.xhtml#start">{escape(name)}</a></li>')
    meta = ""
    if cover is not None:
        files["OEBPS/images/front.jpg"] = cover
        properties = ' properties="cover-image"' if version == 3 else ""
        items.append(f'<item id="pic" href="images/front.jpg" media-type="image/jpeg"{properties}/>')
        meta = '<meta name="cover" content="pic"/>' if version == 2 else ""
    spine_toc = ""
    if toc and version == 3:
        files["OEBPS/nav.xhtml"] = (
            '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
            'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>Contents</title></head><body>'
            f'<nav epub:type="toc"><ol>{"".join(links)}</ol></nav>'
            '<nav epub:type="landmarks"><ol><li><a epub:type="cover" href="title.xhtml">Cover</a></li></ol></nav>'
            "</body></html>")
        items.append('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>')
    elif toc:
        files["OEBPS/toc.ncx"] = (
            '<?xml version="1.0" encoding="utf-8"?>\n<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" '
            f'version="2005-1"><navMap>{"".join(points)}</navMap></ncx>')
        items.append('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>')
        spine_toc = ' toc="ncx"'
    files["OEBPS/content.opf"] = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<package xmlns="http://www.idpf.org/2007/opf" version="{version}.0" '
        'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="id">urn:uuid:6a1e1b7e-7a43-4b55-8f8a-0c9d1e2f3a4b</dc:identifier>'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>{escape(author)}</dc:creator>"
        f"<dc:language>{language}</dc:language>{meta}</metadata>"
        f'<manifest>{"".join(items)}</manifest><spine{spine_toc}>{"".join(spine)}</spine></package>')
    files.update(extra_files or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")  # stored, first
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
