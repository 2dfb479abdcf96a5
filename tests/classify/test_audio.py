"""The audio classifier on synthetic signals that resemble each class."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from _signals import (
    bass_line,
    chord_pad,
    drum_loop,
    guitar_strum,
    piano_chords,
    shaker,
    staccato_bass,
    sung_vowel,
    voice,
    with_silence,
)

from stemforge.audio import AudioBuffer
from stemforge.classify import classify_audio, classify_file, read_excerpt
from stemforge.classify.audio import loudest_start
from stemforge.errors import InputNotFoundError, UsageError

SIGNALS: dict[str, tuple[Callable[..., np.ndarray], str]] = {
    "kick/snare/hat loop": (drum_loop, "drums"),
    "bass line": (bass_line, "bass"),
    "sung vowel line": (sung_vowel, "lead_vocals"),
    "chord pad": (chord_pad, "other"),
}


@pytest.mark.parametrize(("sample_rate", "channels"), [(44100, 1), (48000, 2), (96000, 1)])
@pytest.mark.parametrize("label", list(SIGNALS))
def test_each_class(label: str, sample_rate: int, channels: int) -> None:
    make, role = SIGNALS[label]
    mono = make(sample_rate)
    result = classify_audio(AudioBuffer(np.tile(mono, (channels, 1)), sample_rate))
    assert result.role == role, result
    assert result.reason.startswith("audio: ")
    assert 0.0 < result.confidence <= 0.85
    if role == "other":
        assert result.confidence <= 0.35, "unsure means a low confidence"


MORE: dict[str, tuple[Callable[..., np.ndarray], str]] = {
    "male voice (C3)": (voice, "lead_vocals"),
    "female voice (G4)": (lambda rate: voice(rate, base_midi=67, formants_hz=(900.0, 1500.0, 2900.0)), "lead_vocals"),
    "staccato bass": (staccato_bass, "bass"),
    "shaker": (shaker, "drums"),
    "piano chords, low left hand": (piano_chords, "other"),
    "strummed open E chord": (guitar_strum, "other"),
}


@pytest.mark.parametrize("label", list(MORE))
def test_more_signals(label: str) -> None:
    make, role = MORE[label]
    result = classify_audio(AudioBuffer(make(44100)[None, :], 44100))
    assert result.role == role, result


def test_silence_is_other_with_no_confidence() -> None:
    result = classify_audio(AudioBuffer(np.zeros((2, 48000 * 3), np.float32), 48000))
    assert result.role == "other"
    assert result.confidence <= 0.05


def test_decides_from_the_loudest_part() -> None:
    sample_rate = 48000
    mono = with_silence(drum_loop(sample_rate), sample_rate, before_s=40.0, after_s=20.0)
    start = loudest_start(mono, sample_rate, seconds=4.0)
    assert 39.0 * sample_rate <= start <= 43.0 * sample_rate
    assert classify_audio(AudioBuffer(mono[None, :], sample_rate)).role == "drums"


def test_file_reads_only_an_excerpt_fast(tmp_path: Path) -> None:
    sample_rate = 48000
    mono = with_silence(bass_line(sample_rate, seconds=8.0), sample_rate, before_s=150.0, after_s=80.0)
    path = tmp_path / "Audio 07.wav"
    sf.write(str(path), mono, sample_rate, subtype="PCM_24")
    started = time.perf_counter()
    result = classify_file(path)
    elapsed = time.perf_counter() - started
    assert result.role == "bass"
    assert elapsed < 2.0
    excerpt = read_excerpt([path], seconds=4.0)
    assert excerpt.channels == 1
    assert excerpt.frames == 4 * sample_rate


def test_split_pair_is_heard_together(tmp_path: Path) -> None:
    sample_rate = 44100
    vowel = sung_vowel(sample_rate)
    left, right = tmp_path / "Audio 3.L.wav", tmp_path / "Audio 3.R.wav"
    sf.write(str(left), vowel, sample_rate)
    sf.write(str(right), 0.8 * vowel, sample_rate)
    assert classify_file([left, right]).role == "lead_vocals"


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="no such file"):
        classify_file(tmp_path / "missing.wav")
    with pytest.raises(UsageError, match="seconds=0 must be positive"):
        classify_audio(AudioBuffer(np.zeros((1, 100), np.float32), 48000), seconds=0)
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    sf.write(str(a), np.zeros(4800, np.float32), 48000)
    sf.write(str(b), np.zeros(4410, np.float32), 44100)
    with pytest.raises(UsageError, match="sample rates differ"):
        read_excerpt([a, b])


@pytest.mark.parametrize("label", list(SIGNALS))
def test_level_and_polarity_do_not_change_the_role(label: str) -> None:
    """A track's role does not depend on its gain (-24 dB) or polarity."""
    make, role = SIGNALS[label]
    mono = make(48000)
    for changed in (mono * 10 ** (-24 / 20), -mono):
        assert classify_audio(AudioBuffer(changed[None, :].astype(np.float32), 48000)).role == role


@pytest.mark.parametrize("frames", [1, 100, 4800, 12001])
def test_very_short_files(tmp_path: Path, frames: int) -> None:
    path = tmp_path / "short.wav"
    sf.write(str(path), (0.1 * np.sin(np.arange(frames) * 0.05)).astype(np.float32), 48000)
    assert classify_file(path).role in {"drums", "bass", "lead_vocals", "other"}
    assert read_excerpt([path]).frames == frames
