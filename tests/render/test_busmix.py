"""The one-pass bus sum gives NumPy's multiply-then-add samples bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from stemforge.render.busmix import add_scaled


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("frames", [0, 1, 4097, 65536])
def test_add_scaled_equals_numpy(channels: int, frames: int) -> None:
    rng = np.random.default_rng(frames + channels)
    bus = rng.standard_normal((2, frames)).astype(np.float32)
    audio = rng.standard_normal((channels, frames)).astype(np.float32)
    gains = np.array([[0.7071068], [-0.25]], np.float32)
    expected = bus.copy()
    scratch = np.empty_like(bus)
    np.multiply(gains, audio, out=scratch)
    expected += scratch
    add_scaled(bus, gains, audio)
    assert np.array_equal(bus, expected)


def test_a_strided_source_is_read_correctly() -> None:
    audio = np.arange(20, dtype=np.float32).reshape(2, 10)[:, ::2]
    bus = np.zeros((2, 5), np.float32)
    add_scaled(bus, np.ones((2, 1), np.float32), audio)
    assert np.array_equal(bus, audio)
