"""Loudness and level analysis: ITU-R BS.1770-4 / EBU R 128 (Tech 3341, 3342).

Momentary, short-term and integrated loudness, loudness range, true peak, sample peak, PLR,
RMS, crest factor, DC offset, correlation, clipped runs and the long-term 1/3-octave
spectrum, from a streaming meter (:class:`LoudnessMeter`) whose results do not depend on the
block size, and whole-buffer / whole-file helpers built on it.

Modules: ``kweighting`` (filter and channel weights), ``blockfilter`` (the filter run as
block matrix products), ``gating`` (gated loudness from 100 ms energies), ``truepeak``
(Annex 2 interpolator), ``levels`` (sample statistics), ``spectrum`` (1/3-octave bands),
``meter`` (the meter), ``result`` (the report), ``api`` (whole-buffer and whole-file
functions). The user's guide to the numbers is ``docs/loudness.md``.
"""

from stemforge.analysis.api import (
    DEFAULT_BLOCK_FRAMES,
    analyze,
    analyze_file,
    integrated_loudness,
    sample_peak_dbfs,
    third_octave_spectrum,
    true_peak_dbtp,
)
from stemforge.analysis.meter import LoudnessMeter
from stemforge.analysis.result import SCHEMA_VERSION, LoudnessReport

__all__ = [
    "DEFAULT_BLOCK_FRAMES",
    "SCHEMA_VERSION",
    "LoudnessMeter",
    "LoudnessReport",
    "analyze",
    "analyze_file",
    "integrated_loudness",
    "sample_peak_dbfs",
    "third_octave_spectrum",
    "true_peak_dbtp",
]
