"""cover: given images checked and fixed, missing ones drawn; results reopened with Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from audioguide.cover import MAX_BYTES, artwork, prepare_cover
from audioguide.errors import BuildError


def _open(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def _save(picture: Image.Image, path: Path, **options) -> Path:
    picture.save(path, **options)
    return path


def test_generated_cover_is_a_small_square_rgb_png():
    data, mime = prepare_cover(None, "The Old Harbour of Genoa: A Walking Tour", author="Jane Doe")
    picture = _open(data)
    assert (mime, picture.format, picture.mode, picture.size) == (
        "image/png",
        "PNG",
        "RGB",
        (1400, 1400),
    )
    assert len(data) < MAX_BYTES


def test_generated_cover_shows_text_on_a_background():
    picture = _open(prepare_cover(None, "Harbour")[0]).convert("L")
    pixels = np.asarray(picture)
    assert (pixels > 240).mean() > 0.01  # white type and bars
    assert (pixels < 140).mean() > 0.5  # a darker background around them


def test_generated_cover_is_deterministic_and_depends_on_the_title():
    assert prepare_cover(None, "Harbour")[0] == prepare_cover(None, "Harbour")[0]
    assert prepare_cover(None, "Harbour")[0] != prepare_cover(None, "Lighthouse")[0]


@pytest.mark.parametrize(
    "title",
    ["", "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2, "word " * 200, "Café ☕ & <b>"],
)
def test_any_title_gives_a_valid_cover(title):
    picture = _open(prepare_cover(None, title)[0])
    assert picture.size == (1400, 1400)


def test_acceptable_jpeg_is_kept_byte_for_byte(tmp_path):
    path = _save(Image.new("RGB", (1600, 1600), "teal"), tmp_path / "cover.jpg", quality=90)
    assert prepare_cover(path, "ignored") == (path.read_bytes(), "image/jpeg")


@pytest.mark.parametrize("mode", ["RGBA", "P", "L"])
def test_png_in_other_modes_becomes_rgb(tmp_path, mode):
    source = Image.new("RGBA", (1500, 1500), (200, 30, 30, 0))
    source.paste((10, 120, 200, 255), (0, 0, 750, 1500))
    path = _save(source.convert(mode), tmp_path / "cover.png")
    data, mime = prepare_cover(path, "t")
    picture = _open(data)
    assert (mime, picture.mode, picture.size) == ("image/png", "RGB", (1500, 1500))
    if mode == "RGBA":
        assert picture.getpixel((1400, 10)) == (255, 255, 255)  # transparent laid over white


def test_large_image_is_scaled_down_to_3000(tmp_path):
    path = _save(Image.new("RGB", (4000, 4000), "navy"), tmp_path / "big.png")
    data, _ = prepare_cover(path, "t")
    assert _open(data).size == (3000, 3000)


def test_heavy_png_becomes_a_jpeg_under_the_limit(tmp_path):
    # Like a photo: smooth shading with fine grain, which PNG stores badly and JPEG well.
    shading = np.linspace(0, 200, 1400)[None, :, None] + np.zeros((1400, 1, 3))
    grain = np.random.default_rng(1).normal(0, 6, (1400, 1400, 3))
    photo = np.clip(shading + grain, 0, 255).astype(np.uint8)
    path = _save(Image.fromarray(photo, "RGB"), tmp_path / "photo.png")
    assert path.stat().st_size > MAX_BYTES
    data, mime = prepare_cover(path, "t")
    assert mime == "image/jpeg" and len(data) <= MAX_BYTES
    assert _open(data).size == (1400, 1400)


def test_non_square_image_is_refused(tmp_path):
    path = _save(Image.new("RGB", (1600, 1400)), tmp_path / "wide.jpg")
    with pytest.raises(BuildError, match=r"must be square, this one is 1600x1400 px"):
        prepare_cover(path, "t")


def test_small_image_is_refused_naming_its_size(tmp_path):
    path = _save(Image.new("RGB", (1000, 1000)), tmp_path / "small.png")
    with pytest.raises(BuildError, match=r"1000x1000 px.*1400x1400 to 3000x3000"):
        prepare_cover(path, "t")


def test_other_formats_and_non_images_are_refused(tmp_path):
    gif = _save(Image.new("RGB", (1400, 1400)), tmp_path / "cover.gif")
    with pytest.raises(BuildError, match="JPEG or PNG, not GIF"):
        prepare_cover(gif, "t")
    text = tmp_path / "cover.png"
    text.write_text("hello")
    with pytest.raises(BuildError, match="not a JPEG or PNG image"):
        prepare_cover(text, "t")
    with pytest.raises(BuildError, match="cannot read cover art"):
        prepare_cover(tmp_path / "missing.png", "t")


def test_a_books_portrait_cover_is_centred_on_a_square_of_its_own_colour():
    portrait = Image.new("RGB", (600, 900), (200, 40, 40))
    portrait.paste((20, 20, 200), (0, 0, 600, 450))  # top half blue, bottom half red
    out = io.BytesIO()
    portrait.save(out, "PNG")
    data, mime = prepare_cover(None, "Ignored", picture=out.getvalue())
    square = _open(data)
    assert (mime, square.format, square.mode, square.size) == ("image/jpeg", "JPEG", "RGB", (1400, 1400))
    assert np.allclose(square.getpixel((700, 300)), (20, 20, 200), atol=12)
    assert np.allclose(square.getpixel((700, 1100)), (200, 40, 40), atol=12)
    # Beside the picture: the picture's average colour.
    assert np.allclose(square.getpixel((50, 700)), (110, 30, 120), atol=12)


def test_a_cover_picture_that_is_no_image_is_refused_in_one_line():
    with pytest.raises(BuildError, match="^book.epub: cannot read the cover picture: not an image$"):
        artwork(b"<svg/>", "book.epub")
