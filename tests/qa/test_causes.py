"""More causes of a failed null, from the demo song: mix gain, mix offset, EQ, compressor, several at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedalboard
import pytest
from qa_deliveries import Delivery, shift
from scipy import signal

from stemforge.qa import DeliveryReport, Severity, check_delivery


def run(delivery: Delivery, folder: Path, **changes) -> DeliveryReport:
    stems_dir, mix = delivery.write(folder, **changes)
    return check_delivery(stems_dir, mix=mix)


def causes(report: DeliveryReport) -> set[str]:
    return report.codes(Severity.FAIL) - {"SF500"}


def test_mix_at_another_level(demo_delivery: Delivery, tmp_path: Path) -> None:
    report = run(demo_delivery, tmp_path, mix=demo_delivery.mix * np.float32(10 ** (-2 / 20)))
    assert causes(report) == {"SF505"}
    assert report.find("SF505")[0].details["gain_db"] == pytest.approx(-2.0, abs=0.05)


def test_mix_late_against_every_stem(demo_delivery: Delivery, tmp_path: Path) -> None:
    report = run(demo_delivery, tmp_path, mix=shift(demo_delivery.mix, 100))
    (finding,) = report.find("SF501")
    assert finding.file == "mix.wav" and finding.details["shift_frames"] == 100 and "late against every stem" in finding.message


def test_eq_on_the_mix(demo_delivery: Delivery, tmp_path: Path) -> None:
    sos = signal.butter(1, 8000, fs=demo_delivery.sample_rate, output="sos")
    report = run(demo_delivery, tmp_path, mix=signal.sosfilt(sos, demo_delivery.mix, axis=1).astype(np.float32))
    assert causes(report) == {"SF509"}
    (finding,) = report.find("SF509")
    assert "EQ" in finding.message and finding.details["coherence"] > 0.9 and finding.details["max_deviation_db"] < -1


def test_compressor_on_the_mix(demo_delivery: Delivery, tmp_path: Path) -> None:
    compressor = pedalboard.Compressor(threshold_db=-20, ratio=4, attack_ms=5, release_ms=100)
    report = run(demo_delivery, tmp_path, mix=compressor(np.ascontiguousarray(demo_delivery.mix), demo_delivery.sample_rate))
    assert causes(report) == {"SF504"}


def test_two_stems_shifted_both_reported(demo_delivery: Delivery, tmp_path: Path) -> None:
    a, b = demo_delivery.by_energy()[1:3]
    stems = dict(demo_delivery.stems) | {a: shift(demo_delivery.stems[a], 7), b: shift(demo_delivery.stems[b], -300)}
    report = run(demo_delivery, tmp_path, stems=stems)
    shifts = {f.file: f.details["shift_frames"] for f in report.find("SF501")}
    assert shifts == {f"Night Owl - {a}.wav": 7, f"Night Owl - {b}.wav": -300}
    assert causes(report) == {"SF501"}


def test_shifted_and_missing_stem_together(demo_delivery: Delivery, tmp_path: Path) -> None:
    late, gone = demo_delivery.by_energy()[0], demo_delivery.by_energy()[3]
    stems = {k: (shift(v, 200) if k == late else v) for k, v in demo_delivery.stems.items() if k != gone}
    report = run(demo_delivery, tmp_path, stems=stems)
    assert causes(report) == {"SF501", "SF503"}
    assert report.find("SF501")[0].details["shift_frames"] == 200


def test_shifted_and_inverted_stem(demo_delivery: Delivery, tmp_path: Path) -> None:
    name = demo_delivery.by_energy()[4]
    stems = dict(demo_delivery.stems) | {name: -shift(demo_delivery.stems[name], 50)}
    report = run(demo_delivery, tmp_path, stems=stems)
    assert causes(report) == {"SF501", "SF502"}
    assert report.find("SF501")[0].details["shift_frames"] == 50



def test_problems_in_different_parts_of_the_song(demo_delivery: Delivery, tmp_path: Path) -> None:
    """A stem shifted in the first bars and another in the last: both found (several windows)."""
    rate = demo_delivery.sample_rate
    a, b = demo_delivery.by_energy()[:2]
    early, late = demo_delivery.stems[a].copy(), demo_delivery.stems[b].copy()
    early[:, int(3.5 * rate):] = 0
    late[:, : int(6.5 * rate)] = 0
    stems = dict(demo_delivery.stems) | {a: early, b: late}
    song = Delivery(demo_delivery.title, stems, sum(stems.values()), rate)
    report = run(song, tmp_path, stems=stems | {a: shift(early, 120), b: shift(late, -33)})
    shifts = {f.file: f.details["shift_frames"] for f in report.find("SF501")}
    assert shifts == {f"Night Owl - {a}.wav": 120, f"Night Owl - {b}.wav": -33}


def test_stems_at_another_level_than_in_the_mix(demo_delivery: Delivery, tmp_path: Path) -> None:
    quiet, loud = demo_delivery.by_energy()[1], demo_delivery.by_energy()[3]
    stems = dict(demo_delivery.stems) | {quiet: demo_delivery.stems[quiet] * np.float32(0.7),
                                         loud: demo_delivery.stems[loud] * np.float32(1.2)}
    report = run(demo_delivery, tmp_path, stems=stems)
    assert causes(report) == {"SF508"}
    gains = {f.file: f.details["gain_db"] for f in report.find("SF508")}
    assert gains == {f"Night Owl - {quiet}.wav": pytest.approx(-3.10, abs=0.02),
                     f"Night Owl - {loud}.wav": pytest.approx(1.58, abs=0.02)}
