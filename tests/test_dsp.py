"""dsp: the numpy signal primitives against their direct, sample-by-sample definitions."""

from __future__ import annotations

import numpy as np
import pytest

from audioguide import dsp
from audioguide.loudness import _k_weighting


def _direct_filter(sections: np.ndarray, samples: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each biquad in transposed direct form II, one sample at a time."""
    state = state.copy()
    out = np.empty(len(samples))
    for index, x in enumerate(samples):
        for s, (b0, b1, b2, _, a1, a2) in enumerate(sections):
            y = b0 * x + state[2 * s]
            state[2 * s] = b1 * x - a1 * y + state[2 * s + 1]
            state[2 * s + 1] = b2 * x - a2 * y
            x = y
        out[index] = x
    return out, state


@pytest.mark.parametrize("rate", [8000, 22050, 48000])
def test_blocked_filter_is_the_recursion_and_carries_its_state(rate):
    sections = _k_weighting(rate)
    samples = np.random.default_rng(rate).normal(0, 0.3, dsp.BLOCK * 150)
    blocked = dsp.LinearFilter(sections)
    first, state = blocked.run(samples[: dsp.BLOCK * 100], blocked.zero_state())
    second, end = blocked.run(samples[dsp.BLOCK * 100 :], state)
    expected, expected_end = _direct_filter(sections, samples, np.zeros(4))
    np.testing.assert_allclose(np.concatenate([first, second]), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(end, expected_end, rtol=0, atol=1e-12)


def test_filter_state_fades_within_its_fade():
    blocked = dsp.LinearFilter(_k_weighting(22050))
    _, state = blocked.run(np.ones(dsp.BLOCK * 10), blocked.zero_state())
    tail, after = blocked.run(np.zeros(blocked.fade), state)
    assert np.abs(tail[:100]).max() > 1e-3  # it does ring on...
    assert np.abs(after).max() <= dsp.FADED * np.abs(state).max() * 10  # ...and dies away


@pytest.mark.parametrize("count", [1, 5, 16, 17, 1000])
@pytest.mark.parametrize("width", [1, 3, 17, 441])
def test_running_min_is_the_minimum_of_each_window(count, width):
    samples = np.random.default_rng(count).random(count).astype(np.float32)
    half = width // 2
    expected = [samples[max(0, i - half) : i + half + 1].min() for i in range(count)]
    assert np.array_equal(dsp.running_min(samples, width), expected)


def test_windowed_sinc_passes_below_its_cutoff_and_stops_above():
    taps = dsp.windowed_sinc(101, 0.25, 5.0)
    assert np.array_equal(taps, taps[::-1]) and taps.sum() == pytest.approx(1.0, abs=1e-15)
    response = np.abs(np.fft.rfft(taps, 4096))
    frequency = np.fft.rfftfreq(4096) * 2  # as a fraction of Nyquist
    assert np.all(np.abs(response[frequency < 0.2] - 1) < 0.01)
    assert np.all(response[frequency > 0.3] < 0.002)  # -54 dB, what a Kaiser window of beta 5 gives


@pytest.mark.parametrize(("up", "down"), [(160, 147), (147, 160), (3, 2)])
def test_resampling_keeps_a_tone_at_its_frequency_and_the_length_in_time(up, down):
    rate = 14700
    tone = np.sin(2 * np.pi * 1000 * np.arange(rate) / rate)
    out = dsp.resample(tone, up, down)
    new_rate = rate * up / down
    assert len(out) == -(-rate * up // down)
    middle = out[len(out) // 4 : 3 * len(out) // 4]
    expected = np.sin(2 * np.pi * 1000 * np.arange(len(out)) / new_rate)[len(out) // 4 : 3 * len(out) // 4]
    np.testing.assert_allclose(middle, expected, atol=2e-3)


def test_resampling_is_the_upsampled_signal_through_the_low_pass():
    up, down = 3, 2
    samples = np.random.default_rng(5).normal(0, 1, 200)
    half = dsp.RESAMPLE_ZEROS * max(up, down)
    prototype = dsp.windowed_sinc(2 * half + 1, 1 / max(up, down), dsp.RESAMPLE_BETA) * up
    upsampled = np.zeros(len(samples) * up)
    upsampled[::up] = samples
    expected = np.convolve(upsampled, prototype)[half : half + len(upsampled)][::down]
    np.testing.assert_allclose(dsp.resample(samples, up, down), expected, rtol=0, atol=1e-12)
