"""The stops sheet (`stops.html`): one printable card per chapter, to put on a wall or a map.

Each card carries the stop number, its title and length, and a QR code of the chapter's deep
link, so a visitor scans the code at the object and hears that stop. The codes need absolute
links, which only a base URL (`--base-url`) can give; without one the sheet says so and links
relatively, which works when the sheet is opened beside the player but not from a scan.
QR codes come from segno (already used for `serve --lan`) as inline SVG: no images to fetch,
sharp at any print size.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import segno

from audioguide import player
from audioguide.model import Episode

STOPS_FILE = "stops.html"
QR_ERROR = "m"
"""Medium error correction survives a scuffed or glossy label; higher levels make denser codes."""


def chapter_link(base_url: str, episode: Episode, number: int) -> str:
    """The deep link of chapter `number` (1-based) of `episode`: absolute under `base_url`, or
    relative to the output folder without one."""
    base = base_url.rstrip("/") + "/" if base_url else ""
    return f"{base}{player.PLAYER_FILE}{player.deep_link(episode.slug, number)}"


def render_stops(
    title: str, episodes: Sequence[Episode], base_url: str = "", language: str = "en"
) -> str:
    """The complete stops sheet of a guide."""
    e = html.escape
    several = len(episodes) > 1
    sections = []
    for episode in episodes:
        cards = [_card(episode, number, base_url, several) for number in range(1, len(episode.chapters) + 1)]
        heading = f'<h2 class="episode">{e(episode.title)}</h2>\n' if several else ""
        sections.append(f'<section class="stops">\n{heading}<ol class="cards">\n{"".join(cards)}</ol>\n</section>')
    if base_url:
        note = f'Scan a code with a phone camera to hear that stop. The guide lives at {e(base_url)}.'
    else:
        note = (
            "These links are relative: they open the stops from this folder, but a scanned code "
            "cannot find the guide. Build with <code>--base-url https://your.host/guide/</code> "
            "to print codes that open it from anywhere."
        )
    return player.fill(
        "stops.html",
        {
            "language": e(language),
            "title": e(title),
            "css": player.template("stops.css"),
            "note": note,
            "note_class": "note" if base_url else "note relative",
            "stops": "\n".join(sections) or '<p class="empty">No episodes yet.</p>',
        },
    )


def _card(episode: Episode, number: int, base_url: str, several: bool) -> str:
    e = html.escape
    chapter = episode.chapters[number - 1]
    link = chapter_link(base_url, episode, number)
    qr = segno.make(link, error=QR_ERROR).svg_inline(
        omitsize=True, svgclass="qr", title=f"QR code: {link}", lineclass=None,
    )  # fmt: skip
    of = f'<span class="of">{e(episode.title)}</span>' if several else ""
    return (
        f'<li class="card" id="{e(episode.slug)}-{number}">'
        f'<div class="text"><span class="number">Stop {number}</span>'
        f'<span class="title">{e(chapter.title)}</span>{of}'
        f'<span class="duration">{e(player.clock(chapter.end_ms - chapter.start_ms))} to listen</span>'
        f'<a class="link" href="{e(link)}">{e(link)}</a></div>{qr}</li>\n'
    )
