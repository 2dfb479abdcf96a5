"""K-weighting (ITU-R BS.1770-4, Annex 1, §2.1) and channel weights (Table 3).

The K-weighting filter is two biquads in cascade: a high-shelf "pre-filter" that models the
acoustic effect of the head (+4 dB above about 1.7 kHz) and the revised low-frequency
B-curve (RLB), a 2nd-order high-pass at about 38 Hz. BS.1770-4 tabulates the coefficients
only for 48 kHz (its Tables 1 and 2). For any other sample rate we derive them with the
bilinear transform from the analogue prototypes whose parameters reproduce those tables
(the approach of libebur128 and pyloudnorm); at 48 kHz the derived coefficients equal the
tables to within 1e-12.

The filter runs as second-order sections (``scipy.signal.sosfilt``); see ``meter`` for the
precision it runs at.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from stemforge.errors import UsageError

# Analogue prototype parameters that reproduce BS.1770-4 Tables 1 and 2 at 48 kHz.
_SHELF_F0_HZ = 1681.974450955533
_SHELF_GAIN_DB = 3.999843853973347
_SHELF_Q = 0.7071752369554196
_SHELF_BOOST_EXPONENT = 0.4996667741545416
_HIGHPASS_F0_HZ = 38.13547087602444
_HIGHPASS_Q = 0.5003270373238773

#: Lowest sample rate the meter accepts, in Hz.
MIN_SAMPLE_RATE = 8000

#: Channel weight G_i of the surround channels (BS.1770-4 Table 3: 1.41, about +1.5 dB).
SURROUND_WEIGHT = 1.41


def _check_rate(sample_rate: int) -> None:
    if isinstance(sample_rate, bool) or int(sample_rate) != sample_rate or sample_rate <= 0:
        raise UsageError(f"sample_rate={sample_rate!r} must be a positive integer (Hz)")
    if sample_rate < MIN_SAMPLE_RATE:
        raise UsageError(f"sample_rate={sample_rate} Hz is too low to measure loudness (at least {MIN_SAMPLE_RATE} Hz)")


def pre_filter_coefficients(sample_rate: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """High-shelf pre-filter of BS.1770-4 (Table 1 at 48 kHz) for any sample rate.

    Returns
    -------
    b, a : np.ndarray, float64, shape (3,)
        Numerator and denominator, ``a[0] == 1``.
    """
    _check_rate(sample_rate)
    k = math.tan(math.pi * _SHELF_F0_HZ / sample_rate)
    v_high = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    v_band = v_high**_SHELF_BOOST_EXPONENT
    a0 = 1.0 + k / _SHELF_Q + k * k
    b = np.array(
        [
            (v_high + v_band * k / _SHELF_Q + k * k) / a0,
            2.0 * (k * k - v_high) / a0,
            (v_high - v_band * k / _SHELF_Q + k * k) / a0,
        ]
    )
    a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _SHELF_Q + k * k) / a0])
    return b, a


def rlb_filter_coefficients(sample_rate: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """RLB high-pass of BS.1770-4 (Table 2 at 48 kHz) for any sample rate.

    Returns
    -------
    b, a : np.ndarray, float64, shape (3,)
        ``b == [1, -2, 1]`` as in the standard's table; ``a[0] == 1``.
    """
    _check_rate(sample_rate)
    k = math.tan(math.pi * _HIGHPASS_F0_HZ / sample_rate)
    a0 = 1.0 + k / _HIGHPASS_Q + k * k
    b = np.array([1.0, -2.0, 1.0])
    a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _HIGHPASS_Q + k * k) / a0])
    return b, a


def k_weighting_sos(sample_rate: int) -> npt.NDArray[np.float64]:
    """The K-weighting filter as second-order sections.

    Returns
    -------
    np.ndarray, float64, shape (2, 6)
        ``[b0, b1, b2, 1, a1, a2]`` for the pre-filter, then the RLB filter.
    """
    pre_b, pre_a = pre_filter_coefficients(sample_rate)
    rlb_b, rlb_a = rlb_filter_coefficients(sample_rate)
    return np.array([np.concatenate([pre_b, pre_a]), np.concatenate([rlb_b, rlb_a])])


def channel_weights(channels: int) -> npt.NDArray[np.float64]:
    """Channel weights G_i of BS.1770-4 Table 3.

    Six channels are taken as 5.1 in the WAV/SMPTE order L, R, C, LFE, Ls, Rs: the LFE is
    excluded (weight 0) and the surrounds weigh 1.41 (+1.5 dB). Five channels are taken as
    5.0, L, R, C, Ls, Rs (the order of the EBU test set). Mono, stereo and every other
    count weigh each channel 1.0.

    Returns
    -------
    np.ndarray, float64, shape (channels,)
    """
    if isinstance(channels, bool) or int(channels) != channels or channels <= 0:
        raise UsageError(f"channels={channels!r} must be a positive integer")
    if channels == 6:
        return np.array([1.0, 1.0, 1.0, 0.0, SURROUND_WEIGHT, SURROUND_WEIGHT])
    if channels == 5:
        return np.array([1.0, 1.0, 1.0, SURROUND_WEIGHT, SURROUND_WEIGHT])
    return np.ones(int(channels))


__all__ = [
    "MIN_SAMPLE_RATE",
    "SURROUND_WEIGHT",
    "channel_weights",
    "k_weighting_sos",
    "pre_filter_coefficients",
    "rlb_filter_coefficients",
]
