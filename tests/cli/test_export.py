"""`stemforge export ni-stems` as a user would run it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from helpers import assert_user_error

RATE = 48000
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="ffmpeg/ffprobe not installed (make sysdeps)")


@pytest.fixture
def render_dir(cli, tmp_path: Path, wav) -> Path:
    rng = np.random.default_rng(4)
    t = np.arange(RATE) / RATE
    tracks = tmp_path / "Song" / "tracks"
    wav(tracks / "01_Kick.wav", (0.3 * np.sin(2 * np.pi * 60 * t) * np.exp(-((t * 4) % 1) * 10))[None, :])
    wav(tracks / "07_BassDI.wav", (0.2 * np.sin(2 * np.pi * 55 * t))[None, :])
    wav(tracks / "10_Rhodes.wav", (0.1 * np.sin(2 * np.pi * 440 * t))[None, :])
    wav(tracks / "18_LeadVox.wav", (0.05 * rng.standard_normal(RATE))[None, :])
    assert cli("init", tracks, "-o", tracks.parent / "session.toml").code == 0
    assert cli("render", tracks.parent / "session.toml", "-o", tracks.parent / "render").code == 0
    return tracks.parent / "render"


@needs_ffmpeg
def test_export_ni_stems(cli, unchanged, render_dir: Path, tmp_path: Path) -> None:
    same = unchanged(render_dir)
    target = tmp_path / "out" / "Song.stem.mp4"
    result = cli("export", "ni-stems", render_dir, "-o", target)
    assert result.code == 0, result.err
    assert "Drums" in result.out and "Vocals" in result.out and target.is_file()
    same()
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,duration", "-of", "json", str(target)],
                           capture_output=True, text=True, check=True)
    streams = json.loads(probe.stdout)["streams"]
    assert len(streams) == 5 and len({s["duration"] for s in streams}) == 1
    assert not list(target.parent.glob(".*partial*"))


@needs_ffmpeg
def test_export_json_and_mapping(cli, render_dir: Path, tmp_path: Path) -> None:
    result = cli("export", "ni-stems", render_dir, "-o", tmp_path / "a.stem.mp4", "--map", "keys=vocals", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert "keys" in data["slots"]["vocals"] and data["metadata"]["stems"][3]["name"] == "Vocals"


def test_bad_inputs_exit_2(cli, render_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x.stem.mp4"
    assert_user_error(cli("export", "ni-stems", render_dir, "-o", target, "--map", "keys=piano"), r"slot 'piano' is not one of")
    assert_user_error(cli("export", "ni-stems", render_dir, "-o", target, "--map", "kazoo=bass"), r"no stem has")
    assert_user_error(cli("export", "ni-stems", tmp_path / "nope", "-o", target), r"nope: no such file or folder")
    assert_user_error(cli("export", "ni-stems", render_dir, "-o", tmp_path / "x.wav"), r"must end in \.stem\.mp4")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = cli("export", "ni-stems", render_dir, "-o", target)
    assert_user_error(result, r"ffmpeg: not found")
    assert "tip: install ffmpeg" in result.err
    assert not target.exists()
