"""Streaming equals whole-buffer measurement exactly, whatever the block sizes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.music import music_like
from stemforge.analysis import LoudnessMeter, LoudnessReport, analyze, analyze_file
from stemforge.audio import AudioBuffer, write


def assert_identical(a: LoudnessReport, b: LoudnessReport) -> None:
    """Every field of two reports is equal, bit for bit (NaN and None compare equal)."""
    for name in a.__dataclass_fields__:
        left, right = getattr(a, name), getattr(b, name)
        if isinstance(left, np.ndarray):
            np.testing.assert_array_equal(left, right, err_msg=name)
        elif isinstance(left, float) and math.isnan(left):
            assert isinstance(right, float) and math.isnan(right), name
        else:
            assert left == right, name


def _material(sample_rate: int, channels: int) -> AudioBuffer:
    song = music_like(7.0, sample_rate=sample_rate, channels=min(channels, 2))
    if channels <= 2:
        return song
    rows = [song.samples[i % 2] * (0.5 + 0.1 * i) for i in range(channels)]
    return AudioBuffer(np.stack(rows).astype(np.float32), sample_rate)


def _streamed(buffer: AudioBuffer, sizes: list[int]) -> LoudnessReport:
    meter = LoudnessMeter(buffer.sample_rate, buffer.channels)
    position, index = 0, 0
    while position < buffer.frames:
        size = sizes[index % len(sizes)]
        meter.process(buffer.samples[:, position : position + size])
        position += size
        index += 1
    return meter.result()


# 11025 Hz has 100 ms sub-blocks of 1102.5 frames, alternately 1102 and 1103.
@pytest.mark.parametrize(("sample_rate", "channels"), [(48000, 2), (44100, 1), (11025, 2), (48000, 6)])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=97, max_value=70_000), min_size=1, max_size=6))
def test_streaming_equals_whole_buffer(sample_rate: int, channels: int, sizes: list[int]) -> None:
    buffer = _material(sample_rate, channels)
    assert_identical(_streamed(buffer, sizes), analyze(buffer))


@pytest.mark.parametrize("size", [1, 4799, 4800, 4801, 48000, 1 << 16])
def test_streaming_equals_whole_buffer_at_boundary_sizes(size: int) -> None:
    buffer = music_like(7.0)
    assert_identical(_streamed(buffer, [size] if size > 1000 else [size, 2 * size + 7919]), analyze(buffer))


def test_result_midway_does_not_disturb_the_meter() -> None:
    buffer = music_like(7.0)
    meter = LoudnessMeter(buffer.sample_rate, buffer.channels)
    meter.process(buffer.samples[:, :100_003])
    midway = meter.result()
    meter.process(buffer.samples[:, 100_003:])
    assert_identical(meter.result(), analyze(buffer))
    assert midway.frames == 100_003


def test_reset_starts_afresh() -> None:
    buffer = music_like(7.0)
    meter = LoudnessMeter(buffer.sample_rate, buffer.channels)
    meter.process(np.ones((2, 30_000), np.float32) * 0.5)
    meter.reset()
    meter.process(buffer.samples)
    assert_identical(meter.result(), analyze(buffer))


@pytest.mark.parametrize("block_frames", [1000, 48000, 1 << 16])
def test_analyze_file_equals_analyze(tmp_path: Path, block_frames: int) -> None:
    buffer = music_like(7.0)
    path = tmp_path / "song.wav"
    write(path, buffer, fmt="wav32f")
    from_file = analyze_file(path, block_frames=block_frames)
    whole = analyze(buffer, path=str(path))
    assert_identical(from_file, whole)


def test_light_meter_gives_the_same_loudness() -> None:
    buffer = music_like(7.0)
    light = LoudnessMeter(buffer.sample_rate, buffer.channels, true_peak=False, spectrum=False)
    light.process(buffer.samples)
    full = analyze(buffer)
    assert light.result().integrated_lufs == full.integrated_lufs
    assert light.integrated_lufs() == full.integrated_lufs
    np.testing.assert_array_equal(light.result().short_term_lufs, full.short_term_lufs)


def test_the_callers_buffer_may_be_reused_between_blocks() -> None:
    buffer = music_like(7.0)
    meter = LoudnessMeter(buffer.sample_rate, buffer.channels)
    scratch = np.empty((buffer.channels, 30_000), np.float32)
    for start in range(0, buffer.frames, 30_000):
        part = buffer.samples[:, start : start + 30_000]
        scratch[:, : part.shape[1]] = part
        meter.process(scratch[:, : part.shape[1]])
        scratch[:] = np.nan  # a renderer overwrites its block buffer
    assert_identical(meter.result(), analyze(buffer))


@pytest.mark.parametrize("sample_rate", [44100, 48000])
def test_true_peak_function_equals_the_meter(sample_rate: int) -> None:
    from stemforge.analysis import true_peak_dbtp

    buffer = music_like(7.0, sample_rate=sample_rate)
    assert true_peak_dbtp(buffer.samples, sample_rate) == analyze(buffer).true_peak_dbtp
