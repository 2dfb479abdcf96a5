"""Saturation: tanh waveshaping (pedalboard's ``Distortion``) with output trim and dry/wet mix.

A memoryless curve: no latency, no state, independent of block size.
"""

from __future__ import annotations

from dataclasses import dataclass

import pedalboard

from stemforge.dsp.effect import EffectSpec, param, register_effect
from stemforge.dsp.pan import gain_to_db


@register_effect
@dataclass(frozen=True)
class Saturation(EffectSpec):
    """Soft clipping.

    Attributes
    ----------
    drive_db : float
        Gain into the tanh curve, dB (0 … 60).
    output_db : float
        Gain after it, dB.
    mix : float
        Wet share, 0 (dry) … 1 (fully saturated).
    """

    type_name = "saturation"
    linear = False

    drive_db: float = param(6.0, low=0, high=60)
    output_db: float = param(0.0, low=-60, high=24)
    mix: float = param(1.0, low=0, high=1)

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        wet: list[pedalboard.Plugin] = [pedalboard.Distortion(drive_db=self.drive_db)]
        if self.output_db:
            wet.append(pedalboard.Gain(gain_db=self.output_db))
        if self.mix >= 1.0:
            return wet
        if self.mix <= 0.0:
            return []
        # Parallel dry and wet branches through pedalboard's Mix, each scaled by its share.
        dry = pedalboard.Chain([pedalboard.Gain(gain_db=gain_to_db(1.0 - self.mix))])
        return [pedalboard.Mix([dry, pedalboard.Chain([*wet, pedalboard.Gain(gain_db=gain_to_db(self.mix))])])]


__all__ = ["Saturation"]
