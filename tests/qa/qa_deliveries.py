"""A stem delivery in memory and the helpers that break it on purpose (QA tests)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf


@dataclass(frozen=True)
class Delivery:
    """Stems and their mix in memory: float32 (channels, frames), one sample rate."""

    title: str
    stems: Mapping[str, np.ndarray]
    mix: np.ndarray
    sample_rate: int
    roles: Mapping[str, str] = field(default_factory=dict)

    def loudest(self) -> str:
        """Name of the stem with the most energy."""
        return max(self.stems, key=lambda k: float(np.sum(self.stems[k].astype(np.float64) ** 2)))

    def by_energy(self) -> list[str]:
        """Stem names, loudest first."""
        return sorted(self.stems, key=lambda k: -float(np.sum(self.stems[k].astype(np.float64) ** 2)))

    def write(
        self,
        folder: Path,
        *,
        stems: Mapping[str, np.ndarray] | None = None,
        mix: np.ndarray | None = None,
        rates: Mapping[str, int] | None = None,
        subtype: str = "PCM_24",
    ) -> tuple[Path, Path]:
        """Write ``folder/stems/<title> - <name>.wav`` and ``folder/mix.wav``; return both paths."""
        stems_dir = folder / "stems"
        stems_dir.mkdir(parents=True, exist_ok=True)
        for name, samples in (self.stems if stems is None else stems).items():
            rate = (rates or {}).get(name, self.sample_rate)
            sf.write(stems_dir / f"{self.title} - {name}.wav", np.asarray(samples, np.float32).T, rate, subtype=subtype)
        mix_path = folder / "mix.wav"
        sf.write(mix_path, np.asarray(self.mix if mix is None else mix, np.float32).T, self.sample_rate, subtype=subtype)
        return stems_dir, mix_path


def shift(samples: np.ndarray, frames: int) -> np.ndarray:
    """Delay (frames > 0) or advance a signal, keeping its length (zeros fill in)."""
    out = np.zeros_like(samples)
    if frames >= 0:
        out[:, frames:] = samples[:, : samples.shape[1] - frames]
    else:
        out[:, :frames] = samples[:, -frames:]
    return out
