"""Invariants of the null test and the shift search over random deliveries (Hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import signal

from stemforge.qa import Severity, check_delivery


def _stems(seed: int, count: int, channels: int, frames: int, rate: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        cutoff = float(rng.uniform(300, 0.4 * rate))
        sos = signal.butter(2, cutoff, fs=rate, output="sos")
        envelope = np.repeat(rng.uniform(0.2, 1.0, frames // 4800 + 1), 4800)[:frames]
        out.append((0.1 * signal.sosfilt(sos, rng.standard_normal((channels, frames)), axis=1) * envelope).astype(np.float32))
    return out


def _write(folder: Path, stems: list[np.ndarray], mix: np.ndarray, rate: int) -> tuple[Path, Path]:
    (folder / "stems").mkdir(parents=True)
    for i, stem in enumerate(stems):
        sf.write(folder / "stems" / f"Song - part{i}.wav", stem.T, rate, subtype="FLOAT")
    sf.write(folder / "mix.wav", mix.T, rate, subtype="FLOAT")
    return folder / "stems", folder / "mix.wav"


deliveries = st.fixed_dictionaries({
    "seed": st.integers(0, 2**16),
    "count": st.integers(2, 5),
    "channels": st.sampled_from([1, 2]),
    "rate": st.sampled_from([44100, 48000]),
})


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(delivery=deliveries, shift_frames=st.integers(-2000, 2000).filter(lambda k: k != 0), invert=st.booleans(),
       victim=st.integers(0, 4))
def test_a_shifted_or_inverted_stem_is_found_exactly(delivery: dict, shift_frames: int, invert: bool, victim: int) -> None:
    rate, count = delivery["rate"], delivery["count"]
    stems = _stems(delivery["seed"], count, delivery["channels"], 2 * rate, rate)
    mix = np.sum(stems, axis=0)
    victim %= count
    moved = np.zeros_like(stems[victim])
    if shift_frames > 0:
        moved[:, shift_frames:] = stems[victim][:, :-shift_frames]
    else:
        moved[:, :shift_frames] = stems[victim][:, -shift_frames:]
    broken = list(stems)
    broken[victim] = -moved if invert else moved
    with tempfile.TemporaryDirectory() as temp:
        stems_dir, mix_path = _write(Path(temp), broken, mix, rate)
        report = check_delivery(stems_dir, mix=mix_path)
    (finding,) = report.find("SF501")
    assert finding.file == f"Song - part{victim}.wav" and finding.details["shift_frames"] == shift_frames
    assert bool(report.find("SF502")) == invert
    assert report.codes(Severity.FAIL) - {"SF500", "SF501", "SF502"} == set()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(delivery=deliveries)
def test_exact_stems_always_null(delivery: dict) -> None:
    rate = delivery["rate"]
    stems = _stems(delivery["seed"], delivery["count"], delivery["channels"], rate, rate)
    with tempfile.TemporaryDirectory() as temp:
        stems_dir, mix_path = _write(Path(temp), stems, np.sum(stems, axis=0), rate)
        report = check_delivery(stems_dir, mix=mix_path)
    assert report.null_residual_db is not None and report.null_residual_db < -120
    assert report.passed
