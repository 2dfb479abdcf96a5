"""Reverb: pedalboard's algorithmic reverb (the Freeverb design of comb and all-pass filters).

Linear and time-invariant once its parameter smoothing has settled (the engine primes
each instance before use), so per-stem instances of a shared reverb sum to one instance
fed with the sum. Its tail decays smoothly; the longest comb delay (about 37 ms) bounds
any silent stretch inside it.

On two channels (returns and stem inserts are stereo) and x86 machines it runs as
:class:`~stemforge.dsp.freeverb.StereoReverb`, the same algorithm compiled with numba,
bit-identical to pedalboard's and cheaper; mono reverbs stay with pedalboard.
"""

from __future__ import annotations

from dataclasses import dataclass

import pedalboard

from stemforge.dsp.effect import EffectSpec, Stage, param, register_effect


@register_effect
@dataclass(frozen=True)
class Reverb(EffectSpec):
    """Room simulation.

    Attributes
    ----------
    room_size : float
        0 (small, short) … 1 (large, long decay).
    damping : float
        High-frequency absorption, 0 … 1.
    width : float
        Stereo width of the reverberation, 0 … 1.
    mix : float
        Wet share: 1 (default, as on a return) is reverberation only, 0 is dry only.
    """

    type_name = "reverb"
    linear = True

    room_size: float = param(0.5, low=0, high=1)
    damping: float = param(0.5, low=0, high=1)
    width: float = param(1.0, low=0, high=1)
    mix: float = param(1.0, low=0, high=1)

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        return [pedalboard.Reverb(room_size=self.room_size, damping=self.damping, wet_level=self.mix, dry_level=1.0 - self.mix, width=self.width)]

    def stage(self, sample_rate: int, *, channels: int) -> Stage | None:
        if channels != 2:
            return None
        # numba: imported when a stereo reverb first runs
        from stemforge.dsp import freeverb, jit

        if not jit.available():
            return None
        return freeverb.StereoReverb(
            sample_rate=sample_rate, room_size=self.room_size, damping=self.damping, width=self.width, wet_level=self.mix, dry_level=1.0 - self.mix
        )

    def tail_gap_s(self) -> float | None:
        return 0.05


__all__ = ["Reverb"]
