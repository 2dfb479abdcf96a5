"""The compiled compressor gives pedalboard's ``Compressor`` (and make-up ``Gain``) samples bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard
import pytest

from stemforge.dsp import jit
from stemforge.dsp.ballistics import PeakCompressor, ballistics_coefficient
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
def test_compressor_equals_pedalboard_bit_for_bit(rate: int, channels: int, settings: dict[str, float]) -> None:
    spec = parse_effect({"type": "compressor", **settings}, where="test", source=Path("t.toml"))
    assert isinstance(spec.stage(rate, channels=channels), PeakCompressor)
    x = _signal(channels, seed=rate + channels)
    board = pedalboard.Pedalboard(spec.plugins(rate))
    board.process(np.zeros((channels, PROCESS_FRAMES), np.float32), rate, buffer_size=PROCESS_FRAMES, reset=False)
    expected = board.process(x, rate, buffer_size=PROCESS_FRAMES, reset=False)
    chain = EffectChain([spec], sample_rate=rate, channels=channels)
    got = np.concatenate([chain.process(x), chain.process(np.zeros((channels, PROCESS_FRAMES), np.float32))], axis=1)[:, PROCESS_FRAMES:]
    assert np.array_equal(got, expected), f"{settings} at {rate} Hz: max diff {np.max(np.abs(got - expected))}"


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
