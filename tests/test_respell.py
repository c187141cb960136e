"""Respellings by rule: syllables, and the candidates `proof --fix` tries, plainest first."""

from __future__ import annotations

import pytest

from audioguide.respell import MAX_CANDIDATES, candidates, syllables


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("microneedling", ["mi", "cro", "need", "ling"]),
        ("induction", ["in", "duc", "tion"]),
        ("procedure", ["pro", "ce", "dure"]),
        ("controlled", ["con", "trolled"]),
        ("gentle", ["gent", "le"]),
        ("skin", ["skin"]),
        ("Elastin", ["E", "la", "stin"]),
    ],
)
def test_words_split_into_written_syllables(word, expected):
    assert syllables(word) == expected
    assert "".join(syllables(word)) == word


def test_candidates_open_a_compound_and_split_at_a_known_prefix_first():
    assert candidates("post-procedure")[:3] == ["post procedure", "postprocedure", "post pro cedure"]
    found = candidates("microneedling")
    assert found[0] == "micro needling"
    assert "micro neeedling" in found and "mikroneedling" in found
    assert "microneedling" not in found and len(found) == len(set(found)) <= MAX_CANDIDATES


def test_candidates_spell_sounds_out_one_rule_at_a_time():
    assert "damagez" in candidates("damages")
    assert "inducshun" in candidates("induction") or "induckshun" in candidates("induction")
    assert "controlld" in candidates("controlled")
    assert "increast" in candidates("increased")
    assert candidates("a") == []
