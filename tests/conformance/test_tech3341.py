"""EBU Tech 3341 (EBU Mode meters): cases 1-6 and 9 (±0.1 LU), true-peak cases 15-19."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.ebu_signals import (
    TECH3341_EXPECTED_LUFS,
    TRUE_PEAK_CASES,
    tech3341_case9,
    tech3341_integrated_case,
    tech3341_true_peak_case,
)
from stemforge.analysis import LoudnessMeter, true_peak_dbtp


def _loudness_report(buffer):  # type: ignore[no-untyped-def]
    meter = LoudnessMeter(buffer.sample_rate, buffer.channels, true_peak=False, spectrum=False)
    meter.process(buffer.samples)
    return meter.result()


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5])
def test_integrated_cases_1_to_5(number: int) -> None:
    report = _loudness_report(tech3341_integrated_case(number))
    assert report.integrated_lufs == pytest.approx(TECH3341_EXPECTED_LUFS[number], abs=0.1)


@pytest.mark.parametrize("number", [1, 2])
def test_cases_1_and_2_momentary_and_short_term_are_steady(number: int) -> None:
    report = _loudness_report(tech3341_integrated_case(number))
    expected = TECH3341_EXPECTED_LUFS[number]
    np.testing.assert_allclose(report.momentary_lufs, expected, atol=0.1)
    np.testing.assert_allclose(report.short_term_lufs, expected, atol=0.1)


@pytest.mark.parametrize("channels", [5, 6])
def test_case_6_surround(channels: int) -> None:
    report = _loudness_report(tech3341_integrated_case(6, channels=channels))
    assert report.integrated_lufs == pytest.approx(-23.0, abs=0.1)


def test_case_9_short_term_is_constant_after_3_s() -> None:
    report = _loudness_report(tech3341_case9())
    assert report.short_term_lufs.size > 100
    np.testing.assert_allclose(report.short_term_lufs, -23.0, atol=0.1)


@pytest.mark.parametrize("sample_rate", [32000, 44100, 48000, 96000])
@pytest.mark.parametrize("number", sorted(TRUE_PEAK_CASES))
def test_true_peak_cases_15_to_19(number: int, sample_rate: int) -> None:
    buffer, expected = tech3341_true_peak_case(number, sample_rate=sample_rate)
    measured = true_peak_dbtp(buffer.samples, sample_rate)
    assert expected - 0.4 <= measured <= expected + 0.2
