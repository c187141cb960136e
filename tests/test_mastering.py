"""mastering: one search for the gain, one measurement, and peaks held under the ceiling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audioguide import mastering
from audioguide.loudness import LoudnessMeter, db_to_gain, gain_to_db, integrated_loudness, true_peak

RATE = 22050
AIM = -15.6
CEILING = db_to_gain(-3.5)


def _syllables(seconds: float, seed: int, level: float = 0.1) -> np.ndarray:
    """Voiced, speech-like sound: a buzz of harmonics whose pitch wanders, in syllable-long
    bursts with a peaky envelope, so that limiting has work to do."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    pitch = 120 + 20 * np.sin(2 * np.pi * 0.7 * t + seed)
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    buzz = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * 4 * t + rng.uniform(0, 6)), 0, None)
    return (level * buzz * envelope + rng.normal(0, level / 50, len(t))).astype(np.float32)


def _measure(parts, speeches) -> float:
    meter = LoudnessMeter(RATE)
    for (_, pause), speech in zip(parts, speeches):
        meter.add(speech)
        meter.add(np.zeros(pause))
    return meter.integrated()


@pytest.fixture(scope="module")
def parts():
    pause = RATE // 2
    return [(np.zeros(0, dtype=np.float32), RATE // 4)] + [(_syllables(3 + i, seed=i), pause) for i in range(4)]


def test_speech_reaches_the_target_with_every_true_peak_under_the_ceiling(parts):
    mastered, steps = mastering.master(parts, RATE, AIM, CEILING)
    assert _measure(parts, mastered) == pytest.approx(AIM, abs=mastering.LOUDNESS_TOLERANCE_LU)
    # The steps returned are those of what was mastered.
    assert integrated_loudness(steps, RATE) == pytest.approx(_measure(parts, mastered), abs=1e-9)
    assert max(true_peak(speech) for speech in mastered) <= CEILING * (1 + 1e-6)
    # Limiting did take part: without it the peaks would be over the ceiling.
    raw = _measure(parts, [speech for speech, _ in parts])
    assert max(true_peak(speech) for speech, _ in parts) * db_to_gain(AIM - raw) > CEILING
    assert max(true_peak(speech) for speech in mastered) > db_to_gain(-0.5) * CEILING


def test_quiet_enough_speech_is_only_scaled(parts):
    calm = [(speech * np.float32(0.2), pause) for speech, pause in parts]
    mastered, _ = mastering.master(calm, RATE, -30.0, CEILING)
    gain = np.abs(mastered[1]).max() / np.abs(calm[1][0]).max()
    for (speech, _), out in zip(calm, mastered):
        np.testing.assert_allclose(out, speech * gain, rtol=1e-6, atol=1e-9)
    assert _measure(calm, mastered) == pytest.approx(-30.0, abs=mastering.SEARCH_TOLERANCE_LU)


def test_the_limiter_leaves_what_is_far_from_a_peak_untouched():
    tone = (0.05 * np.sin(2 * np.pi * 300 * np.arange(RATE * 4) / RATE)).astype(np.float32)
    burst = tone.copy()
    burst[RATE * 2 : RATE * 2 + 100] *= 20
    parts = [(burst, RATE)]
    (out,), _ = mastering.master(parts, RATE, AIM, CEILING)
    gain = np.float32(np.abs(out[: RATE]).max() / np.abs(burst[: RATE]).max())
    reach = 4 * round(mastering.LOOKAHEAD_S * RATE)
    far = np.r_[0 : RATE * 2 - reach, RATE * 2 + 100 + reach : len(burst)]
    np.testing.assert_allclose(out[far], burst[far] * gain, rtol=1e-6)
    assert true_peak(out) <= CEILING * (1 + 1e-6)
    assert true_peak(out[RATE * 2 : RATE * 2 + 100]) > 0.9 * CEILING


def test_silence_is_left_as_it_is():
    parts = [(np.zeros(RATE, dtype=np.int16), 100)]
    mastered, steps = mastering.master(parts, RATE, AIM, CEILING)
    assert mastered[0].dtype == np.float32 and not mastered[0].any()
    assert integrated_loudness(steps, RATE) == -math.inf


def test_gain_stops_at_its_range_when_peaks_leave_no_room():
    # A full-scale click and very little else: limiting would have to take everything.
    quiet = _syllables(4, seed=9, level=0.002)
    quiet[RATE] = 1.0
    parts = [(quiet, RATE // 2)]
    (out,), _ = mastering.master(parts, RATE, AIM, CEILING)
    raw = _measure(parts, [quiet])
    assert _measure(parts, [out]) < AIM
    # Far from the click the gain is all the range allows.
    gain_db = gain_to_db(float(np.abs(out[2 * RATE :]).max() / np.abs(quiet[2 * RATE :]).max()))
    assert gain_db == pytest.approx(AIM - raw + mastering.GAIN_RANGE_DB, abs=0.01)


def test_search_finds_the_crossing_or_stops_at_an_end():
    def error(gain_db: float) -> float:
        # Loudness that gains less and less per dB, like a limited signal's.
        return 6 * math.tanh((gain_db - 11) / 6) - 2

    found = mastering._search(error, 0.0, 30.0)
    assert abs(error(found)) <= mastering.SEARCH_TOLERANCE_LU
    assert mastering._search(error, 0.0, 12.0) == 12.0
    assert mastering._search(lambda g: g + 1, 0.0, 30.0) == 0.0
