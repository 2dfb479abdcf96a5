"""Folder import: headers, formats, split stereo pairs, BWF offsets, bad folders."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stemforge.audio import atomic_path
from stemforge.audio.riff import insert_bext
from stemforge.errors import AudioFormatError, InputNotFoundError, UsageError
from stemforge.importers.folder import default_title, import_folder, scan_folder

RNG = np.random.default_rng(3)


def noise(channels: int, frames: int) -> np.ndarray:
    return (0.1 * RNG.standard_normal((channels, frames))).astype(np.float32)


def write_bwf(path: Path, samples: np.ndarray, sample_rate: int, time_reference: int) -> None:
    buffer = io.BytesIO()
    sf.write(buffer, samples.T, sample_rate, subtype="PCM_24", format="WAV")
    with atomic_path(path) as temp:
        temp.write_bytes(insert_bext(buffer.getvalue(), time_reference))


def test_reads_every_format_and_picks_the_common_rate(tmp_path: Path, wav) -> None:
    wav(tmp_path / "01_Kick.wav", noise(1, 4800))
    wav(tmp_path / "02_Snare.wav", noise(1, 4800))
    sf.write(tmp_path / "03_Bass.flac", noise(1, 4800).T, 48000, subtype="PCM_24")
    sf.write(tmp_path / "04_Keys.aiff", noise(2, 4410).T, 44100, subtype="PCM_16")
    sf.write(tmp_path / "05_Vox.mp3", noise(1, 48000).T, 48000, format="MP3")
    tracks = scan_folder(tmp_path)
    assert [t.name for t in tracks] == ["01_Kick", "02_Snare", "03_Bass", "04_Keys", "05_Vox"]
    assert [t.channels for t in tracks] == [1, 1, 1, 2, 1]
    assert tracks[3].sample_rate == 44100
    session, _, _ = import_folder(tmp_path)
    assert session.sample_rate == 48000


@pytest.mark.parametrize(("left", "right"), [("Gtr.L", "Gtr.R"), ("Gtr_L", "Gtr_R"), ("Gtr L", "Gtr R"), ("Gtr-Left", "Gtr-Right"), ("Gtr (L)", "Gtr (R)")])
def test_split_stereo_files_become_one_track(tmp_path: Path, wav, left: str, right: str) -> None:
    wav(tmp_path / f"{left}.wav", noise(1, 4800))
    wav(tmp_path / f"{right}.wav", noise(1, 4800))
    wav(tmp_path / "Bass.wav", noise(1, 4800))
    tracks = scan_folder(tmp_path)
    gtr = [t for t in tracks if t.name == "Gtr"]
    assert len(tracks) == 2 and len(gtr) == 1
    assert [f.name for f in gtr[0].files] == [f"{left}.wav", f"{right}.wav"]
    assert gtr[0].channels == 2


def test_l_r_files_of_different_lengths_stay_separate(tmp_path: Path, wav) -> None:
    wav(tmp_path / "Gtr_L.wav", noise(1, 4800))
    wav(tmp_path / "Gtr_R.wav", noise(1, 4000))
    assert sorted(t.name for t in scan_folder(tmp_path)) == ["Gtr_L", "Gtr_R"]


def test_bwf_time_reference_becomes_the_offset(tmp_path: Path, wav) -> None:
    wav(tmp_path / "Kick.wav", noise(1, 48000))
    write_bwf(tmp_path / "Riser.wav", noise(1, 4800), 48000, time_reference=72000)
    offsets = {t.name: t.offset_s for t in scan_folder(tmp_path)}
    assert offsets == {"Kick": 0.0, "Riser": 1.5}


def test_when_every_file_is_stamped_offsets_are_relative_to_the_earliest(tmp_path: Path) -> None:
    hour = 3600 * 48000
    write_bwf(tmp_path / "Kick.wav", noise(1, 4800), 48000, time_reference=hour)
    write_bwf(tmp_path / "Vox.wav", noise(1, 4800), 48000, time_reference=hour + 96000)
    offsets = {t.name: t.offset_s for t in scan_folder(tmp_path)}
    assert offsets == {"Kick": 0.0, "Vox": 2.0}


def test_proposes_stems_and_keeps_excluded_tracks_out_of_them(tmp_path: Path, wav) -> None:
    for name in ("01_KickIn", "07_BassDI", "18_LeadVox", "99_Click"):
        wav(tmp_path / f"{name}.wav", noise(1, 4800))
    session, _, proposals = import_folder(tmp_path)
    stems = {t.name: t.stem for t in session.tracks}
    assert stems["01_KickIn"] == "drums" and stems["07_BassDI"] == "bass" and stems["99_Click"] == "exclude"
    assert "exclude" not in [s.name for s in session.stems]
    assert all(p.reason for p in proposals)


def test_bad_folders(tmp_path: Path, wav) -> None:
    with pytest.raises(InputNotFoundError, match="no such folder"):
        scan_folder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hi")
    with pytest.raises(UsageError, match="holds no audio files"):
        scan_folder(tmp_path / "empty")
    wav(tmp_path / "bad" / "Kick.wav", noise(1, 4800))
    (tmp_path / "bad" / "Snare.wav").write_text("this is not audio")
    with pytest.raises(AudioFormatError, match=r"Snare\.wav: not a readable audio file"):
        scan_folder(tmp_path / "bad")


def test_truncated_wav_is_named(tmp_path: Path, wav) -> None:
    path = wav(tmp_path / "Kick.wav", noise(1, 48000))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioFormatError, match=r"Kick\.wav: truncated: its header declares 48000 frames"):
        scan_folder(tmp_path)


def test_default_title_skips_generic_folder_names(tmp_path: Path) -> None:
    (tmp_path / "Night Owl" / "tracks").mkdir(parents=True)
    assert default_title(tmp_path / "Night Owl" / "tracks") == "Night Owl"
    assert default_title(tmp_path / "Night Owl") == "Night Owl"
