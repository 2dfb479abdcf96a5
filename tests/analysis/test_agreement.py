"""Agreement with the meters engineers already trust: pyloudnorm and ffmpeg's ebur128."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.ffmpeg_ebur128 import ffmpeg_ebur128, needs_ffmpeg
from analysis.music import music_like
from conformance.ebu_signals import stepped_sine, stereo
from stemforge.analysis import analyze, analyze_file, integrated_loudness
from stemforge.audio import AudioBuffer, write


@pytest.fixture(scope="module")
def song() -> AudioBuffer:
    return music_like(32.0)


@pytest.mark.parametrize("sample_rate", [44100, 48000])
@pytest.mark.parametrize("seed", [1, 2])
def test_integrated_agrees_with_pyloudnorm(sample_rate: int, seed: int) -> None:
    pyloudnorm = pytest.importorskip("pyloudnorm")
    buffer = music_like(20.0, sample_rate=sample_rate, seed=seed)
    ours = integrated_loudness(buffer.samples, sample_rate)
    theirs = pyloudnorm.Meter(sample_rate).integrated_loudness(buffer.samples.T.astype(np.float64))
    assert ours is not None
    assert ours == pytest.approx(theirs, abs=0.1)


def test_mono_agrees_with_pyloudnorm() -> None:
    pyloudnorm = pytest.importorskip("pyloudnorm")
    buffer = music_like(12.0, channels=1)
    theirs = pyloudnorm.Meter(48000).integrated_loudness(buffer.samples[0].astype(np.float64))
    assert integrated_loudness(buffer.samples, 48000) == pytest.approx(theirs, abs=0.1)


@needs_ffmpeg
def test_music_agrees_with_ffmpeg(song: AudioBuffer, tmp_path: Path) -> None:
    path = tmp_path / "song.wav"
    write(path, song, fmt="wav32f")
    ours = analyze_file(path)
    theirs = ffmpeg_ebur128(path)
    assert ours.integrated_lufs == pytest.approx(theirs.integrated_lufs, abs=0.05)
    assert ours.true_peak_dbtp == pytest.approx(theirs.true_peak_dbtp, abs=0.2)
    assert ours.loudness_range_lu == pytest.approx(theirs.loudness_range_lu, abs=0.5)


@needs_ffmpeg
def test_lra_of_a_tone_alternating_every_second_agrees_with_ffmpeg(tmp_path: Path) -> None:
    # pyebur128 samples short-term loudness once a second for LRA and collapses here.
    buffer = stereo(stepped_sine([(-20.0, 1.0), (-30.0, 1.0)] * 20))
    path = tmp_path / "alternating.wav"
    write(path, buffer, fmt="wav32f")
    ours = analyze(buffer)
    theirs = ffmpeg_ebur128(path)
    assert ours.loudness_range_lu > 1.0
    assert ours.loudness_range_lu == pytest.approx(theirs.loudness_range_lu, abs=0.2)
    assert ours.integrated_lufs == pytest.approx(theirs.integrated_lufs, abs=0.05)
