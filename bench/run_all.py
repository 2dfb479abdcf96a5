"""Run every ``bench/bench_*.py`` in turn with the project's venv, stopping at the first failure.

Usage: ``.venv/bin/python bench/run_all.py [extra arguments passed to every script]``.
Each script writes its own section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
VENV_PYTHON = BENCH.parent / ".venv" / "bin" / "python"


def main(argv: list[str] | None = None) -> int:
    extra = sys.argv[1:] if argv is None else argv
    python = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
    scripts = sorted(BENCH.glob("bench_*.py"))
    if not scripts:
        print(f"no bench_*.py in {BENCH}", file=sys.stderr)
        return 1
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.perf_counter()
        code = subprocess.run([python, str(script), *extra], cwd=BENCH.parent, check=False).returncode
        print(f"== {script.name}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
