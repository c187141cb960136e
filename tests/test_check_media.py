"""check_media: real images by Pillow's reading and real MP3s by ffmpeg's measure, judged against
Apple's artwork rules and the podcast loudness target."""

from __future__ import annotations

import pytest
from PIL import Image

from audioguide.check_media import artwork_problems, loudness_problems
from tests.media import encode_sine


@pytest.mark.parametrize(
    ("image", "name", "problems"),
    [
        (Image.new("RGB", (1400, 1400)), "cover.png", []),
        (Image.new("RGB", (3000, 3000)), "cover.jpg", []),
        (
            Image.new("RGB", (500, 500)),
            "cover.png",
            ["artwork is 500x500 px, expected 1400 to 3000 px a side"],
        ),
        (
            Image.new("RGB", (1400, 1500)),
            "cover.png",
            ["artwork is 1400x1500 px, expected a square"],
        ),
        (
            Image.new("RGBA", (1400, 1400)),
            "cover.png",
            ["artwork colour mode is RGBA, expected RGB"],
        ),
        (
            Image.new("RGB", (1400, 1400)),
            "cover.gif",  # saved with a palette, as GIFs are
            [
                "artwork is GIF, expected JPEG or PNG",
                "artwork colour mode is P, expected RGB",
            ],
        ),
    ],
    ids=["png", "large-jpeg", "small", "not-square", "rgba", "gif"],
)
def test_artwork_is_judged_by_apples_rules(tmp_path, image, name, problems):
    image.save(tmp_path / name)
    assert list(artwork_problems(tmp_path / name)) == problems


def test_artwork_named_for_another_format_or_not_an_image(tmp_path):
    Image.new("RGB", (1400, 1400)).save(tmp_path / "cover.png", format="JPEG")
    assert list(artwork_problems(tmp_path / "cover.png")) == [
        "artwork is JPEG but named '.png'"
    ]
    (tmp_path / "cover.jpg").write_bytes(b"not a picture")
    assert list(artwork_problems(tmp_path / "cover.jpg")) == [
        "artwork is not an image Pillow can read"
    ]


def test_loudness_and_true_peak_are_measured(tmp_path):
    good, quiet, loud = (tmp_path / f"{name}.mp3" for name in ("good", "quiet", "loud"))
    encode_sine(good)
    encode_sine(quiet, gain_db=-8)
    encode_sine(loud, gain_db=18)
    # A file listed twice (two feed entries share it) is measured and reported once.
    problems = loudness_problems([good, quiet, loud, quiet])
    assert [(name, message.split(" is ")[0]) for name, message in problems] == [
        ("quiet.mp3", "integrated loudness"),
        ("loud.mp3", "integrated loudness"),
        ("loud.mp3", "true peak"),
    ]
    assert problems[0][1].startswith("integrated loudness is -30.")
    assert problems[0][1].endswith(" LUFS, expected -16 ± 1")
    assert problems[2][1].endswith(" dBTP, above -1 dBTP")


def test_an_mp3_that_cannot_be_measured_is_one_problem(tmp_path):
    bogus = tmp_path / "bogus.mp3"
    bogus.write_bytes(b"not audio")
    [(name, message)] = loudness_problems([bogus])
    assert name == "bogus.mp3"
    assert message.startswith("ffmpeg could not decode it to measure its loudness: ")
