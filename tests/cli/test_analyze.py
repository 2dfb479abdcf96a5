"""`stemforge analyze` run as a user would: tables, JSON, HTML report, bad inputs."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stemforge.analysis import integrated_loudness, true_peak_dbtp

from helpers import assert_user_error

SAMPLE_RATE = 48000
FIELDS = [
    "path", "sample_rate", "channels", "duration_s", "integrated_lufs", "loudness_range_lu",
    "true_peak_dbtp", "sample_peak_dbfs", "short_term_max_lufs", "momentary_max_lufs", "plr_db",
]


def tone(level_dbfs: float, seconds: float, channels: int = 2, frequency_hz: float = 1000.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    signal = 10 ** (level_dbfs / 20) * np.sin(2 * np.pi * frequency_hz * t)
    return np.tile(signal, (channels, 1)).astype(np.float32)


@pytest.fixture
def files(tmp_path: Path, wav) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    return {
        "mix": wav(tmp_path / "mix.wav", tone(-12.0, 6.0), subtype="FLOAT"),
        "vocals": wav(tmp_path / "vocals.wav", tone(-20.0, 6.0, frequency_hz=440.0), subtype="PCM_24"),
        "mono": wav(tmp_path / "bass.wav", tone(-18.0, 6.0, channels=1), subtype="PCM_16"),
    }


def test_json_fields_and_values_are_measured(cli, unchanged, files) -> None:  # type: ignore[no-untyped-def]
    check = unchanged(*files.values())
    result = cli("analyze", files["mix"], files["mono"], "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert isinstance(data, list) and len(data) == 2
    for item, path in zip(data, [files["mix"], files["mono"]], strict=True):
        assert list(item)[: len(FIELDS)] == FIELDS
        samples, sample_rate = sf.read(str(path), dtype="float32", always_2d=True)
        samples = samples.T
        assert item["path"] == str(path)
        assert item["sample_rate"] == sample_rate and item["channels"] == samples.shape[0]
        assert item["duration_s"] == pytest.approx(samples.shape[1] / sample_rate)
        assert item["integrated_lufs"] == pytest.approx(integrated_loudness(samples, sample_rate), abs=1e-9)
        assert item["true_peak_dbtp"] == pytest.approx(true_peak_dbtp(samples, sample_rate), abs=1e-9)
        assert item["sample_peak_dbfs"] == pytest.approx(20 * math.log10(np.abs(samples).max()), abs=1e-6)
        assert item["plr_db"] == pytest.approx(item["true_peak_dbtp"] - item["integrated_lufs"])
    assert data[0]["integrated_lufs"] == pytest.approx(-12.0, abs=0.05)  # stereo sine at -12 dBFS
    assert data[1]["integrated_lufs"] == pytest.approx(-18.0 - 3.01, abs=0.05)  # mono: one channel of weight 1
    check()


def test_tables_compare_several_files(cli, unchanged, files) -> None:  # type: ignore[no-untyped-def]
    check = unchanged(*files.values())
    result = cli("analyze", files["mix"], files["vocals"], "--target", "-14")
    assert result.code == 0, result.err
    assert "Integrated loudness" in result.out and "True peak" in result.out
    assert "comparison" in result.out
    assert re.search(r"vocals\.wav.*-8\.\d LU", result.out)  # -20 vs -12 dBFS, K-weighted
    assert "Gain to -14 LUFS" in result.out and "-2.0 dB" in result.out
    check()


def test_silence_is_null_in_json(cli, tmp_path, wav) -> None:  # type: ignore[no-untyped-def]
    path = wav(tmp_path / "silence.wav", np.zeros((2, SAMPLE_RATE * 2), np.float32))
    result = cli("analyze", path, "--json")
    assert result.code == 0, result.err
    item = json.loads(result.out)[0]
    assert item["integrated_lufs"] is None and item["true_peak_dbtp"] is None and item["plr_db"] is None
    assert item["loudness_range_lu"] == 0.0


def test_html_report_is_self_contained(cli, unchanged, files, tmp_path) -> None:  # type: ignore[no-untyped-def]
    check = unchanged(*files.values())
    report = tmp_path / "out" / "report.html"
    result = cli("analyze", files["mix"], files["vocals"], "--report", report, "--target", "-14")
    assert result.code == 0, result.err
    page = report.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 6
    assert "mix.wav" in page and "vocals.wav" in page and "Comparison" in page
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing loaded from elsewhere
    assert not list(report.parent.glob(".*partial*"))
    check()


def test_report_with_json(cli, files, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "r.html"
    result = cli("analyze", files["mono"], "--json", "--report", report)
    assert result.code == 0, result.err
    assert json.loads(result.out)[0]["channels"] == 1
    assert report.exists()


def test_bad_inputs_exit_2_with_one_line(cli, unchanged, files, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = tmp_path / "notes.wav"
    text.write_text("these are my mix notes, not audio\n")
    truncated = tmp_path / "cut.wav"
    truncated.write_bytes(files["vocals"].read_bytes()[: 40_000])
    low_rate = tmp_path / "phone.wav"
    sf.write(str(low_rate), np.zeros((4000, 1), np.float32), 4000)
    check = unchanged(text, truncated, low_rate, *files.values())
    assert_user_error(cli("analyze", tmp_path / "missing.wav"), r"missing\.wav")
    assert_user_error(cli("analyze", files["mix"], text), r"notes\.wav")
    assert_user_error(cli("analyze", truncated), r"cut\.wav: truncated")
    assert_user_error(cli("analyze", low_rate), r"phone\.wav: sample_rate=4000 Hz is too low")
    assert_user_error(cli("analyze", files["mix"], "--target", "12"), r"--target=12 must be between")
    assert_user_error(cli("analyze", files["mix"], "--report", files["mix"]), r"would overwrite an input")
    check()


def test_nan_samples_exit_2_naming_the_frame(cli, tmp_path, wav) -> None:  # type: ignore[no-untyped-def]
    samples = tone(-12.0, 2.0)
    samples[0, 50_000] = np.nan
    path = wav(tmp_path / "nan.wav", samples, subtype="FLOAT")
    assert_user_error(cli("analyze", path), r"nan\.wav: sample nan at frame 50000 \(channel 1\)")


def test_a_folder_stands_for_its_audio_files(cli, unchanged, files, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "notes.txt").write_text("mix notes\n")
    check = unchanged(tmp_path)
    result = cli("analyze", tmp_path, "--json")
    assert result.code == 0, result.err
    names = [Path(item["path"]).name for item in json.loads(result.out)]
    assert names == sorted(p.name for p in files.values())
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_user_error(cli("analyze", empty), r"empty: folder holds no audio files")
    check()
