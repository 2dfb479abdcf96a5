"""Equaliser: high/low-pass filters of selectable slope, shelves and peak bands.

Built from pedalboard's IIR filters (JUCE, bilinear transform). Its high- and low-pass
filters are first order (6 dB/octave); a steeper slope cascades ``slope_db_oct / 6`` of
them. ``n`` identical first-order sections give ``|H|² = (1 + (f/f₀)²)^-n`` for a
high-pass at ``f₀`` (mirrored for the low-pass), so each section's corner is moved to
``f₀ = cutoff_hz · sqrt(2^(1/n) − 1)`` (high-pass; divided for the low-pass) to keep the
cascade's −3 dB point at ``cutoff_hz``; far from it the slope is ``6·n`` dB/octave. A
low-pass section's corner is held at or below 0.45 × the sample rate, so a steep low-pass
near Nyquist falls a little earlier than asked.

All bands are linear, time-invariant and without latency (minimum phase). In a render
the bands run as one cascade of second-order sections (:mod:`stemforge.dsp.iir`), which
gives pedalboard's samples bit for bit at a fraction of the cost of one plugin per band.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard

from stemforge.dsp import iir
from stemforge.dsp.chain import PROCESS_FRAMES
from stemforge.dsp.effect import (
    EffectSpec,
    Param,
    Stage,
    check_params,
    register_effect,
    suggest,
)
from stemforge.errors import RenderError, SessionError

#: Highest section corner of a cascaded low-pass, as a fraction of the sample rate.
_MAX_CORNER = 0.45
SLOPES_DB_OCT = (6, 12, 18, 24, 36, 48)
BAND_KINDS = ("highpass", "lowpass", "low_shelf", "high_shelf", "peak")


@dataclass(frozen=True)
class Band:
    """One EQ band.

    Attributes
    ----------
    kind : str
        ``highpass``, ``lowpass``, ``low_shelf``, ``high_shelf`` or ``peak``.
    freq_hz : float
        Cutoff (−3 dB point) of a pass filter, corner of a shelf, centre of a peak.
    gain_db : float
        Boost or cut of a shelf or peak (ignored by pass filters).
    q : float
        Bandwidth of a peak, steepness of a shelf.
    slope_db_oct : int
        Slope of a pass filter: 6, 12, 18, 24, 36 or 48 dB/octave.
    """

    kind: str
    freq_hz: float
    gain_db: float = 0.0
    q: float = 0.707
    slope_db_oct: int = 12

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        """The filters of this band."""
        if self.kind in ("highpass", "lowpass"):
            sections, corner = self._pass_sections(sample_rate)
            kind = pedalboard.HighpassFilter if self.kind == "highpass" else pedalboard.LowpassFilter
            return [kind(cutoff_frequency_hz=corner) for _ in range(sections)]
        if self.kind == "low_shelf":
            return [pedalboard.LowShelfFilter(cutoff_frequency_hz=self.freq_hz, gain_db=self.gain_db, q=self.q)]
        if self.kind == "high_shelf":
            return [pedalboard.HighShelfFilter(cutoff_frequency_hz=self.freq_hz, gain_db=self.gain_db, q=self.q)]
        return [pedalboard.PeakFilter(cutoff_frequency_hz=self.freq_hz, gain_db=self.gain_db, q=self.q)]

    def _pass_sections(self, sample_rate: int) -> tuple[int, float]:
        """First-order sections of a pass band and the corner of each, Hz."""
        sections = self.slope_db_oct // 6
        spread = math.sqrt(2.0 ** (1.0 / sections) - 1.0)
        if self.kind == "highpass":
            return sections, self.freq_hz * spread
        return sections, min(self.freq_hz / spread, _MAX_CORNER * sample_rate)

    def sections(self, sample_rate: int) -> list[list[np.float32]]:
        """The same filters as :meth:`plugins`, as second-order sections (see :mod:`stemforge.dsp.iir`)."""
        if self.kind in ("highpass", "lowpass"):
            sections, corner = self._pass_sections(sample_rate)
            return [iir.first_order_pass(self.kind, corner, sample_rate)] * sections
        if self.kind in ("low_shelf", "high_shelf"):
            return [iir.shelf(self.kind, self.freq_hz, self.q, self.gain_db, sample_rate)]
        return [iir.peak(self.freq_hz, self.q, self.gain_db, sample_rate)]


_BAND_PARAMS: dict[str, Param] = {
    "kind": Param(str, choices=BAND_KINDS),
    "freq_hz": Param(float, 10, 40000),
    "cutoff_hz": Param(float, 10, 40000),
    "gain_db": Param(float, -48, 48),
    "q": Param(float, 0.05, 40),
    "slope_db_oct": Param(int, choices=SLOPES_DB_OCT),
}


@register_effect
@dataclass(frozen=True)
class EQ(EffectSpec):
    """A list of bands applied in order.

    Session syntax::

        [[tracks.inserts]]
        type = "eq"
        bands = [
          { kind = "highpass", cutoff_hz = 80, slope_db_oct = 24 },
          { kind = "peak", freq_hz = 3000, gain_db = -2.5, q = 1.4 },
          { kind = "high_shelf", freq_hz = 10000, gain_db = 2 },
        ]
    """

    type_name = "eq"
    linear = True

    bands: tuple[Band, ...] = ()

    @classmethod
    def from_table(cls, table: Mapping[str, Any], *, where: str, source: Path) -> EffectSpec:
        name = source.name
        for key in table:
            if key != "bands":
                raise SessionError(f"{where}: unknown parameter {key!r}{suggest(key, ('bands',))} ({name})", tip='an eq holds bands = [{ kind = "peak", freq_hz = 1000, gain_db = -3, q = 1 }, ...]')
        raw = table.get("bands", [])
        raw = raw.unwrap() if hasattr(raw, "unwrap") else raw
        if not isinstance(raw, list):
            raise SessionError(f"{where}.bands must be a list of tables ({name})")
        bands = []
        for i, entry in enumerate(raw, start=1):
            label = f"{where}.bands[{i}]"
            if not isinstance(entry, Mapping):
                raise SessionError(f"{label} must be a table such as {{ kind = \"peak\", freq_hz = 1000 }} ({name})")
            values = check_params(entry, _BAND_PARAMS, where=label, source=source)
            kind = values.get("kind")
            if kind is None:
                raise SessionError(f"{label}: missing required key 'kind' (one of {', '.join(BAND_KINDS)}) ({name})")
            passes = kind in ("highpass", "lowpass")
            freq_key = "cutoff_hz" if passes else "freq_hz"
            wrong = "freq_hz" if passes else "cutoff_hz"
            if wrong in values:
                raise SessionError(f"{label}: a {kind} band takes {freq_key}, not {wrong} ({name})")
            if freq_key not in values:
                raise SessionError(f"{label}: missing required key {freq_key!r} ({name})")
            if passes and "gain_db" in values:
                raise SessionError(f"{label}: a {kind} band has no gain_db; use slope_db_oct ({name})")
            if not passes and "slope_db_oct" in values:
                raise SessionError(f"{label}: a {kind} band has no slope_db_oct ({name})")
            bands.append(
                Band(
                    kind=kind,
                    freq_hz=values[freq_key],
                    gain_db=values.get("gain_db", 0.0),
                    q=values.get("q", 0.707),
                    slope_db_oct=values.get("slope_db_oct", 12),
                )
            )
        return cls(bands=tuple(bands))

    def to_table(self) -> dict[str, Any]:
        out = []
        for b in self.bands:
            if b.kind in ("highpass", "lowpass"):
                out.append({"kind": b.kind, "cutoff_hz": b.freq_hz, "slope_db_oct": b.slope_db_oct})
            else:
                out.append({"kind": b.kind, "freq_hz": b.freq_hz, "gain_db": b.gain_db, "q": b.q})
        return {"type": self.type_name, "bands": out}

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        nyquist = sample_rate / 2
        for b in self.bands:
            if b.freq_hz >= nyquist:
                raise RenderError(f"eq band {b.kind} at {b.freq_hz:g} Hz is above the Nyquist frequency of {sample_rate} Hz ({nyquist:g} Hz)")
        return [p for b in self.bands for p in b.plugins(sample_rate)]

    def sections(self, sample_rate: int) -> np.ndarray:
        """Every band's filters as float32 second-order sections, shape ``(n, 6)``."""
        self.plugins(sample_rate)  # same checks
        return np.array([row for b in self.bands for row in b.sections(sample_rate)], np.float32).reshape(-1, 6)

    def stage(self, sample_rate: int, *, channels: int) -> Stage | None:
        sections = self.sections(sample_rate)
        return iir.SectionCascade(sections, channels=channels, piece_frames=PROCESS_FRAMES) if len(sections) else None


__all__ = ["BAND_KINDS", "EQ", "SLOPES_DB_OCT", "Band"]
