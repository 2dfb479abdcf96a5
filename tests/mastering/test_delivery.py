"""Deliverables: every one within the ceiling; the 16-bit one dithered; the 44.1 kHz one alias-free."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mastering.material import measure, read, song, write
from stemforge.mastering import MasterSettings, master
from stemforge.mastering.dither import to_float, tpdf_quantize


def test_every_deliverable_is_written_measured_and_within_the_ceiling(tmp_path: Path) -> None:
    mix = write(tmp_path / "mix.wav", song(10.0, lufs=-16.0))
    result = master(mix, MasterSettings(), out_dir=tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(
        ["master.wav", "master-cd.wav", "master.flac", "master.mp3", "preview-before.wav", "preview-after.wav", "report.html", "report.json"]
    )
    expected = {"master.wav": (48000, "PCM_24"), "master.flac": (48000, "PCM_24"), "master-cd.wav": (44100, "PCM_16")}
    for name, (rate, subtype) in expected.items():
        info = sf.info(str(tmp_path / "out" / name))
        assert (info.samplerate, info.subtype) == (rate, subtype)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["schema_version"] == 1
    for item in report["deliverables"]:
        assert item["true_peak_dbtp"] <= -1.0
        assert item["within_ceiling"] is True
        # The MP3's source is limited under the ceiling to leave room for the codec's
        # overshoot, which costs it a little loudness.
        tolerance = 0.4 if item["kind"] == "mp3" else 0.1
        assert item["integrated_lufs"] == pytest.approx(-14.0, abs=tolerance)
    # Re-measure each file as delivered.
    for name in ("master.wav", "master-cd.wav", "master.flac"):
        lufs, peak = measure(tmp_path / "out" / name)
        assert peak <= -1.0
        assert lufs == pytest.approx(-14.0, abs=0.1)
    from pedalboard.io import AudioFile

    with AudioFile(str(tmp_path / "out" / "master.mp3")) as f:
        decoded = f.read(f.frames)
        assert f.samplerate == 48000
    from stemforge.analysis import true_peak_dbtp

    assert true_peak_dbtp(decoded, 48000) <= -1.0
    mp3_kbps = (tmp_path / "out" / "master.mp3").stat().st_size * 8 / 10.0 / 1000
    assert 300 <= mp3_kbps <= 340
    assert result.files and all(p.exists() for p in result.files)


def test_previews_are_loudness_matched(tmp_path: Path) -> None:
    mix = write(tmp_path / "mix.wav", song(30.0, lufs=-24.0))
    master(mix, MasterSettings(deliverables=("master",), preview_s=20.0), out_dir=tmp_path / "out")
    before_lufs, _ = measure(tmp_path / "out" / "preview-before.wav")
    after_lufs, _ = measure(tmp_path / "out" / "preview-after.wav")
    assert before_lufs == pytest.approx(after_lufs, abs=0.1)
    before, rate = read(tmp_path / "out" / "preview-before.wav")
    assert before.shape[1] == 20 * rate
    assert np.max(np.abs(before)) <= 10 ** (-1.0 / 20) + 1e-4


def test_tpdf_noise_floor_at_16_bits() -> None:
    # Digital silence dithered to 16 bits: TPDF (±1 LSB) plus rounding gives an error of
    # power LSB²/4, an RMS of half an LSB: 20·log10(2^-16) = -96.3 dBFS. Without dither
    # silence would stay exactly zero; truncation would not be signal-independent.
    silence = np.zeros((2, 48000 * 4), np.float32)
    quantized = tpdf_quantize(silence, bits=16, seed=3)
    noise = to_float(quantized, bits=16)
    rms_db = 10 * math.log10(float(np.mean(noise.astype(np.float64) ** 2)))
    assert rms_db == pytest.approx(20 * math.log10(2.0**-16), abs=0.2)
    assert set(np.unique(quantized)) <= {-1, 0, 1}
    # A -100 dBFS tone (under 1 LSB) survives dithering and is not turned into a square wave.
    t = np.arange(48000 * 4) / 48000
    tone = np.stack([1e-5 * np.sin(2 * np.pi * 1000 * t)] * 2).astype(np.float32)
    out = to_float(tpdf_quantize(tone, bits=16, seed=4), bits=16)[0].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(out * np.hanning(out.size))) ** 2
    freqs = np.fft.rfftfreq(out.size, 1 / 48000)
    fundamental = spectrum[np.argmin(np.abs(freqs - 1000))]
    third = spectrum[np.argmin(np.abs(freqs - 3000))]
    assert 10 * math.log10(fundamental / third) > 20


def test_cd_master_is_dithered(tmp_path: Path) -> None:
    # A song with a silent passage: in the 16-bit file the passage holds the dither noise.
    x = song(10.0, lufs=-18.0)
    x[:, 4 * 48000 : 6 * 48000] = 0.0
    mix = write(tmp_path / "mix.wav", x)
    master(mix, MasterSettings(deliverables=("cd",)), out_dir=tmp_path / "out")
    data, rate = sf.read(str(tmp_path / "out" / "master-cd.wav"), dtype="int16", always_2d=True)
    assert rate == 44100
    quiet = data[int(4.3 * rate) : int(5.7 * rate)].astype(np.float64) / 32768.0
    rms_db = 10 * math.log10(float(np.mean(quiet**2)))
    assert rms_db == pytest.approx(-96.3, abs=1.0)


def test_cd_master_from_48k_is_alias_free(tmp_path: Path) -> None:
    rate = 48000
    t = np.arange(10 * rate) / rate
    # A 1 kHz tone and a 23 kHz tone (above the CD's 22.05 kHz Nyquist), mastered for broadcast.
    x = 0.25 * np.sin(2 * np.pi * 1000.0 * t) + 0.25 * np.sin(2 * np.pi * 23000.0 * t)
    mix = write(tmp_path / "mix.wav", np.stack([x, x]).astype(np.float32))
    master(mix, MasterSettings(target="broadcast", target_lufs=-23.0, deliverables=("master", "cd")), out_dir=tmp_path / "out")
    master48, _ = read(tmp_path / "out" / "master.wav")
    cd, cd_rate = read(tmp_path / "out" / "master-cd.wav")
    assert cd_rate == 44100

    def level_db(samples: np.ndarray, sample_rate: int, freq: float) -> float:
        mono = samples[0].astype(np.float64)
        window = np.hanning(mono.size)
        spectrum = np.abs(np.fft.rfft(mono * window)) / (window.sum() / 2)
        freqs = np.fft.rfftfreq(mono.size, 1 / sample_rate)
        near = np.abs(freqs - freq) < 5.0
        return 20 * math.log10(float(spectrum[near].max()) + 1e-20)

    tone_db = level_db(master48, 48000, 23000.0)
    assert tone_db > -40.0  # the tone is in the 48 kHz master
    folded = 44100 - 23000.0  # where an alias would land: 21.1 kHz
    assert level_db(cd, 44100, folded) < -100.0
    assert level_db(cd, 44100, 1000.0) == pytest.approx(level_db(master48, 48000, 1000.0), abs=0.1)


def test_a_candidate_the_meter_sends_back_leaves_no_file(tmp_path: Path) -> None:
    """The CD and MP3 start from each limited result; only the delivered one's files remain."""
    from stemforge.mastering.delivery import SlowDeliverables, StagedOutputs, deliver
    from stemforge.mastering.limiter import LimiterSettings
    from stemforge.mastering.loudness import Candidate, reach_loudness

    x = song(6.0, lufs=-18.0)
    offered: list[Candidate] = []
    level = reach_loudness(x, 48000, target_lufs=-14.0, limiter=LimiterSettings(-1.0), on_candidate=offered.append)
    assert offered and offered[-1].samples is level.samples and offered[-1].gain_db == level.gain.gain_db
    outputs = StagedOutputs(tmp_path / "out")
    slow = SlowDeliverables(outputs=outputs, ceiling_dbtp=-1.0, kinds=("cd", "mp3"))
    # A first candidate 2 dB hotter, as if the meter had sent it back for another gain.
    rejected = offered[-1]
    slow.offer(Candidate(rejected.samples * np.float32(10 ** (2 / 20)), rejected.gain_db + 2.0, rejected.source, rejected.level_db, rejected.limiter, 48000))
    for candidate in offered:
        slow.offer(candidate)
    made = deliver(level, outputs=outputs, ceiling_dbtp=-1.0, kinds=("cd", "mp3"), slow=slow)
    slow.close()
    files = outputs.commit()
    assert sorted(p.name for p in files) == ["master-cd.wav", "master.mp3"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["master-cd.wav", "master.mp3"]
    mp3 = next(d for d in made if d.kind == "mp3")
    assert mp3.integrated_lufs == pytest.approx(-14.0, abs=0.4)  # the delivered gain's, not the rejected one's
    assert mp3.true_peak_dbtp <= -1.0


def test_search_curve_reused_by_the_limiter_is_the_one_it_would_compute() -> None:
    from stemforge.mastering.limiter import (
        LimiterSettings,
        envelope_db,
        limit_true_peak,
        reduction_curve,
        true_peak_envelope,
    )

    x = song(4.0, lufs=-12.0)
    settings = LimiterSettings(-1.0)
    envelope = true_peak_envelope(x, 48000)
    gain_db = 4.0
    gr = reduction_curve(envelope_db(envelope), 48000, threshold_db=-1.0 - 0.1 - gain_db, lookahead_ms=settings.lookahead_ms, release_ms=settings.release_ms)
    reused = limit_true_peak(x, 48000, settings, gain_db=gain_db, envelope=envelope, reduction=gr, margin_db=0.1)
    computed = limit_true_peak(x, 48000, settings, gain_db=gain_db, envelope=envelope, margin_db=0.1)
    assert np.array_equal(reused.samples, computed.samples)
    assert reused.true_peak_dbtp <= -1.0


def _tpdf_reference(samples: np.ndarray, bits: int, seed: int) -> np.ndarray:
    """TPDF quantisation written plainly in NumPy, block by block in the draw order of tpdf_frames."""
    from stemforge.mastering.dither import DITHER_BLOCK_FRAMES

    dtype = np.float32 if bits == 16 else np.float64
    scale = float(1 << (bits - 1))
    rng = np.random.default_rng(seed)
    parts = []
    for start in range(0, samples.shape[1], DITHER_BLOCK_FRAMES):
        part = samples[:, start : start + DITHER_BLOCK_FRAMES].astype(dtype) * dtype(scale)
        words = np.asarray(rng.bit_generator.random_raw(part.size)).view(np.uint32).reshape(-1, 2)
        noise = words[:, 0].astype(dtype)
        noise -= words[:, 1]
        noise *= dtype(2.0**-32)
        part += noise.reshape(part.shape)
        parts.append(np.clip(np.rint(part), -scale, scale - 1).astype(np.int16 if bits == 16 else np.int32))
    return np.concatenate(parts, axis=1)


@pytest.mark.parametrize("bits", [16, 24])
def test_compiled_dither_gives_the_plain_arithmetic_s_integers(bits: int) -> None:
    from stemforge.mastering.dither import tpdf_frames

    rng = np.random.default_rng(bits)
    x = (0.4 * rng.standard_normal((2, 300_007))).astype(np.float32)
    x[:, :8] = np.array([[1.0, -1.0, 0.99999994, -0.99999994, 0.0, 1e-9, 2.0, -3.0]] * 2, np.float32)
    expected = _tpdf_reference(x, bits, seed=11)
    assert np.array_equal(tpdf_quantize(x, bits=bits, seed=11), expected)
    interleaved = np.concatenate(list(tpdf_frames(x, bits=bits, seed=11, shift=8 if bits == 24 else 0)))
    assert np.array_equal(interleaved.T, expected << (8 if bits == 24 else 0))


def test_threads_beside_the_encoder_give_it_way() -> None:
    import os
    import sys
    import threading

    from stemforge.mastering.delivery import BESIDE_ENCODER_NICENESS, behind_the_encoder

    if not sys.platform.startswith("linux"):
        pytest.skip("per-thread priorities are Linux's")
    seen: list[int] = []

    def work() -> None:
        behind_the_encoder()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [os.getpriority(os.PRIO_PROCESS, 0) + BESIDE_ENCODER_NICENESS] or seen == [19]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) != seen[0]  # the caller's own thread is untouched
