"""The mixer through ``stemforge render``: one-line errors naming the session key, and the null report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

BASE = """\
[session]
title = "Mixer"
sample_rate = 48000

[[tracks]]
name = "Lead Vox"
file = "vox.wav"
stem = "vocals"
{track_extra}

[[tracks]]
name = "Kick"
file = "kick.wav"
stem = "drums"

  [[tracks.sends]]
  to = "plate"
  level_db = -10

[[returns]]
name = "plate"

  [[returns.inserts]]
  type = "reverb"
  room_size = 0.3
{returns_extra}
"""


@pytest.fixture
def project(tmp_path: Path, wav) -> Path:
    rng = np.random.default_rng(2)
    wav(tmp_path / "vox.wav", 0.2 * rng.standard_normal((1, 4800)))
    wav(tmp_path / "kick.wav", 0.2 * rng.standard_normal((1, 4800)))
    return tmp_path


def write_session(folder: Path, track_extra: str = "", returns_extra: str = "") -> Path:
    path = folder / "session.toml"
    path.write_text(BASE.format(track_extra=track_extra, returns_extra=returns_extra))
    return path


ERRORS = {
    "invalid parameter": (
        '  [[tracks.inserts]]\n  type = "compressor"\n  ratio = 0.5\n',
        "",
        r'tracks\[1\] \("Lead Vox"\)\.inserts\[1\] \(compressor\)\.ratio=0\.5 must be between 1 and 100 \(session\.toml\)',
    ),
    "unknown effect": (
        '  [[tracks.inserts]]\n  type = "compresor"\n',
        "",
        r'tracks\[1\] \("Lead Vox"\)\.inserts\[1\]\.type="compresor" is not one of: clipper, compressor, delay, eq, gain, gate, limiter, reverb, saturation; did you mean "compressor"\?',
    ),
    "unknown parameter": (
        '  [[tracks.inserts]]\n  type = "eq"\n  bands = [{ kind = "peak", freq_hz = 1000, gain = 3 }]\n',
        "",
        r'tracks\[1\] \("Lead Vox"\)\.inserts\[1\] \(eq\)\.bands\[1\]: unknown parameter \'gain\'; did you mean "gain_db"\?',
    ),
    "send to a missing return": (
        '  [[tracks.sends]]\n  to = "plat"\n',
        "",
        r'tracks\[1\] \("Lead Vox"\)\.sends\[1\]\.to="plat" names no return in \[\[returns\]\]; did you mean "plate"\?',
    ),
    "return sending to itself": (
        "",
        '  [[returns.sends]]\n  to = "plate"\n',
        r'returns\[1\] \("plate"\)\.sends\[1\]\.to="plate": feedback loop plate → plate',
    ),
    "returns sending in a cycle": (
        "",
        '  [[returns.sends]]\n  to = "slap"\n\n[[returns]]\nname = "slap"\n  [[returns.sends]]\n  to = "plate"\n',
        r'returns\[1\] \("plate"\)\.sends\[1\]\.to="slap": feedback loop plate → slap → plate',
    ),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_mixer_errors_are_one_line_naming_the_key_with_exit_2(project: Path, cli, unchanged, case: str) -> None:
    track_extra, returns_extra, pattern = ERRORS[case]
    session = write_session(project, track_extra, returns_extra)
    check = unchanged(project)
    result = cli("render", session, "-o", project.parent / f"{project.name}-out")
    assert result.code == 2
    lines = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.err
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.err
    check()


def test_clip_fades_longer_than_the_clip_are_refused(project: Path, cli, unchanged) -> None:
    text = BASE.format(track_extra="", returns_extra="").replace(
        'file = "vox.wav"\nstem = "vocals"', 'stem = "vocals"\n  [[tracks.clips]]\n  file = "vox.wav"\n  length_s = 0.05\n  fade_in_s = 0.04\n  fade_out_s = 0.02'
    )
    session = project / "session.toml"
    session.write_text(text)
    check = unchanged(project)
    result = cli("render", session, "-o", project.parent / "out-fades")
    assert result.code == 2
    assert 'tracks[1] ("Lead Vox").clips[1]: fade_in_s=0.04 + fade_out_s=0.02 is longer than length_s=0.05 (session.toml)' in result.err
    check()


def test_cli_says_which_stems_cannot_null_and_records_the_tap_point(project: Path, cli, unchanged, tmp_path_factory) -> None:
    session = write_session(project, '  [[tracks.sends]]\n  to = "plate"\n', '  [[returns.inserts]]\n  type = "saturation"\n  drive_db = 30\n')
    session.write_text(session.read_text() + '\n[master]\n  [[master.inserts]]\n  type = "limiter"\n')
    check = unchanged(project)
    out = tmp_path_factory.mktemp("render")
    result = cli("render", session, "-o", out, "--format", "wav32f")
    assert result.code == 0, result.err
    assert "stems vocals, drums" in result.err or "stems drums, vocals" in result.err
    assert "cannot null exactly" in result.err and "plate" in result.err
    report = json.loads((out / "render.json").read_text())
    assert report["tap_point"] == "pre-master"
    assert report["nulling"]["non_linear_returns"][0]["residual_peak_dbfs"] is not None
    result = cli("render", session, "-o", out, "--master-chain", "--tail-max", "0.5", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["tap_point"] == "post-master" and report["stems_tap_point"] == "pre-master"
    assert report["nulling"]["stems_sum_to_mix"] is False
    assert report["nulling"]["master_chain_residual_peak_dbfs"] is not None
    assert "do not sum to this mix (mix − Σ stems:" in result.err
    check()
