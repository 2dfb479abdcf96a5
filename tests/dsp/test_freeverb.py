"""The compiled reverb gives pedalboard's ``Reverb`` samples bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard
import pytest

from effect_cases import aligned
from stemforge.dsp import jit
from stemforge.dsp.chain import PROCESS_FRAMES, EffectChain
from stemforge.dsp.effect import parse_effect
from stemforge.dsp.freeverb import StereoReverb

pytestmark = pytest.mark.skipif(not jit.available(), reason="pedalboard's reverb rounds differently off x86; it runs there")

SETTINGS = [
    {"room_size": 0.6, "damping": 0.5, "width": 1.0, "mix": 1.0},
    {"room_size": 0.5, "damping": 0.3, "width": 0.8, "mix": 0.4},
    {"room_size": 1.0, "damping": 0.0, "width": 0.0, "mix": 0.7},
    {"room_size": 0.0, "damping": 1.0, "width": 0.35, "mix": 0.0},
]


def _signal(seed: int) -> np.ndarray:
    """Noise, then an impulse ringing out into silence (the tail's small values are rounded by JUCE_UNDENORMALISE)."""
    rng = np.random.default_rng(seed)
    noise = (0.3 * rng.standard_normal((2, 3 * PROCESS_FRAMES))).astype(np.float32)
    tail = np.zeros((2, 5 * PROCESS_FRAMES), np.float32)
    tail[0, 100] = 0.9
    tail[1, 3000] = -1e-4
    return np.concatenate([noise, tail], axis=1)


@pytest.mark.parametrize("rate", [22050, 44100, 48000, 96000])
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"room{s['room_size']}-mix{s['mix']}")
def test_reverb_equals_pedalboard_bit_for_bit(rate: int, settings: dict[str, float]) -> None:
    spec = parse_effect({"type": "reverb", **settings}, where="test", source=Path("t.toml"))
    assert isinstance(spec.stage(rate, channels=2), StereoReverb)
    x = _signal(seed=rate)
    board = pedalboard.Pedalboard(spec.plugins(rate))
    board.process(np.zeros((2, PROCESS_FRAMES), np.float32), rate, buffer_size=PROCESS_FRAMES, reset=False)
    expected = board.process(x, rate, buffer_size=PROCESS_FRAMES, reset=False)
    chain = EffectChain([spec], sample_rate=rate, channels=2)
    got = aligned(chain, x)
    assert np.array_equal(got, expected), f"{settings} at {rate} Hz: max diff {np.max(np.abs(got - expected))}"


@pytest.mark.parametrize("sizes", [[PROCESS_FRAMES], [1, 255, 257, 4000], [30000], [1213, 1214, 1215]])
def test_any_block_sizes_give_the_same_samples(sizes: list[int]) -> None:
    x = _signal(seed=9)
    settings = {"sample_rate": 48000, "room_size": 0.7, "damping": 0.2, "width": 0.9, "wet_level": 0.8, "dry_level": 0.2}
    whole = StereoReverb(**settings).process(x)
    reverb = StereoReverb(**settings)
    parts, lo, k = [], 0, 0
    while lo < x.shape[1]:
        n = sizes[k % len(sizes)]
        parts.append(reverb.process(x[:, lo : lo + n]))
        lo, k = lo + n, k + 1
    assert np.array_equal(np.concatenate(parts, axis=1), whole)


def test_mono_reverbs_stay_with_pedalboard() -> None:
    spec = parse_effect({"type": "reverb"}, where="test", source=Path("t.toml"))
    assert spec.stage(48000, channels=1) is None


def test_off_x86_the_reverb_stays_with_pedalboard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jit.platform, "machine", lambda: "arm64")
    spec = parse_effect({"type": "reverb"}, where="test", source=Path("t.toml"))
    assert spec.stage(48000, channels=2) is None


def test_a_reverb_takes_stereo_blocks_only() -> None:
    reverb = StereoReverb(sample_rate=48000, room_size=0.5, damping=0.5, width=1.0, wet_level=1.0, dry_level=0.0)
    with pytest.raises(ValueError, match=r"must be \(2, frames\)"):
        reverb.process(np.zeros((1, 100), np.float32))
