"""Delay: a feedback delay line (pedalboard's JUCE ``Delay``).

Linear and time-invariant, so a delay on a shared return gives the same sum whether run
once or once per stem. Its tail is a train of echoes ``delay_s`` apart, each
``feedback`` times the previous one: the render keeps going until they fall below the
tail threshold, and it may not stop in the silence between two echoes, so the gap it
reports is ``delay_s``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pedalboard

from stemforge.dsp.echo import FeedbackDelay
from stemforge.dsp.effect import EffectSpec, Stage, param, register_effect

#: Shortest delay, in frames, computed with :class:`~stemforge.dsp.echo.FeedbackDelay`.
_MIN_VECTOR_FRAMES = 1024


@register_effect
@dataclass(frozen=True)
class Delay(EffectSpec):
    """Echo.

    Attributes
    ----------
    delay_s : float
        Time between echoes, seconds (0.001 … 10).
    feedback : float
        Share of each echo fed back, 0 … 0.99.
    mix : float
        Wet share: 1 (default, as on a return) is echoes only, 0 is dry only.
    """

    type_name = "delay"
    linear = True

    delay_s: float = param(0.25, low=0.001, high=10)
    feedback: float = param(0.3, low=0, high=0.99)
    mix: float = param(1.0, low=0, high=1)

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        return [pedalboard.Delay(delay_seconds=self.delay_s, feedback=self.feedback, mix=self.mix)]

    def delay_frames(self, sample_rate: int) -> int:
        """The line's length as pedalboard sets it: ``int(float32(delay_s) · sample_rate)``."""
        return int(float(np.float32(self.delay_s)) * sample_rate)

    def stage(self, sample_rate: int, *, channels: int) -> Stage | None:
        # one vector step per delay period: cheaper than pedalboard's loop once the
        # period is over ~1000 frames (shorter slap-backs stay with pedalboard)
        frames = self.delay_frames(sample_rate)
        if frames < _MIN_VECTOR_FRAMES:
            return None
        return FeedbackDelay(delay_frames=frames, feedback=self.feedback, mix=self.mix, channels=channels)

    def tail_gap_s(self) -> float | None:
        return self.delay_s


__all__ = ["Delay"]
