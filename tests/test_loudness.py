"""loudness: the BS.1770 meter against its calibration signal and ffmpeg; true peak between samples."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from audioguide.ffmpeg import ffmpeg_exe
from audioguide.loudness import (
    PEAK_BLOCK,
    LoudnessMeter,
    block_peaks,
    db_to_gain,
    gain_to_db,
    peaks_at,
    sample_peaks,
    true_peak,
)


def _sine(frequency: float, seconds: float, rate: int, amplitude: float = 1.0) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(round(seconds * rate)) / rate)


def _measure(samples: np.ndarray, rate: int, block: int = 10_000) -> float:
    meter = LoudnessMeter(rate)
    for start in range(0, len(samples), block):
        meter.add(samples[start : start + block])
    return meter.integrated()


@pytest.mark.parametrize("rate", [22050, 24000, 48000])
def test_full_scale_997_hz_sine_reads_minus_3_lufs(rate):
    # BS.1770's calibration: a 0 dBFS 997 Hz sine in one channel measures -3.01 LKFS.
    assert _measure(_sine(997, 5.0, rate), rate) == pytest.approx(-3.01, abs=0.05)


def test_silence_and_short_signals_have_no_loudness():
    assert _measure(np.zeros(48000), 48000) == -np.inf
    assert _measure(_sine(997, 0.3, 48000), 48000) == -np.inf


def test_gating_ignores_quiet_stretches():
    rate = 22050
    tone = _sine(997, 3.0, rate, 0.5)
    with_silence = np.concatenate([tone, np.zeros(rate * 6), tone])
    # Ungated, the silence would halve the power (-3 LU); only blocks straddling an edge count.
    assert _measure(with_silence, rate) == pytest.approx(_measure(tone, rate), abs=0.3)


def test_meter_agrees_with_ffmpeg_on_noise_bursts():
    rate = 22050
    noise = np.random.default_rng(7).normal(0, 0.1, rate * 8)
    noise[rate * 2 : rate * 4] *= 0.05
    pcm = (noise * 32768).astype("<i2")
    report = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostats", "-f", "s16le", "-ar", str(rate), "-ac", "1",
         "-i", "pipe:0", "-af", "ebur128", "-f", "null", "-"],
        input=pcm.tobytes(), capture_output=True, check=True,
    ).stderr.decode()  # fmt: skip
    summary = report[report.rindex("Summary:") :]
    theirs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    assert _measure(pcm / 32768, rate) == pytest.approx(theirs, abs=0.15)


def test_true_peak_sees_between_samples():
    # A quarter-rate sine sampled at +-45 degrees has samples at 0.707 but true peak 1.0.
    rate = 8000
    samples = np.sin(2 * np.pi * 2000 * np.arange(4000) / rate + np.pi / 4)
    assert np.abs(samples).max() == pytest.approx(0.7071, abs=1e-3)
    assert gain_to_db(true_peak(samples)) == pytest.approx(0.0, abs=0.3)


def test_sample_peaks_has_one_value_per_sample():
    samples = _sine(440, 0.1, 22050)
    peaks = sample_peaks(samples)
    assert peaks.shape == samples.shape
    assert np.all(peaks >= np.abs(samples) - 1e-3)


def test_silence_fed_as_a_count_measures_as_zeros_do():
    rate = 22050
    tone = _sine(997, 1.0, rate, 0.5)
    counted, fed = LoudnessMeter(rate), LoudnessMeter(rate)
    for meter in (counted, fed):
        meter.add(tone[:12345])
    counted.add_silence(rate * 3 + 7)
    fed.add(np.zeros(rate * 3 + 7))
    for meter in (counted, fed):
        meter.add(tone)
    np.testing.assert_allclose(counted.steps(), fed.steps(), rtol=1e-12, atol=1e-14)


def test_peaks_of_chosen_samples_and_blocks_agree_with_every_samples_peaks():
    samples = np.random.default_rng(3).normal(0, 0.2, 1000)
    every = sample_peaks(samples)
    positions = np.array([0, 5, 31, 32, 500, 999])
    np.testing.assert_allclose(peaks_at(samples, positions), every[positions], rtol=1e-6)
    rows = np.array([0, 3, 31])  # the last row is short: 1000 = 31 * 32 + 8
    expected = [every[r * PEAK_BLOCK : (r + 1) * PEAK_BLOCK].max() for r in rows]
    np.testing.assert_allclose(block_peaks(samples, rows), expected, rtol=1e-6)
