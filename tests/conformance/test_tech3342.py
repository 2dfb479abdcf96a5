"""EBU Tech 3342 (loudness range): cases 1-4 within ±1 LU."""

from __future__ import annotations

import pytest

from conformance.ebu_signals import TECH3342, tech3342_case
from stemforge.analysis import LoudnessMeter


@pytest.mark.parametrize("number", sorted(TECH3342))
def test_loudness_range_cases_1_to_4(number: int) -> None:
    buffer, expected = tech3342_case(number)
    meter = LoudnessMeter(buffer.sample_rate, buffer.channels, true_peak=False, spectrum=False)
    meter.process(buffer.samples)
    assert meter.result().loudness_range_lu == pytest.approx(expected, abs=1.0)
