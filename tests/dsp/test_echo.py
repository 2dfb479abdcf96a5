"""The vectorised delay gives pedalboard's ``Delay`` samples bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard
import pytest

from effect_cases import aligned
from stemforge.dsp.chain import PROCESS_FRAMES, EffectChain
from stemforge.dsp.echo import FeedbackDelay
from stemforge.dsp.effect import parse_effect


def _pedalboard(spec: object, x: np.ndarray, rate: int) -> np.ndarray:
    board = pedalboard.Pedalboard(spec.plugins(rate))  # type: ignore[attr-defined]
    board.process(np.zeros((x.shape[0], PROCESS_FRAMES), np.float32), rate, buffer_size=PROCESS_FRAMES, reset=False)
    return board.process(x, rate, buffer_size=PROCESS_FRAMES, reset=False)


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize(("delay_s", "feedback", "mix"), [(0.25, 0.35, 1.0), (0.1, 0.9, 0.5), (1.3, 0.99, 0.7), (0.03, 0.0, 0.2), (0.001, 0.5, 1.0)])
def test_delay_equals_pedalboard_bit_for_bit(rate: int, channels: int, delay_s: float, feedback: float, mix: float) -> None:
    spec = parse_effect({"type": "delay", "delay_s": delay_s, "feedback": feedback, "mix": mix}, where="test", source=Path("t.toml"))
    rng = np.random.default_rng(3)
    x = (0.3 * rng.standard_normal((channels, 12 * PROCESS_FRAMES))).astype(np.float32)
    x[:, 6 * PROCESS_FRAMES :] = 0  # echoes ring out into silence
    expected = _pedalboard(spec, x, rate)
    chain = EffectChain([spec], sample_rate=rate, channels=channels)
    got = aligned(chain, x)
    assert np.array_equal(got, expected), f"max diff {np.max(np.abs(got - expected))}"


@pytest.mark.parametrize("sizes", [[8192], [1000, 7192, 12000], [30000]])
def test_any_block_sizes_give_the_same_samples(sizes: list[int]) -> None:
    rng = np.random.default_rng(4)
    x = (0.3 * rng.standard_normal((2, 40000))).astype(np.float32)
    whole = FeedbackDelay(delay_frames=5000, feedback=0.6, mix=0.5, channels=2).process(x)
    line = FeedbackDelay(delay_frames=5000, feedback=0.6, mix=0.5, channels=2)
    parts, lo = [], 0
    while lo < x.shape[1]:
        for n in sizes:
            parts.append(line.process(x[:, lo : lo + n]))
            lo += n
    assert np.array_equal(np.concatenate(parts, axis=1)[:, : x.shape[1]], whole)
