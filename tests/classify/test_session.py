"""Session-level classification: name + audio, and reasoning across tracks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from _signals import bass_line, drum_loop, sung_vowel, with_silence

from stemforge.classify import (
    Classification,
    classify_session,
    classify_tracks,
    combine,
)
from stemforge.errors import UsageError


@dataclass(frozen=True)
class Track:
    name: str
    files: tuple[Path, ...] = field(default=())


def _roles(names: list[str]) -> list[str]:
    return [r.role for r in classify_session([Track(n) for n in names], audio=False)]


def test_same_order_one_result_per_track() -> None:
    names = ["01_KickIn", "Gtr", "Vox", "Click", "Audio 07"]
    results = classify_tracks([Track(n) for n in names])
    assert [r.role for r in results] == ["drums", "guitars", "lead_vocals", "exclude", "other"]


def test_lying_name_keeps_its_role_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "Vocals.wav"
    sf.write(str(path), drum_loop(48000), 48000, subtype="PCM_24")
    before = path.read_bytes()
    (result,) = classify_session([Track("Vocals", (path,))])
    assert result.role == "lead_vocals"
    assert "audio looks like drums" in result.reason and "name wins" in result.reason
    assert path.read_bytes() == before


def test_strong_audio_beats_a_weak_name() -> None:
    weak_name = Classification("synths", 0.35, 'name says "lead" only: a lead synth or a lead vocal')
    result = combine(weak_name, Classification("lead_vocals", 0.75, "audio: voice-like"))
    assert result.role == "lead_vocals" and "audio wins" in result.reason
    vocals = Classification("lead_vocals", 0.75, 'name says "vocals"')
    assert combine(vocals, Classification("drums", 0.85, "audio: drum-like hits")).role == "lead_vocals"
    beat = Classification("drums", 0.5, 'name says "beat"')
    result = combine(beat, Classification("bass", 0.85, "audio: low pitch (~55 Hz)"))
    assert result.role == "bass" and result.reason == 'name says "beat", audio says bass (low pitch); audio wins'
    kick = Classification("drums", 0.9, 'name says "kick"')
    assert combine(kick, Classification("lead_vocals", 0.85, "audio: voice-like")).role == "drums"


def test_names_that_say_nothing_are_heard(tmp_path: Path) -> None:
    tracks = []
    for i, make in enumerate((bass_line, sung_vowel, drum_loop)):
        path = tmp_path / f"Audio {i + 1}.wav"
        sf.write(str(path), make(44100), 44100)
        tracks.append(Track(f"Audio {i + 1}", (path,)))
    results = classify_session(tracks)
    assert [r.role for r in results] == ["bass", "lead_vocals", "drums"]
    assert all(r.reason.startswith("name says nothing; audio:") for r in results)


def test_split_pair_and_di_stay_together() -> None:
    assert _roles(["Gtr L", "Gtr R", "Gtr DI"]) == ["guitars"] * 3
    assert _roles(["Bass DI", "Bass Amp"]) == ["bass", "bass"]
    assert _roles(["Kick In", "Kick Out", "Kick Sub"]) == ["drums"] * 3


def test_parts_of_one_source_follow_the_surest() -> None:
    results = classify_session([Track("Gtr L"), Track("Gtr R")], audio=False)
    forced = [results[0], Classification("bass", 0.5, "audio: low pitch")]
    # what a pair looks like when one side was misheard: the group rule restores it
    from stemforge.classify.session import _keep_sources_together

    _keep_sources_together(["Gtr L", "Gtr R"], forced)
    assert forced[1].role == "guitars" and 'same source as "Gtr L"' in forced[1].reason


def test_several_vocals_keep_one_lead() -> None:
    roles = _roles(["Lead Vox", "Vox Dbl", "Harmony 1", "BGV 2", "Adlib"])
    assert roles == ["lead_vocals"] + ["backing_vocals"] * 4
    assert _roles(["Vox 1", "Vox 2", "Vox 3"]) == ["lead_vocals", "backing_vocals", "backing_vocals"]
    assert _roles(["Vox 2", "Lead Vox 3"])[1] == "lead_vocals"
    assert _roles(["Verse 1", "Verse 2", "Hook"]) == ["lead_vocals"] * 3


def test_loudest_take_is_the_lead(tmp_path: Path) -> None:
    quiet, loud = tmp_path / "a.wav", tmp_path / "b.wav"
    sf.write(str(quiet), 0.2 * sung_vowel(48000), 48000)
    sf.write(str(loud), sung_vowel(48000, seed=7), 48000)
    results = classify_session([Track("Vox A", (quiet,)), Track("Vox B", (loud,))])
    # different names: both stay lead; the same name twice: the louder leads
    assert [r.role for r in results] == ["lead_vocals", "lead_vocals"]
    results = classify_session([Track("Vox", (quiet,)), Track("Vox", (loud,))])
    assert [r.role for r in results] == ["backing_vocals", "lead_vocals"]


def test_lone_sub_beside_kick_and_bass_is_the_sub_kick() -> None:
    assert _roles(["Kick In", "Kick Out", "Sub", "Bass DI"])[2] == "drums"
    assert _roles(["Sub", "Kick"])[0] == "bass"


def test_unreadable_file_falls_back_to_the_name(tmp_path: Path) -> None:
    bad = tmp_path / "Kick.wav"
    bad.write_bytes(b"not audio at all")
    (result,) = classify_session([Track("Kick", (bad,))])
    assert result.role == "drums"


def test_words_every_track_shares_do_not_decide() -> None:
    names = ["Bass Lake_Kick", "Bass Lake_Audio 3", "Bass Lake_Vox", "Bass Lake_Gtr L"]
    results = classify_session([Track(n) for n in names], audio=False)
    assert [r.role for r in results] == ["drums", "other", "lead_vocals", "guitars"]
    assert results[1].confidence <= 0.1 and '"Bass Lake" ignored' in results[1].reason
    # but shared words that are all a name says still count
    assert _roles(["Drums_01", "Drums_02", "Drums_03"]) == ["drums"] * 3
    assert _roles(["Kick In", "Kick Out", "Kick Sub", "Kick Sample"]) == ["drums"] * 4
    assert _roles(["Vocals - Lead", "Vocals - Dbl", "Vocals - Harm"]) == ["lead_vocals", "backing_vocals", "backing_vocals"]


def test_longest_active_take_is_the_lead(tmp_path: Path) -> None:
    rate = 22050
    whole = np.concatenate([sung_vowel(rate, seconds=6.0, seed=s) for s in range(5)]) * 0.4
    chorus = with_silence(sung_vowel(rate, seconds=6.0, seed=9), rate, before_s=12.0, after_s=12.0)
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    sf.write(str(a), whole, rate)
    sf.write(str(b), chorus, rate)
    results = classify_session([Track("Vox", (b,)), Track("Vox", (a,))])
    assert [r.role for r in results] == ["backing_vocals", "lead_vocals"]


def test_among_unnamed_vocals_the_longest_active_leads(tmp_path: Path) -> None:
    rate = 22050
    whole = np.concatenate([sung_vowel(rate, seconds=6.0, seed=s) for s in range(5)]) * 0.4
    chorus = with_silence(sung_vowel(rate, seconds=6.0, seed=9), rate, before_s=12.0, after_s=12.0)
    a, b = tmp_path / "Audio 3.wav", tmp_path / "Audio 7.wav"
    sf.write(str(a), chorus, rate)
    sf.write(str(b), whole, rate)
    results = classify_session([Track("Audio 3", (a,)), Track("Audio 7", (b,))])
    assert [r.role for r in results] == ["backing_vocals", "lead_vocals"]


def test_players_vocal_mics() -> None:
    assert _roles(["Lead Vox", "Gtr Vox", "Keys Vox"]) == ["lead_vocals", "backing_vocals", "backing_vocals"]
    results = classify_session([Track("Piano"), Track("Piano Vox")], audio=False)
    assert results[1].role == "lead_vocals" and "only singer" in results[1].reason


def test_seconds_must_be_positive() -> None:
    with pytest.raises(UsageError, match="seconds=0 must be positive"):
        classify_session([Track("Kick")], seconds=0)
