"""The true-peak limiter: the ceiling holds by the project's meter, at every rate and layout."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stemforge.analysis import true_peak_dbtp
from stemforge.mastering.limiter import (
    LimiterSettings,
    envelope_db,
    limit_true_peak,
    reduction_curve,
    true_peak_envelope,
)


def _hot(sample_rate: int, channels: int, seconds: float = 2.0, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    frames = int(seconds * sample_rate)
    t = np.arange(frames) / sample_rate
    x = 0.3 * rng.standard_normal((channels, frames))
    # Near-Nyquist bursts make inter-sample peaks well above the sample peaks.
    x += 0.9 * np.sin(2 * np.pi * (sample_rate / 4 + 13.0) * t) * (np.sin(2 * np.pi * 1.5 * t) > 0.7)
    return x.astype(np.float32)


@pytest.mark.parametrize("sample_rate", [44100, 48000, 96000])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("ceiling", [-1.0, -0.3])
def test_ceiling_holds_by_the_project_meter(sample_rate: int, channels: int, ceiling: float) -> None:
    x = _hot(sample_rate, channels)
    result = limit_true_peak(x, sample_rate, LimiterSettings(ceiling), gain_db=6.0)
    assert true_peak_dbtp(result.samples, sample_rate) <= ceiling
    assert result.true_peak_dbtp <= ceiling
    assert result.true_peak_dbtp > ceiling - 0.2  # and it does not give away level
    assert result.samples.dtype == np.float32 and result.samples.shape == x.shape


def test_envelope_peak_at_least_the_meter() -> None:
    x = _hot(48000, 2)
    envelope = true_peak_envelope(x, 48000)
    assert 20 * np.log10(envelope.max()) >= true_peak_dbtp(x, 48000) - 0.01


def test_envelope_skips_only_what_cannot_matter() -> None:
    x = _hot(48000, 2)
    full = true_peak_envelope(x, 48000)
    fast = true_peak_envelope(x, 48000, floor=0.8)
    assert np.array_equal(full >= 0.8, fast >= 0.8)
    assert np.allclose(full[full >= 0.8], fast[full >= 0.8])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0.0, 4.0), min_size=50, max_size=400),
    st.floats(0.1, 5.0),
    st.floats(5.0, 200.0),
)
def test_reduction_never_below_what_each_frame_needs(levels: list[float], lookahead_ms: float, release_ms: float) -> None:
    envelope = np.array(levels, np.float32)
    gr = reduction_curve(envelope_db(envelope), 8000, threshold_db=0.0, lookahead_ms=lookahead_ms, release_ms=release_ms)
    with np.errstate(divide="ignore"):
        need = np.maximum(20 * np.log10(envelope.astype(np.float64)), 0.0)
    assert np.all(gr >= need - 1e-5)


def test_no_reduction_below_the_ceiling() -> None:
    x = (_hot(48000, 2) * 0.1).astype(np.float32)
    result = limit_true_peak(x, 48000, LimiterSettings(-1.0))
    assert result.max_reduction_db == 0.0
    assert np.array_equal(result.samples, x)


def test_glue_on_a_long_song_stays_finite() -> None:
    # The glue compressor's release runs the same closed form over a long signal: its
    # chunks must keep a^(-k) finite in float32.
    from stemforge.mastering.bus import glue_compress

    rng = np.random.default_rng(2)
    x = (0.3 * rng.standard_normal((2, 48000 * 70))).astype(np.float32)
    x[:, 48000 * 30 :] *= 3.0
    out, stage = glue_compress(x, 48000)
    assert np.isfinite(out).all()
    assert stage.applied and stage.max_reduction_db > 0.5
