"""Acceptance: from quiet to already-too-loud, the master lands on target under the ceiling.

Measured on the written ``master.wav`` by the project's meter and, when it is installed,
by ffmpeg's ``ebur128=peak=true``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from analysis.ffmpeg_ebur128 import ffmpeg_ebur128, needs_ffmpeg

from mastering.material import measure, song, write
from stemforge.mastering import MasterSettings, master, resolve_target

CASES = [
    # (input loudness, clipped, target)
    (-36.0, False, "streaming"),
    (-20.0, False, "apple"),
    (-20.0, False, "broadcast"),
    (-9.0, True, "streaming"),  # already too loud and clipped
    (-12.0, False, "cd"),
    (-10.0, False, "club"),
]


def _settings(target: str, **kwargs: object) -> MasterSettings:
    name, lufs, ceiling = resolve_target(target)
    return MasterSettings(target=name, target_lufs=lufs, ceiling_dbtp=ceiling, deliverables=("master",), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("input_lufs", "clip", "target"), CASES)
def test_reaches_target_under_ceiling(tmp_path: Path, input_lufs: float, clip: bool, target: str) -> None:
    mix = write(tmp_path / "mix.wav", song(12.0, lufs=input_lufs, clip=clip))
    settings = _settings(target, max_reduction_db=12.0)
    result = master(mix, settings, out_dir=tmp_path / "out")
    lufs, peak = measure(tmp_path / "out" / "master.wav")
    assert lufs == pytest.approx(settings.target_lufs, abs=0.1)
    assert peak <= settings.ceiling_dbtp
    assert result.reached_target
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["reached_target"] is True
    assert report["deliverables"][0]["true_peak_dbtp"] <= settings.ceiling_dbtp


@needs_ffmpeg
@pytest.mark.parametrize(("input_lufs", "clip", "target"), [CASES[0], CASES[3], CASES[5]])
def test_ffmpeg_agrees(tmp_path: Path, input_lufs: float, clip: bool, target: str) -> None:
    mix = write(tmp_path / "mix.wav", song(12.0, lufs=input_lufs, clip=clip))
    settings = _settings(target, max_reduction_db=12.0)
    master(mix, settings, out_dir=tmp_path / "out")
    reading = ffmpeg_ebur128(tmp_path / "out" / "master.wav")
    assert reading.integrated_lufs == pytest.approx(settings.target_lufs, abs=0.1)
    assert reading.true_peak_dbtp <= settings.ceiling_dbtp


def test_heavy_limiting_honours_ceiling_and_says_so(tmp_path: Path) -> None:
    # A very dynamic mix (drums with sharp peaks) pushed to club loudness.
    x = song(12.0, lufs=-30.0)
    x[:, ::12000] = 0.99
    mix = write(tmp_path / "mix.wav", x)
    settings = _settings("club")
    result = master(mix, settings, out_dir=tmp_path / "out")
    lufs, peak = measure(tmp_path / "out" / "master.wav")
    assert peak <= settings.ceiling_dbtp
    assert not result.reached_target
    assert lufs < settings.target_lufs - 0.1
    assert result.level.limit.max_reduction_db == pytest.approx(6.0, abs=0.3)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["reached_target"] is False
    assert report["loudness_reached_lufs"] == pytest.approx(lufs, abs=0.01)
    assert any("needs more than 6 dB of limiting" in w for w in report["warnings"])
    assert "Target not reached" in (tmp_path / "out" / "report.html").read_text()


@pytest.mark.parametrize("sample_rate", [44100, 96000])
def test_master_keeps_the_input_rate(tmp_path: Path, sample_rate: int) -> None:
    from mastering.material import read

    mix = write(tmp_path / "mix.wav", song(8.0, lufs=-20.0, sample_rate=sample_rate), sample_rate)
    master(mix, _settings("streaming"), out_dir=tmp_path / "out")
    samples, rate = read(tmp_path / "out" / "master.wav")
    assert rate == sample_rate
    assert samples.shape[1] == int(8.0 * sample_rate)
    import soundfile as sf

    assert sf.info(str(tmp_path / "out" / "master.wav")).subtype == "PCM_24"
    assert np.isfinite(samples).all()
