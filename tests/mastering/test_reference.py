"""Reference matching: amount 100 at least halves the 1/3-octave distance; amount 0 changes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.signal

from mastering.material import read, song, write
from stemforge.analysis import third_octave_spectrum
from stemforge.mastering import MasterSettings, master, spectral_distance_db


def _dark_mix(seconds: float = 10.0) -> np.ndarray:
    x = song(seconds, lufs=-20.0)
    sos = scipy.signal.butter(1, 1500, fs=48000, output="sos")
    return (scipy.signal.sosfilt(sos, x) * 1.5).astype(np.float32)


def _bright_reference(sample_rate: int, seconds: float = 10.0) -> np.ndarray:
    x = song(seconds, lufs=-12.0, sample_rate=sample_rate, seed=11)
    sos = scipy.signal.butter(2, 120, btype="highpass", fs=sample_rate, output="sos")
    return (scipy.signal.sosfilt(sos, x)).astype(np.float32)


def _distance(a: Path, b: Path) -> float:
    xa, ra = read(a)
    xb, rb = read(b)
    fa, la = third_octave_spectrum(xa, ra)
    fb, lb = third_octave_spectrum(xb, rb)
    return spectral_distance_db(fa, la, fb, lb)


@pytest.mark.parametrize("reference_rate", [48000, 44100])
def test_full_match_halves_the_distance(tmp_path: Path, reference_rate: int) -> None:
    mix = write(tmp_path / "mix.wav", _dark_mix())
    ref = write(tmp_path / "ref.wav", _bright_reference(reference_rate), reference_rate)
    settings = MasterSettings(reference=ref, match_amount=100.0, deliverables=("master",))
    result = master(mix, settings, out_dir=tmp_path / "out")
    before = _distance(mix, ref)
    after = _distance(tmp_path / "out" / "master.wav", ref)
    assert before > 3.0
    assert after <= before / 2
    assert result.tonal.applied and result.tonal.distance_after_db is not None
    assert result.tonal.distance_after_db <= result.tonal.distance_before_db / 2
    if reference_rate != 48000:
        assert any("44100 Hz" in w for w in result.warnings)


def test_loudness_moves_to_the_reference(tmp_path: Path) -> None:
    mix = write(tmp_path / "mix.wav", _dark_mix())
    ref = write(tmp_path / "ref.wav", _bright_reference(48000), 48000)
    settings = MasterSettings(reference=ref, loudness_from_reference=True, deliverables=("master",))
    result = master(mix, settings, out_dir=tmp_path / "out")
    assert result.reference is not None and result.reference.integrated_lufs is not None
    assert result.level.limit.output_lufs == pytest.approx(result.reference.integrated_lufs, abs=0.1)


def test_amount_zero_changes_nothing(tmp_path: Path) -> None:
    mix = write(tmp_path / "mix.wav", _dark_mix(6.0))
    ref = write(tmp_path / "ref.wav", _bright_reference(48000, 6.0))
    master(mix, MasterSettings(deliverables=("master",)), out_dir=tmp_path / "plain")
    result = master(mix, MasterSettings(reference=ref, match_amount=0.0, loudness_from_reference=True, deliverables=("master",)), out_dir=tmp_path / "zero")
    a, _ = read(tmp_path / "plain" / "master.wav")
    b, _ = read(tmp_path / "zero" / "master.wav")
    assert np.array_equal(a, b)
    assert not result.tonal.applied


def test_minimum_phase_match_also_halves_the_distance(tmp_path: Path) -> None:
    mix = write(tmp_path / "mix.wav", _dark_mix(8.0))
    ref = write(tmp_path / "ref.wav", _bright_reference(48000, 8.0))
    result = master(mix, MasterSettings(reference=ref, match_phase="minimum", deliverables=("master",)), out_dir=tmp_path / "out")
    assert result.tonal.phase == "minimum"
    assert _distance(tmp_path / "out" / "master.wav", ref) <= _distance(mix, ref) / 2
