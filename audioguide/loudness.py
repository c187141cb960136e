"""Measuring audio: ITU-R BS.1770 integrated loudness and true peak.

Both work on float samples in [-1, 1]. The meter is fed block by block, so an episode can be
measured while it streams past without ever being held whole in memory; its K-weighting filter
is `dsp.LinearFilter`. True peak is the magnitude of the signal interpolated 4x.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from audioguide import dsp

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
OVERSAMPLING = 4
"""True peak is estimated on a 4x oversampled signal, as BS.1770 annex 2 suggests."""
TAPS_PER_SIDE = 6
"""The interpolator uses 13 samples around each point: 48-ish taps at 4x, as BS.1770 annex 2 does."""
PEAK_BLOCK = 32
"""Samples interpolated by one row of the oversampling matrix product."""
PEAK_ROWS = 2048
INTERSAMPLE_DB = 3.0


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
        self._filter = _k_filter(sample_rate)
        self._state = self._filter.zero_state()
        self._rate = sample_rate
        self._step = step_length(sample_rate)
        self._pending = np.zeros(0)
        """Input not yet filtered: less than a filter block."""
        self._carry = np.zeros(0)
        """K-weighted squares not yet summed: less than a step."""
        self._step_sums: list[np.ndarray] = []

    def add(self, samples: np.ndarray) -> None:
        pending = np.concatenate([self._pending, samples])
        whole = len(pending) // dsp.BLOCK * dsp.BLOCK
        if whole:
            weighted, self._state = self._filter.run(pending[:whole], self._state)
            self._add_squares(weighted * weighted)
        self._pending = pending[whole:]

    def add_silence(self, count: int) -> None:
        """`count` zero samples. Past the filter's fade the output is silence itself, so only
        the fading tail is filtered."""
        tail = min(count, self._filter.fade + (-len(self._pending)) % dsp.BLOCK)
        self.add(np.zeros(tail))
        if count > tail:
            self._state = self._filter.zero_state()
            self._add_zero_squares(count - tail)

    def _add_squares(self, squares: np.ndarray) -> None:
        if len(self._carry):
            fill = min(len(squares), self._step - len(self._carry))
            self._carry = np.concatenate([self._carry, squares[:fill]])
            squares = squares[fill:]
            if len(self._carry) < self._step:
                return
            self._step_sums.append(self._carry.sum(keepdims=True))
        whole = len(squares) // self._step * self._step
        self._step_sums.append(squares[:whole].reshape(-1, self._step).sum(axis=1))
        self._carry = squares[whole:]

    def _add_zero_squares(self, count: int) -> None:
        fill = min(count, self._step - len(self._carry))
        self._add_squares(np.zeros(fill))
        count -= fill
        if count:
            self._step_sums.append(np.zeros(count // self._step))
            self._carry = np.zeros(count % self._step)

    def steps(self) -> np.ndarray:
        """Sums of K-weighted squares over each whole 100 ms step so far: signals measured
        apart can be measured together by joining their steps."""
        sums = [np.zeros(0), *self._step_sums]
        if len(self._pending):
            # The last, partial block: filtered padded with zeros, which do not reach back.
            padded = np.concatenate([self._pending, np.zeros(dsp.BLOCK - len(self._pending))])
            weighted = self._filter.run(padded, self._state)[0][: len(self._pending)]
            squares = np.concatenate([self._carry, weighted * weighted])
            whole = len(squares) // self._step * self._step
            sums.append(squares[:whole].reshape(-1, self._step).sum(axis=1))
        return np.concatenate(sums)

    def integrated(self) -> float:
        """Gated integrated loudness; -inf for silence or less than 400 ms of signal."""
        return integrated_loudness(self.steps(), self._rate)


@functools.cache
def _k_filter(sample_rate: int) -> dsp.LinearFilter:
    return dsp.LinearFilter(_k_weighting(sample_rate))


def step_length(sample_rate: int) -> int:
    """Gating blocks are 400 ms long and overlap by 75%: they are made of 100 ms steps."""
    return max(1, round(sample_rate / 10))


def integrated_loudness(steps: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness (LUFS) from a meter's step sums (`LoudnessMeter.steps`)."""
    if len(steps) < 4:
        return -math.inf
    blocks = (steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]) / (4 * step_length(sample_rate))
    audible = blocks[_lufs(blocks) > ABSOLUTE_GATE_LUFS]
    if not len(audible):
        return -math.inf
    relative_gate = _lufs(audible.mean()) + RELATIVE_GATE_LU
    return float(_lufs(audible[_lufs(audible) > relative_gate].mean()))


@functools.cache
def _interpolation_taps() -> np.ndarray:
    """Polyphase taps of a windowed-sinc 4x interpolator: row k, applied to the samples around
    sample p, gives the signal k/4 of the way from p to p + 1 (row 0, nearly p itself, goes
    unused: the sample is its own value there)."""
    half = TAPS_PER_SIDE
    centre = half * OVERSAMPLING
    prototype = dsp.windowed_sinc(2 * centre + 1, 1 / OVERSAMPLING, 5.0) * OVERSAMPLING
    padded = np.concatenate([prototype, np.zeros(OVERSAMPLING)])
    offsets = np.arange(-half, half + 1)
    return np.array([padded[OVERSAMPLING * offsets + k + centre] for k in range(OVERSAMPLING)])


@functools.cache
def _interpolator() -> np.ndarray:
    """The interpolator as one float32 matrix: a row of PEAK_BLOCK samples with TAPS_PER_SIDE
    more on each side, times this, gives the samples themselves and the signal 1/4, 2/4 and 3/4
    of the way from each of them to the next (column blocks of PEAK_BLOCK). Single precision
    is ample for a peak and twice as fast."""
    taps, half = _interpolation_taps(), TAPS_PER_SIDE
    matrix = np.zeros((PEAK_BLOCK + 2 * half, OVERSAMPLING * PEAK_BLOCK), dtype=np.float32)
    for position in range(PEAK_BLOCK):
        matrix[position + half, position] = 1.0
        for k in range(1, OVERSAMPLING):
            # Tap j weighs the sample j - half before this one, which sits at row position + 2 half - j.
            matrix[position + 2 * half - np.arange(2 * half + 1), k * PEAK_BLOCK + position] = taps[k]
    return matrix


def _oversampled(samples: np.ndarray, rows: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """The magnitude of the samples and of the 4x interpolated signal over the given
    PEAK_BLOCK-sample rows (ascending) of `samples`: for each chunk of up to PEAK_ROWS rows, the
    index of its first row in `rows` and an array of a row per row (see `_interpolator`). One
    matrix product per chunk, much faster than gathering each sample's neighbours."""
    half, width = TAPS_PER_SIDE, PEAK_BLOCK
    padded = np.zeros(max(1, -(-len(samples) // width)) * width + 2 * half, dtype=np.float32)
    padded[half : half + len(samples)] = samples
    windows = sliding_window_view(padded, width + 2 * half)[::width]
    for start in range(0, len(rows), PEAK_ROWS):
        yield start, np.abs(windows[rows[start : start + PEAK_ROWS]] @ _interpolator())


def peaks_at(samples: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Largest oversampled magnitude in [p, p + 1) for each sample index p in `positions`
    (ascending)."""
    width = PEAK_BLOCK
    row_of = positions // width
    rows = row_of[np.r_[True, row_of[1:] != row_of[:-1]]] if len(positions) else row_of
    peaks = np.empty(len(rows) * width)
    for start, between in _oversampled(samples, rows):
        largest = between[:, :width]
        for k in range(1, OVERSAMPLING):
            np.maximum(largest, between[:, k * width : (k + 1) * width], out=largest)
        peaks[start * width : start * width + largest.size] = largest.ravel()
    return peaks[np.searchsorted(rows, row_of) * width + positions % width]


def block_peaks(samples: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The true peak (linear) of each of the given PEAK_BLOCK-sample rows (ascending) of
    `samples`: from each of its samples to the next, and the samples themselves."""
    peaks = np.empty(len(rows))
    for start, between in _oversampled(samples, rows):
        peaks[start : start + len(between)] = between.max(axis=1)
    return peaks


def sample_peaks(samples: np.ndarray) -> np.ndarray:
    """For each sample, the largest magnitude of the 4x oversampled signal from it to the next."""
    return peaks_at(samples, np.arange(len(samples)))


def true_peak(samples: np.ndarray) -> float:
    """True peak as a linear magnitude (1.0 is 0 dBTP)."""
    return float(sample_peaks(samples).max(initial=0.0))


def db_to_gain(db: float) -> float:
    return 10 ** (db / 20)


def gain_to_db(gain: float) -> float:
    return 20 * math.log10(gain) if gain > 0 else -math.inf
