"""The yardstick of proof-listening and the intelligibility tests: error rates after normalisation."""

from __future__ import annotations

import pytest

from audioguide.scoring import (
    Word,
    alignment,
    cer,
    edits,
    joined,
    misheard_tokens,
    misheard_words,
    tokens_of,
    unrespelled,
    wer,
    word_errors,
    words_of,
    words_of_tokens,
)


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


def test_tokens_keep_a_clock_with_its_number_and_words_know_their_token() -> None:
    tokens = tokens_of("Open at 9:05 a.m. for micro-injuries, or 3 pm.")
    assert tokens == ["Open", "at", "9:05 a.m.", "for", "micro-injuries,", "or", "3 pm."]
    words = words_of_tokens(tokens)
    assert [(w.text, w.first) for w in words] == [
        ("open", 0), ("at", 1), ("nine", 2), ("oh", 2), ("five", 2), ("a", 2), ("m", 2), ("for", 3),
        ("micro", 4), ("injuries", 4), ("or", 5), ("three", 6), ("p", 6), ("m", 6),
    ]
    assert [w.text for w in words] == words_of("Open at 9:05 a.m. for micro-injuries, or 3 pm.")


def test_joined_words_span_the_tokens_they_came_from() -> None:
    words = joined(words_of_tokens(["micro", "needling", "works"]), {"microneedling"})
    assert words == [Word("microneedling", 0, 1), Word("works", 2, 2)]


def test_alignment_names_substitutions_deletions_and_insertions() -> None:
    ref, hyp = "the skin heals fast".split(), "a skin heals very fast".split()
    assert alignment(ref, hyp) == [(0, 0), (1, 1), (2, 2), (None, 3), (3, 4)]
    assert alignment(ref, ["skin", "fast"]) == [(0, None), (1, 0), (2, None), (3, 1)]
    assert alignment([], ["noise"]) == [(None, 0)]
    # The path costs what the distance says.
    path = alignment(ref, hyp)
    cost = sum(r is None or h is None or ref[r] != hyp[h] for r, h in path)
    assert cost == edits(ref, hyp) == 2


def test_respellings_heard_as_said_count_as_the_written_word() -> None:
    heard = words_of_tokens(["the", "mycro", "needling", "works"])
    back = unrespelled(heard, [(["microneedling"], ["mycro", "needling"])])
    assert [w.text for w in back] == ["the", "microneedling", "works"]
    assert back[1] == Word("microneedling", 1, 2)


def test_misheard_words_pair_each_written_word_with_what_was_heard_in_its_place() -> None:
    ref = words_of_tokens("microneedling and the skin".split())
    hyp = words_of_tokens("mikro needling in the skin".split())
    path = alignment([w.text for w in ref], [w.text for w in hyp])
    ((words, blocks, before),) = list(misheard_words(path, ref, hyp))
    assert [w.text for w in words] == ["microneedling", "and"] and before is None
    assert [[w.text for w in block] for block in blocks] == [["mikro", "needling"], ["in"]]
    # A word heard as nothing gets an empty stretch, and the heard word before it is named.
    ref, hyp = words_of_tokens("heal the skin".split()), words_of_tokens("heal skin".split())
    path = alignment([w.text for w in ref], [w.text for w in hyp])
    assert [(w[0].text, b, before) for w, b, before in misheard_words(path, ref, hyp)] == [("the", [[]], 0)]


def test_misheard_tokens_name_the_written_tokens_heard_wrongly() -> None:
    wrong, rate = misheard_tokens("Follow post-procedure care, always.", "follow post percedure care always")
    assert wrong == {1} and rate == pytest.approx(1 / 5)
    assert misheard_tokens("the mycro needling", "the mycro needling")[0] == set()
    respelled = [(["microneedling"], ["mycro", "needling"])]
    assert misheard_tokens("the microneedling", "the mycro needling", respellings=respelled)[0] == set()
    assert misheard_tokens("the microneedling", "the mycro needling")[0] == {1}
