"""What every benchmark shares: a line describing the machine, and its section of RESULTS.md.

Each ``bench_*.py`` owns one ``## …`` section of the shared ``bench/RESULTS.md`` and replaces
only that section, so benchmarks can be re-run one at a time.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def machine() -> str:
    """``2 × <CPU>, Python 3.11.7``: what the numbers were measured on."""
    return f"{os.cpu_count()} × {cpu_model()}, Python {platform.python_version()}"


def replace_section(document: str, heading: str, text: str) -> str:
    """``document`` with the section under ``heading`` replaced by ``text`` (appended if absent)."""
    lines = document.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        return document.rstrip("\n") + "\n\n" + text
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    rest = "".join(lines[end:])
    return "".join(lines[:start]) + text + ("\n" + rest if rest else "")


def write_section(heading: str, text: str, *, results: Path = RESULTS) -> None:
    """Replace (or append) one benchmark's section of RESULTS.md, atomically."""
    old = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    temp = results.with_name(f".{results.name}.tmp-{os.getpid()}")
    temp.write_text(replace_section(old, heading, text), encoding="utf-8")
    os.replace(temp, results)
