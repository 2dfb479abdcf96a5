"""The result of a loudness analysis: :class:`LoudnessReport`, a frozen dataclass."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

#: Version of the JSON document written by :meth:`LoudnessReport.to_json`.
SCHEMA_VERSION = 1

Floats = npt.NDArray[np.float64]


def _finite(value: float | None) -> float | None:
    """``value`` for JSON: ``None`` for a missing, infinite or NaN value."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _series(values: npt.NDArray[Any]) -> list[float | None]:
    return [None if not math.isfinite(v) else round(float(v), 3) for v in values]


def _frozen(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array = np.asarray(array)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class LoudnessReport:
    """Loudness, peak and level measurements of one piece of audio.

    Levels that do not exist (the peak of silence) are ``-inf``; measurements that cannot be
    made (the integrated loudness of silence or of less than 400 ms) are ``None``.

    Attributes
    ----------
    path : str or None
        The file measured, if any.
    sample_rate : int
        In Hz.
    channels : int
    frames : int
    duration_s : float
    integrated_lufs : float or None
        Gated programme loudness (BS.1770-4 eqs. 5-7).
    loudness_range_lu : float
        EBU Tech 3342 loudness range; 0.0 when nothing passes the gates.
    true_peak_dbtp : float or None
        Largest true-peak level of any channel (BS.1770-4 Annex 2), never below the sample
        peak; ``None`` if the meter did not measure true peak.
    sample_peak_dbfs : float
        Largest absolute sample of any channel.
    short_term_max_lufs, momentary_max_lufs : float or None
        Largest short-term (3 s) and momentary (400 ms) loudness, refreshed every 100 ms.
    plr_db : float or None
        Peak-to-loudness ratio, ``true_peak_dbtp - integrated_lufs`` (EBU R 128 s1).
    rms_dbfs : float
        RMS level over all channels (a full-scale sine reads -3.01 dBFS).
    crest_db : float or None
        ``sample_peak_dbfs - rms_dbfs``.
    dc_offset : float
        Mean sample value of the channel whose mean is largest in magnitude.
    correlation : float or None
        Correlation of the first two channels (+1 mono-compatible, -1 out of phase); ``None``
        for mono or silence.
    clipped_runs : int
        Runs of 3 or more consecutive full-scale samples, over all channels.
    channel_true_peaks_dbtp, channel_sample_peaks_dbfs, channel_dc_offsets : tuple of float
        Per channel.
    true_peak_oversampling : int
        Oversampling ratio used for true peak.
    series_hop_s : float
        Spacing of the loudness series and of the envelope (0.1 s).
    momentary_lufs : np.ndarray, float64, shape (n,)
        Momentary loudness; value ``k`` is of the 400 ms ending at ``(k + 4) * series_hop_s``.
    short_term_lufs : np.ndarray, float64, shape (m,)
        Short-term loudness; value ``k`` is of the 3 s ending at ``(k + 30) * series_hop_s``.
    envelope_min, envelope_max : np.ndarray, float32, shape (e,)
        Smallest and largest sample over channels in each 100 ms.
    spectrum_centres_hz, spectrum_levels_db : np.ndarray, float64, shape (bands,)
        Long-term 1/3-octave spectrum: band centres and band RMS levels (dB re full scale).
    """

    path: str | None
    sample_rate: int
    channels: int
    frames: int
    duration_s: float
    integrated_lufs: float | None
    loudness_range_lu: float
    true_peak_dbtp: float | None
    sample_peak_dbfs: float
    short_term_max_lufs: float | None
    momentary_max_lufs: float | None
    plr_db: float | None
    rms_dbfs: float
    crest_db: float | None
    dc_offset: float
    correlation: float | None
    clipped_runs: int
    channel_true_peaks_dbtp: tuple[float, ...]
    channel_sample_peaks_dbfs: tuple[float, ...]
    channel_dc_offsets: tuple[float, ...]
    true_peak_oversampling: int
    series_hop_s: float = 0.1
    momentary_lufs: Floats = field(default_factory=lambda: np.zeros(0), repr=False)
    short_term_lufs: Floats = field(default_factory=lambda: np.zeros(0), repr=False)
    envelope_min: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32), repr=False)
    envelope_max: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32), repr=False)
    spectrum_centres_hz: Floats = field(default_factory=lambda: np.zeros(0), repr=False)
    spectrum_levels_db: Floats = field(default_factory=lambda: np.zeros(0), repr=False)

    def __post_init__(self) -> None:
        for name in ("momentary_lufs", "short_term_lufs", "envelope_min", "envelope_max", "spectrum_centres_hz", "spectrum_levels_db"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def momentary_times_s(self) -> Floats:
        """End time (s) of each momentary window."""
        return (np.arange(self.momentary_lufs.size, dtype=np.float64) + 4.0) * self.series_hop_s

    @property
    def short_term_times_s(self) -> Floats:
        """End time (s) of each short-term window."""
        return (np.arange(self.short_term_lufs.size, dtype=np.float64) + 30.0) * self.series_hop_s

    @property
    def envelope_times_s(self) -> Floats:
        """Start time (s) of each envelope segment."""
        return np.arange(self.envelope_max.size, dtype=np.float64) * self.series_hop_s

    def to_json(self, *, series: bool = False) -> dict[str, Any]:
        """A JSON-ready dict: the ``analyze --json`` fields of ARCHITECTURE.md, then extras.

        Values that are missing, infinite or NaN become ``None`` (JSON ``null``), so the
        document is valid strict JSON. With ``series=True`` the loudness series, envelope
        and spectrum are included as lists.
        """
        data: dict[str, Any] = {
            "path": self.path,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "duration_s": self.duration_s,
            "integrated_lufs": _finite(self.integrated_lufs),
            "loudness_range_lu": _finite(self.loudness_range_lu),
            "true_peak_dbtp": _finite(self.true_peak_dbtp),
            "sample_peak_dbfs": _finite(self.sample_peak_dbfs),
            "short_term_max_lufs": _finite(self.short_term_max_lufs),
            "momentary_max_lufs": _finite(self.momentary_max_lufs),
            "plr_db": _finite(self.plr_db),
            "rms_dbfs": _finite(self.rms_dbfs),
            "crest_db": _finite(self.crest_db),
            "dc_offset": _finite(self.dc_offset),
            "correlation": _finite(self.correlation),
            "clipped_runs": self.clipped_runs,
            "frames": self.frames,
            "true_peak_oversampling": self.true_peak_oversampling,
            "channel_true_peaks_dbtp": [_finite(v) for v in self.channel_true_peaks_dbtp],
            "channel_sample_peaks_dbfs": [_finite(v) for v in self.channel_sample_peaks_dbfs],
            "schema_version": SCHEMA_VERSION,
        }
        if series:
            data["series_hop_s"] = self.series_hop_s
            data["momentary_lufs"] = _series(self.momentary_lufs)
            data["short_term_lufs"] = _series(self.short_term_lufs)
            data["envelope_min"] = _series(self.envelope_min)
            data["envelope_max"] = _series(self.envelope_max)
            data["spectrum_centres_hz"] = [round(float(v), 3) for v in self.spectrum_centres_hz]
            data["spectrum_levels_db"] = _series(self.spectrum_levels_db)
        return data


__all__ = ["SCHEMA_VERSION", "LoudnessReport"]
