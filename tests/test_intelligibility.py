"""Intelligibility: an offline recogniser (Whisper tiny.en) hears what audioguide says.

The bundled guide, built as `make guide` builds it, must be heard with a word error rate of at
most 2.5% and a character error rate of at most 0.8% against its scripts (the raw voice reading
the bare article scored 4.40% and 1.94%), by this suite's scorer and by `audioguide proof`. Each narration
rule (numbers, abbreviations, links, the lexicon) must make sentences heard at least as well as
the raw voice reading them as written, measured against the words a narrator means.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from audioguide.guide import load_guide, pauses_of, read_episode_script
from audioguide.engines import get_engine
from audioguide.lexicon import LEXICON_FILE, read_lexicon
from audioguide.model import EngineSpec, Pauses, Section
from audioguide.narration import narrate_section, parse_chapter
from audioguide.proof import proof
from audioguide.hearing import ASR_RATE, MISSING, model_dir, recogniser, samples_of_file, samples_of_speech
from audioguide.scoring import cer, word_errors

pytestmark = [pytest.mark.slow, pytest.mark.skipif(model_dir() is None, reason=MISSING)]

REPO = Path(__file__).resolve().parent.parent
MAX_GUIDE_WER = 0.025
MAX_GUIDE_CER = 0.008


def transcribe(samples: np.ndarray) -> str:
    return recogniser().hear(samples)


def test_bundled_guide_is_heard_as_its_scripts_say(bundled_guide, record_property):
    scripts, output, _ = bundled_guide
    guide = load_guide([scripts])
    script = read_episode_script(guide.sources[0], pauses_of(guide.settings))
    # The transcript's words, not the lexicon's respellings: what the listener should understand.
    reference = " ".join(u.text for chapter in script.chapters for u in chapter.utterances)
    heard = transcribe(samples_of_file(output / f"{script.slug}.mp3"))
    errors, words = word_errors(reference, heard)
    record_property("wer", round(errors / words, 4))
    record_property("cer", round(cer(reference, heard), 4))
    assert errors / words <= MAX_GUIDE_WER, f"WER {errors / words:.2%} ({errors} of {words} words)"
    assert cer(reference, heard) <= MAX_GUIDE_CER, f"CER {cer(reference, heard):.2%}"


def test_proof_hears_the_bundled_guide_within_its_goals(bundled_guide, record_property):
    scripts, output, _ = bundled_guide
    report = proof([scripts], output)
    record_property("wer", round(report.wer, 4))
    record_property("cer", round(report.cer, 4))
    assert report.wer <= MAX_GUIDE_WER and report.cer <= MAX_GUIDE_CER, f"WER {report.wer:.2%}, CER {report.cer:.2%}"
    assert report.reference_voice == "hibari heart"


# ---------------------------------------------------------------------------------------------
# One rule at a time: the raw voice reading the written text against the narration's version.


@functools.cache
def _voice():
    return get_engine(EngineSpec("piper"))


def _heard(texts: list[str]) -> str:
    """What the recogniser hears when the default voice says `texts`, with a pause after each."""
    gap = np.zeros(int(0.6 * ASR_RATE), dtype=np.float32)
    return transcribe(np.concatenate([part for text in texts
                                      for part in (samples_of_speech(_voice().synthesize(text)), gap)]))


def _narrated(written: str) -> str:
    """A paragraph as audioguide says it: narration, then the script read back into utterances."""
    script = narrate_section(Section("01-rule", "Rule", (written,)), "en")
    chapter = parse_chapter(script, "rule.txt", "01-rule", Pauses(), "en")
    return " ".join(u.text for u in chapter.utterances if u.role == "body")


RULES = {
    "numbers": [
        ("It costs €5, or £1.5 million in all.", "It costs five euros, or one point five million pounds in all."),
        ("Heal in 3-5 days at 37.5 °C.", "Heal in three to five days at thirty-seven point five degrees Celsius."),
        ("Drive at 50 km/h in -3 °C.", "Drive at fifty kilometers per hour in minus three degrees Celsius."),
        ("It was 2024-03-12, the 2nd visit, at 3:30 pm.",
         "It was March twelfth, twenty twenty-four, the second visit, at three thirty p m."),
    ],
    "abbreviations": [
        ("Dr. Lee saw approx. forty patients, e.g. nurses vs. teachers, i.e. adults, etc.",
         "Doctor Lee saw approximately forty patients, for example nurses versus teachers, that is adults, "
         "et cetera."),
        ("Prof. Hill et al. wrote Fig. 3 with Mr. Jones.", "Professor Hill and colleagues wrote Figure three with "
         "Mister Jones."),
    ],
    "links": [
        ("Read more at https://www.example.com/guides/skin-care?ref=news today.",
         "Read more at a link to example dot com today."),
        ("Write to care.team@clinic.example.org or see www.clinic.example.org/faq first.",
         "Write to care dot team at clinic dot example dot org or see a link to clinic dot example dot org first."),
    ],
}


@pytest.mark.parametrize("rule", list(RULES))
def test_each_narration_rule_is_heard_at_least_as_well_as_the_raw_text(rule, record_property):
    written = [text for text, _ in RULES[rule]]
    meant = " ".join(words for _, words in RULES[rule])
    raw, _ = word_errors(meant, _heard(written))
    narrated, total = word_errors(meant, _heard([_narrated(text) for text in written]))
    record_property("raw_wer", round(raw / total, 4))
    record_property("narrated_wer", round(narrated / total, 4))
    assert narrated <= raw, f"{rule}: {narrated} word errors narrated against {raw} raw, of {total}"


def test_the_bundled_lexicon_is_heard_better_than_the_plain_words(record_property):
    scripts = REPO / "scripts"
    lexicon = read_lexicon(scripts / LEXICON_FILE)
    assert not lexicon.empty, "the bundled guide should come with its lexicon"
    script = read_episode_script(load_guide([scripts]).sources[0], Pauses())
    sentences = list(dict.fromkeys(u.text for chapter in script.chapters for u in chapter.utterances))
    respelled = [text for text in sentences if lexicon.respell(text) != text][:8]
    reference = " ".join(respelled)
    plain, total = word_errors(reference, _heard(respelled))
    fixed, _ = word_errors(reference, _heard([lexicon.respell(text) for text in respelled]))
    record_property("plain_wer", round(plain / total, 4))
    record_property("lexicon_wer", round(fixed / total, 4))
    assert fixed < plain, f"{fixed} word errors with the lexicon against {plain} without, of {total}"
