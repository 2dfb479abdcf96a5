"""Test material for mastering: music-like audio at chosen loudness, and its measurements."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from analysis.music import music_like

from stemforge.analysis import integrated_loudness, true_peak_dbtp


def song(seconds: float = 12.0, *, lufs: float = -20.0, sample_rate: int = 48000, seed: int = 7, channels: int = 2, clip: bool = False) -> np.ndarray:
    """Music-like float32 audio at ``lufs`` integrated (clipped at full scale with ``clip``)."""
    base = music_like(seconds, sample_rate=sample_rate, seed=seed, channels=channels).samples
    level = integrated_loudness(base, sample_rate)
    assert level is not None
    out = base * np.float32(10.0 ** ((lufs - level) / 20.0))
    if clip:
        out = np.clip(out, -1.0, 1.0)
    return out.astype(np.float32)


def read(path: Path) -> tuple[np.ndarray, int]:
    """A file's samples, float32 (channels, frames), and its rate."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T), int(rate)


def measure(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of a file, by the project's meter."""
    samples, rate = read(path)
    lufs = integrated_loudness(samples, rate)
    assert lufs is not None
    return lufs, true_peak_dbtp(samples, rate)


def write(path: Path, samples: np.ndarray, sample_rate: int = 48000, subtype: str = "PCM_24") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), samples.T, sample_rate, subtype=subtype)
    return path
