"""The EQ's second-order sections give pedalboard's samples bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard
import pytest
from scipy.signal import sosfilt

from effect_cases import aligned
from stemforge.dsp import iir
from stemforge.dsp.chain import PROCESS_FRAMES, EffectChain
from stemforge.dsp.effect import parse_effect

BANDS = {
    "highpass": [{"kind": "highpass", "cutoff_hz": 80, "slope_db_oct": s} for s in (6, 12, 18, 24, 36, 48)],
    "lowpass": [{"kind": "lowpass", "cutoff_hz": f, "slope_db_oct": s} for f, s in ((5000, 12), (18000, 48), (21000, 24))],
    "low_shelf": [{"kind": "low_shelf", "freq_hz": 200, "gain_db": -2, "q": 0.7}, {"kind": "low_shelf", "freq_hz": 60, "gain_db": 9.5, "q": 2.0}],
    "high_shelf": [{"kind": "high_shelf", "freq_hz": 8000, "gain_db": 2, "q": 0.7}, {"kind": "high_shelf", "freq_hz": 3000, "gain_db": -18, "q": 0.3}],
    "peak": [{"kind": "peak", "freq_hz": 3000, "gain_db": -2.5, "q": 1.4}, {"kind": "peak", "freq_hz": 120, "gain_db": 12, "q": 8}],
}


def _signal(channels: int, seed: int) -> np.ndarray:
    """Noise, then an impulse ringing out into silence (state decays through ±1e-8 and is flushed)."""
    rng = np.random.default_rng(seed)
    noise = (0.3 * rng.standard_normal((channels, 3 * PROCESS_FRAMES))).astype(np.float32)
    tail = np.zeros((channels, 6 * PROCESS_FRAMES), np.float32)
    tail[:, 100] = 0.9
    return np.concatenate([noise, tail], axis=1)


@pytest.mark.parametrize("kind", sorted(BANDS))
@pytest.mark.parametrize("rate", [44100, 48000, 96000])
@pytest.mark.parametrize("channels", [1, 2])
def test_eq_sections_equal_pedalboard_bit_for_bit(kind: str, rate: int, channels: int) -> None:
    for i, band in enumerate(BANDS[kind]):
        spec = parse_effect({"type": "eq", "bands": [band]}, where="test", source=Path("t.toml"))
        x = _signal(channels, seed=i)
        board = pedalboard.Pedalboard(spec.plugins(rate))
        board.process(np.zeros((channels, PROCESS_FRAMES), np.float32), rate, buffer_size=PROCESS_FRAMES, reset=False)
        expected = board.process(x, rate, buffer_size=PROCESS_FRAMES, reset=False)
        chain = EffectChain([spec], sample_rate=rate, channels=channels)
        got = aligned(chain, x)
        assert np.array_equal(got, expected), f"{band} at {rate} Hz: max diff {np.max(np.abs(got - expected))}"


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 9])
def test_compiled_passes_equal_scipy_sosfilt(count: int) -> None:
    """Any number of sections (passes of up to four) gives scipy's samples, state flushed after every piece."""
    rng = np.random.default_rng(count)
    pool = [iir.shelf("low_shelf", 200, 0.7, -2, 48000), iir.first_order_pass("highpass", 51.0, 48000), iir.peak(3000, 2.0, 6, 48000), iir.shelf("high_shelf", 9000, 0.5, 4, 48000)]
    sections = np.array([pool[int(i)] for i in rng.integers(0, len(pool), count)], np.float32)
    x = _signal(2, seed=7)
    got = iir.SectionCascade(sections, channels=2, piece_frames=PROCESS_FRAMES).process(x)
    expected = np.empty_like(x)
    state = np.zeros((count, 2, 2), np.float32)
    for lo in range(0, x.shape[1], PROCESS_FRAMES):
        expected[:, lo : lo + PROCESS_FRAMES], state = sosfilt(sections, x[:, lo : lo + PROCESS_FRAMES], axis=1, zi=state)
        state[np.abs(state) <= np.float32(1e-8)] = 0
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("sizes", [[100], [1, 8191, 8193, 3000], [PROCESS_FRAMES], [50000]])
def test_a_cascade_gives_the_same_samples_for_any_block_sizes(sizes: list[int]) -> None:
    """The state is flushed at the stream's piece boundaries, wherever the blocks end."""
    sections = np.array([iir.peak(1000, 1, 3, 48000), iir.first_order_pass("highpass", 40.0, 48000)], np.float32)
    x = _signal(2, seed=3)
    whole = iir.SectionCascade(sections, channels=2, piece_frames=PROCESS_FRAMES).process(x)
    cascade = iir.SectionCascade(sections, channels=2, piece_frames=PROCESS_FRAMES)
    parts, lo, k = [], 0, 0
    while lo < x.shape[1]:
        n = sizes[k % len(sizes)]
        parts.append(cascade.process(x[:, lo : lo + n]))
        lo, k = lo + n, k + 1
    assert np.array_equal(np.concatenate(parts, axis=1), whole)


def test_random_bands_equal_pedalboard_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    rate = 48000
    x = _signal(1, seed=11)[:, : 4 * PROCESS_FRAMES]
    for _ in range(60):
        kind = str(rng.choice(["highpass", "lowpass", "low_shelf", "high_shelf", "peak"]))
        freq = float(np.round(10 ** rng.uniform(1.3, 4.3), 2))
        if kind in ("highpass", "lowpass"):
            band = {"kind": kind, "cutoff_hz": freq, "slope_db_oct": int(rng.choice([6, 12, 18, 24, 36, 48]))}
        else:
            band = {"kind": kind, "freq_hz": freq, "gain_db": float(np.round(rng.uniform(-24, 24), 1)), "q": float(np.round(rng.uniform(0.1, 10), 2))}
        spec = parse_effect({"type": "eq", "bands": [band]}, where="test", source=Path("t.toml"))
        board = pedalboard.Pedalboard(spec.plugins(rate))
        expected = board.process(x, rate, buffer_size=PROCESS_FRAMES, reset=False)
        got = iir.SectionCascade(spec.sections(rate), channels=1, piece_frames=PROCESS_FRAMES).process(x)  # type: ignore[attr-defined]
        assert np.array_equal(got, expected), f"{band}: max diff {np.max(np.abs(got - expected))}"
