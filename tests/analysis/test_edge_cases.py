"""Silence, short audio, NaN/Inf, mono, bad shapes, and the level statistics."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conformance.ebu_signals import stepped_sine, stereo
from stemforge.analysis import (
    LoudnessMeter,
    analyze,
    integrated_loudness,
    sample_peak_dbfs,
    third_octave_spectrum,
    true_peak_dbtp,
)
from stemforge.analysis.levels import CLIP_RUN_FRAMES
from stemforge.audio import AudioBuffer
from stemforge.errors import AnalysisError, UsageError

ARCHITECTURE_FIELDS = [
    "path", "sample_rate", "channels", "duration_s", "integrated_lufs", "loudness_range_lu",
    "true_peak_dbtp", "sample_peak_dbfs", "short_term_max_lufs", "momentary_max_lufs", "plr_db",
]


def _json_roundtrip(data: dict) -> dict:  # type: ignore[type-arg]
    return json.loads(json.dumps(data, allow_nan=False))


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_silence_has_no_loudness_and_valid_json(channels: int) -> None:
    report = analyze(AudioBuffer(np.zeros((channels, 48000 * 5), np.float32), 48000))
    assert report.integrated_lufs is None
    assert report.loudness_range_lu == 0.0
    assert report.true_peak_dbtp == -math.inf
    assert report.sample_peak_dbfs == -math.inf
    assert report.momentary_max_lufs is None and report.short_term_max_lufs is None
    assert report.plr_db is None and report.crest_db is None
    data = _json_roundtrip(report.to_json(series=True))
    assert list(data)[: len(ARCHITECTURE_FIELDS)] == ARCHITECTURE_FIELDS
    assert data["integrated_lufs"] is None and data["true_peak_dbtp"] is None


def test_shorter_than_one_gating_block() -> None:
    buffer = stereo(stepped_sine([(-20.0, 0.39)]))
    report = analyze(buffer)
    assert report.integrated_lufs is None
    assert report.momentary_max_lufs is None
    assert report.sample_peak_dbfs == pytest.approx(-20.0, abs=0.01)
    assert report.duration_s == pytest.approx(0.39)
    _json_roundtrip(report.to_json(series=True))
    assert integrated_loudness(buffer.samples[:, :100], 48000) is None


def test_just_one_gating_block() -> None:
    report = analyze(stereo(stepped_sine([(-20.0, 0.4)])))
    assert report.integrated_lufs == pytest.approx(-20.0, abs=0.1)
    assert report.short_term_max_lufs is None


def test_empty_meter() -> None:
    report = LoudnessMeter(48000, 2).result()
    assert report.frames == 0 and report.integrated_lufs is None
    _json_roundtrip(report.to_json(series=True))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples_name_the_frame(bad: float) -> None:
    samples = np.zeros((2, 100_000), np.float32)
    samples[1, 70_001] = bad
    meter = LoudnessMeter(48000, 2, path="mix.wav")
    meter.process(samples[:, :60_000])
    with pytest.raises(AnalysisError, match=r"mix\.wav: sample .* at frame 70001 \(channel 2\)"):
        meter.process(samples[:, 60_000:])


def test_mono_works_with_weight_one() -> None:
    signal = stepped_sine([(-20.0, 5.0)])
    mono = analyze(AudioBuffer(signal[None].astype(np.float32), 48000))
    dual = analyze(stereo(signal))
    assert mono.integrated_lufs == pytest.approx(dual.integrated_lufs - 10 * math.log10(2), abs=1e-6)
    assert mono.correlation is None


@pytest.mark.parametrize(
    "samples",
    [np.zeros(1000, np.float32), np.zeros((2, 3, 4), np.float32)],
)
def test_shape_is_never_guessed(samples: np.ndarray) -> None:
    with pytest.raises(UsageError, match="must be a 2-D array"):
        integrated_loudness(samples, 48000)


def test_block_with_wrong_channel_count() -> None:
    with pytest.raises(UsageError, match=r"must be \(channels=2, frames\)"):
        LoudnessMeter(48000, 2).process(np.zeros((1, 100), np.float32))


@pytest.mark.parametrize("sample_rate", [0, -1, 4000])
def test_bad_sample_rate(sample_rate: int) -> None:
    with pytest.raises(UsageError, match="sample_rate"):
        LoudnessMeter(sample_rate, 2)


def test_levels_of_a_sine() -> None:
    report = analyze(stereo(stepped_sine([(-6.0, 3.0)])))
    assert report.rms_dbfs == pytest.approx(-9.01, abs=0.01)
    assert report.crest_db == pytest.approx(3.01, abs=0.01)
    assert report.correlation == pytest.approx(1.0)
    assert report.dc_offset == pytest.approx(0.0, abs=1e-4)
    assert report.clipped_runs == 0
    assert report.plr_db == pytest.approx(report.true_peak_dbtp - report.integrated_lufs)


def test_out_of_phase_and_dc() -> None:
    signal = stepped_sine([(-6.0, 2.0)])
    inverted = analyze(AudioBuffer(np.stack([signal, -signal]).astype(np.float32), 48000))
    assert inverted.correlation == pytest.approx(-1.0)
    offset = analyze(AudioBuffer((np.stack([signal, signal]) + [[0.1], [-0.2]]).astype(np.float32), 48000))
    assert offset.dc_offset == pytest.approx(-0.2, abs=1e-4)
    assert offset.channel_dc_offsets == pytest.approx((0.1, -0.2), abs=1e-4)


def test_clipped_runs_are_counted_across_blocks() -> None:
    samples = np.zeros((2, 200_000), np.float32)
    samples[0, 1000:1000 + CLIP_RUN_FRAMES] = 1.0        # one run
    samples[0, 5000:5000 + CLIP_RUN_FRAMES - 1] = 1.0    # too short
    samples[1, 47_998:48_010] = -1.0                     # spans the 1 s internal boundary
    samples[1, 100_000:100_020] = 1.0                    # spans a caller's block boundary
    meter = LoudnessMeter(48000, 2)
    meter.process(samples[:, :100_010])
    meter.process(samples[:, 100_010:])
    assert meter.result().clipped_runs == 3


def test_functions() -> None:
    buffer = stereo(stepped_sine([(-6.0, 2.0)], frequency_hz=1000.0))
    assert sample_peak_dbfs(buffer.samples) == pytest.approx(-6.0, abs=0.01)
    assert sample_peak_dbfs(np.zeros((1, 10), np.float32)) == -math.inf
    assert true_peak_dbtp(buffer.samples, 48000) == pytest.approx(-6.0, abs=0.05)
    centres, levels = third_octave_spectrum(buffer.samples, 48000)
    assert centres[np.argmax(levels)] == pytest.approx(1000.0)
    assert levels.max() == pytest.approx(-9.03, abs=0.1)
    assert centres[0] == pytest.approx(19.95, abs=0.01)
    assert centres.shape == levels.shape


def test_report_is_frozen() -> None:
    report = analyze(stereo(stepped_sine([(-20.0, 1.0)])))
    with pytest.raises(AttributeError):
        report.integrated_lufs = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        report.momentary_lufs[0] = 0.0


def test_a_sample_rate_without_a_filter_block_length_falls_back_to_sosfilt() -> None:
    rate = 8011  # prime: no block length divides its one-second internal block
    t = np.arange(3 * rate) / rate
    samples = np.sin(2 * np.pi * 997.0 * t)[None].astype(np.float32)
    meter = LoudnessMeter(rate, 1)
    assert meter._filter is None
    for start in range(0, samples.shape[1], 5000):
        meter.process(samples[:, start : start + 5000])
    streamed = meter.result()
    whole = analyze(AudioBuffer(samples, rate))
    assert streamed.integrated_lufs == whole.integrated_lufs
    assert whole.integrated_lufs == pytest.approx(-3.01, abs=0.1)
