"""Report figures as PNG bytes: waveform envelope, loudness over time, 1/3-octave spectrum.

Functions take plain data (arrays in seconds, dB and Hz) and return PNG bytes, so any
report (analysis, mastering, stem QA) can use them. They draw with matplotlib's Agg canvas
directly (no ``pyplot``, no global state, safe in threads and without a display).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter

ArrayLike = npt.ArrayLike

#: Figure size in inches and resolution: 1000 x 300 pixels.
FIGURE_SIZE = (10.0, 3.0)
DPI = 100
#: Lowest level drawn (dB); quieter values and -inf are clipped to it.
FLOOR_DB = -90.0

_COLORS = {"wave": "#3b6ea8", "momentary": "#9fb7d3", "short_term": "#1f4e89", "integrated": "#cf222e", "target": "#1a7f37"}


def _figure() -> Figure:
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _time_formatter(seconds: float, _position: object) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}:{rest:02d}"


def _floored(values: ArrayLike) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(array), np.maximum(array, FLOOR_DB), FLOOR_DB)


def waveform_envelope_png(times_s: ArrayLike, minimum: ArrayLike, maximum: ArrayLike, *, title: str | None = None) -> bytes:
    """The waveform as its min/max envelope.

    Parameters
    ----------
    times_s : array, shape (n,)
        Start time of each envelope segment, in seconds.
    minimum, maximum : array, shape (n,)
        Smallest and largest sample in each segment (full scale is ±1).
    """
    figure = _figure()
    axes = figure.add_subplot()
    t = np.asarray(times_s, dtype=np.float64)
    axes.fill_between(t, np.asarray(minimum, dtype=np.float64), np.asarray(maximum, dtype=np.float64), color=_COLORS["wave"], linewidth=0, step="post")
    axes.axhline(0.0, color="#8b949e", linewidth=0.5)
    axes.set_ylim(-1.05, 1.05)
    axes.set_ylabel("amplitude (FS)")
    axes.set_xlim(0.0, max(float(t[-1]) if t.size else 0.0, 1e-3))
    axes.xaxis.set_major_formatter(FuncFormatter(_time_formatter))
    axes.set_xlabel("time (m:ss)")
    axes.set_title(title or "Waveform envelope", fontsize=10, loc="left")
    return _png(figure)


def loudness_png(
    momentary_times_s: ArrayLike,
    momentary_lufs: ArrayLike,
    short_term_times_s: ArrayLike,
    short_term_lufs: ArrayLike,
    *,
    integrated_lufs: float | None = None,
    target_lufs: float | None = None,
    title: str | None = None,
) -> bytes:
    """Momentary and short-term loudness over time, with the integrated value and a target line."""
    figure = _figure()
    axes = figure.add_subplot()
    momentary = _floored(momentary_lufs)
    short_term = _floored(short_term_lufs)
    axes.plot(np.asarray(momentary_times_s), momentary, color=_COLORS["momentary"], linewidth=0.8, label="momentary (400 ms)")
    axes.plot(np.asarray(short_term_times_s), short_term, color=_COLORS["short_term"], linewidth=1.4, label="short-term (3 s)")
    if integrated_lufs is not None:
        axes.axhline(integrated_lufs, color=_COLORS["integrated"], linewidth=1.2, linestyle="-", label=f"integrated {integrated_lufs:.1f} LUFS")
    if target_lufs is not None:
        axes.axhline(target_lufs, color=_COLORS["target"], linewidth=1.2, linestyle="--", label=f"target {target_lufs:.1f} LUFS")
    audible = np.concatenate([momentary[momentary > FLOOR_DB], short_term[short_term > FLOOR_DB]])
    references = [v for v in (integrated_lufs, target_lufs) if v is not None]
    top = max([float(audible.max()) if audible.size else -20.0, *references]) + 3.0
    bottom = min([float(np.percentile(audible, 2)) if audible.size else -60.0, *references]) - 6.0
    axes.set_ylim(max(bottom, FLOOR_DB), top)
    axes.set_ylabel("LUFS")
    axes.xaxis.set_major_formatter(FuncFormatter(_time_formatter))
    axes.set_xlabel("time (m:ss)")
    axes.grid(True, color="#e3e7eb", linewidth=0.6)
    axes.legend(loc="lower right", fontsize=8, framealpha=0.9)
    axes.set_title(title or "Loudness", fontsize=10, loc="left")
    return _png(figure)


_BAND_LABELS: Sequence[tuple[float, str]] = (
    (31.5, "31.5"), (63, "63"), (125, "125"), (250, "250"), (500, "500"),
    (1000, "1k"), (2000, "2k"), (4000, "4k"), (8000, "8k"), (16000, "16k"),
)


def spectrum_png(centres_hz: ArrayLike, levels_db: ArrayLike, *, title: str | None = None) -> bytes:
    """Long-term 1/3-octave spectrum as bars on a logarithmic frequency axis."""
    figure = _figure()
    axes = figure.add_subplot()
    centres = np.asarray(centres_hz, dtype=np.float64)
    levels = _floored(levels_db)
    if centres.size:
        widths = centres * (10.0 ** (1.0 / 20.0) - 10.0 ** (-1.0 / 20.0)) * 0.85
        axes.bar(centres, levels - FLOOR_DB, width=widths, bottom=FLOOR_DB, color=_COLORS["short_term"], align="center")
        axes.set_xlim(centres[0] * 0.85, centres[-1] * 1.15)
        audible = levels[levels > FLOOR_DB]
        axes.set_ylim(max(FLOOR_DB, float(audible.min()) - 6.0) if audible.size else FLOOR_DB, float(audible.max()) + 3.0 if audible.size else 0.0)
    axes.set_axisbelow(True)
    axes.set_xscale("log")
    axes.xaxis.set_major_locator(FixedLocator([f for f, _ in _BAND_LABELS]))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _p: dict(_BAND_LABELS).get(value, "")))
    axes.xaxis.set_minor_locator(FixedLocator([]))
    axes.set_xlabel("frequency (Hz)")
    axes.set_ylabel("band level (dBFS)")
    axes.grid(True, axis="y", color="#e3e7eb", linewidth=0.6)
    axes.set_title(title or "Long-term spectrum (1/3 octave)", fontsize=10, loc="left")
    return _png(figure)


__all__ = ["DPI", "FIGURE_SIZE", "FLOOR_DB", "loudness_png", "spectrum_png", "waveform_envelope_png"]
