"""Meter options that leave parts of the report out."""

from __future__ import annotations

import numpy as np

from stemforge.analysis import LoudnessMeter


def test_without_levels_loudness_and_true_peak_are_unchanged() -> None:
    rng = np.random.default_rng(2)
    x = (0.2 * rng.standard_normal((2, 48000 * 5))).astype(np.float32)
    full = LoudnessMeter(48000, 2)
    lean = LoudnessMeter(48000, 2, levels=False)
    full.process(x)
    lean.process(x)
    a, b = full.result(), lean.result()
    assert a.integrated_lufs == b.integrated_lufs
    assert a.true_peak_dbtp == b.true_peak_dbtp
    assert a.sample_peak_dbfs is not None and a.sample_peak_dbfs > -20.0
