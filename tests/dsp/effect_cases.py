"""One representative spec of every built-in effect type (shared by the dsp and mixer tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stemforge.dsp import EFFECTS, EffectChain, EffectSpec, parse_effect


def spec(table: dict) -> EffectSpec:
    return parse_effect(table, where="test", source=Path("test.toml"))


CASES: dict[str, EffectSpec] = {
    "eq": spec(
        {
            "type": "eq",
            "bands": [
                {"kind": "highpass", "cutoff_hz": 60, "slope_db_oct": 24},
                {"kind": "low_shelf", "freq_hz": 200, "gain_db": 2, "q": 0.7},
                {"kind": "peak", "freq_hz": 2500, "gain_db": -4, "q": 1.4},
                {"kind": "high_shelf", "freq_hz": 9000, "gain_db": 3},
                {"kind": "lowpass", "cutoff_hz": 16000, "slope_db_oct": 12},
            ],
        }
    ),
    "compressor": spec({"type": "compressor", "threshold_db": -30, "ratio": 6, "attack_ms": 2, "release_ms": 80, "makeup_db": 3}),
    "gate": spec({"type": "gate", "threshold_db": -70, "ratio": 20, "attack_ms": 0.5, "release_ms": 50}),
    "limiter": spec({"type": "limiter", "threshold_db": -12, "release_ms": 50, "ceiling_db": -1}),
    "saturation": spec({"type": "saturation", "drive_db": 12, "output_db": -6, "mix": 0.7}),
    "clipper": spec({"type": "clipper", "threshold_db": -12, "output_db": 2}),
    "delay": spec({"type": "delay", "delay_s": 0.011, "feedback": 0.5, "mix": 0.5}),
    "reverb": spec({"type": "reverb", "room_size": 0.5, "damping": 0.3, "width": 0.8, "mix": 0.4}),
    "gain": spec({"type": "gain", "gain_db": -3.5, "invert": True}),
}

if set(CASES) != set(EFFECTS) - {t for t in EFFECTS if t.startswith("test_")}:
    raise RuntimeError(f"add a case for every effect type: {sorted(set(EFFECTS) - set(CASES))}")


def aligned(chain: EffectChain, x: np.ndarray) -> np.ndarray:
    """``chain``'s output for ``x`` with its latency taken off (the end fed with silence)."""
    latency = chain.latency_frames
    out = chain.process(x)
    if not latency:
        return out
    return np.concatenate([out, chain.process(np.zeros((x.shape[0], latency), np.float32))], axis=1)[:, latency:]
