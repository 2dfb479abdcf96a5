"""`stemforge init`, `render` and `info` run as a user would, including every kind of bad input."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from helpers import assert_user_error

RNG = np.random.default_rng(5)


def noise(channels: int, frames: int, level: float = 0.05) -> np.ndarray:
    return (level * RNG.standard_normal((channels, frames))).astype(np.float32)


@pytest.fixture
def client_folder(tmp_path: Path, wav) -> Path:
    """A small client delivery: mono and stereo, a split pair, a 44.1 kHz file, a click."""
    tracks = tmp_path / "Night Owl" / "tracks"
    wav(tracks / "01_KickIn.wav", noise(1, 24000))
    wav(tracks / "03_SnareTop.wav", noise(1, 24000))
    wav(tracks / "05_OH.wav", noise(2, 24000))
    wav(tracks / "07_BassDI.wav", noise(1, 24000))
    wav(tracks / "12_GtrRhy.L.wav", noise(1, 24000))
    wav(tracks / "12_GtrRhy.R.wav", noise(1, 24000))
    wav(tracks / "10_Rhodes.wav", noise(2, 22050), sample_rate=44100)
    wav(tracks / "18_LeadVox.wav", noise(1, 24000))
    wav(tracks / "99_Click.wav", noise(1, 24000), subtype="PCM_16")
    return tracks


def test_init_then_render_as_a_user_would(cli, unchanged, client_folder: Path) -> None:
    project = client_folder.parent
    check = unchanged(client_folder)
    session_file = project / "session.toml"

    result = cli("init", client_folder, "-o", session_file)
    assert result.code == 0, result.err
    assert "wrote" in result.out and "12_GtrRhy" in result.out
    text = session_file.read_text()
    assert 'file = ["tracks/12_GtrRhy.L.wav", "tracks/12_GtrRhy.R.wav"]' in text
    assert 'stem = "exclude" # excluded:' in text
    assert 'title = "Night Owl"' in text

    result = cli("render", session_file, "-o", project / "render")
    assert result.code == 0, result.err
    report = json.loads((project / "render" / "render.json").read_text())
    stems = {s["name"]: project / "render" / s["file"] for s in report["stems"]}
    assert set(stems) >= {"drums", "bass", "guitars", "keys", "lead_vocals"}
    assert "99_Click" in report["excluded"]
    mix, rate = sf.read(project / "render" / "mix.wav")
    assert rate == 48000 and mix.shape == (24000, 2)
    total = sum(sf.read(p)[0] for p in stems.values())
    assert 20 * math.log10(np.max(np.abs(total - mix))) < -90
    assert any(f["resampled"] for i in report["inputs"] for f in i["files"])
    check()


def test_render_json_output_and_info(cli, client_folder: Path) -> None:
    session_file = client_folder.parent / "session.toml"
    assert cli("init", client_folder, "-o", session_file, "--json").code == 0
    result = cli("render", session_file, "-o", client_folder.parent / "out", "--format", "flac24", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["format"] == "flac24" and report["mix"]["file"] == "mix.flac"
    info = cli("info", client_folder / "10_Rhodes.wav", "--json")
    assert json.loads(info.out)[0] | {"path": ""} == {
        "path": "", "sample_rate": 44100, "channels": 2, "frames": 22050, "duration_s": 0.5,
        "format": "WAV", "subtype": "PCM_24", "bit_depth": 24, "bwf_time_reference": None,
    }


def test_init_refuses_to_overwrite_a_session(cli, client_folder: Path) -> None:
    session_file = client_folder.parent / "session.toml"
    session_file.write_text("# my hand-edited session\n")
    assert_user_error(cli("init", client_folder, "-o", session_file), r"session\.toml: already exists")
    assert session_file.read_text() == "# my hand-edited session\n"


def corrupt_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    fmt = data.index(b"fmt ")
    data[fmt + 8 : fmt + 24] = b"\xff" * 16  # format code, channels, rate … all nonsense
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def text_as_wav(path: Path) -> None:
    path.write_text("Hi! Here are the tracks for the mix. Cheers\n")


@pytest.mark.parametrize(
    ("damage", "pattern"),
    [
        (corrupt_header, r"07_BassDI\.wav: not a readable audio file"),
        (truncate, r"07_BassDI\.wav: truncated: its header declares 24000 frames but the file holds \d+"),
        (text_as_wav, r"07_BassDI\.wav: not a readable audio file"),
    ],
)
def test_bad_audio_files(cli, unchanged, client_folder: Path, damage, pattern: str) -> None:
    project = client_folder.parent
    session_file = project / "session.toml"
    assert cli("init", client_folder, "-o", session_file).code == 0
    damage(client_folder / "07_BassDI.wav")
    check = unchanged(client_folder, session_file)

    assert_user_error(cli("init", client_folder, "-o", project / "again.toml"), pattern)
    assert not (project / "again.toml").exists()
    assert_user_error(cli("render", session_file, "-o", project / "render"), pattern)
    assert not (project / "render").exists()
    check()


def test_empty_folder(cli, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert_user_error(cli("init", tmp_path / "empty", "-o", tmp_path / "s.toml"), r"empty: holds no audio files")
    assert not (tmp_path / "s.toml").exists()


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (lambda t: t.replace("tracks/07_BassDI.wav", "tracks/07_BassDl.wav"), r'tracks\[4\] \("07_BassDI"\)\.file="tracks/07_BassDl\.wav": no such file \(session\.toml\)'),
        (lambda t: t.replace('title = "Night Owl"', 'title = "Night Owl'), r"session\.toml:6:\d+: TOML syntax error"),
        (lambda t: t.replace("gain_db = 0.0", "gain_bd = 0.0", 1), r"tracks\[1\] \(\"01_KickIn\"\): unknown key 'gain_bd'; did you mean \"gain_db\"\?"),
        (lambda t: t.replace("pan = 0.0", "pan = 1.7", 1), r'tracks\[1\] \("01_KickIn"\)\.pan=1\.7 must be between -1 and 1 \(session\.toml\)'),
    ],
)
def test_bad_sessions(cli, unchanged, client_folder: Path, edit, pattern: str) -> None:
    project = client_folder.parent
    session_file = project / "session.toml"
    assert cli("init", client_folder, "-o", session_file).code == 0
    session_file.write_text(edit(session_file.read_text()))
    check = unchanged(client_folder, session_file)
    assert_user_error(cli("render", session_file, "-o", project / "render"), pattern)
    assert not (project / "render").exists()
    check()


def test_output_folder_that_holds_the_inputs_is_refused(cli, unchanged, client_folder: Path) -> None:
    session_file = client_folder.parent / "session.toml"
    assert cli("init", client_folder, "-o", session_file).code == 0
    before = sorted(p.name for p in client_folder.iterdir())
    check = unchanged(client_folder, session_file)
    assert_user_error(cli("render", session_file, "-o", client_folder), r"tracks: holds the session's input files .*refusing to render into it")
    assert sorted(p.name for p in client_folder.iterdir()) == before
    check()


def test_missing_session_and_bad_options(cli, tmp_path: Path) -> None:
    assert_user_error(cli("render", tmp_path / "nope.toml"), r"nope\.toml: no such session file")
    (tmp_path / "s.toml").write_text('[session]\ntitle = "x"\nsample_rate = 48000\n')
    assert_user_error(cli("render", tmp_path / "s.toml", "--format", "mp4"), r"format 'mp4' is not known; choose one of: wav16, wav24")
    assert_user_error(cli("render", tmp_path / "s.toml"), r"no track belongs to a stem")


def test_killing_a_render_leaves_no_file_under_a_final_name(tmp_path: Path, wav, cli) -> None:
    tracks = tmp_path / "tracks"
    for i in range(6):
        wav(tracks / f"{i:02d}_Kick.wav", noise(2, 48000 * 20))
    session_file = tmp_path / "session.toml"
    assert cli("init", tracks, "-o", session_file).code == 0
    out = tmp_path / "render"
    command = [sys.executable, "-c", "from stemforge.cli.main import run; run()", "render", str(session_file), "-o", str(out), "--block-frames", "64"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(p.name.startswith(".mix.wav.partial") for p in out.glob(".*")):
            time.sleep(0.05)
        time.sleep(0.3)
        assert process.poll() is None, "the render finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    finals = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert finals == []
    assert any(".partial-" in p.name for p in out.rglob(".*"))
