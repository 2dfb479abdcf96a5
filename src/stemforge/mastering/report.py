"""The master's reports: ``report.json`` (schema-versioned) and a self-contained ``report.html``.

The JSON holds every stage's settings and measurements, the before/after metrics of the
project's meter, each deliverable's loudness and true peak, and series for plots (short-term
loudness, limiter gain reduction at 10 Hz, 1/3-octave spectra). The HTML page is built with
:mod:`stemforge.report.html` and embeds its plots as PNG.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stemforge import __version__
from stemforge.mastering.delivery import StagedOutputs
from stemforge.mastering.loudness import GAIN_REDUCTION_HOP_S

if TYPE_CHECKING:
    from stemforge.mastering.pipeline import MasterResult

#: Version of the ``report.json`` layout; bumped on any incompatible change.
MASTER_SCHEMA_VERSION = 1
#: Every file a master writes, used to refuse overwriting an input.
OUTPUT_NAMES = (
    "master.wav",
    "master-cd.wav",
    "master.flac",
    "master.mp3",
    "preview-before.wav",
    "preview-after.wav",
    "report.html",
    "report.json",
)
#: Step of the series in the report, in seconds (the limiter's is its own, the same).
SERIES_HOP_S = GAIN_REDUCTION_HOP_S


def _clean(value: Any) -> Any:
    """JSON-ready: dataclasses to dicts, paths to strings, non-finite floats to None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value) if not isinstance(getattr(value, f.name), np.ndarray)}
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return round(v, 4) if math.isfinite(v) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _series(values: np.ndarray, digits: int = 2) -> list[float | None]:
    return [round(float(v), digits) if math.isfinite(float(v)) else None for v in values]


def to_json(result: MasterResult) -> dict[str, Any]:
    """The ``report.json`` document of ``result``."""
    s = result.settings
    level = result.level
    stems = []
    for stem in result.rebalance.stems:
        entry = _clean(stem)
        entry["change_db"] = _clean(stem.change_db)
        stems.append(entry)
    tonal = _clean(result.tonal)
    reference = None
    if result.reference is not None:
        ref = result.reference
        reference = {
            "path": str(ref.path),
            "sample_rate": ref.sample_rate,
            "channels": ref.channels,
            "duration_s": round(ref.duration_s, 3),
            "integrated_lufs": _clean(ref.integrated_lufs),
            "true_peak_dbtp": _clean(ref.true_peak_dbtp),
            "spectrum_centres_hz": _series(ref.third_octave_hz, 3),
            "spectrum_levels_db": _series(ref.third_octave_db),
        }
    return {
        "schema_version": MASTER_SCHEMA_VERSION,
        "generator": f"stemforge {__version__}",
        "input": _clean(result.input),
        "target": {"name": s.target, "integrated_lufs": round(s.target_lufs, 2), "ceiling_dbtp": s.ceiling_dbtp},
        "reached_target": result.reached_target,
        "loudness_reached_lufs": _clean(level.limit.output_lufs),
        "settings": {
            "reference": str(s.reference) if s.reference else None,
            "match_amount": s.match_amount,
            "match_phase": s.match_phase,
            "preset": s.preset,
            "glue": s.glue,
            "width_percent": s.width_percent,
            "mono_below_hz": s.mono_below_hz,
            "max_gr_db": s.max_reduction_db,
            "deliverables": list(s.deliverables),
            "stems": _clean(s.stems),
        },
        "before": result.before.to_json(),
        "after": result.after.to_json(),
        "stages": {
            "rebalance": {"applied": result.rebalance.applied, "stems": stems},
            "tonal": tonal,
            "glue": _clean(result.glue),
            "width": _clean(result.width),
            "loudness": _clean(level.gain),
            "limiter": _clean(level.limit),
        },
        "deliverables": [_clean(d) for d in result.deliverables],
        "previews": {
            "before": "preview-before.wav",
            "after": "preview-after.wav",
            "start_s": round(result.previews.start_s, 3),
            "length_s": round(result.previews.length_s, 3),
            "integrated_lufs": _clean(result.previews.lufs),
            "before_gain_db": _clean(result.previews.before_gain_db),
            "after_gain_db": _clean(result.previews.after_gain_db),
        },
        "reference": reference,
        "series": {
            "hop_s": SERIES_HOP_S,
            "gain_reduction_db": _series(level.gain_reduction_db),
            "short_term_before_lufs": _series(result.before.short_term_lufs),
            "short_term_after_lufs": _series(result.after.short_term_lufs),
            "short_term_first_s": round(float(result.before.short_term_times_s[0]), 3) if result.before.short_term_lufs.size else None,
            "spectrum_centres_hz": _series(result.after.spectrum_centres_hz, 3),
            "spectrum_before_db": _series(result.before.spectrum_levels_db),
            "spectrum_after_db": _series(result.after.spectrum_levels_db),
        },
        "warnings": list(result.warnings),
        "seconds": round(result.seconds, 3),
    }


def _figure_png(draw: Any, *, height: float = 3.0, bottom: float = 0.2) -> bytes:
    """Draw on a fresh Agg figure (no pyplot, no global state) and return PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9.0, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    draw(axes)
    axes.grid(True, alpha=0.3)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.95, bottom=bottom)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _fmt(value: float | None, unit: str, digits: int = 1, sign: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:+.{digits}f} {unit}" if sign else f"{value:.{digits}f} {unit}"


def render_figures(result: MasterResult) -> dict[str, bytes]:
    """The report's figures as PNG bytes, by name (``stems``, ``gr``, ``loudness``, ``spectrum``).

    They need no deliverable, so the pipeline draws them while the MP3 is still encoding.
    """
    s = result.settings
    b, a = result.before, result.after
    figures: dict[str, bytes] = {}
    stem_levels = [(st.name, st.lufs_before, st.lufs_after) for st in result.rebalance.stems if st.lufs_before is not None]
    if stem_levels:

        def draw_stems(axes: Any) -> None:
            x = np.arange(len(stem_levels))
            axes.bar(x - 0.2, [v[1] + 70 for v in stem_levels], 0.4, bottom=-70, label="before")
            axes.bar(x + 0.2, [(v[2] if v[2] is not None else -70) + 70 for v in stem_levels], 0.4, bottom=-70, label="after")
            axes.set_xticks(x, [v[0] for v in stem_levels], rotation=30, ha="right")
            axes.set_ylabel("LUFS")
            axes.legend()

        figures["stems"] = _figure_png(draw_stems, height=3.6, bottom=0.3)
    gr = result.level.gain_reduction_db

    def draw_gr(axes: Any) -> None:
        axes.fill_between(np.arange(gr.size) * SERIES_HOP_S, 0, -gr, step="post", color="#cf222e", alpha=0.6)
        axes.set_xlabel("time (s)")
        axes.set_ylabel("gain reduction (dB)")

    figures["gr"] = _figure_png(draw_gr, height=2.4)

    def draw_loudness(axes: Any) -> None:
        for report, name in ((b, "before"), (a, "after")):
            if report.short_term_lufs.size:
                axes.plot(report.short_term_times_s, report.short_term_lufs, label=name)
        axes.axhline(s.target_lufs, color="grey", linestyle="--", label="target")
        axes.set_xlabel("time (s)")
        axes.set_ylabel("short-term loudness (LUFS)")
        axes.legend()

    figures["loudness"] = _figure_png(draw_loudness)

    def draw_spectrum(axes: Any) -> None:
        axes.semilogx(b.spectrum_centres_hz, b.spectrum_levels_db, label="before")
        axes.semilogx(a.spectrum_centres_hz, a.spectrum_levels_db, label="after")
        if result.reference is not None:
            ref = result.reference
            shift = float(np.nanmean(a.spectrum_levels_db[: ref.third_octave_db.size]) - np.nanmean(ref.third_octave_db[: a.spectrum_levels_db.size]))
            axes.semilogx(ref.third_octave_hz, ref.third_octave_db + shift, label="reference (level-matched)", linestyle="--")
        axes.set_xlabel("frequency (Hz)")
        axes.set_ylabel("band level (dB)")
        axes.legend()

    figures["spectrum"] = _figure_png(draw_spectrum)
    return figures


def to_html(result: MasterResult, figures: dict[str, bytes] | None = None) -> str:
    """The ``report.html`` page of ``result`` (``figures``: from :func:`render_figures`, drawn if not given)."""
    from stemforge.report.html import HtmlReport

    if figures is None:
        figures = render_figures(result)
    s = result.settings
    level = result.level
    rate = result.input.sample_rate
    target = s.target or "custom"
    page = HtmlReport(
        f"Master of {Path(result.input.path).name}",
        subtitle=f"{result.input.kind}, {result.input.duration_s:.1f} s at {rate} Hz · target {target}: {s.target_lufs:.1f} LUFS, {s.ceiling_dbtp:+.1f} dBTP",
    )
    summary = page.section("Summary")
    if result.reached_target:
        summary.paragraph(f"Reached {level.limit.output_lufs:.2f} LUFS (target {s.target_lufs:.1f}) at {level.limit.output_true_peak_dbtp:+.2f} dBTP.", css_class="ok")
    else:
        summary.paragraph(
            f"Target not reached: {level.limit.output_lufs:.2f} LUFS instead of {s.target_lufs:.1f} LUFS — it would need more than "
            f"{s.max_reduction_db:g} dB of limiting. The ceiling ({s.ceiling_dbtp:+.1f} dBTP) is honoured.",
            css_class="warn",
        )
    for message in result.warnings:
        summary.paragraph(f"warning: {message}", css_class="warn")
    b, a = result.before, result.after
    summary.table(
        ["", "before", "after"],
        [
            ["integrated", _fmt(b.integrated_lufs, "LUFS"), _fmt(a.integrated_lufs, "LUFS", 2)],
            ["loudness range", _fmt(b.loudness_range_lu, "LU"), _fmt(a.loudness_range_lu, "LU")],
            ["true peak", _fmt(b.true_peak_dbtp, "dBTP", 2, True), _fmt(a.true_peak_dbtp, "dBTP", 2, True)],
            ["sample peak", _fmt(b.sample_peak_dbfs, "dBFS", 2, True), _fmt(a.sample_peak_dbfs, "dBFS", 2, True)],
            ["short-term max", _fmt(b.short_term_max_lufs, "LUFS"), _fmt(a.short_term_max_lufs, "LUFS")],
            ["PLR", _fmt(b.plr_db, "dB"), _fmt(a.plr_db, "dB")],
        ],
    )
    deliverables = page.section("Deliverables")
    deliverables.table(
        ["file", "format", "rate", "dither", "integrated", "true peak", "within ceiling", "notes"],
        [
            [d.file, d.format, f"{d.sample_rate} Hz", d.dither or "–", _fmt(d.integrated_lufs, "LUFS", 2), _fmt(d.true_peak_dbtp, "dBTP", 2, True), "yes" if d.within_ceiling else "NO", "; ".join(d.notes)]
            for d in result.deliverables
        ],
    )
    deliverables.paragraph(
        f"Previews: preview-before.wav and preview-after.wav, {result.previews.length_s:.1f} s from {result.previews.start_s:.1f} s, "
        f"both at {_fmt(result.previews.lufs, 'LUFS')} for an honest A/B."
    )
    stages = page.section("Stages")
    if result.rebalance.stems:
        sub = stages.subsection("1. Stem rebalance" + ("" if result.rebalance.applied else " (off: no stem moves)"))
        sub.table(
            ["stem", "gain", "EQ", "compression", "loudness before", "after", "change"],
            [
                [
                    st.name,
                    _fmt(st.gain_db, "dB", 1, True),
                    ", ".join(f"{e.kind} {e.freq_hz:g} Hz {e.gain_db:+g} dB" for e in st.eq) or "–",
                    f"{st.compression.threshold_db:g} dB, {st.compression.ratio:g}:1" if st.compression else "–",
                    _fmt(st.lufs_before, "LUFS"),
                    _fmt(st.lufs_after, "LUFS"),
                    _fmt(st.change_db, "LU", 2, True),
                ]
                for st in result.rebalance.stems
            ],
        )
        if "stems" in figures:
            sub.figure(figures["stems"], alt="per-stem loudness", caption="Integrated loudness of each stem before and after its move.")
    else:
        stages.subsection("1. Stem rebalance").paragraph("off (the input is a mix)")
    tonal = stages.subsection("2. Tonal EQ / reference matching")
    if result.tonal.applied:
        tonal.paragraph(
            f"{result.tonal.amount_percent:g} % toward {Path(str(s.reference)).name}, {result.tonal.phase}-phase FIR of {result.tonal.taps} taps; "
            f"1/3-octave distance {result.tonal.distance_before_db:.2f} dB → {result.tonal.distance_after_db:.2f} dB."
        )
    else:
        tonal.paragraph("off" + (" (match amount 0)" if s.reference else ""))
    bus = stages.subsection("3. Glue and width")
    bus.paragraph(
        (f"glue: threshold {result.glue.threshold_db:.1f} dB, {result.glue.ratio:g}:1, up to {result.glue.max_reduction_db:.1f} dB" if result.glue.applied else "glue: off")
        + " · "
        + (f"width: {result.width.width_percent:g} %, mono below {result.width.mono_below_hz or '–'} Hz" if result.width.applied else "width: off")
    )
    loud = stages.subsection("4–5. Loudness and true-peak limiting")
    loud.key_values(
        {
            "input loudness": _fmt(level.gain.input_lufs, "LUFS", 2),
            "gain": _fmt(level.gain.gain_db, "dB", 2, True),
            "ceiling": _fmt(level.limit.ceiling_dbtp, "dBTP", 2, True),
            "largest gain reduction": _fmt(level.limit.max_reduction_db, "dB", 2),
            "limited frames": f"{100 * level.limit.limited_fraction:.1f} %",
            "result": f"{level.limit.output_lufs:.2f} LUFS, {level.limit.output_true_peak_dbtp:+.2f} dBTP",
        }
    )
    loud.figure(figures["gr"], alt="limiter gain reduction", caption="Limiter gain reduction (largest in each 100 ms).")
    plots = page.section("Loudness and spectrum")
    plots.figure(figures["loudness"], alt="short-term loudness", caption="Short-term loudness (3 s) before and after.")
    plots.figure(figures["spectrum"], alt="1/3-octave spectrum", caption="Long-term 1/3-octave spectrum before and after (and the reference).")
    return page.render()


def write_reports(result: MasterResult, outputs: StagedOutputs, figures: dict[str, bytes] | None = None) -> None:
    """Stage ``report.html`` and then ``report.json`` (committed last)."""
    outputs.temp("report.html").write_text(to_html(result, figures), encoding="utf-8")
    document = json.dumps(to_json(result), indent=2, allow_nan=False) + "\n"
    outputs.temp("report.json").write_text(document, encoding="utf-8")


__all__ = ["MASTER_SCHEMA_VERSION", "OUTPUT_NAMES", "render_figures", "to_html", "to_json", "write_reports"]
