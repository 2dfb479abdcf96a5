"""TPDF dither and quantisation to integer PCM.

Reducing the word length without dither turns the rounding error into distortion that
follows the signal (audible on fades and reverb tails); adding triangular-PDF noise of
±1 LSB before rounding makes the error signal-independent white noise (Lipshitz, Wannamaker
& Vanderkooy, "Quantization and Dither: A Theoretical Survey", JAES 1992). Its power is
the rounding noise's LSB²/12 plus the dither's LSB²/6, i.e. LSB²/4: an RMS of half an LSB,
−96.3 dBFS at 16 bits (20·log10(2^−16)), −144.5 dBFS at 24 bits.

The result is integer samples: writing them as integers keeps them exact, where a float
write would be rescaled by the file library (libsndfile scales floats by 2^(bits−1) − 1).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from stemforge.audio.buffer import Samples
from stemforge.errors import UsageError


#: Frames dithered per step (the noise is drawn in this order, so results do not depend
#: on whether the blocks are kept or written as they come).
DITHER_BLOCK_FRAMES = 1 << 18
_LOW, _HIGH = (0, 1) if np.little_endian else (1, 0)


def tpdf_frames(samples: Samples, *, bits: int, seed: int = 0, shift: int = 0) -> Iterator[npt.NDArray[np.integer]]:
    """TPDF-dither and round ``samples`` to ``bits``-bit integers, block by block, interleaved
    ``(frames, channels)`` as files hold them.

    ``DITHER_BLOCK_FRAMES`` frames a block, the noise drawn from ``seed`` in block order.
    ``shift`` moves 24-bit values up (8: the top 24 bits of an int32, as libsndfile writes them).
    """
    if bits not in (16, 24):
        raise UsageError(f"bits={bits} must be 16 or 24")
    # Per sample: rint(x · 2^(bits−1) + (low − high) · 2^−32), clipped, where low and high are
    # the two 32-bit words of the sample's 64-bit draw: triangular noise in (−1, 1) LSB. In
    # float64 at 24 bits; in float32 at 16 bits (its values and fractions fit the mantissa),
    # the words' difference rounded to float32. Computed as (x + noise · 2^(−32−(bits−1))) ·
    # 2^(bits−1): scaling by powers of two is exact, so the rounding is the same, in fewer passes.
    dtype: type[np.floating] = np.float32 if bits == 16 else np.float64
    lsb = 2.0 ** (bits - 1)
    rng = np.random.default_rng(seed)
    channels = samples.shape[0]
    for start in range(0, samples.shape[1], DITHER_BLOCK_FRAMES):
        part = samples[:, start : start + DITHER_BLOCK_FRAMES]
        frames = part.shape[1]
        words = np.asarray(rng.bit_generator.random_raw(channels * frames)).view(np.uint32).reshape(-1, 2)
        value = words[:, _LOW].astype(dtype)
        value -= words[:, _HIGH]
        value *= dtype(2.0**-32 / lsb)
        value = value.reshape(channels, frames)
        value += part
        value *= dtype(lsb)
        np.rint(value, out=value)
        np.clip(value, -lsb, lsb - 1, out=value)
        if shift:
            value *= dtype(2**shift)
        out = np.empty((frames, channels), np.int16 if bits == 16 else np.int32)
        np.copyto(out.T, value, casting="unsafe")
        yield out


def tpdf_blocks(samples: Samples, *, bits: int, seed: int = 0) -> Iterator[tuple[int, npt.NDArray[np.integer]]]:
    """TPDF-dither and round ``samples`` a block at a time: ``(first frame, integers)`` pairs,
    the integers shaped ``(channels, frames)`` (a transposed view of :func:`tpdf_frames`' blocks).

    The same values as :func:`tpdf_quantize`, without holding them all (a file writer
    takes each block as it comes).
    """
    start = 0
    for block in tpdf_frames(samples, bits=bits, seed=seed):
        yield start, block.T
        start += block.shape[0]


def tpdf_quantize(samples: Samples, *, bits: int, seed: int = 0) -> npt.NDArray[np.integer]:
    """TPDF-dither ``samples`` and round them to ``bits``-bit integers.

    Parameters
    ----------
    samples : np.ndarray, float32, shape (channels, frames)
        Full scale is ±1.
    bits : int
        16 or 24.
    seed : int
        Seed of the dither noise, so a master is reproducible.

    Returns
    -------
    np.ndarray, int16 (16 bits) or int32 (24 bits), shape (channels, frames)
        Integer sample values in ``[−2^(bits−1), 2^(bits−1) − 1]``.
    """
    out = np.empty(samples.shape, np.int16 if bits == 16 else np.int32)
    for start, block in tpdf_blocks(samples, bits=bits, seed=seed):
        out[:, start : start + block.shape[1]] = block
    return out


def to_float(quantized: npt.NDArray[np.integer], *, bits: int) -> Samples:
    """The float32 values (full scale ±1) that integer samples of ``bits`` bits stand for (exact)."""
    return quantized.astype(np.float32) * np.float32(2.0 ** -(bits - 1))


__all__ = ["DITHER_BLOCK_FRAMES", "to_float", "tpdf_blocks", "tpdf_frames", "tpdf_quantize"]
