"""Signal primitives in numpy: a linear filter run as matrix products, a running minimum, a
windowed-sinc low-pass and a polyphase resampler.

scipy has all of these, but importing scipy.signal and scipy.ndimage cost every build process
more CPU time than mastering a chapter (measured: 0.6-3 s, most of it scipy's docstring
machinery), and these few functions were all audioguide used of it. `tests/test_dsp.py` checks
them against their direct definitions.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

BLOCK = 32
"""Samples per block of the linear filter: each block's output is one matrix product."""
GROUP = 16
"""Blocks per group: the states at every block start of a group are one more product."""
CARRIED = 1e-17
"""What is left of a state after this much decay is below double precision and not carried."""
FADED = 1e-8
"""A state decayed this far rings on below a hundred-millionth of its level: an energy of
1e-16, nothing a meter sees (see `LinearFilter.fade`)."""


class LinearFilter:
    """A cascade of biquads run over long signals at numpy speed.

    `sections` are rows (b0, b1, b2, 1, a1, a2), scipy's `sos` layout, each section in
    transposed direct form II. A sample-by-sample loop is far too slow in Python, so the filter
    is put in state-space form and the signal cut into blocks of BLOCK samples: a block's output
    is its own input through the impulse response (a triangular Toeplitz product) plus the
    response to the state it starts in, and the states at block starts follow from a second
    product over groups of GROUP blocks, then from group to group. The filter's poles are
    inside the unit circle, so a group's state fades: each group start is the sum of the few
    previous groups' contributions not yet decayed below CARRIED, one product per group back.
    Results agree with a sample-by-sample recursion to about 1e-13 of full scale.
    """

    def __init__(self, sections: np.ndarray) -> None:
        a, b, c, d = _state_space(np.asarray(sections, dtype=np.float64))
        order = len(b)
        powers = [np.eye(order)]
        for _ in range(BLOCK * GROUP):
            powers.append(a @ powers[-1])
        impulse = np.array([d] + [c @ powers[k - 1] @ b for k in range(1, BLOCK)])
        toeplitz = np.zeros((BLOCK, BLOCK))
        for row in range(BLOCK):
            toeplitz[row, : row + 1] = impulse[row::-1]
        self.order = order
        self._to_output = np.concatenate([toeplitz.T, np.array([c @ powers[i] for i in range(BLOCK)]).T])
        """A block's input and the state it starts in (one row) -> the block's output."""
        self._to_end = np.array([powers[BLOCK - 1 - j] @ b for j in range(BLOCK)])
        """Block input (row) -> its contribution to the state at the block's end."""
        block_power = [powers[BLOCK * j] for j in range(GROUP + 1)]
        # Row j-1 of a group's states, from its blocks' end contributions u_0..u_{G-1}:
        # the state at the start of block j is sum over i < j of A^(BLOCK (j-1-i)) u_i.
        within = np.zeros((GROUP * order, GROUP * order))
        for j in range(1, GROUP + 1):
            for i in range(j):
                within[i * order : (i + 1) * order, (j - 1) * order : j * order] = block_power[j - 1 - i].T
        self._within = within
        self._from_group_start = np.concatenate([block_power[j].T for j in range(GROUP)], axis=1)
        self._group_step = block_power[GROUP].T
        self._block_step = block_power[1].T
        terms, power = 1, np.eye(order)
        while np.abs(power).max() > CARRIED:
            power = power @ block_power[GROUP]
            terms += 1
        self._terms = terms
        fade, power = BLOCK, block_power[1]
        while np.abs(power).max() > FADED:
            power = power @ block_power[1]
            fade += BLOCK
        self.fade = fade
        """Samples of zero input after which any state has decayed to FADED of itself."""

    def zero_state(self) -> np.ndarray:
        return np.zeros(self.order)

    def run(self, samples: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The filtered samples (float64; their count a multiple of BLOCK) and the state after."""
        order = self.order
        blocks = np.asarray(samples, dtype=np.float64).reshape(-1, BLOCK)
        count = len(blocks)
        if not count:
            return np.zeros(0), state
        groups = -(-count // GROUP)
        contributions = np.zeros((groups * GROUP, order))
        contributions[:count] = blocks @ self._to_end
        starts_in_group = contributions.reshape(groups, GROUP * order) @ self._within
        # The state at each group's start: the given state, then each group's end from a zero
        # start, carried forward while it has not faded.
        carried = np.concatenate([state[None, :], starts_in_group[:, (GROUP - 1) * order :]])
        group_starts = np.zeros((groups + 1, order))
        for back in range(min(self._terms, groups + 1) - 1, -1, -1):
            group_starts = group_starts @ self._group_step
            group_starts[back:] += carried[: groups + 1 - back]
        block_starts = group_starts[:groups] @ self._from_group_start
        block_starts[:, order:] += starts_in_group[:, : (GROUP - 1) * order]
        block_states = block_starts.reshape(groups * GROUP, order)[:count]
        rows = np.empty((count, BLOCK + order))
        rows[:, :BLOCK] = blocks
        rows[:, BLOCK:] = block_states
        end = block_states[-1] @ self._block_step + contributions[count - 1]
        return (rows @ self._to_output).ravel(), end


def _state_space(sections: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(A, B, C, D) of the cascade: state' = A state + B x, y = C state + D x; the state is each
    section's two delay values in turn."""
    order = 2 * len(sections)

    def step(state: np.ndarray, x: float) -> tuple[np.ndarray, float]:
        state, y = state.copy(), x
        for s, (b0, b1, b2, _, a1, a2) in enumerate(sections):
            out = b0 * y + state[2 * s]
            state[2 * s] = b1 * y - a1 * out + state[2 * s + 1]
            state[2 * s + 1] = b2 * y - a2 * out
            y = out
        return state, y

    a, c = np.zeros((order, order)), np.zeros(order)
    for j in range(order):
        a[:, j], c[j] = step(np.eye(order)[j], 0.0)
    b, d = step(np.zeros(order), 1.0)
    return a, b, c, d


def running_min(samples: np.ndarray, width: int) -> np.ndarray:
    """The minimum over a centred window of odd `width` at each sample, the window cut short at
    the ends: minima over spans doubled until two overlapping spans cover a window."""
    half, count = width // 2, len(samples)
    edge = np.full(half, np.inf, dtype=samples.dtype)
    minima, span = np.concatenate([edge, samples, edge]), 1
    while 2 * span <= width:
        minima = np.minimum(minima[:-span], minima[span:])
        span *= 2
    return np.minimum(minima[:count], minima[width - span : width - span + count])


def windowed_sinc(taps: int, cutoff: float, beta: float) -> np.ndarray:
    """A linear-phase low-pass FIR: a sinc cut off at `cutoff` (a fraction of Nyquist) under a
    Kaiser window, scaled to unit gain at DC (what scipy.signal.firwin makes of these)."""
    centre = np.arange(taps) - (taps - 1) / 2
    response = cutoff * np.sinc(cutoff * centre) * np.kaiser(taps, beta)
    return response / response.sum()


RESAMPLE_BETA = 5.0
RESAMPLE_ZEROS = 10
"""The resampler's low-pass spans this many zero crossings either side of its centre."""


@functools.cache
def _resampler(up: int, down: int) -> tuple[np.ndarray, int]:
    """Polyphase taps (row r: the taps an output at phase r applies to its inputs, newest
    first) and the low-pass's half length, in upsampled samples."""
    rate = max(up, down)
    half = RESAMPLE_ZEROS * rate
    prototype = windowed_sinc(2 * half + 1, 1 / rate, RESAMPLE_BETA) * up
    per_phase = -(-(2 * half + 1) // up) + 1
    padded = np.concatenate([prototype, np.zeros(per_phase * up + up)])
    phases = np.array([padded[phase + up * np.arange(per_phase)] for phase in range(up)])
    return phases, half


def resample(samples: np.ndarray, up: int, down: int) -> np.ndarray:
    """`samples` at `up`/`down` times their rate (coprime factors), through a Kaiser-windowed
    sinc low-pass at the lower Nyquist: output i is the input, upsampled, at i * down."""
    phases, half = _resampler(up, down)
    per_phase = phases.shape[1]
    out_count = -(-len(samples) * up // down)
    padded = np.concatenate([np.zeros(per_phase), np.asarray(samples, dtype=np.float64), np.zeros(per_phase + down + 1)])
    windows = sliding_window_view(padded, per_phase)
    out = np.empty(out_count)
    # Output i sits at upsampled position i*down; its newest input is q = (i*down + half) // up
    # and its phase r = half + i*down - q*up. Outputs up apart share r, and their q are down
    # apart: each phase is one matrix-vector product over a strided view of the input.
    for first in range(min(up, out_count)):
        newest = (first * down + half) // up
        phase = half + first * down - newest * up
        # Window k starts per_phase - 1 inputs before input newest + k*down (padding included).
        rows = windows[newest + 1 :: down][: len(range(first, out_count, up))]
        out[first::up] = np.ascontiguousarray(rows) @ phases[phase][::-1]
    return out
