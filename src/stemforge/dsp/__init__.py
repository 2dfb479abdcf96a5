"""Signal processing building blocks: gain, pan laws, effect specs and chains, fades.

Importing this package registers every built-in effect type in :data:`EFFECTS`.
"""

from stemforge.dsp import (  # noqa: F401  (registration)
    clipper,
    compressor,
    delay,
    eq,
    gain,
    gate,
    limiter,
    reverb,
    saturation,
)
from stemforge.dsp.chain import (
    PROCESS_FRAMES,
    EffectChain,
    chain_is_linear,
    chain_latency_frames,
    chain_tail_gap_s,
)
from stemforge.dsp.delayline import DelayLine
from stemforge.dsp.effect import (
    EFFECTS,
    EffectSpec,
    Param,
    param,
    parse_effect,
    register_effect,
)
from stemforge.dsp.fades import FADE_SHAPES, fade_curve, fade_gains
from stemforge.dsp.pan import channel_gains, db_to_gain, gain_to_db

__all__ = [
    "EFFECTS",
    "FADE_SHAPES",
    "PROCESS_FRAMES",
    "DelayLine",
    "EffectChain",
    "EffectSpec",
    "Param",
    "chain_is_linear",
    "chain_latency_frames",
    "chain_tail_gap_s",
    "channel_gains",
    "db_to_gain",
    "fade_curve",
    "fade_gains",
    "gain_to_db",
    "param",
    "parse_effect",
    "register_effect",
]
