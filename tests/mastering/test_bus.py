"""Stage 3: the glue compressor's curve and linking, and the width stage's mono low end."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal

from mastering.material import song
from stemforge.mastering.bus import glue_compress, set_width

RATE = 48000


def _noise(seconds: float, rms_db: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (10 ** (rms_db / 20) * rng.standard_normal((2, int(seconds * RATE)))).astype(np.float32)


def _per_frame_reduction_db(x: np.ndarray, threshold: float, *, ratio: float = 2.0, knee: float = 6.0) -> np.ndarray:
    """The glue's side chain computed plainly at the sample rate, as the module docstring says."""
    square = np.mean(x.astype(np.float64) ** 2, axis=0)
    pole = math.exp(-1.0 / (0.020 * RATE))
    level = 10 * np.log10(np.maximum(scipy.signal.lfilter([1 - pole], [1, -pole], square), 1e-12))
    over = level - threshold
    slope = 1 - 1 / ratio
    need = np.where(over <= -knee / 2, 0.0, np.where(over >= knee / 2, slope * over, slope * (over + knee / 2) ** 2 / (2 * knee)))
    release = math.exp(-1.0 / (0.250 * RATE))
    gr = np.empty_like(need)
    previous = 0.0
    for n, value in enumerate(need):  # the recursion written out (short signals only)
        previous = max(value, release * previous)
        gr[n] = previous
    attack = math.exp(-1.0 / (0.030 * RATE))
    return scipy.signal.lfilter([1 - attack], [1, -attack], gr)


def test_glue_follows_its_per_frame_definition() -> None:
    x = song(6.0, lufs=-16.0, seed=3)
    out, stage = glue_compress(x, RATE)
    assert stage.applied and stage.max_reduction_db > 1.0
    expected = _per_frame_reduction_db(x, stage.threshold_db)
    loud = np.abs(x[0]) > 1e-3
    measured = -20 * np.log10(out[0][loud] / x[0][loud])
    # The side chain runs at one value per 16 frames: within a few hundredths of a dB.
    assert np.max(np.abs(measured - expected[loud])) < 0.05
    assert stage.max_reduction_db == pytest.approx(expected.max(), abs=0.05)


def test_glue_is_linked_and_follows_its_static_curve() -> None:
    quiet, loud = _noise(20.0, -30.0, 1), _noise(6.0, -10.0, 2)
    x = np.concatenate([quiet, loud], axis=1)
    x[1] *= 0.5  # an unbalanced image must stay as it is
    out, stage = glue_compress(x, RATE, threshold_offset_db=9.0)
    gain = out / x
    assert np.allclose(gain[0], gain[1], rtol=1e-6)  # one gain for both channels
    level = 10 * math.log10(np.mean(x[:, -RATE:].astype(np.float64) ** 2))
    expected = 0.5 * (level - stage.threshold_db)  # ratio 2, well above the knee
    settled = -20 * np.log10(np.median(gain[0, -RATE:]))
    assert settled == pytest.approx(expected, abs=0.2)
    assert -20 * np.log10(np.median(gain[0, RATE : 19 * RATE])) == pytest.approx(0.0, abs=1e-6)


def test_glue_leaves_silence_alone() -> None:
    x = np.zeros((2, RATE), np.float32)
    out, stage = glue_compress(x, RATE)
    assert not stage.applied and out is x


def test_width_keeps_the_mid_and_makes_the_low_end_mono() -> None:
    t = np.arange(4 * RATE) / RATE
    mid = 0.3 * np.sin(2 * np.pi * 220 * t)
    side = 0.2 * np.sin(2 * np.pi * 50 * t) + 0.2 * np.sin(2 * np.pi * 2000 * t)
    x = np.stack([mid + side, mid - side]).astype(np.float32)
    same, stage = set_width(x, RATE)
    assert np.max(np.abs(same - x)) < 1e-7 and stage.side_to_mid_after_db == pytest.approx(stage.side_to_mid_before_db)
    out, stage = set_width(x, RATE, width_percent=100.0, mono_below_hz=120.0)
    new_mid, new_side = (out[0] + out[1]) / 2, (out[0] - out[1]) / 2
    assert np.max(np.abs(new_mid - mid)) < 1e-6
    spectrum = np.abs(np.fft.rfft(new_side[RATE:] * np.hanning(3 * RATE)))
    freqs = np.fft.rfftfreq(3 * RATE, 1 / RATE)
    at = lambda f: spectrum[np.argmin(np.abs(freqs - f))]
    assert 20 * np.log10(at(50) / at(2000)) < -20  # 50 Hz side: 4th-order high-pass at 120 Hz
    wide, _ = set_width(x, RATE, width_percent=150.0)
    assert np.max(np.abs((wide[0] - wide[1]) / 2 - 1.5 * side)) < 1e-5
