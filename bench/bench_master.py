"""Benchmark of mastering (issue 6, "Performance"), side by side with Matchering.

On a 4-minute stereo 48 kHz music-like mix and a brighter, louder reference (both seeded,
written to ``bench/out/master/`` and reused), each run in a fresh process (peak RSS from
``/proc/self/status`` VmHWM), best of 3 wall-clock times:

(a) ``stemforge master MIX --reference REF`` through the Python API: every deliverable
    (24-bit WAV at 48 kHz, FLAC, 44.1 kHz/16-bit CD WAV, MP3 320), previews and reports;
(b) Matchering 2 ``mg.process(target=MIX, reference=REF)`` writing one 24-bit WAV;
(c) ``stemforge master MIX`` without a reference (every deliverable): needs ≥ 40× real time;
(d) (a) and (c) writing only ``master.wav`` (and previews and reports): the like-for-like
    comparison with Matchering's one WAV, and the cost of the other deliverables.

The outputs are measured with stemforge's meter (and ffmpeg's ``ebur128`` when present):
integrated loudness and true peak of Matchering's WAV next to ours. Writes the
``## Mastering (issue 6)`` section of ``bench/RESULTS.md``.

Run ``.venv/bin/python bench/bench_master.py`` (``--quick``: 30-second files, one run each,
RESULTS.md untouched). Needs the ``bench`` extra (``pip install -e '.[bench]'``: matchering, psutil).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import scipy.signal

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "tests"))  # the seeded music-like generator of the tests

from analysis.music import music_like

from stemforge.analysis import integrated_loudness, true_peak_dbtp
from stemforge.audio import AudioBuffer, read, write

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import write_section as write_results_section  # noqa: E402

OUT = BENCH / "out" / "master"
RESULTS = BENCH / "RESULTS.md"
SECTION = "## Mastering (issue 6)"
SAMPLE_RATE = 48000

_PRELUDE = """
import resource, sys, time, json
def cpu_s():  # this process and its finished children (stemforge's ffmpeg MP3 encoder and decoder)
    usage, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime
def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""

_STEMFORGE = _PRELUDE + """
from pathlib import Path
from stemforge.mastering import MasterSettings, master
mix, ref, out, kinds = sys.argv[1], sys.argv[2], sys.argv[3], tuple(sys.argv[4].split(","))
settings = MasterSettings(reference=Path(ref) if ref != "-" else None, loudness_from_reference=False, deliverables=kinds)
cpu = cpu_s()
started = time.perf_counter()
result = master(mix, settings, out_dir=out)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "cpu_s": cpu_s() - cpu, "peak_kib": peak_kib(), "lufs": result.level.limit.output_lufs,
                  "tp": result.level.limit.output_true_peak_dbtp,
                  "distance": [result.tonal.distance_before_db, result.tonal.distance_after_db]}))
"""

_MATCHERING = _PRELUDE + """
import matchering as mg
mg.log(lambda *a, **k: None)
mix, ref, out = sys.argv[1], sys.argv[2], sys.argv[3]
cpu = cpu_s()
started = time.perf_counter()
mg.process(target=mix, reference=ref, results=[mg.pcm24(out)])
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "cpu_s": cpu_s() - cpu, "peak_kib": peak_kib()}))
"""


def make_inputs(seconds: float) -> tuple[Path, Path]:
    """The mix (−20 LUFS, 48 kHz) and a brighter, leaner reference (−11 LUFS, 44.1 kHz)."""
    OUT.mkdir(parents=True, exist_ok=True)
    mix_path = OUT / f"mix-{seconds:g}s.wav"
    ref_path = OUT / f"reference-{seconds:g}s.wav"
    if not mix_path.exists():
        x = music_like(seconds, sample_rate=SAMPLE_RATE, seed=7).samples
        sos = scipy.signal.butter(1, 3000, fs=SAMPLE_RATE, output="sos")
        x = (0.5 * x + 0.5 * scipy.signal.sosfilt(sos, x)).astype(np.float32)  # a darker mix
        level = integrated_loudness(x, SAMPLE_RATE)
        write(mix_path, AudioBuffer((x * 10 ** ((-20.0 - level) / 20)).astype(np.float32), SAMPLE_RATE))
    if not ref_path.exists():
        r = music_like(seconds, sample_rate=44100, seed=11).samples
        sos = scipy.signal.butter(2, 90, btype="highpass", fs=44100, output="sos")
        r = scipy.signal.sosfilt(sos, r).astype(np.float32)
        r = np.clip(r * 10 ** ((-11.0 - integrated_loudness(r, 44100)) / 20), -0.98, 0.98).astype(np.float32)
        write(ref_path, AudioBuffer(r, 44100))
    return mix_path, ref_path


def run(script: str, *args: Path | str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best(script: str, runs: int, *args: Path | str) -> dict[str, float]:
    results = [run(script, *args) for _ in range(runs)]
    fastest = min(results, key=lambda r: r["seconds"])
    fastest["peak_kib"] = max(r["peak_kib"] for r in results)
    return fastest


def measure(path: Path) -> tuple[float, float]:
    buffer = read(path)
    lufs = integrated_loudness(buffer.samples, buffer.sample_rate)
    return float(lufs if lufs is not None else float("nan")), true_peak_dbtp(buffer.samples, buffer.sample_rate)


def ffmpeg_reading(path: Path) -> tuple[float, float] | None:
    if shutil.which("ffmpeg") is None:
        return None
    done = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True, check=False)
    summary = done.stderr[done.stderr.rfind("Summary:") :]
    lufs = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)
    return (float(lufs.group(1)), float(peak.group(1))) if lufs and peak else None


def write_section(text: str) -> None:
    """Replace this benchmark's section of the shared RESULTS.md."""
    write_results_section(SECTION, text, results=RESULTS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30-second files, one run each, RESULTS.md untouched")
    args = parser.parse_args()
    seconds = 30.0 if args.quick else 240.0
    runs = 1 if args.quick else 3
    mix, ref = make_inputs(seconds)
    ours_dir, plain_dir, theirs = OUT / "stemforge", OUT / "stemforge-noref", OUT / "matchering.wav"

    every = "master,cd,flac,mp3"
    ours = best(_STEMFORGE, runs, mix, ref, ours_dir, every)
    plain = best(_STEMFORGE, runs, mix, "-", plain_dir, every)
    core = best(_STEMFORGE, runs, mix, "-", OUT / "stemforge-core", "master")
    ours_core = best(_STEMFORGE, runs, mix, ref, OUT / "stemforge-ref-core", "master")
    theirs_run = best(_MATCHERING, runs, mix, ref, theirs)

    readings = {
        "stemforge master.wav (reference)": (ours_dir / "master.wav", "stemforge"),
        "stemforge master-cd.wav (reference)": (ours_dir / "master-cd.wav", "stemforge"),
        "stemforge master.wav (no reference)": (plain_dir / "master.wav", "stemforge"),
        "Matchering result (24-bit)": (theirs, "matchering"),
    }
    rows = []
    for label, (path, _who) in readings.items():
        lufs, peak = measure(path)
        ff = ffmpeg_reading(path)
        info = read(path).sample_rate
        rows.append(f"| {label} | {info} Hz | {lufs:.2f} LUFS | {peak:+.2f} dBTP | " + (f"{ff[0]:.1f} LUFS, {ff[1]:+.2f} dBTP |" if ff else "– |"))

    speed = theirs_run["seconds"] / ours["seconds"]
    speed_core = theirs_run["seconds"] / ours_core["seconds"]
    memory = ours["peak_kib"] / theirs_run["peak_kib"]
    realtime = seconds / plain["seconds"]
    realtime_core = seconds / core["seconds"]
    load = os.getloadavg()[0]
    text = "\n".join(
        [
            SECTION,
            "",
            (
                f"`bench/bench_master.py` on a {seconds / 60:g}-minute stereo 48 kHz music-like mix (−20 LUFS, darker than the reference) "
                f"and a 44.1 kHz reference (−11 LUFS), each run in a fresh process, best of {runs}; "
                f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPUs, Python {platform.python_version()}."
            ),
            (
                "stemforge writes every deliverable (24-bit WAV, FLAC, 16-bit CD WAV with SRC + dither, MP3 320), two previews and both reports; "
                "Matchering writes one 24-bit WAV."
            ),
            "",
            f"Load average of the machine when the runs ended: {load:.1f} (other work was running; CPU time is less affected than wall time).",
            "",
            "| run | wall time | CPU time | peak RSS | vs Matchering / real time |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| stemforge master with reference matching, every deliverable | {ours['seconds']:.2f} s | {ours['cpu_s']:.1f} s | {ours['peak_kib'] / 1024:.0f} MiB | **{speed:.1f}× faster** (needed ≥ 3×), **{memory:.2f}×** its memory (needed ≤ 0.5×) |",
            f"| stemforge master with reference matching, master.wav + previews + reports (one WAV, as Matchering) | {ours_core['seconds']:.2f} s | {ours_core['cpu_s']:.1f} s | {ours_core['peak_kib'] / 1024:.0f} MiB | **{speed_core:.1f}× faster** |",
            f"| Matchering 2.0.6 with the same reference, one WAV | {theirs_run['seconds']:.2f} s | {theirs_run['cpu_s']:.1f} s | {theirs_run['peak_kib'] / 1024:.0f} MiB | |",
            f"| stemforge master without a reference, every deliverable | {plain['seconds']:.2f} s | {plain['cpu_s']:.1f} s | {plain['peak_kib'] / 1024:.0f} MiB | **{realtime:.1f}× real time** (needed ≥ 40×) |",
            f"| stemforge master without a reference, master.wav + previews + reports | {core['seconds']:.2f} s | {core['cpu_s']:.1f} s | {core['peak_kib'] / 1024:.0f} MiB | **{realtime_core:.1f}× real time** |",
            "",
            "Outputs as measured by stemforge's BS.1770-4 meter and by ffmpeg `ebur128=peak=true` (target: streaming, −14 LUFS, −1 dBTP):",
            "",
            "| output | rate | integrated | true peak | ffmpeg |",
            "| --- | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            f"1/3-octave distance to the reference: {ours['distance'][0]:.2f} dB before, {ours['distance'][1]:.2f} dB after matching.",
            "",
        ]
    )
    print(text)
    if not args.quick:
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
