"""The intelligibility tests' yardstick: word and character error rates after normalisation."""

from __future__ import annotations

import pytest

from tests.asr import cer, wer, word_errors, words_of


def test_error_rates_count_substitutions_insertions_and_deletions() -> None:
    assert word_errors("the skin heals fast", "the skin heals fast") == (0, 4)
    assert word_errors("the skin heals fast", "a skin heals") == (2, 4)
    assert word_errors("the skin heals", "the the skin heals well") == (2, 3)
    assert cer("kitten", "sitting") == pytest.approx(3 / 6)
    assert wer("", "noise") == 1.0


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("It costs $3.50 at 9:05 a.m.", "it costs three dollars and fifty cents at nine oh five a m"),
        ("Call 555-0100 at 3.30 PM.", "call five five five zero one zero zero at three thirty p m"),
        ("The 21st dose, 45% in the 1990s.", "the twenty first dose forty five percent in the nineteen nineties"),
        ("Dr. Lee, e.g. at example.com, 37.5 °C", "doctor lee e g at example dot com thirty seven point five degrees c"),
    ],
)
def test_written_and_spoken_forms_agree(written: str, spoken: str) -> None:
    assert words_of(written) == words_of(spoken)


def test_compounds_count_once_however_they_are_written() -> None:
    assert wer("Microneedling makes micro-injuries.", "Micro needling makes microinjuries.") == 0.0
    assert wer("The outermost layer.", "The outer most layer.") == 0.0
    assert wer("Microneedling works.", "Micromedling works.") == 0.5
