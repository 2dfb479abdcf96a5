"""`stemforge check` run as a user would: exit codes, table, JSON, HTML report, untouched inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from helpers import assert_user_error

RATE = 48000


def _stems(frames: int = RATE * 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(21)
    t = np.arange(frames) / RATE
    env = np.exp(-((t * 2) % 1.0) * 8)
    return {
        "drums": (0.2 * rng.standard_normal((2, frames)) * env).astype(np.float32),
        "bass": np.vstack([0.3 * np.sin(2 * np.pi * 55 * t), 0.29 * np.sin(2 * np.pi * 55 * t + 0.1)]).astype(np.float32),
        "keys": (0.1 * rng.standard_normal((2, frames))).astype(np.float32),
    }


@pytest.fixture
def delivery(tmp_path: Path, wav) -> tuple[Path, Path, dict[str, np.ndarray]]:
    """A correct delivery: three stems and their exact sum (written as float so the null is exact)."""
    stems = _stems()
    folder = tmp_path / "delivery"
    for name, samples in stems.items():
        wav(folder / "stems" / f"Song - {name}.wav", samples, subtype="FLOAT")
    mix = wav(folder / "mix.wav", sum(stems.values()), subtype="FLOAT")
    return folder / "stems", mix, stems


def test_correct_delivery_passes(cli, unchanged, delivery) -> None:
    stems_dir, mix, _ = delivery
    same = unchanged(stems_dir, mix)
    result = cli("check", stems_dir, "--mix", mix)
    assert result.code == 0, result.out + result.err
    assert "PASS" in result.out and "null residual" in result.out
    same()


def test_json_output_lists_every_check(cli, unchanged, delivery) -> None:
    stems_dir, mix, _ = delivery
    same = unchanged(stems_dir, mix)
    result = cli("check", stems_dir, "--mix", mix, "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["status"] in ("pass", "warn") and data["schema_version"] == 1
    assert data["null_residual_db"] < -90
    codes = {f["code"] for f in data["findings"]}
    assert {"SF101", "SF110", "SF113", "SF201", "SF500"} <= codes
    assert len(data["stems"]) == 3 and all(s["sample_rate"] == RATE for s in data["stems"])
    same()


def test_shifted_stem_fails_with_exit_1_and_states_the_shift(cli, unchanged, delivery, wav) -> None:
    stems_dir, mix, stems = delivery
    late = np.zeros_like(stems["keys"])
    late[:, 480:] = stems["keys"][:, :-480]
    wav(stems_dir / "Song - keys.wav", late, subtype="FLOAT")
    same = unchanged(stems_dir, mix)
    result = cli("check", stems_dir, "--mix", mix)
    assert result.code == 1
    assert "SF501" in result.out and "+480 samples" in result.out and "10.00 ms" in result.out
    data = json.loads(cli("check", stems_dir, "--mix", mix, "--json").out)
    (shift,) = [f for f in data["findings"] if f["code"] == "SF501"]
    assert shift["details"]["shift_frames"] == 480 and shift["file"] == "Song - keys.wav"
    same()


def test_html_report(cli, unchanged, delivery, tmp_path: Path) -> None:
    stems_dir, mix, _ = delivery
    same = unchanged(stems_dir, mix)
    report = tmp_path / "out" / "check.html"
    result = cli("check", stems_dir, "--mix", mix, "--report", report)
    assert result.code == 0
    page = report.read_text(encoding="utf-8")
    assert page.lower().startswith("<!doctype html>") and "SF500" in page and "Song - bass.wav" in page
    assert not list(report.parent.glob(".*partial*"))
    same()


def test_render_folder_uses_its_mix(cli, delivery) -> None:
    stems_dir, mix, _ = delivery
    (stems_dir.parent / "render.json").write_text(json.dumps({"schema_version": 1, "mix": {"file": "mix.wav"}}))
    data = json.loads(cli("check", stems_dir.parent, "--json").out)
    assert data["mix"].endswith("mix.wav") and data["null_residual_db"] < -90


def test_warnings_alone_exit_0(cli, tmp_path: Path, wav) -> None:
    t = np.arange(RATE) / RATE
    mono = 0.3 * np.sin(2 * np.pi * 220 * t)
    wav(tmp_path / "s" / "Song - pad.wav", np.vstack([mono, mono]))  # dual mono: a warning
    wav(tmp_path / "s" / "Song - lead.wav", np.vstack([mono, 0.5 * mono]))
    result = cli("check", tmp_path / "s", "--json")
    data = json.loads(result.out)
    assert result.code == 0 and data["status"] == "warn"
    assert any(f["code"] == "SF301" and f["severity"] == "warn" for f in data["findings"])
    assert cli("check", tmp_path / "s", "--strict").code == 1


def test_missing_folder_is_a_user_error(cli, tmp_path: Path) -> None:
    assert_user_error(cli("check", tmp_path / "nope"), r"nope: no such folder")


def test_folder_without_audio_is_a_user_error(cli, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert_user_error(cli("check", tmp_path), r"no audio files")


def test_missing_mix_is_a_user_error(cli, delivery, tmp_path: Path) -> None:
    stems_dir, _, _ = delivery
    assert_user_error(cli("check", stems_dir, "--mix", tmp_path / "gone.wav"), r"gone\.wav: no such file")


def test_report_onto_an_input_is_refused(cli, unchanged, delivery) -> None:
    stems_dir, mix, _ = delivery
    same = unchanged(stems_dir, mix)
    assert_user_error(cli("check", stems_dir, "--mix", mix, "--report", mix), r"overwrite an input")
    same()


def test_unreadable_stem_is_a_failed_check_not_a_crash(cli, delivery) -> None:
    stems_dir, mix, _ = delivery
    (stems_dir / "Song - broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    result = cli("check", stems_dir, "--mix", mix, "--json")
    assert result.code == 1
    data = json.loads(result.out)
    assert any(f["code"] == "SF101" and f["file"] == "Song - broken.wav" and f["severity"] == "fail" for f in data["findings"])


def test_mix_inside_the_stems_folder_is_not_a_stem(cli, delivery) -> None:
    stems_dir, mix, _ = delivery
    inside = stems_dir / "mix.wav"
    inside.write_bytes(mix.read_bytes())
    data = json.loads(cli("check", stems_dir, "--mix", inside, "--json").out)
    assert {s["file"] for s in data["stems"]} == {"Song - drums.wav", "Song - bass.wav", "Song - keys.wav"}
    assert data["status"] in ("pass", "warn")


def test_missing_stem_report_plots_the_residual_spectrum(cli, delivery, tmp_path: Path) -> None:
    stems_dir, mix, _ = delivery
    (stems_dir / "Song - keys.wav").unlink()
    report = tmp_path / "check.html"
    result = cli("check", stems_dir, "--mix", mix, "--report", report)
    assert result.code == 1 and "SF503" in result.out
    page = report.read_text(encoding="utf-8")
    assert "SF503" in page and "<img" in page and "Residual spectrum" in page


def test_unreadable_mix_is_a_user_error(cli, delivery, tmp_path: Path) -> None:
    stems_dir, _, _ = delivery
    bad = tmp_path / "mix.wav"
    bad.write_text("not audio at all")
    assert_user_error(cli("check", stems_dir, "--mix", bad), r"mix\.wav: not a readable audio file")
