"""The guide as an installable web app: manifest, icons, service worker, and the files together.

`site_files` is everything a build publishes beside the audio for browsers: the player page,
the printable stops sheet, a web app manifest with icons cut from the cover (so "Add to home
screen" gives an app icon), and a service worker at the output folder's root (so its scope
covers the page) that keeps the page and any episode the listener keeps for offline listening.
All of it is plain static files: any static host serves it, and `file://` still opens the page.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from PIL import Image, UnidentifiedImageError

from audioguide import player, stops
from audioguide.model import Episode
from audioguide.settings import GuideSettings

MANIFEST_FILE = "manifest.webmanifest"
WORKER_FILE = "service-worker.js"
MANIFEST_TYPE = "application/manifest+json"
ICON_SIZES = (192, 512)
"""What Chromium asks of an installable app: a 192 px icon for the home screen, 512 px for splash."""
MASKABLE_FILE = "icon-maskable-512.png"
MASKABLE_SAFE = 0.8
"""Launchers cut maskable icons to shapes inside the middle 80%; the cover is shrunk to fit it."""
SHORT_NAME_CHARS = 12
"""Longer short names are cut off under home screen icons."""
BACKGROUND = "#f4f3ef"
"""The page's own background (player.css `--bg`), for the splash screen."""


def icon_file(side: int) -> str:
    return f"icon-{side}.png"


def site_files(
    settings: GuideSettings,
    cover_file: str,
    cover_bytes: bytes,
    feed_file: str,
    episodes: Sequence[Episode],
) -> dict[str, bytes]:
    """Every browser-facing file of the guide by name, in the order they are best published:
    what the page links to first, the page next, and the worker, which names them all, last."""
    # Every icon is cut from one copy of the cover at the largest icon size: resizing the full
    # cover (1400 px or more) once instead of three times is most of what this costs a build.
    largest = _square(_open(cover_bytes), max(ICON_SIZES))
    theme = _hex(_mean_colour(largest))
    files = {icon_file(side): _png(_square(largest, side)) for side in ICON_SIZES}
    files[MASKABLE_FILE] = _png(_maskable(largest))
    files[MANIFEST_FILE] = manifest(settings, theme)
    files[stops.STOPS_FILE] = stops.render_stops(
        settings.title, episodes, settings.base_url, settings.language
    ).encode()
    files[player.PLAYER_FILE] = player.render_player(
        settings.title, settings.description, cover_file, feed_file, episodes, settings.language,
        manifest_file=MANIFEST_FILE, worker_file=WORKER_FILE, theme_color=theme,
    ).encode()  # fmt: skip
    shell = [player.PLAYER_FILE, *(name for name in files if name != player.PLAYER_FILE), cover_file]
    versions = hashlib.sha256(cover_bytes)
    for name in shell[:-1]:
        versions.update(name.encode() + b"\0" + files[name])
    files[WORKER_FILE] = worker(versions.hexdigest()[:16], [quote(name) for name in shell], episodes)
    return files


def short_name(title: str) -> str:
    """The title's first words that fit under an icon, or its first characters."""
    words = title.split()
    name = ""
    for word in words:
        if len(f"{name} {word}".strip()) > SHORT_NAME_CHARS:
            break
        name = f"{name} {word}".strip()
    return name or title.strip()[:SHORT_NAME_CHARS] or "Audio guide"


def manifest(settings: GuideSettings, theme_color: str) -> bytes:
    """The web app manifest; URLs in it are relative to the manifest, so the folder can move."""
    icons = [
        {"src": icon_file(side), "sizes": f"{side}x{side}", "type": "image/png", "purpose": "any"}
        for side in ICON_SIZES
    ]
    side = max(ICON_SIZES)
    icons.append({"src": MASKABLE_FILE, "sizes": f"{side}x{side}", "type": "image/png", "purpose": "maskable"})
    document = {
        "name": settings.title,
        "short_name": short_name(settings.title),
        "description": settings.description or settings.title,
        "lang": settings.language,
        "id": player.PLAYER_FILE,
        "start_url": player.PLAYER_FILE,
        "scope": "./",
        "display": "standalone",
        "background_color": BACKGROUND,
        "theme_color": theme_color,
        "icons": icons,
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def worker(version: str, shell: list[str], episodes: Sequence[Episode]) -> bytes:
    """The service worker for this build: its version, the shell to keep, each episode's files."""
    config = {
        "version": version,
        "shell": shell,
        "episodes": {
            e.slug: {"cache": player.offline_cache(e), "files": player.offline_files(e)} for e in episodes
        },
    }
    template = player.template("service-worker.js")
    return template.replace("{{ config }}", player.script_json(config)).encode("utf-8")


def _open(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    return picture.convert("RGB")


def _square(picture: Image.Image, side: int) -> Image.Image:
    if picture.size == (side, side):
        return picture
    return picture.resize((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _maskable(picture: Image.Image) -> Image.Image:
    """The cover shrunk into the safe zone, on its own edge colour, so no shape cuts it."""
    side = picture.width
    inner = round(side * MASKABLE_SAFE)
    canvas = Image.new("RGB", (side, side), _edge_colour(picture))
    offset = (side - inner) // 2
    canvas.paste(_square(picture, inner), (offset, offset))
    return canvas


def _mean_colour(picture: Image.Image) -> tuple[int, int, int]:
    return picture.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))


def _edge_colour(picture: Image.Image) -> tuple[int, int, int]:
    """The mean colour of the picture's outermost pixels: what the maskable margin continues."""
    width, height = picture.size
    strips = [(0, 0, width, 1), (0, height - 1, width, height), (0, 0, 1, height), (width - 1, 0, width, height)]
    colours = [_mean_colour(picture.crop(box)) for box in strips]
    return tuple(round(sum(c[i] for c in colours) / len(colours)) for i in range(3))  # type: ignore[return-value]


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="PNG")  # optimize=True: 4% smaller, a third slower
    return out.getvalue()


def lint_site(output_dir: Path) -> list[tuple[str, str]]:
    """What stops the player in `output_dir` from installing or working offline, as
    (file, problem) pairs; a folder without a player page has nothing to lint."""
    if not (output_dir / player.PLAYER_FILE).is_file():
        return []
    problems = []
    page = (output_dir / player.PLAYER_FILE).read_text(encoding="utf-8", errors="replace")
    if f'<link rel="manifest" href="{MANIFEST_FILE}">' not in page:
        problems.append((player.PLAYER_FILE, f"does not link the web app manifest {MANIFEST_FILE}"))
    for name in (WORKER_FILE, stops.STOPS_FILE):
        if not (output_dir / name).is_file():
            problems.append((name, "missing: rebuild the guide to write it"))
    try:
        document = json.loads((output_dir / MANIFEST_FILE).read_bytes())
    except FileNotFoundError:
        return [*problems, (MANIFEST_FILE, "missing: rebuild the guide to write it")]
    except ValueError as error:
        return [*problems, (MANIFEST_FILE, f"not valid JSON ({error})")]
    for key in ("name", "short_name", "start_url", "display", "icons"):
        if not document.get(key):
            problems.append((MANIFEST_FILE, f"has no {key}"))
    sides = []
    for icon in document.get("icons") or []:
        problem, side = _lint_icon(output_dir, icon)
        if problem:
            problems.append((MANIFEST_FILE, problem))
        elif "any" in icon.get("purpose", "any").split():
            sides.append(side)
    if not any(side >= min(ICON_SIZES) for side in sides):
        problems.append((MANIFEST_FILE, f"no icon of at least {min(ICON_SIZES)} px: browsers will not install it"))
    return problems


def _lint_icon(output_dir: Path, icon: dict) -> tuple[str, int]:
    """What is wrong with one manifest icon ('' if nothing), and its side in pixels."""
    src, sizes = str(icon.get("src", "")), str(icon.get("sizes", ""))
    try:
        with Image.open(output_dir / src) as picture:
            picture.load()  # a truncated file has a readable header, but no image
            width, height = picture.size
    except (OSError, UnidentifiedImageError):
        return f"icon {src!r} is missing or not an image", 0
    if sizes != f"{width}x{height}":
        return f"icon {src} says it is {sizes} but is {width}x{height} px", 0
    return "", width
