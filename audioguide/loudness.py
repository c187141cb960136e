"""Mastering arithmetic: ITU-R BS.1770 integrated loudness and a look-ahead true-peak limiter.

Both work on float samples in [-1, 1]. The meter is fed block by block, so an episode can be
measured while it streams past without ever being held whole in memory. The filters are numpy
(`dsp`), computed the way scipy computed them before, so mastering gives the same samples.
"""

from __future__ import annotations

import functools
import math

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
LOOKAHEAD_S = 0.010
"""The limiter starts pulling the gain down this long before a peak and lets it go as slowly."""
NEAR_CEILING = 1e-6
"""Relative distance under the ceiling within which float32 rounding could still tip a peak over."""


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
        self._step = _step_length(sample_rate)
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
        squares = np.concatenate([self._carry, squares])
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
    prototype = dsp.windowed_sinc(2 * centre + 1, 1 / OVERSAMPLING, 5.0) * OVERSAMPLING
    padded = np.concatenate([prototype, np.zeros(OVERSAMPLING)])
    offsets = np.arange(-half, half + 1)
    return np.array([padded[OVERSAMPLING * offsets + k + centre] for k in range(OVERSAMPLING)])


@functools.cache
def _interpolator() -> np.ndarray:
    """The interpolator as one matrix: a row of PEAK_BLOCK samples with TAPS_PER_SIDE more on
    each side, times this, gives the interpolated signal 0, 1/4, 2/4 and 3/4 of the way from
    each of those samples to the next (column blocks of PEAK_BLOCK, one per fraction; at 0 it
    is not quite the sample itself, the windowed sinc not being exactly 1 there)."""
    taps, half = _interpolation_taps(), TAPS_PER_SIDE
    matrix = np.zeros((PEAK_BLOCK + 2 * half, OVERSAMPLING * PEAK_BLOCK))
    for position in range(PEAK_BLOCK):
        for k in range(OVERSAMPLING):
            # Tap j weighs the sample j - half before this one, which sits at row position + 2 half - j.
            matrix[position + 2 * half - np.arange(2 * half + 1), k * PEAK_BLOCK + position] = taps[k]
    return matrix


def _peaks_at(samples: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Largest oversampled magnitude in [p, p + 1) for each sample index p in `positions`
    (ascending). Rows of PEAK_BLOCK samples that hold a position are interpolated whole, as one
    matrix product each, which is much faster than gathering every position's neighbours."""
    half, width = TAPS_PER_SIDE, PEAK_BLOCK
    rows_total = -(-len(samples) // width)
    padded = np.zeros(rows_total * width + 2 * half)
    padded[half : half + len(samples)] = samples
    windows = sliding_window_view(padded, width + 2 * half)[::width]
    row_of = positions // width
    rows = row_of[np.r_[True, row_of[1:] != row_of[:-1]]] if len(positions) else row_of
    slot = np.searchsorted(rows, row_of) * width + positions % width
    matrix = _interpolator()
    peaks = np.empty(len(rows) * width)
    for start in range(0, len(rows), PEAK_ROWS):
        between = np.abs(windows[rows[start : start + PEAK_ROWS]] @ matrix)
        largest = between[:, :width]
        for k in range(1, OVERSAMPLING):
            np.maximum(largest, between[:, k * width : (k + 1) * width], out=largest)
        peaks[start * width : start * width + largest.size] = largest.ravel()
    return peaks[slot]


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

    The gain is below 1 only within two look-aheads of a sample over the ceiling, and speech
    is over it a few percent of the time: the gain is worked out only there (see `_gain`).
    """
    if peaks is None:
        peaks = peak_envelope(samples, ceiling)
    near = np.flatnonzero(peaks > ceiling * (1 - NEAR_CEILING))
    over = near[peaks[near] > ceiling]
    if not len(over):
        return samples
    half = max(1, round(LOOKAHEAD_S * sample_rate))
    runs = _runs(over, 2 * half, 2 * half + 2, len(samples))
    limited = samples.copy()
    for (first, end), gain in zip(runs, _gain(peaks, ceiling, half, runs)):
        limited[first:end] = samples[first:end] * gain
    # The envelope bounds sample peaks; what slips between samples after the gain is tiny. Away
    # from the gain's runs the samples are untouched and their peaks under the ceiling, so only
    # the runs and the peaks nearest the ceiling can say how much slipped.
    reach = TAPS_PER_SIDE + 1
    checked = np.zeros(len(samples), dtype=bool)
    checked[near] = True
    for first, end in runs:
        checked[max(0, first - reach) : end + reach] = True
    check = np.flatnonzero(checked)
    magnitude = np.abs(limited[check])
    following = np.abs(limited[np.minimum(check + 1, len(samples) - 1)])
    loud = (magnitude * db_to_gain(INTERSAMPLE_DB) > ceiling) | (
        (following * db_to_gain(INTERSAMPLE_DB) > ceiling) & (check + 1 < len(samples))
    )
    if loud.any():
        magnitude[loud] = np.maximum(magnitude[loud], _peaks_at(limited, check[loud]))
    overshoot = magnitude.max(initial=0.0) / ceiling
    return limited / overshoot if overshoot > 1 else limited


def _runs(marks: np.ndarray, before: int, after: int, count: int) -> list[tuple[int, int]]:
    """The stretches [first, end) within `before` samples before and `after` samples after the
    ascending `marks`, merged where they meet, cut to [0, count)."""
    breaks = np.flatnonzero(np.diff(marks) > before + after) + 1
    firsts = marks[np.r_[0, breaks]]
    lasts = marks[np.r_[breaks - 1, len(marks) - 1]]
    return [(max(0, int(f) - before), min(count, int(l) + after)) for f, l in zip(firsts, lasts)]


def _gain(peaks: np.ndarray, ceiling: float, half: int, runs: list[tuple[int, int]]) -> list[np.ndarray]:
    """The limiter's smoothed gain (float32) over each of `runs`, the stretches where it can
    differ from 1, as if it had been worked out for every sample.

    The gain needed is min(1, ceiling / peak), then the minimum over +-half, then the mean of
    that over +-half, kept as a running sum from the first sample, the signal mirrored at its
    ends (`dsp.running_mean`). Outside the runs the window holds only 1s, so the sum neither
    changes there nor needs computing: each run goes on from the sum the last one ended on.
    """
    count, width = len(peaks), 2 * half + 1
    total = float(width)
    gains = []
    for first, end in runs:
        low, high = max(0, first - 2 * half - 1), min(count, end + 2 * half)
        needed = np.minimum(1.0, ceiling / np.maximum(peaks[low:high], 1e-12))
        spread = dsp.running_min(needed, width).astype(np.float64)

        def at(start: int, stop: int) -> np.ndarray:
            """The spread gain at indices start..stop-1, mirrored past the ends."""
            if start >= 0 and stop <= count:
                return spread[start - low : stop - low]
            return spread[dsp.reflect(np.arange(start, stop), count) - low]

        step = max(first, 1)
        if first == 0:
            total = float(np.add.accumulate(at(-half, half + 1))[-1])
        sums = dsp.running_sums(total, at(step + half, end + half), at(step - half - 1, end - half - 1))
        total = float(sums[-1])
        # Rounding moves the sum by ~1e-14 per step; it would take 1e8 steps to move a float32
        # 1 between runs, where the window is all 1s again.
        gains.append((sums if first == 0 else sums[1:]) / width)
    return [gain.astype(np.float32) for gain in gains]


def db_to_gain(db: float) -> float:
    return 10 ** (db / 20)


def gain_to_db(gain: float) -> float:
    return 20 * math.log10(gain) if gain > 0 else -math.inf
