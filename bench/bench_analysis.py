"""Benchmark of the loudness engine (issue 3, "Performance").

On a 4-minute stereo 48 kHz music-like file (seeded, written to ``bench/out/analysis/``
and reused), times side by side, best of 3 after a warm-up:

(a) stemforge's full report, ``analyze(buffer)``: M, S, I, LRA, true peak, levels, spectrum;
(a2) the same from the file, ``analyze_file`` (decoding included);
(b) pyebur128 (libebur128) with I + LRA + true peak, fed the interleaved samples at once;
(c) stemforge ``integrated_loudness`` alone;
(d) pyloudnorm ``Meter.integrated_loudness``;
(e) ffmpeg ``ebur128=peak=true`` on the file (process start and decoding included).

Then records the peak RSS of ``analyze_file`` in a fresh process on a 4-minute and a
2-hour file (the 4-minute music tiled 30 times, written block by block), to show that
memory does not grow with length. Writes the ``## Analysis (issue 3)`` section of
``bench/RESULTS.md``.

Run ``.venv/bin/python bench/bench_analysis.py`` (``--quick``: 30-second file, no 2-hour
file, RESULTS.md untouched).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "tests"))  # the seeded music-like generator of the tests

from analysis.music import music_like  # noqa: E402

from stemforge.analysis import analyze, analyze_file, integrated_loudness  # noqa: E402
from stemforge.audio import AtomicWriter, AudioBuffer, read, write  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine  # noqa: E402
from _results import write_section as write_results_section  # noqa: E402

OUT = BENCH / "out" / "analysis"
RESULTS = BENCH / "RESULTS.md"
SECTION = "## Analysis (issue 3)"
SAMPLE_RATE = 48000

# Peak RSS from /proc (VmHWM, KiB): unlike ru_maxrss it starts afresh at exec, so the
# benchmark process's own memory does not leak into the child's figure.
_RSS_CHILD = """
import resource, sys, time
def peak_kib():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from stemforge.analysis import analyze_file
before = peak_kib()
started = time.perf_counter()
report = analyze_file(sys.argv[1])
seconds = time.perf_counter() - started
after = peak_kib()
print(before, after, seconds, report.duration_s, report.integrated_lufs)
"""


def best_of(function: Callable[[], object], runs: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds (this process and its children) over ``runs``."""
    function()  # warm-up: page cache, imports, FFT plans
    walls, cpus = [], []
    for _ in range(runs):
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        function()
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu_seconds() - cpu_before)
    return min(walls), min(cpus)


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def music_file(seconds: float) -> Path:
    path = OUT / f"music-{int(seconds)}s.wav"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        write(path, music_like(seconds, sample_rate=SAMPLE_RATE), fmt="wav24")
    return path


def long_file(source: Path, repeats: int) -> Path:
    """``source`` tiled ``repeats`` times, written block by block (bounded memory)."""
    path = OUT / f"long-{repeats}x-{source.stem}.wav"
    if not path.exists():
        buffer = read(source)
        with AtomicWriter(path, sample_rate=buffer.sample_rate, channels=buffer.channels, fmt="wav24") as writer:
            for _ in range(repeats):
                writer.write(buffer.samples)
    return path


def peak_rss(path: Path) -> tuple[float, float, float, float]:
    """Peak RSS (MiB) after imports and after ``analyze_file``, analysis seconds, audio seconds."""
    result = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(path)], check=True, capture_output=True, text=True)
    before_kib, after_kib, seconds, duration_s, _ = result.stdout.split()
    return int(before_kib) / 1024, int(after_kib) / 1024, float(seconds), float(duration_s)


def pyebur128_full(interleaved: np.ndarray, channels: int) -> tuple[float, float, float]:
    import pyebur128 as pe

    mode = pe.MeasurementMode.MODE_I | pe.MeasurementMode.MODE_LRA | pe.MeasurementMode.MODE_TRUE_PEAK
    state = pe.R128State(channels, SAMPLE_RATE, mode)
    state.add_frames(interleaved, interleaved.size // channels)
    true_peak = max(pe.get_true_peak(state, channel) for channel in range(channels))
    return pe.get_loudness_global(state), pe.get_loudness_range(state), true_peak


def ffmpeg_ebur128(path: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-nostdin", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        check=True,
        capture_output=True,
    )


def write_section(text: str) -> None:
    """Replace this benchmark's section of the shared RESULTS.md."""
    write_results_section(SECTION, text, results=RESULTS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30-second file, 1 run each, no 2-hour file, RESULTS.md untouched")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    seconds = 30.0 if args.quick else 240.0
    runs = 1 if args.quick else args.runs

    path = music_file(seconds)
    buffer = read(path)
    samples = buffer.samples
    interleaved = np.ascontiguousarray(samples.T).ravel()
    frames_first = np.ascontiguousarray(samples.T, dtype=np.float64)
    print(f"{path.name}: {buffer.duration_s:.0f} s, {buffer.channels} ch, {buffer.sample_rate} Hz", flush=True)

    import pyloudnorm

    meter = pyloudnorm.Meter(SAMPLE_RATE)
    times: dict[str, tuple[float, float]] = {}
    times["full"] = best_of(lambda: analyze(AudioBuffer(samples, SAMPLE_RATE)), runs)
    times["full_file"] = best_of(lambda: analyze_file(path), runs)
    times["pyebur128"] = best_of(lambda: pyebur128_full(interleaved, buffer.channels), runs)
    times["integrated"] = best_of(lambda: integrated_loudness(samples, SAMPLE_RATE), runs)
    times["pyloudnorm"] = best_of(lambda: meter.integrated_loudness(frames_first), runs)
    has_ffmpeg = shutil.which("ffmpeg") is not None
    if has_ffmpeg:
        times["ffmpeg"] = best_of(lambda: ffmpeg_ebur128(path), runs)
    for name, (wall, cpu) in times.items():
        print(f"{name:12s} {wall:7.3f} s wall {cpu:7.3f} s CPU", flush=True)

    ours = analyze(AudioBuffer(samples, SAMPLE_RATE))
    theirs = pyebur128_full(interleaved, buffer.channels)
    pyloudnorm_lufs = meter.integrated_loudness(frames_first)
    print(f"values: ours I={ours.integrated_lufs:.3f} LRA={ours.loudness_range_lu:.2f} TP={ours.true_peak_dbtp:.2f}; "
          f"pyebur128 I={theirs[0]:.3f} LRA={theirs[1]:.2f} TP={20 * np.log10(theirs[2]):.2f}; pyloudnorm I={pyloudnorm_lufs:.3f}")

    if args.quick:
        return 0
    memory = {"4 min": peak_rss(path)}
    memory["2 h"] = peak_rss(long_file(path, 30))
    for name, (before, after, took, duration) in memory.items():
        print(f"RSS {name}: {before:.0f} MiB after imports, {after:.0f} MiB peak ({took:.1f} s for {duration / 60:.0f} min)", flush=True)

    def row(task: str, key: str, note: str = "", *, ours: str | None = None) -> str:
        """A table row for ``key``; with ``ours``, how many times faster stemforge's ``ours`` is."""
        wall, cpu = times[key]
        if ours is not None:
            note += f"**{wall / times[ours][0]:.1f}×** wall, **{cpu / times[ours][1]:.1f}×** CPU"
        return f"| {task} | {wall:.3f} s | {cpu:.3f} s | {note} |"

    lines = [
        SECTION,
        "",
        f"`bench/bench_analysis.py` on a {buffer.duration_s / 60:.0f}-minute stereo 48 kHz music-like file "
        f"(seeded; best of {runs} after a warm-up); {machine()}. The machine is shared, so CPU time "
        "(user + system, children included) is given beside wall time, and ratios on both.",
        "",
        "| task | wall | CPU | stemforge is faster by |",
        "| --- | ---: | ---: | ---: |",
        row("stemforge full report, in memory (M, S, I, LRA, true peak, levels, spectrum)", "full",
            f"{buffer.duration_s / times['full'][0]:.0f}× real time"),
        row("stemforge full report from the file (`analyze_file`, decoding included)", "full_file"),
        row("pyebur128 I + LRA + true peak (must be slower than the full report)", "pyebur128", "full report: ", ours="full"),
        row("stemforge integrated loudness alone", "integrated"),
        row("pyloudnorm integrated loudness (must be ≥ 3× slower)", "pyloudnorm", "integrated: ", ours="integrated"),
    ]
    if has_ffmpeg:
        lines.append(row("ffmpeg `ebur128=peak=true` (process, decoding included)", "ffmpeg", "`analyze_file`: ", ours="full_file"))
    lines += [
        "",
        f"Readings on this file: stemforge I {ours.integrated_lufs:.2f} LUFS, LRA {ours.loudness_range_lu:.1f} LU, "
        f"TP {ours.true_peak_dbtp:.2f} dBTP; pyebur128 I {theirs[0]:.2f}, LRA {theirs[1]:.1f}, TP {20 * np.log10(theirs[2]):.2f}; "
        f"pyloudnorm I {pyloudnorm_lufs:.2f}.",
        "",
        "Peak RSS of `analyze_file` in a fresh process (streaming; memory must not grow with length):",
        "",
        "| file | after imports | peak | analysis time |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, (before, after, took, _duration) in memory.items():
        lines.append(f"| {name} | {before:.0f} MiB | {after:.0f} MiB | {took:.1f} s |")
    growth = memory["2 h"][1] - memory["4 min"][1]
    lines += [
        "",
        f"2 hours use {growth:+.0f} MiB more than 4 minutes (30× the audio): the audio is streamed in "
        "blocks; what grows is only what the report keeps per 100 ms (sub-block energies, the momentary "
        "and short-term series, the waveform envelope), a few dozen bytes each.",
        "",
    ]
    write_section("\n".join(lines))
    print(f"wrote the '{SECTION}' section of {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
