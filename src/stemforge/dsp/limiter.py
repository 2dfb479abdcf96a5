"""Limiter: pedalboard's JUCE limiter (two compressors and a hard clipper) plus a ceiling.

The JUCE limiter raises the signal by ``-threshold_db`` and holds it under full scale, so
its output peaks at 0 dBFS; ``ceiling_db`` then sets where it peaks. No look-ahead, so no
latency.
"""

from __future__ import annotations

from dataclasses import dataclass

import pedalboard

from stemforge.dsp.effect import EffectSpec, param, register_effect


@register_effect
@dataclass(frozen=True)
class Limiter(EffectSpec):
    """Peak limiting.

    Attributes
    ----------
    threshold_db : float
        Level, dBFS, brought up to the ceiling (−60 … 0); lower means louder.
    release_ms : float
        Recovery time, milliseconds.
    ceiling_db : float
        Peak level of the output, dBFS (−24 … 0).
    """

    type_name = "limiter"
    linear = False

    threshold_db: float = param(-6.0, low=-60, high=0)
    release_ms: float = param(100.0, low=1, high=5000)
    ceiling_db: float = param(0.0, low=-24, high=0)

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        chain: list[pedalboard.Plugin] = [pedalboard.Limiter(threshold_db=self.threshold_db, release_ms=self.release_ms)]
        if self.ceiling_db:
            chain.append(pedalboard.Gain(gain_db=self.ceiling_db))
        return chain


__all__ = ["Limiter"]
