"""Measure a file with ffmpeg's ``ebur128`` filter (a reference meter for the tests)."""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the ffmpeg binary is not installed")


@dataclass(frozen=True)
class FfmpegLoudness:
    integrated_lufs: float
    loudness_range_lu: float
    true_peak_dbtp: float


def ffmpeg_ebur128(path: Path) -> FfmpegLoudness:
    """Integrated loudness, LRA and true peak of ``path`` as ffmpeg's ``ebur128=peak=true`` reads them.

    The per-frame metadata (three decimals) is used instead of the one-decimal summary.
    """
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "r128.txt"
        subprocess.run(
            [
                "ffmpeg", "-hide_banner", "-nostats", "-nostdin", "-i", str(path),
                "-af", f"ebur128=peak=true:metadata=1,ametadata=mode=print:file={log}",
                "-f", "null", "-",
            ],
            check=True,
            capture_output=True,
        )
        values: dict[str, str] = {}
        for line in log.read_text().splitlines():
            if line.startswith("lavfi.r128."):
                key, _, value = line[len("lavfi.r128.") :].partition("=")
                values[key] = value
    peak = float(values["true_peak"])
    return FfmpegLoudness(
        integrated_lufs=float(values["I"]),
        loudness_range_lu=float(values["LRA"]),
        true_peak_dbtp=20 * math.log10(peak) if peak > 0 else -math.inf,
    )
