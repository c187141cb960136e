"""Web pages read into headings and block text."""

from __future__ import annotations

from audioguide.readers.blocks import Parsed
from audioguide.readers.html_tags import parse_tags


def parse_html(text: str) -> Parsed:
    """Headings and blocks of a web page's article."""
    return parse_tags(text)
