"""The bundled demo song: a realistic, deterministic multitrack.

Most tests use a six-bar song (every section, one bar each) so they stay fast; the
full-length checks (duration, summed-mix level and loudness) share one module-scoped
synthesis of the default song.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from stemforge.audio import read_info
from stemforge.demo import (
    DEFAULT_BARS,
    PAD_SAMPLE_RATE,
    SAMPLE_RATE,
    TRACKS,
    arrange,
    tracks,
    write_demo_tracks,
)
from stemforge.demo.parts import SCALE, bass_notes, harmony_notes, vocal_notes
from stemforge.errors import OutputError, UsageError

SHORT_BARS = 6
EXPECTED_FILES = {name for spec in TRACKS for name in spec.files}
RISER = "24_RiserFX.wav"


@pytest.fixture(scope="module")
def short_song(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_demo_tracks(tmp_path_factory.mktemp("short"), bars=SHORT_BARS)


@pytest.fixture(scope="module")
def full_song(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_demo_tracks(tmp_path_factory.mktemp("full"))


def _peak_dbfs(path: Path) -> float:
    samples, _ = sf.read(path, dtype="float64", always_2d=True)
    return float(20.0 * np.log10(np.max(np.abs(samples))))


def _summed_mix(paths: list[Path]) -> np.ndarray:
    """Every track summed with no gain: mono centred at -3 dB, split pairs hard left/right."""
    infos = [read_info(p) for p in paths]
    mix = np.zeros((max(i.frames for i in infos if i.sample_rate == SAMPLE_RATE), 2), dtype=np.float32)
    for path, info in zip(paths, infos, strict=True):
        samples, rate = sf.read(path, dtype="float32", always_2d=True)
        if rate != SAMPLE_RATE:
            samples = soxr.resample(samples, rate, SAMPLE_RATE)
        start = info.time_reference or 0
        n = min(samples.shape[0], mix.shape[0] - start)
        target = mix[start : start + n]
        if samples.shape[1] == 2:
            target += samples[:n]
        elif path.name.endswith((".L.wav", ".R.wav")):
            target[:, 0 if path.name.endswith(".L.wav") else 1] += samples[:n, 0]
        else:
            target += samples[:n] * np.float32(np.sqrt(0.5))
    return mix


# ------------------------------------------------------------------------ validation


@pytest.mark.parametrize("bars", [0, 3, -1, 2.5, "8", True])
def test_refuses_songs_shorter_than_four_bars(tmp_path: Path, bars: object) -> None:
    with pytest.raises(UsageError, match=r"bars=.* must be an integer of at least 4"):
        write_demo_tracks(tmp_path, bars=bars)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("seed", [-1, 1.5, None])
def test_refuses_a_bad_seed(tmp_path: Path, seed: object) -> None:
    with pytest.raises(UsageError, match=r"seed=.* must be a non-negative integer"):
        write_demo_tracks(tmp_path, seed=seed, bars=4)  # type: ignore[arg-type]


def test_refuses_a_file_as_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "tracks"
    target.write_bytes(b"not a folder")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        write_demo_tracks(target, bars=4)
    assert target.read_bytes() == b"not a folder"


# ------------------------------------------------------------------------------ form


@pytest.mark.parametrize("bars", [4, 5, 6, 7, 8, 12, 17, 36, 48])
def test_every_length_keeps_the_song_form(bars: int) -> None:
    song = arrange(bars)
    kinds = [s.kind for s in song.sections]
    assert sum(s.bars for s in song.sections) == len(song.bars) == bars
    assert kinds[0] == "intro" and kinds[-1] == "outro" and "verse" in kinds and "chorus" in kinds
    assert all(s.bars >= 1 for s in song.sections)
    assert song.bars[-1].chord.name == "Am"  # ends on the tonic
    for riser, chorus in zip(song.risers(), [s for s in song.sections if s.kind == "chorus"], strict=True):
        assert riser.end_s == chorus.start_bar * song.bar_s
        assert riser.start_s < riser.end_s


def test_default_song_has_the_full_form() -> None:
    song = arrange()
    assert [(s.kind, s.bars) for s in song.sections] == [
        ("intro", 4), ("verse", 8), ("chorus", 8), ("verse", 4), ("chorus", 8), ("outro", 4),
    ]
    assert len(song.bars) == DEFAULT_BARS
    assert song.duration_s >= 60.0


def test_parts_are_in_key_and_follow_the_chords() -> None:
    song = arrange()
    rng = np.random.default_rng(0)
    chord_at = {bar.index: bar.chord for bar in song.bars}
    for note in bass_notes(song, rng):
        chord = chord_at[int((note.start_s + 0.05) // song.bar_s)]
        assert int(note.midi) % 12 == chord.root  # the bass plays roots (and their octaves)
    for part in (vocal_notes(song, rng), harmony_notes(song, rng, steps=2), harmony_notes(song, rng, steps=-2)):
        assert part
        assert all(int(n.midi) % 12 in SCALE for n in part)
        assert all(55 <= n.midi <= 79 for n in part)  # a singer's range, G3 … G5
        assert all(n.vowel in "aeiou" and n.vowel for n in part)


# ---------------------------------------------------------------------------- files


def test_writes_the_delivery_and_nothing_else(short_song: list[Path]) -> None:
    folder = short_song[0].parent
    assert {p.name for p in short_song} == EXPECTED_FILES
    assert {p.name for p in folder.iterdir()} == EXPECTED_FILES  # no temporary files left
    assert len(TRACKS) >= 12 and len(EXPECTED_FILES) >= 16
    for name in ("01_KickIn.wav", "03_SnareTop.wav", "05_OH.wav", "07_BassDI.wav", "10_Rhodes.wav",
                 "12_GtrRhy.L.wav", "12_GtrRhy.R.wav", "18_LeadVox.wav", "20_BGV.wav", RISER):
        assert name in EXPECTED_FILES


def test_formats_are_mixed_like_a_real_delivery(short_song: list[Path]) -> None:
    infos = {p.name: read_info(p) for p in short_song}
    assert {i.channels for i in infos.values()} == {1, 2}
    assert [n for n, i in infos.items() if i.sample_rate != SAMPLE_RATE] == ["14_Pad.wav"]
    assert infos["14_Pad.wav"].sample_rate == PAD_SAMPLE_RATE
    subtypes = [i.subtype for i in infos.values()]
    assert subtypes.count("PCM_16") == 1 and subtypes.count("PCM_24") == len(subtypes) - 1
    for name in ("05_OH.wav", "10_Rhodes.wav", "14_Pad.wav", "20_BGV.wav"):
        assert infos[name].channels == 2
    assert infos["12_GtrRhy.L.wav"].channels == infos["12_GtrRhy.R.wav"].channels == 1


def test_tracks_span_the_song_at_their_own_rate(short_song: list[Path]) -> None:
    song = arrange(SHORT_BARS)
    for path in short_song:
        info = read_info(path)
        if path.name == RISER:
            assert info.frames < song.frames(SAMPLE_RATE)
        else:
            assert info.frames == song.frames(info.sample_rate), path.name
            assert info.time_reference is None, path.name


def test_riser_starts_with_its_sound_at_its_bwf_time_reference(short_song: list[Path]) -> None:
    song = arrange(SHORT_BARS)
    path = next(p for p in short_song if p.name == RISER)
    info = read_info(path)
    assert info.time_reference == round(song.risers()[0].start_s * SAMPLE_RATE)
    assert info.time_reference + info.frames <= song.frames(SAMPLE_RATE)
    head, _ = sf.read(path, frames=SAMPLE_RATE // 4, dtype="int32")
    assert np.any(head != 0)  # no leading silence: the file starts where the sweep starts


def test_split_pair_is_two_different_takes(short_song: list[Path]) -> None:
    left, _ = sf.read(next(p for p in short_song if p.name == "12_GtrRhy.L.wav"), dtype="float64")
    right, _ = sf.read(next(p for p in short_song if p.name == "12_GtrRhy.R.wav"), dtype="float64")
    assert left.shape == right.shape
    correlation = float(np.dot(left, right) / np.sqrt(np.dot(left, left) * np.dot(right, right)))
    assert abs(correlation) < 0.9


def test_every_track_peaks_like_a_tracked_session(short_song: list[Path]) -> None:
    for path in short_song:
        peak = _peak_dbfs(path)
        assert -12.5 <= peak <= -3.0, f"{path.name} peaks at {peak:.1f} dBFS"


def test_overheads_hear_the_kick_and_snare(short_song: list[Path]) -> None:
    by_name = {p.name: p for p in short_song}
    snare, _ = sf.read(by_name["03_SnareTop.wav"], dtype="float64")
    overheads, _ = sf.read(by_name["05_OH.wav"], dtype="float64")
    hit = int(np.argmax(np.abs(snare)))
    window = overheads[hit - 480 : hit + 960]
    assert np.max(np.abs(window)) > 0.1 * np.max(np.abs(overheads))  # the snare rings in the OH


def test_lead_vocal_sings_in_the_vocal_range(short_song: list[Path]) -> None:
    vox, rate = sf.read(next(p for p in short_song if p.name == "18_LeadVox.wav"), dtype="float64")
    window = int(0.05 * rate)
    f0s = []
    for start in range(0, vox.shape[0] - window, window):
        block = vox[start : start + window]
        if np.sqrt(np.mean(block**2)) < 0.05 * np.max(np.abs(vox)):
            continue
        ac = np.correlate(block, block, "full")[window - 1 :]
        lo, hi = rate // 1000, rate // 80
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5 * ac[0]:  # clearly periodic: voiced
            f0s.append(rate / lag)
    assert len(f0s) >= 10
    assert 180.0 <= float(np.median(f0s)) <= 600.0


@pytest.mark.parametrize("workers", [1, 2])
def test_same_seed_rewrites_the_same_bytes_in_place(
    short_song: list[Path], workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracks, "_idle_workers", lambda: workers)
    folder = short_song[0].parent
    before = {p.name: p.read_bytes() for p in short_song}
    again = write_demo_tracks(folder, bars=SHORT_BARS)
    assert [p.name for p in again] == [p.name for p in short_song]
    assert {p.name: p.read_bytes() for p in again} == before
    assert sorted(os.listdir(folder)) == sorted(before)


def test_another_seed_gives_another_performance(tmp_path: Path, short_song: list[Path]) -> None:
    other = write_demo_tracks(tmp_path, seed=8, bars=SHORT_BARS)
    assert [p.name for p in other] == [p.name for p in short_song]
    assert all(a.read_bytes() != b.read_bytes() for a, b in zip(short_song, other, strict=True))


# ------------------------------------------------------------------ the full-length song


def test_default_song_is_long_enough_and_mixes_with_headroom(full_song: list[Path]) -> None:
    song = arrange()
    infos = {p.name: read_info(p) for p in full_song}
    assert min(i.duration_s for n, i in infos.items() if n != RISER) >= 60.0
    assert infos[RISER].time_reference == round(song.risers()[0].start_s * SAMPLE_RATE)
    for path in full_song:
        assert -12.5 <= _peak_dbfs(path) <= -3.0, path.name
    mix = _summed_mix(full_song)
    assert 20.0 * np.log10(np.max(np.abs(mix))) < -1.0
    pyloudnorm = pytest.importorskip("pyloudnorm")
    loudness = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(mix)
    assert -16.0 <= loudness <= -12.0


def test_the_44k1_pad_lands_on_the_48k_song_grid(full_song: list[Path]) -> None:
    # The pad rests through verse 1 and comes back on the first chorus downbeat.
    chorus_s = next(s for s in arrange().sections if s.kind == "chorus").start_bar * arrange().bar_s
    pad, rate = sf.read(next(p for p in full_song if p.name == "14_Pad.wav"), dtype="float64", always_2d=True)
    assert rate == PAD_SAMPLE_RATE
    search = round((chorus_s - 4.0) * rate)
    entry = search + int(np.argmax(np.max(np.abs(pad[search:]), axis=1) > 1e-4))
    assert abs(entry / rate - chorus_s) < 0.005

