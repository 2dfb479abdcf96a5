"""Gain: a level change in dB (pedalboard's ``Gain``), optionally with polarity flip.

Linear and memoryless: no latency, independent of block size.
"""

from __future__ import annotations

from dataclasses import dataclass

import pedalboard

from stemforge.dsp.effect import EffectSpec, param, register_effect


@register_effect
@dataclass(frozen=True)
class Gain(EffectSpec):
    """Level change.

    Attributes
    ----------
    gain_db : float
        −120 … +48 dB.
    invert : bool
        Flip polarity as well.
    """

    type_name = "gain"
    linear = True

    gain_db: float = param(0.0, low=-120, high=48)
    invert: bool = param(False, kind=bool)

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        chain: list[pedalboard.Plugin] = [pedalboard.Gain(gain_db=self.gain_db)]
        if self.invert:
            chain.append(pedalboard.Invert())
        return chain


__all__ = ["Gain"]
