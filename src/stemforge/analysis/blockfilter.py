"""A streaming IIR filter evaluated block-wise with matrix products (for the K-weighting).

Why by hand: ``scipy.signal.sosfilt`` runs one sample at a time, and the K-weighting of a
stereo song is most of what integrated loudness costs. A linear filter with state ``z``
(the ``S`` delay values of its second-order sections) obeys, over a block of ``M`` input
samples ``x_k``::

    y_k     = T x_k + P z_k          (T: M x M Toeplitz of the impulse response,
    z_{k+1} = Phi z_k + G x_k         P: M x S, Phi: S x S, G: S x M)

so all outputs are two matrix products once the block-start states ``z_k`` are known. Those
follow the block-rate recursion ``r_k = Phi r_{k-1} + u_k`` (``u = G x``), which we solve for a
whole internal block at once: by Cayley-Hamilton, ``(I - Phi D)^-1 = adj(I - Phi D) /
det(I - Phi D)`` with ``D`` a one-block delay, so ``r = sum_m B_m D^m q`` where ``q`` is ``u``
through the all-pole filter ``1 / det(I - Phi D)`` (``scipy.signal.lfilter``) and the ``B_m``
come from the Faddeev-LeVerrier recursion. At the block rate the poles are the filter's
poles to the power ``M`` (well inside the unit circle), so this runs in float64 with no
loss, while the products with ``T``, ``P`` and ``G`` run in float32, whose rounding is not
fed back. Against float64 ``sosfilt`` the output errs by less than -100 dB of its peak and
its energy (hence loudness) by less than 1e-6 relative (5e-6 dB), at a third of the cost.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.signal

Floats = npt.NDArray[np.float64]


def block_length(chunk_frames: int, *, low: int = 16, high: int = 64) -> int | None:
    """The largest divisor of ``chunk_frames`` between ``low`` and ``high``, if any."""
    for length in range(high, low - 1, -1):
        if chunk_frames % length == 0:
            return length
    return None


class BlockIIR:
    """The filter ``sos`` on ``channels`` channels, fed blocks that are multiples of ``block``.

    Parameters
    ----------
    sos : np.ndarray, float64, shape (sections, 6)
        Second-order sections, as for ``scipy.signal.sosfilt``.
    channels : int
    block : int
        Block length ``M``; every call to :meth:`process` but the last feeds a multiple of it.
    max_blocks : int
        Most blocks fed in one call.
    """

    def __init__(self, sos: Floats, channels: int, *, block: int, max_blocks: int) -> None:
        self.block = block
        self.channels = channels
        sections = sos.shape[0]
        size = 2 * sections
        self._size = size
        impulse = np.zeros(block)
        impulse[0] = 1.0
        h = scipy.signal.sosfilt(sos, impulse)
        index = np.arange(block)
        lag = index[:, None] - index[None, :]
        toeplitz = np.where(lag >= 0, h[np.clip(lag, 0, None)], 0.0)
        zero_input = np.zeros((block, size))
        transition = np.zeros((size, size))
        for s in range(size):
            zi = np.zeros(size)
            zi[s] = 1.0
            y, zf = scipy.signal.sosfilt(sos, np.zeros(block), zi=zi.reshape(sections, 2))
            zero_input[:, s] = y
            transition[:, s] = zf.ravel()
        input_to_state = np.zeros((size, block))
        for j in range(block):
            x = np.zeros(block)
            x[j] = 1.0
            _, zf = scipy.signal.sosfilt(sos, x, zi=np.zeros((sections, 2)))
            input_to_state[:, j] = zf.ravel()
        # Faddeev-LeVerrier: det(lambda I - Phi) = lambda^S + c_1 lambda^(S-1) + ... + c_S,
        # adj(lambda I - Phi) = sum_m B_m lambda^(S-1-m).
        adjugate = [np.eye(size)]
        coefficients = [1.0]
        for m in range(1, size + 1):
            product = transition @ adjugate[-1]
            c = -np.trace(product) / m
            coefficients.append(c)
            if m < size:
                adjugate.append(product + c * np.eye(size))
        self._denominator = np.array(coefficients)
        self._adjugate_t = np.stack([b.T for b in adjugate])  # (S, S, S): B_m transposed
        powers = np.empty((max_blocks, size, size))
        power = transition.copy()
        for k in range(max_blocks):
            powers[k] = power
            power = transition @ power
        self._powers = powers  # Phi^(k+1)
        self._toeplitz_t = np.ascontiguousarray(toeplitz.T, dtype=np.float32)
        self._zero_input_t = np.ascontiguousarray(zero_input.T, dtype=np.float32)
        self._input_to_state_t = np.ascontiguousarray(input_to_state.T, dtype=np.float32)
        self.state = np.zeros((channels, size))

    def copy(self) -> BlockIIR:
        """An independent copy (the matrices are shared, the state copied)."""
        other = object.__new__(BlockIIR)
        other.__dict__.update(self.__dict__)
        other.state = self.state.copy()
        return other

    def process(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Filter ``x`` (float32, shape (channels, frames)); returns float32 of the same shape.

        ``frames`` must be a multiple of ``block`` except in the last call, whose output is
        correct but after which the state is not (the input is padded with zeros).
        """
        frames = x.shape[1]
        blocks = -(-frames // self.block)
        if blocks * self.block != frames:
            x = np.concatenate([x, np.zeros((self.channels, blocks * self.block - frames), np.float32)], axis=1)
        shaped = x.reshape(self.channels, blocks, self.block)
        with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf input: the caller checks the state
            return self._filter(shaped, blocks, frames)

    def _filter(self, shaped: npt.NDArray[np.float32], blocks: int, frames: int) -> npt.NDArray[np.float32]:
        drive = (shaped @ self._input_to_state_t).astype(np.float64)  # u_k, (channels, blocks, S)
        filtered = scipy.signal.lfilter([1.0], self._denominator, drive, axis=1)
        after = np.zeros_like(filtered)
        for m, adjugate_t in enumerate(self._adjugate_t):
            after[:, m:, :] += filtered[:, : blocks - m, :] @ adjugate_t
        after += np.einsum("kij,cj->cki", self._powers[:blocks], self.state)  # zero-input part
        starts = np.concatenate([self.state[:, None, :], after[:, :-1, :]], axis=1)
        y = shaped @ self._toeplitz_t
        y += starts.astype(np.float32) @ self._zero_input_t
        self.state = after[:, -1, :].copy()
        return y.reshape(self.channels, blocks * self.block)[:, :frames]


__all__ = ["BlockIIR", "block_length"]
