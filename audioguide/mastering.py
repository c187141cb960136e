"""Mastering one segment: a gain to the loudness target, and peaks held under a true-peak ceiling
by a smooth look-ahead limiter.

The limiter takes part of every decibel of gain above a point, so the gain that meets the target
must be searched for. Metering the whole limited segment for every guess would cost most of the
time mastering takes; instead the search runs on a model made from one measurement of the raw
speech, at the resolution of BLOCK-sample blocks (1.5 ms at 22 kHz): the limiter's gain is worked
out per block, and what it takes from each 100 ms meter step is the block's energy times the
loss in its squared gain, in that step's K-weighted proportion. The gain found is applied, the
mastered speech measured once for real, and in the rare case it misses the target by more than
LOUDNESS_TOLERANCE_LU the model is corrected by the miss and the search run again.

The limiter's gain is the gain each block needs (the ceiling over the block's true peak),
spread by a minimum over LOOKAHEAD_S and one block more on each side, then smoothed by a mean
over LOOKAHEAD_S, then interpolated linearly between block centres. Both neighbours of a block
are within the spread, so the interpolated gain never rises above what any sample needs, and it
ramps over about 20 ms instead of jumping.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from audioguide import dsp
from audioguide.loudness import (
    INTERSAMPLE_DB,
    PEAK_BLOCK,
    LoudnessMeter,
    block_peaks,
    db_to_gain,
    integrated_loudness,
    step_length,
)

BLOCK = PEAK_BLOCK
"""Samples per block of the limiter's gain: `loudness.block_peaks` finds their true peaks."""
LOOKAHEAD_S = 0.010
"""The limiter starts pulling the gain down this long before a peak and lets it go as slowly."""
GAIN_RANGE_DB = 9.0
"""Most gain the search may add to the raw speech's, to win back what limiting takes."""
LOUDNESS_TOLERANCE_LU = 0.15
MEASURED_PASSES = 3
"""Most times the mastered speech is metered: the model's first answer nearly always suffices."""
SEARCH_STEPS = 30
SEARCH_TOLERANCE_LU = 0.005


def master(
    parts: Sequence[tuple[np.ndarray, int]], rate: int, aim_lufs: float, ceiling: float
) -> tuple[list[np.ndarray], np.ndarray]:
    """Each part's speech (16-bit PCM, or float samples in [-1, 1]; then that many samples of
    silence, the whole in order making the segment) as float32 at the gain that brings the
    segment to `aim_lufs`, limited to `ceiling` (linear true peak); and the meter's step sums of
    the result. Speech too quiet to measure is only converted."""
    blocks = _Blocks(parts, rate)
    speeches = blocks.speeches()
    steps = _measure(parts, speeches, rate)
    raw = integrated_loudness(steps, rate)
    if not math.isfinite(raw):
        return speeches, steps
    blocks.weigh(steps)
    lowest, highest = aim_lufs - raw, aim_lufs - raw + GAIN_RANGE_DB
    miss, tried = 0.0, None
    for _ in range(MEASURED_PASSES):
        gain_db = _search(lambda g, miss=miss: blocks.loudness(g, ceiling) + miss - aim_lufs, lowest, highest)
        if gain_db == tried:
            break  # at an end of the range: measuring again would change nothing
        mastered = blocks.apply(db_to_gain(gain_db), ceiling)
        steps = _measure(parts, mastered, rate)
        measured = integrated_loudness(steps, rate)
        if abs(measured - aim_lufs) <= LOUDNESS_TOLERANCE_LU:
            break
        miss, tried = measured - blocks.loudness(gain_db, ceiling), gain_db
    return mastered, steps


def _measure(parts: Sequence[tuple[np.ndarray, int]], speeches: Sequence[np.ndarray], rate: int) -> np.ndarray:
    """The meter's step sums of the segment with these speeches in its parts' places."""
    meter = LoudnessMeter(rate)
    for (_, pause), speech in zip(parts, speeches):
        meter.add(speech)
        meter.add_silence(pause)
    return meter.steps()


def _search(error: Callable[[float], float], lowest: float, highest: float) -> float:
    """The gain (dB) in [lowest, highest] where the increasing `error` (LU) crosses zero, to
    within SEARCH_TOLERANCE_LU; an end if it does not cross.

    Steps up from `lowest` by the error, twice as far each time (limiting only ever takes
    loudness away, so the crossing is above), until past the crossing; then closes in by the
    secant, halving the error kept at an end that stays put (Illinois). The guesses stay near
    the answer, so true peaks are found only where that gain needs them."""
    low, error_low = lowest, error(lowest)
    if error_low >= -SEARCH_TOLERANCE_LU:
        return low
    reach = 1.0
    while True:
        guess = min(highest, low - reach * error_low)
        value = error(guess)
        if abs(value) <= SEARCH_TOLERANCE_LU:
            return guess
        if value > 0:
            high, error_high = guess, value
            break
        if guess == highest:
            return highest
        low, error_low, reach = guess, value, 2 * reach
    kept = 0
    for _ in range(SEARCH_STEPS):
        guess = high - error_high * (high - low) / (error_high - error_low)
        value = error(guess)
        if abs(value) <= SEARCH_TOLERANCE_LU:
            break
        if value < 0:
            low, error_low = guess, value
            error_high /= 2 if kept == -1 else 1
            kept = -1
        else:
            high, error_high = guess, value
            error_low /= 2 if kept == 1 else 1
            kept = 1
    return guess


class _Blocks:
    """A segment's speech cut into BLOCK-sample blocks, utterance by utterance, with what the
    search needs of each block: its true peak (found where a gain could need it), its energy
    and the meter step its middle falls in.

    The utterances' blocks sit in one float32 array (the only copy of the speech mastering
    makes besides its result), apart by enough silent blocks that the limiter's spread and mean
    never reach from one to the next.
    """

    def __init__(self, parts: Sequence[tuple[np.ndarray, int]], rate: int) -> None:
        half = math.ceil(LOOKAHEAD_S * rate / BLOCK)
        self.spread, self.mean = 2 * half + 3, 2 * half + 1
        apart = self.spread + 1
        self.starts: list[tuple[int, int]] = []
        self.middles: list[np.ndarray] = []
        """Where each utterance's blocks' middles sit in the segment (samples)."""
        position, block = 0, apart
        for speech, pause in parts:
            count = -(-len(speech) // BLOCK)
            self.starts.append((block, len(speech)))
            self.middles.append(position + np.arange(count) * BLOCK + BLOCK // 2)
            position += len(speech) + pause
            block += count + apart
        self.samples = np.zeros(block * BLOCK, dtype=np.float32)
        for (first, count), (speech, _) in zip(self.starts, parts):
            scale = np.float32(1 / 32768) if speech.dtype == np.int16 else np.float32(1)
            np.multiply(speech, scale, out=self.samples[first * BLOCK : first * BLOCK + count], casting="unsafe")
        rows = self.samples.reshape(-1, BLOCK)
        self.sample_peak = _row_max(np.abs(rows))
        self.peak = self.sample_peak.astype(np.float64)
        self.exact = np.zeros(len(rows), dtype=bool)
        self.rate = rate

    def speeches(self) -> list[np.ndarray]:
        """Each utterance's samples, as views of the blocks."""
        return [self.samples[first * BLOCK : first * BLOCK + count] for first, count in self.starts]

    def weigh(self, raw_steps: np.ndarray) -> None:
        """Give each block its share of its meter step's K-weighted sum, in proportion to its
        energy (the model's loss in a step is the blocks' shares times their loss in gain)."""
        rows = self.samples.reshape(-1, BLOCK)
        energy = np.einsum("ij,ij->i", rows, rows, dtype=np.float64)
        step_of = np.full(len(rows), -1)
        step = step_length(self.rate)
        for (first, _), middles in zip(self.starts, self.middles):
            step_of[first : first + len(middles)] = np.where(middles // step < len(raw_steps), middles // step, -1)
        speaking = step_of >= 0
        per_step = np.bincount(step_of[speaking], weights=energy[speaking], minlength=len(raw_steps))
        share = np.divide(raw_steps, per_step, out=np.zeros(len(raw_steps)), where=per_step > 0)
        self.weight = np.zeros(len(rows))
        self.weight[speaking] = share[step_of[speaking]] * energy[speaking]
        self.step_of, self.raw_steps = step_of, raw_steps

    def gains(self, gain: float, ceiling: float) -> np.ndarray:
        """The limiter's gain at each block's middle, for speech at `gain` (linear)."""
        # A true peak up to INTERSAMPLE_DB over the samples around it is found where it could
        # top the ceiling; elsewhere the samples' own peak stands for it.
        unsure = ~self.exact & (self.sample_peak * (gain * db_to_gain(INTERSAMPLE_DB)) > ceiling)
        if unsure.any():
            rows = np.flatnonzero(unsure)
            self.peak[rows] = np.maximum(self.peak[rows], block_peaks(self.samples, rows))
            self.exact[rows] = True
        needed = np.minimum(1.0, ceiling / np.maximum(gain * self.peak, 1e-12))
        spread = dsp.running_min(needed, self.spread)
        return np.convolve(spread, np.full(self.mean, 1 / self.mean), "same")

    def loudness(self, gain_db: float, ceiling: float) -> float:
        """The model's integrated loudness of the segment at `gain_db`, limited."""
        gain = db_to_gain(gain_db)
        lost = np.bincount(
            self.step_of[self.step_of >= 0],
            weights=(self.weight * (1 - self.gains(gain, ceiling) ** 2))[self.step_of >= 0],
            minlength=len(self.raw_steps),
        )
        return integrated_loudness(gain * gain * np.maximum(self.raw_steps - lost, 0.0), self.rate)

    def apply(self, gain: float, ceiling: float) -> list[np.ndarray]:
        """Each utterance at `gain` (linear), limited, as float32."""
        gains = self.gains(gain, ceiling)
        out = []
        for first, count in self.starts:
            speech = self.samples[first * BLOCK : first * BLOCK + count] * np.float32(gain)
            blocks = -(-count // BLOCK)
            own = gains[first - 1 : first + blocks + 1]
            # Between the middles of blocks i-1 and i (i counted from the block before the
            # utterance), the gain runs linearly from own[i] to own[i+1]: sample t sits k + 1/2
            # samples past the first middle, where t + BLOCK/2 = i*BLOCK + k.
            moving = np.flatnonzero((own[:-1] < 1) | (own[1:] < 1))
            if len(moving):
                low, high = moving[0], moving[-1] + 1
                fraction = (np.arange(BLOCK) + 0.5) / BLOCK
                curve = own[low:high, None] + np.diff(own)[low:high, None] * fraction
                start = low * BLOCK - BLOCK // 2
                begin, end = max(0, start), min(count, high * BLOCK - BLOCK // 2)
                speech[begin:end] *= curve.ravel()[begin - start : end - start].astype(np.float32)
            # In a block the gain is between those at its neighbours' middles and its own.
            highest = np.maximum(np.maximum(own[:-2], own[1:-1]), own[2:])
            out.append(_held(speech, ceiling, self.sample_peak[first : first + blocks] * gain * highest))
        return out


def _row_max(rows: np.ndarray) -> np.ndarray:
    """The largest value of each row (numpy's own reduction is slow along rows this short)."""
    while rows.shape[1] > 1:
        if rows.shape[1] % 2:
            rows = np.concatenate([rows, rows[:, :1]], axis=1)
        half = rows.shape[1] // 2
        rows = np.maximum(rows[:, :half], rows[:, half:])
    return rows[:, 0]


def _held(speech: np.ndarray, ceiling: float, bounds: np.ndarray) -> np.ndarray:
    """`speech` scaled down by what slips over `ceiling` between samples, where the gain moves
    under a peak (a few hundredths of a dB at most); `bounds` bound each block's sample peak."""
    rows = np.flatnonzero(bounds * db_to_gain(INTERSAMPLE_DB) > ceiling)
    if not len(rows):
        return speech
    overshoot = block_peaks(speech, rows).max() / ceiling
    return speech / np.float32(overshoot) if overshoot > 1 else speech
