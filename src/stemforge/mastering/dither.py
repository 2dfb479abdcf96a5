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

import numpy as np
import numpy.typing as npt

from stemforge.audio.buffer import Samples
from stemforge.errors import UsageError


def _tpdf(rng: np.random.Generator, shape: tuple[int, ...], dtype: type[np.floating]) -> npt.NDArray[np.floating]:
    """TPDF noise in (−1, 1) LSB: the difference of two uniforms, from one 64-bit draw each."""
    raw: npt.NDArray[np.uint64] = np.asarray(rng.bit_generator.random_raw(int(np.prod(shape)))).reshape(shape)
    low: npt.NDArray[np.floating] = (raw & np.uint64(0xFFFFFFFF)).astype(dtype)
    high: npt.NDArray[np.floating] = (raw >> np.uint64(32)).astype(dtype)
    return (low - high) * dtype(2.0**-32)


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
    if bits not in (16, 24):
        raise UsageError(f"bits={bits} must be 16 or 24")
    scale = float(1 << (bits - 1))
    # 16-bit values and their fractions fit float32's 24-bit mantissa; 24-bit ones need float64.
    dtype: type[np.floating] = np.float32 if bits == 16 else np.float64
    rng = np.random.default_rng(seed)
    out = np.empty(samples.shape, np.int16 if bits == 16 else np.int32)
    step = 1 << 18
    for start in range(0, samples.shape[1], step):
        part: npt.NDArray[np.floating] = samples[:, start : start + step].astype(dtype) * dtype(scale)
        part += _tpdf(rng, part.shape, dtype)
        np.rint(part, out=part)
        np.clip(part, -scale, scale - 1, out=part)
        out[:, start : start + step] = part
    return out


def to_float(quantized: npt.NDArray[np.integer], *, bits: int) -> Samples:
    """The float32 values (full scale ±1) that integer samples of ``bits`` bits stand for (exact)."""
    return quantized.astype(np.float32) * np.float32(2.0 ** -(bits - 1))


__all__ = ["to_float", "tpdf_quantize"]
