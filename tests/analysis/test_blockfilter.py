"""BlockIIR (the block-wise K-weighting) against scipy's float64 sosfilt."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from stemforge.analysis.blockfilter import BlockIIR, block_length
from stemforge.analysis.kweighting import k_weighting_sos


@pytest.mark.parametrize("sample_rate", [8000, 11025, 44100, 48000, 96000, 192000])
def test_matches_float64_sosfilt_across_blocks_and_a_padded_tail(sample_rate: int) -> None:
    sos = k_weighting_sos(sample_rate)
    block = block_length(sample_rate)
    assert block is not None and sample_rate % block == 0
    rng = np.random.default_rng(sample_rate)
    frames = 3 * sample_rate + 1234  # three whole chunks and a tail that needs padding
    x = (0.2 * rng.standard_normal((2, frames)) + np.array([[0.3], [-0.01]])).astype(np.float32)
    x[1, : sample_rate // 2] = 0.0
    meter = BlockIIR(sos, 2, block=block, max_blocks=sample_rate // block)
    parts = [meter.process(x[:, start : start + sample_rate]) for start in range(0, frames, sample_rate)]
    ours = np.concatenate(parts, axis=1)
    reference = scipy.signal.sosfilt(sos, x.astype(np.float64), axis=1)
    assert ours.shape == reference.shape and ours.dtype == np.float32
    scale = np.abs(reference).max()
    assert np.abs(ours - reference).max() < 1e-5 * scale  # below -100 dB
    energy_error = abs(np.sum(ours.astype(np.float64) ** 2) / np.sum(reference**2) - 1)
    assert energy_error < 1e-6


def test_block_length() -> None:
    assert block_length(48000) == 64
    assert block_length(44100) == 63
    assert block_length(11025) == 63
    assert block_length(7919) is None  # a prime: the meter falls back to sosfilt
