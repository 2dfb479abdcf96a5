"""Noise gate: attenuates the signal while it stays below a threshold (pedalboard's JUCE gate).

Its envelope follower runs sample by sample: no latency, independent of block size.
"""

from __future__ import annotations

from dataclasses import dataclass

import pedalboard

from stemforge.dsp.effect import EffectSpec, param, register_effect


@register_effect
@dataclass(frozen=True)
class Gate(EffectSpec):
    """Downward expansion below a threshold.

    Attributes
    ----------
    threshold_db : float
        Level below which the gate closes, dBFS (−100 … 0).
    ratio : float
        Expansion ratio below the threshold (1 … 100; high values close fully).
    attack_ms, release_ms : float
        Opening and closing times, milliseconds.
    """

    type_name = "gate"
    linear = False

    threshold_db: float = param(-50.0, low=-100, high=0)
    ratio: float = param(10.0, low=1, high=100)
    attack_ms: float = param(1.0, low=0.01, high=500)
    release_ms: float = param(100.0, low=1, high=5000)

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        return [pedalboard.NoiseGate(threshold_db=self.threshold_db, ratio=self.ratio, attack_ms=self.attack_ms, release_ms=self.release_ms)]


__all__ = ["Gate"]
