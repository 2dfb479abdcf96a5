"""``stemforge master`` from the command line: outputs measured, inputs untouched, errors exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from mastering.material import measure, song, write


@pytest.fixture
def mix(tmp_path: Path) -> Path:
    return write(tmp_path / "in" / "mix.wav", song(8.0, lufs=-22.0))


def test_master_a_mix(cli: Callable[..., object], unchanged: Callable[..., Callable[[], None]], mix: Path, tmp_path: Path) -> None:
    check = unchanged(mix)
    result = cli("master", mix, "-o", tmp_path / "out")
    assert result.code == 0, result.err
    check()
    lufs, peak = measure(tmp_path / "out" / "master.wav")
    assert lufs == pytest.approx(-14.0, abs=0.1)
    assert peak <= -1.0
    for name in ("master-cd.wav", "master.flac", "master.mp3", "report.html", "report.json", "preview-before.wav", "preview-after.wav"):
        assert (tmp_path / "out" / name).is_file()
    assert "master.wav" in result.out and "-14.0" in result.out
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_deliver_only_the_master_wav(cli: Callable[..., object], unchanged: Callable[..., Callable[[], None]], mix: Path, tmp_path: Path) -> None:
    check = unchanged(mix)
    result = cli("master", mix, "-o", tmp_path / "out", "--deliver", "master")
    assert result.code == 0, result.err
    check()
    lufs, peak = measure(tmp_path / "out" / "master.wav")
    assert lufs == pytest.approx(-14.0, abs=0.1) and peak <= -1.0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["master.wav", "preview-after.wav", "preview-before.wav", "report.html", "report.json"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [d["file"] for d in report["deliverables"]] == ["master.wav"]


def test_target_lufs_ceiling_and_json(cli: Callable[..., object], unchanged: Callable[..., Callable[[], None]], mix: Path, tmp_path: Path) -> None:
    check = unchanged(mix)
    result = cli("master", mix, "-o", tmp_path / "out", "--lufs", "-16", "--ceiling", "-2", "--glue", "--width", "110", "--mono-below", "120", "--json")
    assert result.code == 0, result.err
    check()
    report = json.loads(result.out)
    assert report["schema_version"] == 1
    assert report["target"] == {"name": None, "integrated_lufs": -16.0, "ceiling_dbtp": -2.0}
    assert report["stages"]["glue"]["applied"] is True
    assert report["stages"]["width"]["applied"] is True and report["stages"]["width"]["mono_below_hz"] == 120.0
    lufs, peak = measure(tmp_path / "out" / "master.wav")
    assert lufs == pytest.approx(-16.0, abs=0.1)
    assert peak <= -2.0


def test_named_target(cli: Callable[..., object], mix: Path, tmp_path: Path) -> None:
    result = cli("master", mix, "-o", tmp_path / "out", "--target", "broadcast")
    assert result.code == 0, result.err
    lufs, peak = measure(tmp_path / "out" / "master.wav")
    assert lufs == pytest.approx(-23.0, abs=0.1)
    assert peak <= -1.0


def test_reference_at_another_rate(cli: Callable[..., object], unchanged: Callable[..., Callable[[], None]], mix: Path, tmp_path: Path) -> None:
    ref = write(tmp_path / "in" / "ref.wav", song(8.0, lufs=-13.0, sample_rate=44100, seed=9), 44100)
    check = unchanged(mix, ref)
    result = cli("master", mix, "-o", tmp_path / "out", "--reference", ref, "--match-amount", "80", "--max-gr-db", "12")
    assert result.code == 0, result.err
    check()
    assert "44100 Hz" in result.err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["stages"]["tonal"]["applied"] is True
    assert report["reference"]["sample_rate"] == 44100
    # Loudness moves 80 % of the way from the streaming target to the reference's.
    expected = -14.0 + 0.8 * (report["reference"]["integrated_lufs"] + 14.0)
    assert report["target"]["integrated_lufs"] == pytest.approx(expected, abs=0.01)
    lufs, _ = measure(tmp_path / "out" / "master.wav")
    assert lufs == pytest.approx(expected, abs=0.1)


def test_stems_folder_with_stem_moves(cli: Callable[..., object], unchanged: Callable[..., Callable[[], None]], tmp_path: Path) -> None:
    stems = tmp_path / "stems"
    write(stems / "drums.wav", song(6.0, lufs=-24.0, seed=1))
    write(stems / "vocals.wav", song(6.0, lufs=-26.0, seed=2))
    check = unchanged(stems)
    result = cli("master", stems, "-o", tmp_path / "out", "--stem", "vocals=+3dB", "--stem", "drums:high_shelf=8000:-1.5dB")
    assert result.code == 0, result.err
    check()
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    moved = {s["name"]: s for s in report["stages"]["rebalance"]["stems"]}
    assert moved["vocals"]["change_db"] == pytest.approx(3.0, abs=0.01)
    assert moved["drums"]["eq"][0]["kind"] == "high_shelf"


def test_session_with_master_stems(cli: Callable[..., object], unchanged: Callable[..., Callable[[], None]], tmp_path: Path) -> None:
    write(tmp_path / "tracks" / "kick.wav", song(5.0, lufs=-24.0, seed=1))
    write(tmp_path / "tracks" / "vox.wav", song(5.0, lufs=-26.0, seed=2))
    session = tmp_path / "session.toml"
    session.write_text(
        """[session]
title = "Test"
sample_rate = 48000

[[tracks]]
name = "Kick"
file = "tracks/kick.wav"
stem = "drums"

[[tracks]]
name = "Vox"
file = "tracks/vox.wav"
stem = "lead_vocals"

[master]
target = "apple"

[master.stems.lead_vocals]
gain_db = 2.0
""",
        encoding="utf-8",
    )
    check = unchanged(session, tmp_path / "tracks")
    result = cli("master", session, "-o", tmp_path / "out")
    assert result.code == 0, result.err
    check()
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["target"]["name"] == "apple"
    moved = {s["name"]: s for s in report["stages"]["rebalance"]["stems"]}
    assert moved["lead_vocals"]["change_db"] == pytest.approx(2.0, abs=0.01)
    lufs, _ = measure(tmp_path / "out" / "master.wav")
    assert lufs == pytest.approx(-16.0, abs=0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "spotify"], "--target='spotify' is not known"),
        (["--lufs", "-50"], "between -40 and 0 LUFS"),
        (["--match-amount", "150"], "--match-amount=150"),
        (["--stem", "vocals=+3dB"], "--stem needs stems"),
        (["--reference", "missing.wav"], "no such file"),
        (["--width", "300"], "--width=300"),
        (["--deliver", "wav,mp3"], "--deliver: 'wav' is not a deliverable; choose from: master, cd, flac, mp3"),
        (["--deliver", ","], "--deliver names no file"),
    ],
)
def test_usage_errors_exit_2(cli: Callable[..., object], mix: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = cli("master", mix, "-o", tmp_path / "out", *args)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_silent_input_exits_2_and_writes_nothing(cli: Callable[..., object], unchanged: Callable[..., Callable[[], None]], tmp_path: Path) -> None:
    silent = write(tmp_path / "silent.wav", np.zeros((2, 48000 * 2), np.float32))
    check = unchanged(silent)
    result = cli("master", silent, "-o", tmp_path / "out")
    assert result.code == 2
    assert "silent" in result.err
    check()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_missing_input_exits_2(cli: Callable[..., object], tmp_path: Path) -> None:
    result = cli("master", tmp_path / "nope.wav", "-o", tmp_path / "out")
    assert result.code == 2
    assert "no such file" in result.err


def test_heavy_limiting_warns(cli: Callable[..., object], tmp_path: Path) -> None:
    x = song(6.0, lufs=-30.0)
    x[:, ::12000] = 0.99
    mix = write(tmp_path / "mix.wav", x)
    result = cli("master", mix, "-o", tmp_path / "out", "--target", "club")
    assert result.code == 0
    assert "needs more than 6 dB of limiting" in result.err
    assert "target not reached" in result.out
    _, peak = measure(tmp_path / "out" / "master.wav")
    assert peak <= -0.5


def test_preset_sets_the_bus_and_options_override_it(cli: Callable[..., object], mix: Path, tmp_path: Path) -> None:
    result = cli("master", mix, "-o", tmp_path / "out", "--preset", "modern", "--width", "105", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["settings"]["preset"] == "modern"
    assert report["stages"]["glue"]["applied"] is True
    assert report["stages"]["width"]["width_percent"] == 105.0
    assert report["stages"]["width"]["mono_below_hz"] == 120.0
    bad = cli("master", mix, "-o", tmp_path / "out2", "--preset", "loud")
    assert bad.code == 2 and "--preset='loud' is not known" in bad.err


def test_refuses_to_write_the_master_among_the_stems(cli: Callable[..., object], unchanged: Callable[..., Callable[[], None]], tmp_path: Path) -> None:
    stems = tmp_path / "stems"
    write(stems / "drums.wav", song(3.0, lufs=-24.0, seed=1))
    write(stems / "vocals.wav", song(3.0, lufs=-26.0, seed=2))
    check = unchanged(stems)
    result = cli("master", stems, "-o", stems)
    assert result.code == 2
    assert "holds the stems being mastered" in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) <= 2  # the message and its tip
    check()
    assert sorted(p.name for p in stems.iterdir()) == ["drums.wav", "vocals.wav"]


def test_a_stem_with_a_nan_sample_is_named(cli: Callable[..., object], unchanged: Callable[..., Callable[[], None]], tmp_path: Path) -> None:
    stems = tmp_path / "stems"
    write(stems / "drums.wav", song(3.0, lufs=-24.0, seed=1), subtype="FLOAT")
    broken = song(3.0, lufs=-26.0, seed=2)
    broken[1, 70000] = np.nan
    write(stems / "vocals.wav", broken, subtype="FLOAT")
    check = unchanged(stems)
    result = cli("master", stems, "-o", tmp_path / "out")
    assert result.code == 2 and "Traceback" not in result.err
    assert f"{stems / 'vocals.wav'}: sample nan at frame 70000" in result.err
    check()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
