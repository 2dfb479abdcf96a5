"""Benchmark of track classification (issue 4): 10,000 names in under a second.

Builds 10,000 distinct, seeded track names from the labelled list
(``tests/classify/data/track_names.tsv``) the way exports vary them (track numbers,
song-title prefixes, take and ``.dup`` suffixes, upper/lower case, ``_`` for spaces) and
times, best of 3 with cold caches:

(a) ``classify_name`` on all 10,000 names;
(b) ``classify_session(..., audio=False)`` on the same names as 100 sessions of 100 tracks;
(c) ``classify_file`` on a 5-minute 48 kHz stereo 24-bit file (the loudest-part search
    plus four seconds of features), generated under ``bench/out/classify/``.

It also reports the accuracy on the labelled list. Writes the ``## Classification
(issue 4)`` section of ``bench/RESULTS.md``; ``--quick`` prints only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from stemforge.classify import classify_file, classify_name, classify_session
from stemforge.classify.tokens import clear_caches
from _results import machine  # noqa: E402
from _results import write_section as write_results_section  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out" / "classify"
LIST = ROOT / "tests" / "classify" / "data" / "track_names.tsv"
RESULTS = BENCH / "RESULTS.md"
SECTION = "## Classification (issue 4)"
NAMES = 10_000
BUDGET_S = 1.0
_TITLES = ("NightOwl", "Night Owl -", "SUMMER_RAIN", "heartbeat", "HighRoad 120bpm", "Song1")
_SUFFIXES = ("", "_01", "-03", ".dup1", "_v2", " comp", "_Take 4", "#02", "_230514", " final")
_COLLAPSED = {"lead_vocals": "vocals", "backing_vocals": "vocals", "drums": "drums", "percussion": "drums", "bass": "bass"}


def labelled() -> list[tuple[str, str]]:
    """The labelled list as (name, role) pairs."""
    rows = []
    for line in LIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, role = line.split("\t")
            rows.append((name, role))
    return rows


def names(count: int, *, seed: int = 4) -> list[str]:
    """``count`` distinct names varied from the labelled list."""
    rng = np.random.default_rng(seed)
    base = [Path(name).stem if name.lower().endswith(".wav") else name for name, _ in labelled()]
    result: dict[str, None] = {}
    while len(result) < count:
        name = base[int(rng.integers(len(base)))]
        style = int(rng.integers(6))
        if style == 0:
            name = f"{int(rng.integers(1, 64)):02d}_{name}"
        elif style == 1:
            name = f"{_TITLES[int(rng.integers(len(_TITLES)))]} {name}"
        elif style == 2:
            name = name.upper().replace(" ", "_")
        elif style == 3:
            name = name.lower()
        name += _SUFFIXES[int(rng.integers(len(_SUFFIXES)))]
        if rng.random() < 0.5:
            name += ".wav"
        result[name] = None
    return list(result)


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """Best wall time and best CPU time of ``runs`` calls of ``work()``, caches cleared each time.

    The CPU time is what the work costs; the wall time also holds what other processes on
    a shared machine took from it.
    """
    walls, cpus = [], []
    for _ in range(runs):
        clear_caches()
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


class _Track:
    def __init__(self, name: str) -> None:
        self.name = name
        self.files: tuple[Path, ...] = ()


def audio_file() -> Path:
    """A seeded 5-minute stereo 48 kHz file: quiet verses and a louder drum chorus."""
    path = OUT / "five_minutes.wav"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    sample_rate = 48000
    with sf.SoundFile(str(path), "w", samplerate=sample_rate, channels=2, subtype="PCM_24") as f:
        for second in range(300):
            t = np.arange(sample_rate) / sample_rate
            level = 0.4 if 120 <= second < 150 else 0.05
            hits = np.exp(-((t * 2) % 0.5) * 30)
            block = level * hits * rng.standard_normal(sample_rate)
            f.write(np.stack([block, block]).T.astype(np.float32))
    return path


def accuracy() -> tuple[float, float]:
    """(full, collapsed) accuracy on the labelled list, with the allowed equivalences."""
    rows = labelled()
    full = collapsed = 0
    for name, expected in rows:
        got = classify_name(name).role
        low = name.lower()
        same = got == expected
        same |= {got, expected} == {"drums", "percussion"} and any(w in low for w in ("clap", "shak", "tamb", "snap"))
        same |= {got, expected} == {"synths", "keys"} and "pad" in low
        full += same
        collapsed += same or _COLLAPSED.get(got, "other") == _COLLAPSED.get(expected, "other")
    return full / len(rows), collapsed / len(rows)


def write_section(text: str) -> None:
    """Replace this benchmark's section of the shared RESULTS.md."""
    write_results_section(SECTION, text, results=RESULTS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="print only; RESULTS.md untouched")
    args = parser.parse_args(argv)
    varied = names(NAMES)
    name_s, name_cpu_s = best_of(3, lambda: [classify_name(n) for n in varied])
    sessions = [[_Track(n) for n in varied[i : i + 100]] for i in range(0, NAMES, 100)]
    session_s, session_cpu_s = best_of(3, lambda: [classify_session(s, audio=False) for s in sessions])
    path = audio_file()
    classify_file(path)  # warm-up: page cache, imports
    file_s, file_cpu_s = best_of(3, lambda: classify_file(path))
    full, collapsed = accuracy()
    passed = min(name_s, name_cpu_s) < BUDGET_S
    verdict = "pass" if passed else "FAIL"
    text = (
        f"{SECTION}\n\n"
        f"Machine: {machine()}, load average {os.getloadavg()[0]:.1f} while measuring (other work shares "
        "the machine, so wall times run longer than CPU times). Best of 3, caches cleared before each run. "
        "`python bench/bench_classify.py`.\n\n"
        "| what | wall | CPU | budget |\n| --- | --- | --- | --- |\n"
        f"| `classify_name` × {NAMES:,} distinct varied names | {name_s:.3f} s | {name_cpu_s:.3f} s "
        f"({1e6 * name_cpu_s / NAMES:.0f} µs/name) | < {BUDGET_S:.0f} s: **{verdict}** |\n"
        f"| `classify_session(audio=False)`, 100 sessions × 100 tracks | {session_s:.3f} s | {session_cpu_s:.3f} s | — |\n"
        f"| `classify_file`, 5 min 48 kHz stereo 24-bit WAV (loudest part + features) | {1000 * file_s:.0f} ms "
        f"| {1000 * file_cpu_s:.0f} ms | — |\n\n"
        f"Labelled list ({len(labelled())} names): {100 * full:.1f} % on the full role set, "
        f"{100 * collapsed:.1f} % collapsed to vocals / drums+percussion / bass / other. "
        "The list was written by the same person as the rules, so it overstates accuracy on unseen sessions; "
        "batches of it labelled before the rules first saw them scored 89.5–100 % on the full role set at first "
        "sight for mainstream sessions (90.6, 93.9, 97.8, 90.3, 98, 89.5, 90.9 and 100 %; 94.7 % collapsed on the "
        "most varied one), 71.4 % (85.7 % collapsed) on church and big-band sessions, and about 60 % on words from "
        "languages and orchestral shorthand the rules did not know yet (see docs/classification.md).\n"
    )
    print(text)
    if not args.quick:
        write_section(text)
        print(f"wrote the '{SECTION}' section of {RESULTS}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
