"""Mastering arithmetic: ITU-R BS.1770 integrated loudness and a look-ahead true-peak limiter.

Both work on float samples in [-1, 1]. The meter is fed block by block, so an episode can be
measured while it streams past without ever being held whole in memory.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import firwin, sosfilt

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
OVERSAMPLING = 4
"""True peak is estimated on a 4x oversampled signal, as BS.1770 annex 2 suggests."""
TAPS_PER_SIDE = 6
"""The interpolator uses 13 samples around each point: 48-ish taps at 4x, as BS.1770 annex 2 does."""
PEAK_CHUNK = 1 << 16
INTERSAMPLE_DB = 3.0
LOOKAHEAD_S = 0.010
"""The limiter starts pulling the gain down this long before a peak and lets it go as slowly."""


def _k_weighting(sample_rate: int) -> np.ndarray:
    """The two K-weighting biquads (high shelf, then high pass) for any sample rate, as SOS rows.

    BS.1770 lists coefficients for 48 kHz only; these analog prototype parameters reproduce them
    through the bilinear transform, and give the same curve at other rates.
    """
    shelf_hz, shelf_gain_db, shelf_q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * shelf_hz / sample_rate)
    vh = 10 ** (shelf_gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / shelf_q + k * k
    shelf = [
        (vh + vb * k / shelf_q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / shelf_q + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / shelf_q + k * k) / a0,
    ]
    pass_hz, pass_q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * pass_hz / sample_rate)
    a0 = 1 + k / pass_q + k * k
    high_pass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / pass_q + k * k) / a0]
    return np.array([shelf, high_pass])


def _lufs(mean_square: np.ndarray | float) -> np.ndarray | float:
    with np.errstate(divide="ignore"):
        return -0.691 + 10 * np.log10(mean_square)


class LoudnessMeter:
    """Integrated loudness (LUFS) of a mono signal fed in consecutive blocks."""

    def __init__(self, sample_rate: int) -> None:
        self._sos = _k_weighting(sample_rate)
        self._state = np.zeros((2, 2))
        self._rate = sample_rate
        self._step = _step_length(sample_rate)
        self._carry = np.zeros(0)
        self._step_sums: list[np.ndarray] = []

    def add(self, samples: np.ndarray) -> None:
        weighted, self._state = sosfilt(self._sos, samples, zi=self._state)
        squares = np.concatenate([self._carry, weighted * weighted])
        whole = len(squares) // self._step * self._step
        self._step_sums.append(squares[:whole].reshape(-1, self._step).sum(axis=1))
        self._carry = squares[whole:]

    def steps(self) -> np.ndarray:
        """Sums of K-weighted squares over each whole 100 ms step so far: signals measured
        apart can be measured together by joining their steps."""
        return np.concatenate([np.zeros(0), *self._step_sums])

    def integrated(self) -> float:
        """Gated integrated loudness; -inf for silence or less than 400 ms of signal."""
        return integrated_loudness(self.steps(), self._rate)


def _step_length(sample_rate: int) -> int:
    """Gating blocks are 400 ms long and overlap by 75%: they are made of 100 ms steps."""
    return max(1, round(sample_rate / 10))


def integrated_loudness(steps: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness (LUFS) from a meter's step sums (`LoudnessMeter.steps`)."""
    if len(steps) < 4:
        return -math.inf
    blocks = (steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]) / (4 * _step_length(sample_rate))
    audible = blocks[_lufs(blocks) > ABSOLUTE_GATE_LUFS]
    if not len(audible):
        return -math.inf
    relative_gate = _lufs(audible.mean()) + RELATIVE_GATE_LU
    return float(_lufs(audible[_lufs(audible) > relative_gate].mean()))


@functools.cache
def _interpolation_taps() -> np.ndarray:
    """Polyphase taps of a windowed-sinc 4x interpolator: row k, applied to the samples around
    sample p, gives the signal k/4 of the way from p to p + 1 (row 0 is p itself)."""
    half = TAPS_PER_SIDE
    centre = half * OVERSAMPLING
    prototype = firwin(2 * centre + 1, 1 / OVERSAMPLING, window=("kaiser", 5.0)) * OVERSAMPLING
    padded = np.concatenate([prototype, np.zeros(OVERSAMPLING)])
    offsets = np.arange(-half, half + 1)
    return np.array([padded[OVERSAMPLING * offsets + k + centre] for k in range(OVERSAMPLING)])


def _peaks_at(samples: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Largest oversampled magnitude in [p, p + 1) for each sample index p in `positions`."""
    taps = _interpolation_taps()
    half = TAPS_PER_SIDE
    padded = np.pad(samples, half)
    reach = 2 * half - np.arange(2 * half + 1)
    peaks = np.empty(len(positions))
    for start in range(0, len(positions), PEAK_CHUNK):
        chunk = positions[start : start + PEAK_CHUNK]
        around = padded[chunk[:, None] + reach[None, :]]
        peaks[start : start + PEAK_CHUNK] = np.abs(around @ taps.T).max(axis=1)
    return peaks


def sample_peaks(samples: np.ndarray) -> np.ndarray:
    """For each sample, the largest magnitude of the 4x oversampled signal from it to the next."""
    return _peaks_at(samples, np.arange(len(samples)))


def peak_envelope(samples: np.ndarray, floor: float) -> np.ndarray:
    """Per-sample true-peak magnitudes, oversampled only where they can exceed `floor`.

    Oversampling a whole episode is the costly part of mastering; elsewhere the magnitude of
    the samples themselves is kept, since an inter-sample peak rarely tops its neighbouring
    samples by more than INTERSAMPLE_DB.
    """
    magnitude = np.abs(samples)
    loud = magnitude * db_to_gain(INTERSAMPLE_DB) > floor
    if loud.any():
        # A peak between p and p + 1 is found from p: the sample before a loud one counts too.
        loud[:-1] |= loud[1:]
        positions = np.flatnonzero(loud)
        magnitude[positions] = np.maximum(magnitude[positions], _peaks_at(samples, positions))
    return magnitude


def true_peak(samples: np.ndarray) -> float:
    """True peak as a linear magnitude (1.0 is 0 dBTP)."""
    return float(sample_peaks(samples).max(initial=0.0))


def limit(
    samples: np.ndarray, ceiling: float, sample_rate: int, *, peaks: np.ndarray | None = None
) -> np.ndarray:
    """`samples` with peaks pulled under `ceiling` (linear true peak) by a smooth look-ahead gain.

    The gain needed at each sample is spread by a minimum filter over +-LOOKAHEAD_S and then
    smoothed by a moving average no wider than that, so the smoothed gain never rises above
    what any sample needs, and it ramps over about 20 ms instead of jumping. `peaks`, the
    samples' `peak_envelope` if the caller has it, saves finding it again.
    """
    if peaks is None:
        peaks = peak_envelope(samples, ceiling)
    if peaks.max(initial=0.0) <= ceiling:
        return samples
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    width = 2 * max(1, round(LOOKAHEAD_S * sample_rate)) + 1
    gain = uniform_filter1d(minimum_filter1d(needed, width), width)
    limited = samples * gain
    # The envelope bounds sample peaks; what slips between samples after the gain is tiny.
    overshoot = peak_envelope(limited, ceiling).max(initial=0.0) / ceiling
    return limited / overshoot if overshoot > 1 else limited


def db_to_gain(db: float) -> float:
    return 10 ** (db / 20)


def gain_to_db(gain: float) -> float:
    return 20 * math.log10(gain) if gain > 0 else -math.inf
