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


def _tpdf(rng: np.random.Generator, shape: tuple[int, ...], dtype: type[np.floating]) -> npt.NDArray[np.floating]:
    """TPDF noise in (−1, 1) LSB: the difference of two uniforms, from one 64-bit draw each."""
    raw: npt.NDArray[np.uint64] = np.asarray(rng.bit_generator.random_raw(int(np.prod(shape))))
    # The draw's low and high 32-bit words (as ``raw & 0xFFFFFFFF`` and ``raw >> 32``).
    words = raw.view(np.uint32).reshape(-1, 2)
    low, high = (0, 1) if np.little_endian else (1, 0)
    noise: npt.NDArray[np.floating] = words[:, low].astype(dtype)
    noise -= words[:, high]
    noise *= dtype(2.0**-32)
    return noise.reshape(shape)


#: Frames dithered per step (the noise is drawn in this order, so results do not depend
#: on whether the blocks are kept or written as they come).
DITHER_BLOCK_FRAMES = 1 << 18


def tpdf_blocks(samples: Samples, *, bits: int, seed: int = 0) -> Iterator[tuple[int, npt.NDArray[np.integer]]]:
    """TPDF-dither and round ``samples`` a block at a time: ``(first frame, integers)`` pairs.

    The same values as :func:`tpdf_quantize`, without holding them all (a file writer
    takes each block as it comes).
    """
    if bits not in (16, 24):
        raise UsageError(f"bits={bits} must be 16 or 24")
    scale = float(1 << (bits - 1))
    # 16-bit values and their fractions fit float32's 24-bit mantissa; 24-bit ones need float64.
    dtype: type[np.floating] = np.float32 if bits == 16 else np.float64
    rng = np.random.default_rng(seed)
    for start in range(0, samples.shape[1], DITHER_BLOCK_FRAMES):
        part: npt.NDArray[np.floating] = samples[:, start : start + DITHER_BLOCK_FRAMES].astype(dtype)
        part *= dtype(scale)
        part += _tpdf(rng, part.shape, dtype)
        np.rint(part, out=part)
        np.clip(part, -scale, scale - 1, out=part)
        yield start, part.astype(np.int16 if bits == 16 else np.int32)


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


__all__ = ["DITHER_BLOCK_FRAMES", "to_float", "tpdf_blocks", "tpdf_quantize"]
