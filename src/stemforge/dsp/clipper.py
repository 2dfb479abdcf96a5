"""Clipper: hard clipping at a threshold (pedalboard's ``Clipping``).

Memoryless: no latency, no state, independent of block size.
"""

from __future__ import annotations

from dataclasses import dataclass

import pedalboard

from stemforge.dsp.effect import EffectSpec, param, register_effect


@register_effect
@dataclass(frozen=True)
class Clipper(EffectSpec):
    """Hard clipping.

    Attributes
    ----------
    threshold_db : float
        Level, dBFS, above which samples are clipped (−60 … 0).
    output_db : float
        Gain after clipping, dB.
    """

    type_name = "clipper"
    linear = False

    threshold_db: float = param(-1.0, low=-60, high=0)
    output_db: float = param(0.0, low=-60, high=24)

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        chain: list[pedalboard.Plugin] = [pedalboard.Clipping(threshold_db=self.threshold_db)]
        if self.output_db:
            chain.append(pedalboard.Gain(gain_db=self.output_db))
        return chain


__all__ = ["Clipper"]
