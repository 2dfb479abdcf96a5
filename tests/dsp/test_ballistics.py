"""The compiled compressor gives pedalboard's ``Compressor`` (and make-up ``Gain``) samples: its envelope bit for bit,
its gains within one unit in the last place of ``powf``'s."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard
import pytest

from effect_cases import aligned
from stemforge.dsp import jit
from stemforge.dsp.ballistics import PeakCompressor, _powers, ballistics_coefficient
from stemforge.dsp.chain import PROCESS_FRAMES, EffectChain
from stemforge.dsp.effect import parse_effect

pytestmark = pytest.mark.skipif(not jit.available(), reason="pedalboard's compressor may round differently off x86; it runs there")

SETTINGS = [
    {"threshold_db": -24, "ratio": 4, "attack_ms": 5, "release_ms": 120},
    {"threshold_db": -30, "ratio": 6, "attack_ms": 2, "release_ms": 80, "makeup_db": 3},
    {"threshold_db": -6, "ratio": 100, "attack_ms": 0.01, "release_ms": 5000, "makeup_db": -7.5},
    {"threshold_db": -60, "ratio": 1.5, "attack_ms": 500, "release_ms": 1},
]


def _signal(channels: int, seed: int) -> np.ndarray:
    """Noise with a moving level, then silence long enough for the envelope to underflow, then noise again."""
    rng = np.random.default_rng(seed)
    loud = (0.5 * rng.standard_normal((channels, 6 * PROCESS_FRAMES))).astype(np.float32)
    loud *= np.repeat(rng.uniform(0.0, 1.0, 6 * 16), PROCESS_FRAMES // 16).astype(np.float32)
    silence = np.zeros((channels, 60 * PROCESS_FRAMES), np.float32)
    silence[:, 30 * PROCESS_FRAMES] = 1e-30
    return np.concatenate([loud, silence, loud[:, ::-1]], axis=1)


@pytest.mark.parametrize("rate", [44100, 48000, 96000, 192000])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"thr{s['threshold_db']}-ratio{s['ratio']}")
def test_compressor_equals_pedalboard_within_float_precision(rate: int, channels: int, settings: dict[str, float]) -> None:
    spec = parse_effect({"type": "compressor", **settings}, where="test", source=Path("t.toml"))
    assert isinstance(spec.stage(rate, channels=channels), PeakCompressor)
    x = _signal(channels, seed=rate + channels)
    board = pedalboard.Pedalboard(spec.plugins(rate))
    board.process(np.zeros((channels, PROCESS_FRAMES), np.float32), rate, buffer_size=PROCESS_FRAMES, reset=False)
    expected = board.process(x, rate, buffer_size=PROCESS_FRAMES, reset=False)
    chain = EffectChain([spec], sample_rate=rate, channels=channels)
    got = aligned(chain, x)
    # a gain one unit off in its last place, then two roundings (× input, × make-up): at most three units
    assert np.max(ulps_apart(got, expected)) <= 3, f"{settings} at {rate} Hz: max diff {np.max(np.abs(got - expected))}"
    assert np.mean(got != expected) < 0.01  # almost every sample is pedalboard's exactly


def ulps_apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Units in the last place between float32 arrays (on a scale where ±0 meet and order is kept)."""

    def ordered(x: np.ndarray) -> np.ndarray:
        i = x.astype(np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)

    return np.abs(ordered(a) - ordered(b))


@pytest.mark.parametrize("ratio", [1.0, 1.001, 1.5, 2.0, 4.0, 10.0, 100.0])
def test_vector_power_is_within_one_ulp_of_powf(ratio: float) -> None:
    """The gain's power over envelopes from the threshold up to 100 dB above it."""
    rng = np.random.default_rng(int(ratio * 1000))
    a = np.exp(rng.uniform(0.0, np.log(1e5), 1 << 16)).astype(np.float32)
    a[:6] = [1.0, np.nextafter(np.float32(1), np.float32(2)), 2.0, 3.0, 1e5, np.float32(1.4142135)]
    exponent = np.float32(1) / np.float32(ratio) - np.float32(1)
    mantissas, scales = np.empty_like(a), np.empty(a.shape, np.int32)
    _powers(a, exponent, mantissas, scales)
    got = mantissas * scales.view(np.float32)
    expected = np.array([np.float32(v) ** exponent for v in a[:2000]], np.float32)  # NumPy's float32 power is the C library's powf
    assert np.max(ulps_apart(got[:2000], expected)) <= 1
    reference = (a.astype(np.float64) ** np.float64(exponent)).astype(np.float32)  # correctly rounded, near enough
    assert np.max(ulps_apart(got, reference)) <= 1


def test_infinite_input_falls_back_to_pedalboards_loop() -> None:
    x = _signal(2, seed=4)[:, : 4 * PROCESS_FRAMES]
    x[0, 5000] = np.inf
    x[1, 9000] = np.nan
    spec = parse_effect({"type": "compressor", **SETTINGS[0]}, where="test", source=Path("t.toml"))
    board = pedalboard.Pedalboard(spec.plugins(48000))
    board.process(np.zeros((2, PROCESS_FRAMES), np.float32), 48000, buffer_size=PROCESS_FRAMES, reset=False)
    expected = board.process(x, 48000, buffer_size=PROCESS_FRAMES, reset=False)
    got = aligned(EffectChain([spec], sample_rate=48000, channels=2), x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    finite = np.isfinite(expected)
    assert np.max(ulps_apart(got[finite], expected[finite])) <= 3


@pytest.mark.parametrize("sizes", [[PROCESS_FRAMES], [1, 255, 257, 4000], [30000]])
def test_any_block_sizes_give_the_same_samples(sizes: list[int]) -> None:
    x = _signal(2, seed=9)[:, : 10 * PROCESS_FRAMES]
    settings = {"threshold_db": -20.0, "ratio": 3.0, "attack_ms": 1.0, "release_ms": 60.0, "makeup_db": 2.0, "sample_rate": 48000, "channels": 2}
    whole = PeakCompressor(**settings).process(x)
    compressor = PeakCompressor(**settings)
    parts, lo, k = [], 0, 0
    while lo < x.shape[1]:
        n = sizes[k % len(sizes)]
        parts.append(compressor.process(x[:, lo : lo + n]))
        lo, k = lo + n, k + 1
    assert np.array_equal(np.concatenate(parts, axis=1), whole)


def test_instant_ballistics_below_a_microsecond() -> None:
    assert ballistics_coefficient(0.0005, 48000) == 0
    assert 0 < ballistics_coefficient(0.01, 48000) < 1


def test_off_x86_the_compressor_stays_with_pedalboard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jit.platform, "machine", lambda: "aarch64")
    spec = parse_effect({"type": "compressor"}, where="test", source=Path("t.toml"))
    assert spec.stage(48000, channels=2) is None


def test_a_compressor_takes_its_own_channel_count() -> None:
    compressor = PeakCompressor(threshold_db=-20, ratio=2, attack_ms=1, release_ms=50, makeup_db=0, sample_rate=48000, channels=2)
    with pytest.raises(ValueError, match=r"must be \(2, frames\)"):
        compressor.process(np.zeros((1, 100), np.float32))


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("sizes", [[PROCESS_FRAMES], [1, 255, 8191, 30000]])
def test_an_eq_fused_with_its_compressor_gives_their_samples_apart(count: int, channels: int, sizes: list[int]) -> None:
    """EqCompressor (the EQ's last sections and the envelope in one loop) equals the cascade, then the compressor."""
    from stemforge.dsp import iir
    from stemforge.dsp.ballistics import EqCompressor

    rng = np.random.default_rng(count)
    pool = [iir.shelf("low_shelf", 200, 0.7, -2, 48000), iir.first_order_pass("highpass", 51.0, 48000), iir.peak(3000, 2.0, 6, 48000), iir.shelf("high_shelf", 9000, 0.5, 4, 48000)]
    sections = np.array([pool[int(i)] for i in rng.integers(0, len(pool), count)], np.float32)
    settings = {"threshold_db": -30.0, "ratio": 5.0, "attack_ms": 1.0, "release_ms": 60.0, "makeup_db": 2.0, "sample_rate": 48000, "channels": channels}

    def fresh() -> tuple[iir.SectionCascade, PeakCompressor]:
        return iir.SectionCascade(sections, channels=channels, piece_frames=PROCESS_FRAMES), PeakCompressor(**settings)

    x = _signal(channels, seed=count)[:, : 20 * PROCESS_FRAMES]
    cascade, compressor = fresh()
    apart = compressor.process(cascade.process(x))
    fused = EqCompressor(*fresh())
    parts, lo, k = [], 0, 0
    while lo < x.shape[1]:
        n = sizes[k % len(sizes)]
        parts.append(fused.process(x[:, lo : lo + n]))
        lo, k = lo + n, k + 1
    assert np.array_equal(np.concatenate(parts, axis=1), apart)


def test_a_chain_fuses_an_eq_with_the_compressor_after_it() -> None:
    from stemforge.dsp.ballistics import EqCompressor

    eq = parse_effect({"type": "eq", "bands": [{"kind": "highpass", "cutoff_hz": 80, "slope_db_oct": 12}]}, where="test", source=Path("t.toml"))
    comp = parse_effect({"type": "compressor", **SETTINGS[0]}, where="test", source=Path("t.toml"))
    fused = EffectChain([eq, comp], sample_rate=48000, channels=1)
    assert [type(s) for s in fused._stages] == [EqCompressor]
    assert [type(s).__name__ for s in EffectChain([comp, eq], sample_rate=48000, channels=1)._stages] == ["PeakCompressor", "SectionCascade"]
