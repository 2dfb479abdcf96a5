"""Per-file checks on small synthetic deliveries: formats, levels, stereo, duplicates, names."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stemforge.audio.riff import insert_bext
from stemforge.errors import InputNotFoundError, UsageError
from stemforge.qa import CODES, Severity, check_delivery
from stemforge.qa.naming import naming_checks

RATE = 48000
RNG = np.random.default_rng(17)


def tone(frames: int = RATE, hz: float = 220.0, level: float = 0.3, channels: int = 2) -> np.ndarray:
    t = np.arange(frames) / RATE
    x = level * np.sin(2 * np.pi * hz * t)
    return np.vstack([x, 0.9 * x + 0.01 * RNG.standard_normal(frames)])[:channels].astype(np.float32)


def write(folder: Path, name: str, samples: np.ndarray, *, rate: int = RATE, subtype: str = "PCM_24") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sf.write(folder / name, samples.T, rate, subtype=subtype)
    return folder / name


def issues(report, code: str) -> dict[str | None, Severity]:
    return {f.file: f.severity for f in report.find(code)}


def test_every_code_is_documented() -> None:
    text = (Path(__file__).parents[2] / "docs" / "qa.md").read_text()
    for code, check in CODES.items():
        assert f"| {code} | {check.slug} |" in text


def test_clean_folder_reports_one_pass_per_check(tmp_path: Path) -> None:
    write(tmp_path, "Song - keys.wav", tone())
    write(tmp_path, "Song - pad.wav", tone(hz=330))
    report = check_delivery(tmp_path)
    assert report.severity is Severity.PASS, [f.message for f in report.findings if f.severity is not Severity.PASS]
    assert {f.code for f in report.findings} >= {"SF101", "SF110", "SF113", "SF201", "SF303", "SF401"}
    assert "SF500" not in report.codes()  # no mix, no null test


def test_format_mismatches(tmp_path: Path) -> None:
    write(tmp_path, "Song - a.wav", tone())
    write(tmp_path, "Song - b.wav", tone(hz=300))
    write(tmp_path, "Song - c16.wav", tone(hz=400), subtype="PCM_16")
    write(tmp_path, "Song - mono.wav", tone(hz=500, channels=1))
    write(tmp_path, "Song - short.wav", tone(frames=RATE - 480, hz=600))
    report = check_delivery(tmp_path)
    assert issues(report, "SF111") == {"Song - c16.wav": Severity.WARN}
    assert issues(report, "SF112") == {"Song - mono.wav": Severity.WARN}
    assert issues(report, "SF113") == {"Song - short.wav": Severity.FAIL}


def test_lossy_stem_is_flagged(tmp_path: Path) -> None:
    write(tmp_path, "Song - a.wav", tone())
    sf.write(tmp_path / "Song - b.ogg", tone(hz=300).T, RATE, format="OGG", subtype="VORBIS")
    report = check_delivery(tmp_path)
    assert "lossy" in report.find("SF111")[0].message


def test_bwf_start_points_differ(tmp_path: Path) -> None:
    for name, ref in (("Song - a.wav", 48000 * 3600), ("Song - b.wav", 48000 * 3600), ("Song - c.wav", 48000 * 3601)):
        buffer = io.BytesIO()
        sf.write(buffer, tone().T, RATE, subtype="PCM_24", format="WAV")
        (tmp_path / name).write_bytes(insert_bext(buffer.getvalue(), ref))
    report = check_delivery(tmp_path)
    (finding,) = report.find("SF114")
    assert finding.file == "Song - c.wav" and finding.details["difference_frames"] == 48000


def test_levels(tmp_path: Path) -> None:
    write(tmp_path, "Song - ok.wav", tone())
    write(tmp_path, "Song - quiet.wav", tone() * np.float32(0.003))
    write(tmp_path, "Song - dc.wav", tone() + np.float32(0.02))
    hot = np.clip(tone(level=3.0), -1, 1)
    write(tmp_path, "Song - hot.wav", hot)
    write(tmp_path, "Song - loud.wav", tone(level=0.99, hz=11025))  # inter-sample peaks, no clip runs
    nan = tone()
    nan[0, 100] = np.nan
    write(tmp_path, "Song - nan.wav", nan, subtype="FLOAT")
    report = check_delivery(tmp_path)
    assert issues(report, "SF204") == {"Song - quiet.wav": Severity.WARN}
    assert issues(report, "SF205") == {"Song - dc.wav": Severity.WARN}
    assert issues(report, "SF201") == {"Song - hot.wav": Severity.FAIL}
    assert "Song - loud.wav" in issues(report, "SF202")
    assert issues(report, "SF102") == {"Song - nan.wav": Severity.FAIL}


def test_stereo_image(tmp_path: Path) -> None:
    x = tone()[0]
    write(tmp_path, "Song - dual.wav", np.vstack([x, x]))
    write(tmp_path, "Song - phase.wav", np.vstack([x, -x + 0.01 * RNG.standard_normal(x.size).astype(np.float32)]))
    write(tmp_path, "Song - fine.wav", tone(hz=123))
    report = check_delivery(tmp_path)
    assert issues(report, "SF301") == {"Song - dual.wav": Severity.WARN}
    assert issues(report, "SF302") == {"Song - phase.wav": Severity.WARN}
    assert report.find("SF302")[0].details["correlation"] < -0.9


def test_duplicates(tmp_path: Path) -> None:
    x = tone()
    write(tmp_path, "Song - gtr.wav", x)
    write(tmp_path, "Song - gtr copy.wav", x)
    write(tmp_path, "Song - gtr quiet.wav", x * np.float32(0.5))
    write(tmp_path, "Song - keys.wav", tone(hz=700))
    report = check_delivery(tmp_path)
    found = {f.file: (f.severity, f.details["duplicate_of"]) for f in report.find("SF303")}
    assert found == {"Song - gtr.wav": (Severity.FAIL, "Song - gtr copy.wav"),
                     "Song - gtr quiet.wav": (Severity.WARN, "Song - gtr copy.wav")}
    gains = {f.file: f.details.get("gain_db") for f in report.find("SF303")}
    assert gains["Song - gtr quiet.wav"] == pytest.approx(-6.02, abs=0.05)


def test_naming() -> None:
    findings = naming_checks(["Song - drums.wav", "Audio 1.wav", "bass?.wav", " lead.wav", "CON.wav",
                              "Song - Keys.wav", "Song - keys.aif"])
    warned = {f.file for f in findings if f.code == "SF401" and f.severity is Severity.WARN}
    assert warned == {"Audio 1.wav", "bass?.wav", " lead.wav", "CON.wav"}
    (collision,) = [f for f in findings if f.code == "SF402" and f.severity is Severity.FAIL]
    assert {collision.file, *collision.details["collides_with"]} == {"Song - Keys.wav", "Song - keys.aif"}


def test_unreadable_file_is_a_finding(tmp_path: Path) -> None:
    write(tmp_path, "Song - a.wav", tone())
    (tmp_path / "Song - b.wav").write_bytes(b"RIFF....WAVEfmt junk")
    report = check_delivery(tmp_path)
    assert issues(report, "SF101") == {"Song - b.wav": Severity.FAIL}
    assert {s.file for s in report.stems} == {"Song - a.wav", "Song - b.wav"}


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="no such folder"):
        check_delivery(tmp_path / "missing")
    with pytest.raises(UsageError, match="no audio files"):
        check_delivery(tmp_path)
    write(tmp_path, "Song - a.wav", tone())
    with pytest.raises(UsageError, match="is a file"):
        check_delivery(tmp_path / "Song - a.wav")
    with pytest.raises(UsageError, match="min_clip_run=0"):
        check_delivery(tmp_path, min_clip_run=0)


def test_mix_at_another_rate_skips_the_null(tmp_path: Path) -> None:
    write(tmp_path / "s", "Song - a.wav", tone())
    write(tmp_path, "mix.wav", tone(frames=44100), rate=44100)
    report = check_delivery(tmp_path / "s", mix=tmp_path / "mix.wav")
    assert issues(report, "SF506") == {"mix.wav": Severity.FAIL}
    assert report.find("SF500")[0].severity is Severity.WARN


def test_float_files_over_full_scale_are_warnings(tmp_path: Path) -> None:
    loud, soft = tone(level=2.0), tone(hz=300)
    write(tmp_path / "s", "Song - loud.wav", loud, subtype="FLOAT")
    write(tmp_path / "s", "Song - soft.wav", soft, subtype="FLOAT")
    write(tmp_path, "mix.wav", loud + soft, subtype="FLOAT")
    report = check_delivery(tmp_path / "s", mix=tmp_path / "mix.wav")
    assert issues(report, "SF201") == {"Song - loud.wav": Severity.WARN}
    assert issues(report, "SF507") == {"mix.wav": Severity.WARN}
    assert report.passed and report.null_residual_db is not None and report.null_residual_db < -120


def test_fixed_point_mix_that_clips_fails(tmp_path: Path) -> None:
    a, b = tone(level=0.7), tone(level=0.7, hz=220.0)
    write(tmp_path / "s", "Song - a.wav", a)
    write(tmp_path / "s", "Song - b.wav", b)
    write(tmp_path, "mix.wav", np.clip(a + b, -1, 1))
    report = check_delivery(tmp_path / "s", mix=tmp_path / "mix.wav")
    assert report.find("SF507")[0].severity is Severity.FAIL and not report.passed
