"""``stemforge classify``: names and files in, a table or JSON out, inputs untouched."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "classify"))
from _signals import bass_line, drum_loop


def test_names_table(cli: Callable[..., object]) -> None:
    result = cli("classify", "01_KickIn.wav", "LV Dbl", "Audio 07", "Click")
    assert result.code == 0, result.err
    for word in ("drums", "backing_vocals", "other", "exclude", "reason"):
        assert word in result.out


def test_files_and_names_json(cli: Callable[..., object], wav: Callable[..., Path], unchanged: Callable[..., Callable[[], None]], tmp_path: Path) -> None:
    bass = wav(tmp_path / "Audio 07.wav", bass_line(48000)[None, :], 48000)
    lying = wav(tmp_path / "Vocals.wav", np.stack([drum_loop(48000)] * 2), 48000)
    check = unchanged(bass, lying)
    result = cli("classify", "--json", str(bass), str(lying), "Bass Drum")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [r["role"] for r in rows] == ["bass", "lead_vocals", "drums"]
    assert rows[0]["file"] == str(bass) and rows[2]["file"] is None
    assert rows[0]["reason"].startswith("name says nothing; audio:")
    assert "name wins" in rows[1]["reason"]
    assert set(rows[0]) == {"input", "name", "file", "role", "confidence", "reason"}
    check()


def test_names_only_skips_audio(cli: Callable[..., object], wav: Callable[..., Path], tmp_path: Path) -> None:
    bass = wav(tmp_path / "Audio 07.wav", bass_line(44100)[None, :], 44100)
    rows = json.loads(cli("classify", "--json", "--names-only", str(bass)).out)
    assert rows[0]["role"] == "other" and rows[0]["confidence"] <= 0.1


def test_errors_are_one_line(cli: Callable[..., object], tmp_path: Path) -> None:
    result = cli("classify", str(tmp_path))
    assert result.code == 2
    assert "is a folder" in result.err and "tip: " in result.err and "Traceback" not in result.err
    broken = tmp_path / "Kick.wav"
    broken.write_bytes(b"RIFF....WAVEjunk")
    result = cli("classify", str(broken))
    assert result.code == 2 and "Kick.wav" in result.err and "Traceback" not in result.err
