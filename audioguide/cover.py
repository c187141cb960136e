"""Cover art: make a given image fit what podcast directories accept, or draw one from the title.

Apple Podcasts and the others want a square RGB JPEG or PNG of 1400 to 3000 px; a large file
slows every app that shows it and is embedded in every MP3, so covers are kept under ~500 KB.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from audioguide.errors import BuildError

MIN_SIDE = 1400
MAX_SIDE = 3000
MAX_BYTES = 500 * 1024
GENERATED_SIDE = 1400
MARGIN = 120
_MIMES = {"JPEG": "image/jpeg", "PNG": "image/png"}


def prepare_cover(
    image: Path | None, title: str, *, author: str = "", picture: bytes | None = None
) -> tuple[bytes, str]:
    """Cover bytes and MIME type: the given image made acceptable, else the source's own
    `picture` (a book's cover, a feed's image) made square, else one drawn from the title."""
    if image is not None:
        return _accept(image)
    if picture is not None:
        return artwork(picture, title)
    return _png(_draw(title, author)), "image/png"


def artwork(picture: bytes, origin: str) -> tuple[bytes, str]:
    """Any picture (a book's cover is usually 2:3 and small) as square artwork: scaled to fit
    a square of MIN_SIDE or more, on a backdrop of its own average colour, as a JPEG."""
    try:
        image = Image.open(io.BytesIO(picture))
        image.load()
    except (OSError, Image.DecompressionBombError) as error:
        reason = "not an image" if isinstance(error, UnidentifiedImageError) else error
        raise BuildError(f"{origin}: cannot read the cover picture: {reason}") from None
    image = _rgb(image)
    side = min(max(MIN_SIDE, *image.size), MAX_SIDE)
    scale = side / max(image.size)
    fitted = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                          Image.Resampling.LANCZOS)
    backdrop = Image.new("RGB", (side, side), image.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0)))
    backdrop.paste(fitted, ((side - fitted.width) // 2, (side - fitted.height) // 2))
    return _jpeg(backdrop), "image/jpeg"


def _accept(path: Path) -> tuple[bytes, str]:
    try:
        original = path.read_bytes()
        picture = Image.open(io.BytesIO(original))
        picture.load()
    except OSError as error:  # UnidentifiedImageError is one
        reason = "not a JPEG or PNG image" if isinstance(error, UnidentifiedImageError) else error
        raise BuildError(f"{path}: cannot read cover art: {reason}") from None
    if picture.format not in _MIMES:
        raise BuildError(f"{path}: cover art must be JPEG or PNG, not {picture.format}")
    width, height = picture.size
    if width != height:
        raise BuildError(f"{path}: cover art must be square, this one is {width}x{height} px")
    if width < MIN_SIDE:
        raise BuildError(
            f"{path}: cover art is {width}x{height} px; podcast apps want "
            f"{MIN_SIDE}x{MIN_SIDE} to {MAX_SIDE}x{MAX_SIDE} px"
        )
    source_format = picture.format
    if picture.mode == "RGB" and width <= MAX_SIDE and len(original) <= MAX_BYTES:
        return original, _MIMES[source_format]
    picture = _rgb(picture)
    if width > MAX_SIDE:
        picture = picture.resize((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    if source_format == "PNG":
        encoded = _png(picture)
        if len(encoded) <= MAX_BYTES:
            return encoded, "image/png"
    return _jpeg(picture), "image/jpeg"


def _rgb(picture: Image.Image) -> Image.Image:
    """The picture in RGB, transparent parts laid over white."""
    if picture.mode == "RGB":
        return picture
    rgba = picture.convert("RGBA")
    backdrop = Image.new("RGB", rgba.size, "white")
    backdrop.paste(rgba, mask=rgba.getchannel("A"))
    return backdrop


def _png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _jpeg(picture: Image.Image) -> bytes:
    """JPEG at the best quality that stays under MAX_BYTES (or at the lowest tried, for images
    too detailed to fit: the size is advice from directories, not a rule)."""
    for quality in (92, 85, 78, 70, 60, 50):
        out = io.BytesIO()
        picture.save(out, format="JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_BYTES:
            break
    return out.getvalue()


def _draw(title: str, author: str) -> Image.Image:
    """A square cover: a two-tone gradient whose hue comes from the title, the title in large
    white type, the author beneath, and a row of sound-wave bars."""
    digest = hashlib.sha256(title.encode("utf-8")).digest()
    hue = digest[0] / 255
    top = _colour(hue, 0.55, 0.42)
    bottom = _colour((hue + 0.08) % 1.0, 0.65, 0.18)
    side = GENERATED_SIDE
    gradient = Image.linear_gradient("L").resize((side, side))
    picture = Image.composite(
        Image.new("RGB", (side, side), bottom), Image.new("RGB", (side, side), top), gradient
    )
    draw = ImageDraw.Draw(picture)
    width = side - 2 * MARGIN
    font, lines = _fit(draw, title.strip() or "Audio guide", width, side * 0.55)
    line_height = font.size * 1.15
    y = MARGIN * 1.5
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill="white")
        y += line_height
    if author:
        small = ImageFont.load_default(size=max(40, font.size // 2))
        draw.text(
            (MARGIN, y + font.size * 0.4),
            _shorten(draw, author, small, width),
            font=small,
            fill=(230, 230, 230),
        )
    _wave(draw, digest, side)
    return picture


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def _fit(
    draw: ImageDraw.ImageDraw, text: str, width: float, height: float
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font (and the title wrapped in it) that fits the box."""
    for size in range(170, 40, -10):
        font = ImageFont.load_default(size=size)
        lines = _wrap(draw, text, font, width)
        fits_across = all(draw.textlength(line, font=font) <= width for line in lines)
        if fits_across and len(lines) * size * 1.15 <= height:
            return font, lines
    font = ImageFont.load_default(size=40)
    lines = _wrap(draw, text, font, width)
    return font, [_shorten(draw, line, font, width) for line in lines[:10]]


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: float
) -> list[str]:
    """Greedy word wrap; a word longer than a line stays whole (`_fit` then tries smaller type)."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _shorten(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: float
) -> str:
    while draw.textlength(text, font=font) > width and len(text) > 1:
        text = text[:-2] + "…"
    return text


def _wave(draw: ImageDraw.ImageDraw, digest: bytes, side: int) -> None:
    """A row of rounded bars along the bottom, like a sound wave, shaped by the title's hash."""
    bars = 24
    pitch = (side - 2 * MARGIN) / bars
    base = side - MARGIN * 1.6
    for index in range(bars):
        height = 30 + digest[index + 1] / 255 * 150
        x = MARGIN + index * pitch
        draw.rounded_rectangle(
            (x, base - height / 2, x + pitch * 0.55, base + height / 2),
            radius=pitch * 0.27,
            fill=(255, 255, 255),
        )
