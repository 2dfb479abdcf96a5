"""Loading, validating and saving session files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stemforge.errors import InputNotFoundError, SessionError
from stemforge.session import Session, Stem, Track, load_session, save_session


@pytest.fixture
def project(tmp_path: Path, wav) -> Path:
    wav(tmp_path / "tracks" / "kick.wav", np.zeros((1, 4800)))
    wav(tmp_path / "tracks" / "vox.wav", np.zeros((2, 4800)))
    return tmp_path


BASE = """\
# my notes about this song
[session]
title = "Night Owl"
sample_rate = 48000

[[tracks]]
name = "Kick"   # the inside mic
file = "tracks/kick.wav"
stem = "drums"
{extra}

[[tracks]]
name = "Vox"
file = "tracks/vox.wav"
stem = "lead_vocals"

[[stems]]
name = "drums"

[[stems]]
name = "lead_vocals"

[master]
target = "streaming"
"""


def write_session(project: Path, extra: str = "", text: str | None = None) -> Path:
    path = project / "session.toml"
    path.write_text(text if text is not None else BASE.format(extra=extra))
    return path


def test_loads_values_defaults_and_resolves_paths(project: Path) -> None:
    session = load_session(write_session(project, 'pan = -0.5\ngain_db = -3\noffset_s = 1.25'))
    kick, vox = session.tracks
    assert (kick.pan, kick.gain_db, kick.offset_s) == (-0.5, -3.0, 1.25)
    assert (vox.pan, vox.gain_db, vox.mute, vox.solo, vox.invert) == (0.0, 0.0, False, False, False)
    assert kick.files == ((project / "tracks" / "kick.wav").resolve(),)
    assert [s.name for s in session.stems] == ["drums", "lead_vocals"]
    assert session.stems[0].role == "drums"
    assert session.master.target_lufs == -14.0 and session.master.target_ceiling_dbtp == -1.0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("pan = 1.7", r'tracks\[1\] \("Kick"\)\.pan=1\.7 must be between -1 and 1 \(session\.toml\)'),
        ("gain_db = 40", r"gain_db=40\.0 must be between -120 and 24"),
        ("offset_s = -1", r"offset_s=-1\.0 must be between 0 and 86400"),
        ('pan = "left"', r'pan="left" must be a number'),
        ("mute = 1", r"mute=1 must be true or false"),
        ("gain_bd = -3", r"unknown key 'gain_bd'; did you mean \"gain_db\"\?"),
    ],
)
def test_bad_track_values_name_the_key_and_the_range(project: Path, extra: str, message: str) -> None:
    with pytest.raises(SessionError, match=message):
        load_session(write_session(project, extra))


def test_toml_syntax_error_gives_the_line(project: Path) -> None:
    text = BASE.format(extra="").replace('stem = "lead_vocals"', 'stem = "lead_vocals')
    with pytest.raises(SessionError, match=r"session\.toml:15:\d+: TOML syntax error"):
        load_session(write_session(project, text=text))


def test_stem_that_is_not_defined_suggests_one(project: Path) -> None:
    text = BASE.format(extra="").replace('stem = "drums"', 'stem = "drumz"')
    with pytest.raises(SessionError, match=r'stem="drumz" names no stem in \[\[stems\]\]; did you mean "drums"\?'):
        load_session(write_session(project, text=text))


def test_missing_track_file_is_named(project: Path) -> None:
    text = BASE.format(extra="").replace("tracks/kick.wav", "tracks/kik.wav")
    with pytest.raises(InputNotFoundError, match=r'tracks\[1\] \("Kick"\)\.file="tracks/kik\.wav": no such file'):
        load_session(write_session(project, text=text))


def test_unknown_table_and_missing_session_table(project: Path) -> None:
    with pytest.raises(SessionError, match=r"unknown table 'stem'; did you mean \"stems\"\?"):
        load_session(write_session(project, text=BASE.format(extra="") + "\n[stem]\nx = 1\n"))
    with pytest.raises(SessionError, match=r"missing the \[session\] table"):
        load_session(write_session(project, text='[[tracks]]\nname = "a"\nfile = "tracks/kick.wav"\nstem = "drums"\n'))


def test_unknown_master_target_lists_the_targets(project: Path) -> None:
    text = BASE.format(extra="").replace('target = "streaming"', 'target = "stream"')
    with pytest.raises(SessionError, match=r'master\.target="stream" is not one of: streaming, apple'):
        load_session(write_session(project, text=text))


def test_session_without_stems_table_derives_stems_in_role_order(project: Path) -> None:
    text = BASE.format(extra="").split("[[stems]]")[0]
    session = load_session(write_session(project, text=text))
    assert [s.name for s in session.stems] == ["drums", "lead_vocals"]


def test_saving_keeps_comments_order_and_unwritten_defaults(project: Path) -> None:
    path = write_session(project)
    session = load_session(path)
    kick = dataclasses.replace(session.tracks[0], gain_db=-4.5)
    edited = dataclasses.replace(session, tracks=(kick, *session.tracks[1:]))
    save_session(edited, path)
    text = path.read_text()
    assert text.startswith("# my notes about this song\n")
    assert 'name = "Kick"   # the inside mic' in text
    assert "gain_db = -4.5" in text
    assert "pan =" not in text  # a key the user left out stays out while at its default
    assert load_session(path).tracks[0].gain_db == -4.5


def test_saving_elsewhere_rewrites_paths_relative_to_the_new_file(project: Path) -> None:
    session = load_session(write_session(project))
    other = project / "sub" / "copy.toml"
    save_session(session, other)
    assert 'file = "../tracks/kick.wav"' in other.read_text()
    assert load_session(other).tracks == session.tracks


names = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF, blacklist_categories=("Cs",)), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=names,
    gains=st.lists(st.floats(-120, 24, allow_nan=False), min_size=1, max_size=4),
    pan=st.floats(-1, 1, allow_nan=False),
    offset_s=st.floats(0, 600, allow_nan=False),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_save_then_load_gives_the_same_session(project: Path, title: str, gains: list[float], pan: float, offset_s: float, flags: tuple[bool, bool, bool]) -> None:
    kick = (project / "tracks" / "kick.wav").resolve()
    tracks = tuple(
        Track(f"t{i}", (kick,), "drums" if i % 2 else "bass", gain_db=g, pan=pan, mute=flags[0], solo=flags[1], invert=flags[2], offset_s=offset_s)
        for i, g in enumerate(gains)
    )
    stems = tuple(Stem(n, role=n) for n in sorted({t.stem for t in tracks}))
    session = Session(title=title, sample_rate=44100, tracks=tracks, stems=stems)
    path = save_session(session, project / "roundtrip.toml")
    loaded = load_session(path)
    assert loaded.title == title
    assert loaded.tracks == tracks
    assert loaded.stems == stems
