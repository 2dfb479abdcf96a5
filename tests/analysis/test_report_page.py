"""The HTML report and its plots for ordinary and degenerate audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.music import music_like
from conformance.ebu_signals import stepped_sine, stereo
from stemforge.analysis import analyze
from stemforge.audio import AudioBuffer
from stemforge.report import HtmlReport, escape
from stemforge.report.loudness_page import loudness_report_page

PNG_MAGIC = "data:image/png;base64,iVBORw0KGgo"


@pytest.mark.parametrize(
    "buffer",
    [
        AudioBuffer(np.zeros((2, 48000 * 2), np.float32), 48000),  # silence
        stereo(stepped_sine([(-20.0, 0.2)])),  # shorter than a gating block
        AudioBuffer(np.zeros((1, 10), np.float32), 48000),  # ten frames of mono
    ],
    ids=["silence", "200ms", "10frames"],
)
def test_degenerate_audio_still_gives_a_page(buffer: AudioBuffer, tmp_path: Path) -> None:
    page = loudness_report_page([analyze(buffer, path="odd.wav")], target_lufs=-23.0)
    path = tmp_path / "odd.html"
    page.write(path)
    html = path.read_text(encoding="utf-8")
    assert html.count(PNG_MAGIC) == 3 and "odd.wav" in html


def test_comparison_and_escaping(tmp_path: Path) -> None:
    reports = [analyze(music_like(7.0), path="<mix> & co.wav"), analyze(stereo(stepped_sine([(-30.0, 5.0)])), path="quiet.wav")]
    html = loudness_report_page(reports).render()
    assert "Comparison" in html and html.count(PNG_MAGIC) == 6
    assert "&lt;mix&gt; &amp; co.wav" in html and "<mix>" not in html


def test_page_builder() -> None:
    page = HtmlReport("T <1>", subtitle="s")
    section = page.section("A")
    section.table(["x", "y"], [["1.5 dB", "a"], [None, "-inf dB"]]).paragraph("p & q")
    section.subsection("B").key_values({"k": "v"})
    html = page.render()
    assert "<title>T &lt;1&gt;</title>" in html and '<td class="num">1.5 dB</td>' in html
    assert "<h3>B</h3>" in html and "p &amp; q" in html
    assert escape('"') == "&quot;"


def test_lra_does_not_collapse_on_a_level_changing_every_second() -> None:
    # Short-term windows hold 2 s of -20 and 1 s of -30 dBFS or the reverse, and everything
    # between: values from -23.98 to -21.55 LUFS, so the range is real but below 2.43 LU.
    report = analyze(stereo(stepped_sine([(-20.0, 1.0), (-30.0, 1.0)] * 20)))
    assert 1.8 < report.loudness_range_lu < 2.43
