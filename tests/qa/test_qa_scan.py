"""The streaming scan gives the same numbers whatever the block size."""

from __future__ import annotations

import numpy as np
import pytest

from stemforge.qa.scan import SEGMENT_FRAMES, StemScanner


def _scan(samples: np.ndarray, block_frames: int, min_clip_run: int = 3):
    scanner = StemScanner(samples.shape[0], clip_level=1.0, min_clip_run=min_clip_run)
    for start in range(0, samples.shape[1], block_frames):
        scanner.feed(samples[:, start : start + block_frames])
    return scanner.finish()


@pytest.mark.parametrize("block_frames", [SEGMENT_FRAMES * 4, 1000, 4097, 7])
@pytest.mark.parametrize("channels", [1, 2])
def test_scan_matches_whole_file_numbers(block_frames: int, channels: int) -> None:
    rng = np.random.default_rng(3)
    x = (0.1 * rng.standard_normal((channels, 20_000)) + 0.01).astype(np.float32)
    # Clip runs of 2 (ignored), 3 and 5 samples, one across the 4096/4097 boundary.
    x[0, 100:102] = 1.0
    x[0, 4095:4098] = -1.0
    x[-1, 9000:9005] = 1.0
    scan = _scan(x, block_frames)
    assert scan.frames == 20_000
    np.testing.assert_allclose(scan.peak, np.abs(x).max(axis=1), rtol=1e-6)
    np.testing.assert_allclose(scan.mean, x.mean(axis=1, dtype=np.float64), rtol=1e-4)
    np.testing.assert_allclose(scan.mean_square, np.mean(x.astype(np.float64) ** 2, axis=1), rtol=1e-5)
    assert scan.clip_runs == 2
    assert scan.clipped_samples == 8 and scan.longest_clip_run == 5
    assert scan.first_clip_frame == 4095
    assert scan.segment_energy.size == -(-20_000 // SEGMENT_FRAMES)
    assert scan.segment_energy.sum() == pytest.approx(float(np.sum(x.astype(np.float64) ** 2)), rel=1e-5)


def test_non_finite_samples_are_counted_and_ignored() -> None:
    x = np.zeros((2, 3000), np.float32)
    x[0, 5] = np.nan
    x[1, 7] = np.inf
    x[1, 8] = 0.5
    scan = _scan(x, 1024)
    assert scan.non_finite == 2
    assert scan.peak[1] == pytest.approx(0.5)


def test_run_held_at_full_scale_across_many_blocks_counts_once() -> None:
    x = np.zeros((1, 5000), np.float32)
    x[0, 1000:4000] = 1.0
    scan = _scan(x, 100)
    assert scan.clip_runs == 1 and scan.longest_clip_run == 3000
