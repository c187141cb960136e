"""The phone player page (`index.html`): episodes, chapters to tap, a following transcript.

One self-contained static file: the template, its CSS and scripts are inlined and the episodes'
chapters and transcripts embedded as JSON, so the page needs no build step, makes no network
requests beyond the guide's own files, and works from any static host or straight from disk.
Given a web app manifest, it also registers the guide's service worker and offers to keep
episodes for offline listening (see `webapp`); every chapter has a deep link, `#<slug>/<n>`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import PurePosixPath
from urllib.parse import quote

from audioguide.feed import chapters_file, transcript_file
from audioguide.model import Episode

PLAYER_FILE = "index.html"
AUDIO_VERSION_CHARS = 12
"""How much of the audio's SHA-256 goes into its URL (`?v=`), as in the feed's enclosures."""

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}

# The offline button's three looks: not kept, saving (a ring filled by --done), kept.
_OFFLINE_ICONS = (
    '<svg class="icon-keep" viewBox="0 0 24 24" aria-hidden="true">'
    '<path d="M12 3.5v11.5m-5-5 5 5 5-5M5 20h14"/></svg>'
    '<svg class="icon-kept" viewBox="0 0 24 24" aria-hidden="true"><path d="m5 12.5 4.5 4.5L19 7.5"/></svg>'
    '<span class="offline-ring" aria-hidden="true"></span>'
)

_PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")

# Characters that could end the <script> block or confuse an HTML parser inside it; JSON allows
# them escaped, and U+2028/2029 are escaped for older JavaScript engines.
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def audio_url(episode: Episode) -> str:
    """The episode's audio URL relative to the page, versioned by its hash when known."""
    url = quote(episode.audio_file)
    if episode.audio_sha256:
        url += f"?v={episode.audio_sha256[:AUDIO_VERSION_CHARS]}"
    return url


def deep_link(slug: str, number: int) -> str:
    """The fragment that opens episode `slug` at chapter `number` (1-based): `#<slug>/<number>`."""
    return f"#{quote(slug)}/{number}"


def offline_files(episode: Episode) -> list[str]:
    """What keeping an episode for offline listening stores: its audio, chapters and transcript."""
    return [audio_url(episode), quote(chapters_file(episode)), quote(transcript_file(episode))]


def offline_cache(episode: Episode) -> str:
    """The name of the cache that holds a kept episode: a new build of its audio is a new name."""
    version = episode.audio_sha256[:AUDIO_VERSION_CHARS] or str(episode.audio_bytes)
    return f"episode {episode.slug} {version}"


def script_json(value: object) -> str:
    """`value` as JSON that is safe to place inside a `<script>` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_ESCAPES[m.group(0)], text)


def template(name: str) -> str:
    """The text of one of the package's page templates (`audioguide/templates/`)."""
    return resources.files("audioguide").joinpath("templates", name).read_text(encoding="utf-8")


def fill(template_name: str, values: dict[str, str]) -> str:
    """A template with each `{{ name }}` replaced by `values[name]`, in one pass, so text
    substituted in (a title containing "{{ css }}") is never expanded again."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template(template_name))


def clock(duration_ms: int) -> str:
    """A duration as listeners read it on a list: `45 s`, `12 min`, `1 h 5 min`."""
    if duration_ms < 59_500:
        return f"{max(1, round(duration_ms / 1000))} s"
    minutes = round(duration_ms / 60000)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _episode_item(episode: Episode) -> str:
    e = html.escape
    count = len(episode.chapters)
    meta = f"{clock(episode.duration_ms)} · {count} chapter{'' if count == 1 else 's'}"
    return (
        f'      <li data-slug="{e(episode.slug)}">'
        f'<button type="button" class="episode" data-slug="{e(episode.slug)}">'
        f'<span class="episode-title">{e(episode.title)}</span>'
        f'<span class="episode-meta">{e(meta)}<span class="episode-progress"></span>'
        f'<span class="episode-offline"></span></span></button>'
        f'<a class="download" href="{e(audio_url(episode))}" download '
        f'aria-label="Download {e(episode.title)} (MP3)">MP3</a>'
        f'<button type="button" class="offline" data-offline="{e(episode.slug)}" hidden '
        f'aria-label="Keep {e(episode.title)} for offline listening">{_OFFLINE_ICONS}'
        f'<span class="offline-label">Offline</span></button></li>'
    )


def _episode_data(episode: Episode) -> dict:
    return {
        "slug": episode.slug,
        "title": episode.title,
        "src": audio_url(episode),
        "bytes": episode.audio_bytes,
        "offline": offline_files(episode),
        "cache": offline_cache(episode),
        "duration_ms": episode.duration_ms,
        "chapters": [
            {"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms} for c in episode.chapters
        ],
        # Cues as [start, end, text] triples: transcripts are the bulk of the page.
        "cues": [[c.start_ms, c.end_ms, c.text] for c in episode.cues],
    }


def render_player(
    title: str,
    description: str,
    cover_file: str,
    feed_file: str,
    episodes: Sequence[Episode],
    language: str = "en",
    *,
    manifest_file: str = "",
    worker_file: str = "",
    theme_color: str = "",
) -> str:
    """The complete `index.html` for a guide; file names are relative to the output folder.

    With `manifest_file` the page links the web app manifest; with `worker_file` it registers
    that service worker and shows the keep-for-offline controls where the browser allows them.
    """
    e = html.escape
    cover_type = IMAGE_TYPES.get(PurePosixPath(cover_file).suffix.lower(), "image/png")
    cover_url = quote(cover_file)
    data = {
        "title": title,
        "feed": quote(feed_file),
        "cover": cover_url if cover_file else "",
        "cover_type": cover_type,
        "worker": quote(worker_file),
        "episodes": [_episode_data(episode) for episode in episodes],
    }
    items = "\n".join(_episode_item(episode) for episode in episodes)
    values = {
        "language": e(language),
        "title": e(title),
        "description": e(description),
        "feed": e(quote(feed_file)),
        "icon": f'<link rel="icon" href="{e(cover_url)}">' if cover_file else "",
        "app": "".join(
            [
                f'<link rel="manifest" href="{e(quote(manifest_file))}">' if manifest_file else "",
                f'<meta name="theme-color" content="{e(theme_color)}">' if theme_color else "",
            ]
        ),
        "cover": f'<img class="cover" src="{e(cover_url)}" alt="" width="88" height="88">'
        if cover_file
        else "",
        "episodes": items or '      <li class="empty">No episodes yet.</li>',
        "css": template("player.css"),
        "js": template("player.js"),
        "offline_js": template("offline.js"),
        "data": script_json(data),
    }
    return fill("player.html", values)
