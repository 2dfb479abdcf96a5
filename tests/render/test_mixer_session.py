"""The mixer's tables in the session file: loaded, validated and saved without losing anything."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from stemforge.dsp import EFFECTS
from stemforge.errors import SessionError
from stemforge.session import Clip, Send, load_session, save_session

SESSION = """\
[session]
title = "Mixer"
sample_rate = 48000
tail_max_s = 4.5

[[tracks]]
name = "Lead Vox"
stem = "vocals"

  [[tracks.clips]]  # the verse
  file = "vox.wav"
  position_s = 12.0
  source_offset_s = 0.5
  length_s = 0.25
  gain_db = -2
  fade_in_s = 0.01
  fade_out_s = 0.05
  fade_shape = "s_curve"

  [[tracks.inserts]]
  type = "eq"
  bands = [{ kind = "highpass", cutoff_hz = 90, slope_db_oct = 24 }, { kind = "peak", freq_hz = 3000, gain_db = -2, q = 1.2 }]

  [[tracks.inserts]]
  type = "compressor"
  threshold_db = -18
  ratio = 4

  [[tracks.sends]]
  to = "plate"
  level_db = -12
  pre_fader = true

[[stems]]
name = "vocals"

  [[stems.inserts]]
  type = "limiter"

[[returns]]
name = "plate"

  [[returns.inserts]]
  type = "reverb"
  room_size = 0.7

[master]
target = "streaming"

  [[master.inserts]]
  type = "clipper"
  threshold_db = -0.5
"""


@pytest.fixture
def session_file(tmp_path: Path, wav) -> Path:
    wav(tmp_path / "vox.wav", 0.1 * np.ones((1, 48000)))
    path = tmp_path / "session.toml"
    path.write_text(SESSION)
    return path


def test_mixer_tables_load_into_the_model(session_file: Path) -> None:
    s = load_session(session_file)
    vox = s.tracks[0]
    assert vox.files == (session_file.parent / "vox.wav",)
    assert vox.clips == (Clip(vox.files, 12.0, 0.5, 0.25, -2.0, 0.01, 0.05, "s_curve"),)
    assert [e.type_name for e in vox.inserts] == ["eq", "compressor"]
    assert vox.sends == (Send("plate", -12.0, True),)
    assert [e.type_name for e in s.stems[0].inserts] == ["limiter"]
    assert s.returns[0].name == "plate" and s.returns[0].inserts[0].room_size == 0.7
    assert s.master.inserts == (EFFECTS["clipper"](threshold_db=-0.5),)
    assert s.tail_max_s == 4.5


def test_saving_keeps_comments_and_writes_changes(session_file: Path, tmp_path: Path) -> None:
    s = load_session(session_file)
    save_session(s, tmp_path / "same.toml")
    assert "# the verse" in (tmp_path / "same.toml").read_text()
    assert load_session(tmp_path / "same.toml") == dataclasses.replace(s, path=(tmp_path / "same.toml").resolve())
    louder = dataclasses.replace(s.tracks[0], sends=(Send("plate", -6.0),), inserts=s.tracks[0].inserts[:1])
    changed = dataclasses.replace(s, tracks=(louder,))
    save_session(changed, tmp_path / "changed.toml")
    again = load_session(tmp_path / "changed.toml")
    assert again.tracks[0].sends == (Send("plate", -6.0),) and len(again.tracks[0].inserts) == 1
    assert again.tracks[0].clips == s.tracks[0].clips


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('stem = "vocals"\n', 'stem = "vocals"\nfile = "vox.wav"\n', r'tracks\[1\] \("Lead Vox"\): has both file and \[\[tracks.clips\]\]'),
        ('fade_shape = "s_curve"', 'fade_shape = "scurve"', r'fade_shape="scurve" is not one of: linear, equal_power, exponential, s_curve; did you mean "s_curve"\?'),
        ("position_s = 12.0", "position_s = -1.0", r"clips\[1\]\.position_s=-1\.0 must be between 0 and 86400"),
        ("room_size = 0.7", "room_size = 1.7", r'returns\[1\] \("plate"\)\.inserts\[1\] \(reverb\)\.room_size=1.7 must be between 0 and 1'),
        ('name = "plate"', 'name = "plate"\ngain = 1', r"returns\[1\] \(\"plate\"\): unknown key 'gain'; did you mean \"gain_db\"\?"),
        ('type = "limiter"', 'type = "limitter"', r'stems\[1\]\.inserts\[1\]\.type="limitter" is not one of: .*; did you mean "limiter"\?'),
        ('type = "clipper"', 'type = "clipper"\n  ceiling_db = 0', r"master\.inserts\[1\] \(clipper\): unknown parameter 'ceiling_db'"),
    ],
)
def test_invalid_mixer_tables_name_the_key(session_file: Path, old: str, new: str, message: str) -> None:
    session_file.write_text(SESSION.replace(old, new, 1))
    with pytest.raises(SessionError, match=message):
        load_session(session_file)
