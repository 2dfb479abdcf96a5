"""Broken deliveries built from the demo song: check finds each with the right code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard
import pytest
import soxr
from qa_deliveries import Delivery, shift

from stemforge.qa import DeliveryReport, Severity, check_delivery


def run(folder: Path) -> DeliveryReport:
    return check_delivery(folder / "stems", mix=folder / "mix.wav")


def failed(report: DeliveryReport) -> set[str]:
    return report.codes(Severity.FAIL)


def test_correct_delivery_passes_with_deep_null(demo_delivery: Delivery, tmp_path: Path) -> None:
    demo_delivery.write(tmp_path)
    report = run(tmp_path)
    assert report.passed, [f.message for f in report.findings if f.severity is Severity.FAIL]
    assert report.null_residual_db is not None and report.null_residual_db < -90.0
    null = [f for f in report.findings if f.code == "SF500"]
    assert null[0].severity is Severity.PASS


@pytest.mark.parametrize("frames", [1, 480])
def test_shifted_stem_reports_its_shift(demo_delivery: Delivery, tmp_path: Path, frames: int) -> None:
    name = demo_delivery.loudest()
    stems = dict(demo_delivery.stems) | {name: shift(demo_delivery.stems[name], frames)}
    demo_delivery.write(tmp_path, stems=stems)
    report = run(tmp_path)
    assert {"SF500", "SF501"} <= failed(report)
    (finding,) = report.find("SF501")
    assert finding.file is not None and name in finding.file
    assert finding.details["shift_frames"] == frames
    assert f"+{frames} sample" in finding.message
    assert finding.details["shift_ms"] == pytest.approx(frames / demo_delivery.sample_rate * 1000, abs=1e-3)
    assert "SF502" not in failed(report)


def test_early_stem_has_negative_shift(demo_delivery: Delivery, tmp_path: Path) -> None:
    name = demo_delivery.by_energy()[1]
    stems = dict(demo_delivery.stems) | {name: shift(demo_delivery.stems[name], -37)}
    demo_delivery.write(tmp_path, stems=stems)
    (finding,) = run(tmp_path).find("SF501")
    assert finding.details["shift_frames"] == -37 and "early" in finding.message


def test_polarity_inverted_stem(demo_delivery: Delivery, tmp_path: Path) -> None:
    name = demo_delivery.by_energy()[2]
    stems = dict(demo_delivery.stems) | {name: -demo_delivery.stems[name]}
    demo_delivery.write(tmp_path, stems=stems)
    report = run(tmp_path)
    assert {"SF500", "SF502"} <= failed(report)
    (finding,) = report.find("SF502")
    assert finding.file is not None and name in finding.file
    assert "SF501" not in failed(report)


def test_stem_at_44k1(demo_delivery: Delivery, tmp_path: Path) -> None:
    name = demo_delivery.by_energy()[1]
    resampled = soxr.resample(demo_delivery.stems[name].T, demo_delivery.sample_rate, 44100).T
    stems = dict(demo_delivery.stems) | {name: resampled}
    demo_delivery.write(tmp_path, stems=stems, rates={name: 44100})
    report = run(tmp_path)
    (finding,) = report.find("SF110")
    assert finding.severity is Severity.FAIL and name in (finding.file or "")
    assert finding.details["sample_rate"] == 44100
    assert not report.passed


def test_stem_10ms_short(demo_delivery: Delivery, tmp_path: Path) -> None:
    name = demo_delivery.by_energy()[3]
    short = demo_delivery.sample_rate // 100
    stems = dict(demo_delivery.stems) | {name: demo_delivery.stems[name][:, :-short]}
    demo_delivery.write(tmp_path, stems=stems)
    report = run(tmp_path)
    (finding,) = report.find("SF113")
    assert finding.severity is Severity.FAIL and name in (finding.file or "")
    assert finding.details["difference_frames"] == -short
    assert "(10.0 ms) shorter" in finding.message


def test_missing_stem(demo_delivery: Delivery, tmp_path: Path) -> None:
    gone = demo_delivery.by_energy()[2]
    stems = {k: v for k, v in demo_delivery.stems.items() if k != gone}
    demo_delivery.write(tmp_path, stems=stems)
    report = run(tmp_path)
    assert {"SF500", "SF503"} <= failed(report)
    (finding,) = report.find("SF503")
    assert "missing" in finding.message
    assert finding.details["low_share"] + finding.details["mid_share"] + finding.details["high_share"] == pytest.approx(1.0, abs=0.01)
    assert not failed(report) & {"SF501", "SF502", "SF504"}


def test_limiter_on_the_mix(demo_delivery: Delivery, tmp_path: Path) -> None:
    limiter = pedalboard.Limiter(threshold_db=-8.0, release_ms=100.0)
    limited = limiter(np.ascontiguousarray(demo_delivery.mix), demo_delivery.sample_rate)
    limited = limited / max(1.0, float(np.abs(limited).max()) * 1.05)
    demo_delivery.write(tmp_path, mix=limited)
    report = run(tmp_path)
    assert {"SF500", "SF504"} <= failed(report)
    (finding,) = report.find("SF504")
    assert finding.details["max_gain_reduction_db"] > 1.0
    assert not failed(report) & {"SF501", "SF502", "SF503"}


def test_clipped_stem(demo_delivery: Delivery, tmp_path: Path) -> None:
    name = demo_delivery.loudest()
    hot = demo_delivery.stems[name] * 4.0
    clipped = np.clip(hot / float(np.abs(hot).max()) * 4.0, -1.0, 1.0)
    stems = dict(demo_delivery.stems) | {name: clipped}
    demo_delivery.write(tmp_path, stems=stems)
    report = check_delivery(tmp_path / "stems")
    (finding,) = report.find("SF201")
    assert finding.severity is Severity.FAIL and name in (finding.file or "")
    assert finding.details["clip_runs"] > 0 and finding.details["longest_run_frames"] >= 3


def test_silent_stem(demo_delivery: Delivery, tmp_path: Path) -> None:
    name = demo_delivery.by_energy()[-1]
    stems = dict(demo_delivery.stems) | {name: np.zeros_like(demo_delivery.stems[name])}
    demo_delivery.write(tmp_path, stems=stems)
    report = check_delivery(tmp_path / "stems")
    (finding,) = report.find("SF203")
    assert finding.severity is Severity.FAIL and name in (finding.file or "")
    assert not report.passed
