"""Benchmark of the streaming render (issue 2, "Performance").

Generates a seeded multitrack session under ``bench/out/render/`` (reused when present)
and times, best of 3 after a warm-up run that loads the page cache:

(a)  the I/O floor: read every input and write every output with soundfile, nothing else;
(a2) the same floor with reads on 2 threads and writes on a third (stemforge's layout);
(b)  ``stemforge.render.render_session``;
(c)  DawDreamer rendering the same gain/pan graph, loading and writing with soundfile;
(d)  a naive script: load everything with soundfile, sum with numpy, write.

Then records the peak RSS of a 32-track, 10-minute render in a fresh process (and of the
naive whole-file approach, when it fits in memory), and writes the ``## Render (issue 2)``
section of ``bench/RESULTS.md``.

Run ``.venv/bin/python bench/bench_render.py`` (``--quick`` for a 20-second smoke run that
leaves RESULTS.md alone).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from scipy.signal import lfilter

from stemforge.importers.folder import import_folder
from stemforge.render import render_session
from stemforge.session import Session, load_session, save_session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import cpu_model  # noqa: E402
from _results import write_section as write_results_section  # noqa: E402

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out" / "render"
RESULTS = BENCH / "RESULTS.md"
SECTION = "## Render (issue 2)"
SAMPLE_RATE = 48000
BLOCK_FRAMES = 1 << 16
DAWDREAMER_BUFFER_FRAMES = 4096
GENERATOR_VERSION = 3
#: RMS level of each kind of track (drums lower: their hits coincide on the beat).
TRACK_RMS = {"kick": 0.03, "tom": 0.03, "snare": 0.035, "hat": 0.03, "bass": 0.07, "tonal": 0.07, "voice": 0.07}
MEMORY_BUDGET_BYTES = 12 * 2**30

# name, channels, kind, fundamental in Hz
TRACKS_24: tuple[tuple[str, int, str, float], ...] = (
    ("01_KickIn", 1, "kick", 55.0),
    ("02_KickOut", 1, "kick", 50.0),
    ("03_SnareTop", 1, "snare", 190.0),
    ("04_SnareBottom", 1, "snare", 210.0),
    ("05_HiHat", 1, "hat", 0.0),
    ("06_TomHigh", 1, "tom", 120.0),
    ("07_TomFloor", 1, "tom", 90.0),
    ("08_Overheads", 2, "hat", 0.0),
    ("09_Room", 2, "snare", 150.0),
    ("10_BassDI", 1, "bass", 41.2),
    ("11_BassAmp", 1, "bass", 41.2),
    ("12_GtrRhythm", 2, "tonal", 196.0),
    ("13_GtrLead", 1, "voice", 392.0),
    ("14_AcGtr", 2, "tonal", 246.9),
    ("15_Piano", 2, "tonal", 261.6),
    ("16_Rhodes", 2, "tonal", 329.6),
    ("17_Organ", 2, "tonal", 130.8),
    ("18_Wurli", 1, "tonal", 220.0),
    ("19_LeadVox", 1, "voice", 220.0),
    ("20_LeadVoxAdlib", 1, "voice", 277.2),
    ("21_BGV_A", 1, "voice", 329.6),
    ("22_BGV_B", 1, "voice", 392.0),
    ("23_Harmony", 2, "voice", 440.0),
    ("24_Choir", 2, "tonal", 523.3),
)
TRACKS_32 = TRACKS_24 + (
    ("25_Shaker", 1, "hat", 0.0),
    ("26_Tambourine", 1, "hat", 0.0),
    ("27_Conga", 2, "tom", 180.0),
    ("28_SubBass", 1, "bass", 36.7),
    ("29_GtrClean", 2, "tonal", 164.8),
    ("30_SynthPad", 2, "tonal", 110.0),
    ("31_SynthArp", 2, "voice", 659.3),
    ("32_BGV_C", 1, "voice", 493.9),
)


# --- the test session -------------------------------------------------------------------


def _track_audio(kind: str, f0_hz: float, channels: int, start: int, frames: int, rng: np.random.Generator, zi: np.ndarray) -> np.ndarray:
    """One block of a track, float32 ``(channels, frames)``; ``zi`` carries the noise filter state."""
    t = (start + np.arange(frames)) / SAMPLE_RATE
    beat = (t * 2.0) % 1.0  # 120 bpm
    out = np.empty((channels, frames), np.float32)
    smooth = {"kick": 0.6, "snare": 0.3, "hat": 0.02, "tom": 0.5, "bass": 0.95, "tonal": 0.9, "voice": 0.8}[kind]
    for c in range(channels):
        noise, zi[c] = lfilter([1.0 - smooth], [1.0, -smooth], rng.standard_normal(frames), zi=zi[c])
        f = f0_hz * (1.0 + 0.003 * c)
        if kind in ("kick", "tom"):
            env = np.exp(-beat / 0.12)
            x = 0.9 * env * np.sin(2 * np.pi * f * t * (1 + 2 * np.exp(-beat / 0.02))) + 0.1 * env * noise
        elif kind == "snare":
            env = np.exp(-((t * 2.0 + 0.5) % 2.0) / 0.25)
            x = env * (0.5 * np.sin(2 * np.pi * f * t) + 1.5 * noise)
        elif kind == "hat":
            env = np.exp(-((t * 4.0) % 1.0) / 0.08)
            x = 3.0 * env * (noise - np.roll(noise, 1))
        else:
            vibrato = 1.0 + (0.004 * np.sin(2 * np.pi * 5.5 * t) if kind == "voice" else 0.0)
            phase = 2 * np.pi * f * t * vibrato
            x = 0.5 * np.sin(phase) + 0.25 * np.sin(2 * phase) + 0.12 * np.sin(3 * phase) + 0.3 * noise
            x *= 0.7 + 0.3 * np.sin(2 * np.pi * t / 8.0)
            if kind == "voice":  # phrases: sing 6 s, rest 2 s
                x *= np.clip(np.minimum(t % 8.0, 6.0 - t % 8.0) * 20.0, 0.0, 1.0)
        out[c] = x
    return out


def _spec(tracks: tuple[tuple[str, int, str, float], ...], seconds: float, seed: int) -> dict[str, object]:
    return {"version": GENERATOR_VERSION, "tracks": [list(t) for t in tracks], "seconds": seconds, "seed": seed, "sample_rate": SAMPLE_RATE}


def make_session(folder: Path, tracks: tuple[tuple[str, int, str, float], ...], *, seconds: float, seed: int) -> Path:
    """Write the session's WAV files and ``session.toml`` under ``folder`` (reused when present)."""
    session_path = folder / "session.toml"
    spec_path = folder / "spec.json"
    spec = _spec(tracks, seconds, seed)
    if session_path.exists() and spec_path.exists() and json.loads(spec_path.read_text()) == spec:
        return session_path
    shutil.rmtree(folder, ignore_errors=True)
    audio = folder / "tracks"
    audio.mkdir(parents=True)
    frames = round(seconds * SAMPLE_RATE)
    print(f"generating {len(tracks)} tracks × {seconds:g} s into {audio} …", flush=True)
    for index, (name, channels, kind, f0_hz) in enumerate(tracks):
        rng = np.random.default_rng([seed, index])
        zi = np.zeros((channels, 1))
        scale = None  # from the first block, to TRACK_RMS
        with sf.SoundFile(audio / f"{name}.wav", "w", SAMPLE_RATE, channels, "PCM_24", format="WAV") as f:
            for start in range(0, frames, 1 << 18):
                block = _track_audio(kind, f0_hz, channels, start, min(1 << 18, frames - start), rng, zi)
                scale = scale or TRACK_RMS[kind] / float(np.sqrt(np.mean(np.square(block))))
                f.write(np.clip(block * np.float32(scale), -1.0, 1.0).T)
    session, _, _ = import_folder(audio, title=f"Bench {len(tracks)} tracks {seconds:g} s")
    rng = np.random.default_rng(seed)
    tracks_out = []
    for track in session.tracks:
        stereo = sf.info(str(track.files[0])).channels == 2
        pan = float(rng.uniform(-0.3, 0.3) if stereo else rng.uniform(-0.8, 0.8))
        tracks_out.append(dataclasses.replace(track, gain_db=round(float(rng.uniform(-9.0, -3.0)), 2), pan=round(pan, 2)))
    stems = tuple(dataclasses.replace(s, gain_db=-1.5 if i % 2 else 0.0) for i, s in enumerate(session.stems))
    session = dataclasses.replace(session, tracks=tuple(tracks_out), stems=stems)
    save_session(session, session_path)
    spec_path.write_text(json.dumps(spec))
    return session_path


# --- the contenders ---------------------------------------------------------------------


def _length(session: Session) -> int:
    return max(sf.info(str(t.files[0])).frames for t in session.tracks)


def _out_paths(session: Session, out_dir: Path) -> list[Path]:
    return [out_dir / f"{s.name}.wav" for s in session.stems] + [out_dir / "mix.wav"]


def _pan_gains(channels: int, pan: float, gain_db: float) -> tuple[float, float]:
    """Left and right gains: constant-power law for mono, balance for stereo (stemforge's laws)."""
    g = 10.0 ** (gain_db / 20.0)
    if channels == 1:
        theta = (pan + 1.0) * math.pi / 4.0
        return g * math.cos(theta), g * math.sin(theta)
    return g * min(1.0, 1.0 - pan), g * min(1.0, 1.0 + pan)


def io_floor(session: Session, out_dir: Path) -> None:
    """(a) Read every input and write every output block by block, one thread, no mixing."""
    frames = _length(session)
    files = [f for t in session.tracks for f in t.files]
    payload = np.full((BLOCK_FRAMES, 2), 0.25, np.float32) * np.sin(np.arange(BLOCK_FRAMES, dtype=np.float32))[:, None]
    readers = [sf.SoundFile(str(f)) for f in files]
    writers = [sf.SoundFile(str(p), "w", SAMPLE_RATE, 2, "PCM_24", format="WAV") for p in _out_paths(session, out_dir)]
    for start in range(0, frames, BLOCK_FRAMES):
        n = min(BLOCK_FRAMES, frames - start)
        for r in readers:
            r.read(n, dtype="float32", always_2d=True)
        for w in writers:
            w.write(payload[:n])
    for f in [*readers, *writers]:
        f.close()


def io_floor_threaded(session: Session, out_dir: Path) -> None:
    """(a2) The I/O floor with reads on 2 threads and writes on a third, as stemforge does."""
    frames = _length(session)
    files = [f for t in session.tracks for f in t.files]
    payload = np.full((BLOCK_FRAMES, 2), 0.25, np.float32) * np.sin(np.arange(BLOCK_FRAMES, dtype=np.float32))[:, None]
    readers = [sf.SoundFile(str(f)) for f in files]
    writers = [sf.SoundFile(str(p), "w", SAMPLE_RATE, 2, "PCM_24", format="WAV") for p in _out_paths(session, out_dir)]

    def write_all(frames: int) -> None:
        for w in writers:
            w.write(payload[:frames])

    with ThreadPoolExecutor(2) as read_pool, ThreadPoolExecutor(1) as write_pool:
        pending: Future[None] | None = None
        for start in range(0, frames, BLOCK_FRAMES):
            n = min(BLOCK_FRAMES, frames - start)
            for future in [read_pool.submit(r.read, n, dtype="float32", always_2d=True) for r in readers]:
                future.result()
            if pending is not None:
                pending.result()
            pending = write_pool.submit(write_all, n)
        if pending is not None:
            pending.result()
    for f in [*readers, *writers]:
        f.close()


def stemforge_render(session: Session, out_dir: Path) -> None:
    """(b) stemforge's streaming render."""
    render_session(session, out_dir=out_dir, fmt="wav24", block_frames=BLOCK_FRAMES, workers=2)


def dawdreamer_render(session: Session, out_dir: Path) -> None:
    """(c) DawDreamer: playback → panner per track → one add processor per stem → mix.

    One graph renders the stems and the mix at once (each stem's add processor records
    its output), the fairest match to a render that writes both. DawDreamer's panner only
    pans stereo buffers, so mono tracks are handed to it as two identical channels with
    the ``sin3dB`` rule and a −3.01 dB trim, which gives stemforge's constant-power law;
    stereo tracks use the ``balanced`` rule. (Its ``pan`` argument at construction is
    ignored in 0.9; the attribute is set afterwards.)
    """
    import dawdreamer as daw

    engine = daw.RenderEngine(SAMPLE_RATE, DAWDREAMER_BUFFER_FRAMES)
    graph: list[tuple[object, list[str]]] = []
    members: dict[str, tuple[list[str], list[float]]] = {s.name: ([], []) for s in session.stems}
    frames = 0
    for i, track in enumerate(session.tracks):
        if track.stem not in members:
            continue
        data, _ = sf.read(str(track.files[0]), dtype="float32", always_2d=True)
        frames = max(frames, data.shape[0])
        mono = data.shape[1] == 1
        samples = np.ascontiguousarray(np.repeat(data.T, 2, axis=0) if mono else data.T)
        del data
        player = engine.make_playback_processor(f"play{i}", samples)
        panner = engine.make_panner_processor(f"pan{i}", "sin3dB" if mono else "balanced", 0.0)
        panner.pan = track.pan
        graph += [(player, []), (panner, [f"play{i}"])]
        members[track.stem][0].append(f"pan{i}")
        members[track.stem][1].append(10.0 ** (track.gain_db / 20.0) * (math.sqrt(0.5) if mono else 1.0))
    buses = []
    for j, stem in enumerate(session.stems):
        bus = engine.make_add_processor(f"stem{j}", members[stem.name][1])
        bus.record = True
        graph.append((bus, members[stem.name][0]))
        buses.append(bus)
    mix = engine.make_add_processor("mix", [10.0 ** (s.gain_db / 20.0) for s in session.stems])
    mix.record = True
    graph.append((mix, [f"stem{j}" for j in range(len(buses))]))
    engine.load_graph(graph)
    engine.render(frames / SAMPLE_RATE)
    for path, node in zip(_out_paths(session, out_dir), [*buses, mix], strict=True):
        audio = node.get_audio()
        sf.write(str(path), audio[:, :frames].T, SAMPLE_RATE, "PCM_24", format="WAV")


def naive_render(session: Session, out_dir: Path) -> None:
    """(d) Load every file into memory with soundfile, then sum with numpy, then write."""
    members = [t for t in session.tracks if t.stem in {s.name for s in session.stems}]
    audio = [sf.read(str(t.files[0]), dtype="float32", always_2d=True)[0] for t in members]
    frames = max(a.shape[0] for a in audio)
    buses = {s.name: np.zeros((frames, 2), np.float32) for s in session.stems}
    for track, data in zip(members, audio, strict=True):
        left, right = _pan_gains(data.shape[1], track.pan, track.gain_db)
        buses[track.stem][: data.shape[0]] += data * np.array([left, right], np.float32)
    mix = np.zeros((frames, 2), np.float32)
    for stem in session.stems:
        buses[stem.name] *= np.float32(10.0 ** (stem.gain_db / 20.0))
        mix += buses[stem.name]
    for path, out in zip(_out_paths(session, out_dir), [*buses.values(), mix], strict=True):
        sf.write(str(path), out, SAMPLE_RATE, "PCM_24", format="WAV")


CONTENDERS: dict[str, tuple[str, Callable[[Session, Path], None]]] = {
    "a": ("I/O floor (soundfile read + write, 1 thread)", io_floor),
    "a2": ("I/O floor, reads on 2 threads + writer thread", io_floor_threaded),
    "b": ("stemforge render_session", stemforge_render),
    "c": ("DawDreamer graph (+ soundfile load/write)", dawdreamer_render),
    "d": ("naive: soundfile whole files + numpy sum", naive_render),
}


def _fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@dataclass(frozen=True)
class Run:
    """One timed run: wall-clock and CPU seconds (user + system, all threads)."""

    wall_s: float
    cpu_s: float


def time_once(key: str, session: Session) -> Run:
    """Run contender ``key`` once into a fresh output folder."""
    out_dir = _fresh_dir(OUT / f"out_{key}")
    os.sync()
    cpu_before = os.times()
    started = time.perf_counter()
    CONTENDERS[key][1](session, out_dir)
    wall_s = time.perf_counter() - started
    cpu_after = os.times()
    return Run(wall_s, (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system))


def time_contenders(keys: list[str], session: Session, *, repeats: int) -> dict[str, list[Run]]:
    """``repeats`` runs of each contender after a warm-up round, taken in turn.

    Taking the contenders round-robin rather than one after another spreads whatever else
    the machine is doing evenly over them.
    """
    runs: dict[str, list[Run]] = {k: [] for k in keys}
    for round_ in range(repeats + 1):
        for key in keys:
            run = time_once(key, session)
            label = "warm-up" if round_ == 0 else f"run {round_}"
            print(f"  ({key}) {label}: {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, load {os.getloadavg()[0]:.2f}", flush=True)
            if round_:
                runs[key].append(run)
    return runs


def _mix_difference_db(key: str, session: Session) -> float | None:
    """Peak of (contender's mix − stemforge's mix) in dBFS, or None for the I/O floors."""
    if key in ("a", "a2", "b"):
        return None
    ours, _ = sf.read(str(OUT / "out_b" / "mix.wav"), dtype="float64")
    theirs, _ = sf.read(str(OUT / f"out_{key}" / "mix.wav"), dtype="float64")
    peak = float(np.max(np.abs(ours - theirs))) if ours.shape == theirs.shape else math.inf
    return 20 * math.log10(peak) if peak > 0 else -math.inf


# --- where stemforge's CPU time goes -----------------------------------------------------

BREAKDOWN_PARTS = (
    "SHA-256 of the inputs (own thread)",
    "encode + write outputs (libsndfile, incl. planar → interleaved copy)",
    "peak scan of outputs",
    "decode inputs (libsndfile)",
    "engine: gain/pan/sum, buffers, threads, Python",
)


def cpu_breakdown(session: Session, *, repeats: int = 2) -> dict[str, float]:
    """CPU seconds of each part of ``render_session``, found by switching parts off in turn.

    Monkeypatches stemforge's hashing, output writing and input reading (the source is
    left alone) and takes differences of the render's CPU time; each configuration is the
    best of ``repeats``. Returns an empty dict when those internals have moved.
    """
    import stemforge.audio.io as audio_io
    import stemforge.render.output as render_output

    try:
        saved = (render_output.sha256_file, audio_io.AtomicWriter.write, audio_io.BlockReader.read)
    except AttributeError:
        return {}
    silence = np.zeros((2, 1 << 20), np.float32)
    silence.setflags(write=False)

    def no_hash(path: object, **_: object) -> str:
        return "0" * 64

    def peak_only(self: audio_io.AtomicWriter, samples: np.ndarray) -> None:
        self.peak = max(self.peak, float(np.max(np.abs(samples))))
        self.frames += samples.shape[1]

    def drop(self: audio_io.AtomicWriter, samples: np.ndarray) -> None:
        self.frames += samples.shape[1]

    def read_silence(self: audio_io.BlockReader, frames: int) -> np.ndarray:
        n = max(0, min(frames, self.info.frames - self.position))
        self.position += n
        return silence[: self.info.channels, :n]

    configs = [
        (saved[0], saved[1], saved[2]),
        (no_hash, saved[1], saved[2]),
        (no_hash, peak_only, saved[2]),
        (no_hash, drop, saved[2]),
        (no_hash, drop, read_silence),
    ]
    cpu_s = []
    try:
        for hash_fn, write_fn, read_fn in configs:
            render_output.sha256_file, audio_io.AtomicWriter.write, audio_io.BlockReader.read = hash_fn, write_fn, read_fn  # type: ignore[assignment, method-assign]
            cpu_s.append(min(time_once("b", session).cpu_s for _ in range(repeats)))
    finally:
        render_output.sha256_file, audio_io.AtomicWriter.write, audio_io.BlockReader.read = saved  # type: ignore[method-assign]
    parts = [cpu_s[i] - cpu_s[i + 1] for i in range(len(cpu_s) - 1)] + [cpu_s[-1]]
    return dict(zip(BREAKDOWN_PARTS, parts, strict=True)) | {"total": cpu_s[0]}


def record_history(best: dict[str, float], best_cpu: dict[str, float], load_before: float, load_after: float) -> list[dict[str, Any]]:
    """Append this run to ``bench/out/render/history.jsonl``; return every run recorded there."""
    path = OUT / "history.jsonl"
    entry = {"date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "load_before": load_before, "load_after": load_after}
    entry |= {k: round(v, 3) for k, v in best.items()} | {f"cpu_{k}": round(v, 3) for k, v in best_cpu.items()}
    with path.open("a") as f:
        f.write(json.dumps(entry) + "\n")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _revision() -> str:
    """HEAD's short hash, marked ``+dirty`` when the render engine has uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=BENCH.parent, capture_output=True, text=True, check=False).stdout.strip()

    dirty = git("status", "--porcelain", "src/stemforge/render", "src/stemforge/audio")
    return (git("rev-parse", "--short", "HEAD") or "unknown") + ("+dirty" if dirty else "")


# --- peak memory in a fresh process -----------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set size, MB (``VmHWM``).

    Not ``getrusage(...).ru_maxrss``: Linux carries that across ``fork``/``exec`` from the
    parent, so a child started by a process that once held gigabytes reports them too.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_main(kind: str, session_path: Path, out_dir: Path) -> int:
    """Run one render in this (fresh) process and print its peak RSS as JSON."""
    session = load_session(session_path) if kind != "baseline" else None
    started = time.perf_counter()
    if session is not None:
        {"stemforge": stemforge_render, "naive": naive_render}[kind](session, _fresh_dir(out_dir))
    print(json.dumps({"kind": kind, "seconds": time.perf_counter() - started, "maxrss_mb": peak_rss_mb()}))
    return 0


def measure_rss(kind: str, session_path: Path) -> dict[str, float]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(session_path), str(OUT / f"rss_{kind}")]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    report: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"  peak RSS {kind}: {report['maxrss_mb']:.0f} MB in {report['seconds']:.1f} s", flush=True)
    return report


def _available_bytes() -> int:
    """Memory the kernel could hand out now (``MemAvailable``: free plus reclaimable cache)."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def naive_bytes(session: Session) -> int:
    """Rough peak memory of the naive approach: every input and output as float32, at once."""
    frames = _length(session)
    input_channels = sum(sf.info(str(f)).channels for f in session.input_files)
    return 4 * frames * (input_channels + 2 * (len(session.stems) + 1) + 2)


# --- the report -------------------------------------------------------------------------


def _machine() -> str:
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} × {cpu_model()}, {memory_gb:.0f} GB RAM, Python {platform.python_version()}, Linux {platform.release()}"


def write_section(text: str) -> None:
    """Replace (or append) this benchmark's section of the shared RESULTS.md, atomically."""
    write_results_section(SECTION, text, results=RESULTS)
    (OUT / "section.md").write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20-second session, 1 run each, no RSS, RESULTS.md untouched")
    parser.add_argument("--only", default="a,a2,b,c,d", help="contenders to time, comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each contender after the warm-up (default 3)")
    parser.add_argument("--no-rss", action="store_true", help="skip the 32-track 10-minute memory measurement")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "SESSION", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child[0], Path(args.child[1]), Path(args.child[2]))

    load_before = os.getloadavg()
    seconds = 20.0 if args.quick else 240.0
    session_path = make_session(OUT / ("quick" if args.quick else "s24x4min"), TRACKS_24, seconds=seconds, seed=2)
    session = load_session(session_path)
    frames = _length(session)
    repeats = 1 if args.quick else args.repeats
    keys = [k for k in CONTENDERS if k in args.only.split(",")]
    for key in keys:
        print(f"({key}) {CONTENDERS[key][0]}", flush=True)
    runs = time_contenders(keys, session, repeats=repeats)
    best = {k: min(r.wall_s for r in runs[k]) for k in keys}
    best_cpu = {k: min(r.cpu_s for r in runs[k]) for k in keys}
    differences = {k: _mix_difference_db(k, session) for k in keys if "b" in keys}
    revision = _revision()
    breakdown = {} if args.quick or "b" not in keys else cpu_breakdown(session)

    rss: dict[str, dict[str, float]] = {}
    naive_skipped = ""
    if not args.quick and not args.no_rss:
        big_path = make_session(OUT / "s32x10min", TRACKS_32, seconds=600.0, seed=3)
        big = load_session(big_path)
        big_label = f"{len(big.tracks)} tracks × {_length(big) / SAMPLE_RATE / 60:g} min ({len(big.stems)} stems + mix)"
        print("peak RSS, 32 tracks × 10 min, fresh processes", flush=True)
        rss["baseline"] = measure_rss("baseline", big_path)
        rss["stemforge"] = measure_rss("stemforge", big_path)
        estimate = naive_bytes(big)
        available = _available_bytes()
        if estimate > min(MEMORY_BUDGET_BYTES, available - 2 * 2**30):
            naive_skipped = f"skipped: it would need about {estimate / 2**30:.1f} GB ({available / 2**30:.1f} GB available)"
        else:
            rss["naive"] = measure_rss("naive", big_path)
        shutil.rmtree(OUT / "rss_stemforge", ignore_errors=True)
        shutil.rmtree(OUT / "rss_naive", ignore_errors=True)
    load_after = os.getloadavg()

    duration_s = frames / SAMPLE_RATE
    rows = []
    for key in keys:
        ratio = f"{best[key] / best['a']:.2f}" if "a" in best else "—"
        diff = differences.get(key)
        diff_text = "—" if diff is None else ("identical" if diff == -math.inf else f"{diff:.1f} dBFS")
        spread = ", ".join(f"{r.wall_s:.2f}" for r in runs[key])
        cpu_ratio = f"{best_cpu[key] / best_cpu['a']:.2f}" if "a" in best_cpu else "—"
        rows.append(
            f"| ({key}) {CONTENDERS[key][0]} | {best[key]:.2f} | {spread} | {duration_s / best[key]:.0f}× | {ratio} "
            f"| {best_cpu[key]:.2f} | {cpu_ratio} | {diff_text} |"
        )
    channels = sum(sf.info(str(f)).channels for f in session.input_files)
    lines = [
        SECTION,
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `bench/bench_render.py` at {revision} on {_machine()}.",
        f"Load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after.",
        "",
        (
            f"Session: {len(session.tracks)} tracks ({channels} channels), {duration_s:g} s at {SAMPLE_RATE} Hz, 24-bit WAV in; "
            f"{len(session.stems)} stems + mix out, 24-bit stereo WAV. Best of {repeats} after a warm-up round (page cache warm), "
            "contenders taken in turn; CPU = user + system seconds of all threads; "
            f"blocks of {BLOCK_FRAMES} frames; DawDreamer buffer {DAWDREAMER_BUFFER_FRAMES} frames."
        ),
        "",
        "| contender | best wall s | runs, wall s | real-time factor | wall × (a) | best CPU s | CPU × (a) | peak of mix − stemforge's mix |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]
    if {"a", "b"} <= best.keys():
        verdict = "met" if best["b"] <= 1.5 * best["a"] else "missed"
        lines.append(f"- Goal (b) ≤ 1.5 × (a): {best['b'] / best['a']:.2f} × — {verdict}.")
    if {"a2", "b"} <= best.keys():
        lines.append(f"- (b) against the threaded floor (a2): {best['b'] / best['a2']:.2f} ×.")
    if {"b", "c"} <= best.keys():
        verdict = "met" if best["b"] < best["c"] else "missed"
        lines.append(f"- Goal (b) faster than (c): (c) / (b) = {best['c'] / best['b']:.2f} — {verdict}.")
    if "d" in best and "b" in best:
        lines.append(f"- (d) / (b) = {best['d'] / best['b']:.2f}.")
    if {"a", "b"} <= best.keys() and not args.quick:
        history = record_history(best, best_cpu, load_before[0], load_after[0])
        if len(history) > 1:
            lines.append(
                "- The machine is shared, so wall times move with its load; every full run so far "
                "(date, load before→after: (b)/(a) wall, CPU): "
                + "; ".join(
                    f"{h['date']} {h['load_before']:.1f}→{h['load_after']:.1f}: {h['b'] / h['a']:.2f}, {h['cpu_b'] / h['cpu_a']:.2f}"
                    for h in history[-6:]
                )
                + "."
            )
    if rss:
        lines += ["", f"Peak RSS, {big_label}, each in a fresh process (`VmHWM`):", ""]
        lines.append(f"- interpreter + imports alone: {rss['baseline']['maxrss_mb']:.0f} MB")
        verdict = "met" if rss["stemforge"]["maxrss_mb"] < 500 else "missed"
        lines.append(f"- stemforge render: {rss['stemforge']['maxrss_mb']:.0f} MB ({rss['stemforge']['seconds']:.1f} s) — goal < 500 MB {verdict}")
        if "naive" in rss:
            lines.append(f"- naive whole-file render: {rss['naive']['maxrss_mb']:.0f} MB ({rss['naive']['seconds']:.1f} s)")
        else:
            lines.append(f"- naive whole-file render: {naive_skipped}")
    if breakdown:
        lines += [
            "",
            (
                f"Where (b)'s {breakdown['total']:.2f} CPU seconds go (parts switched off in turn by monkeypatching, best of 2 each; "
                "differences of CPU times, good to about ±0.2 s on this shared machine):"
            ),
            "",
        ]
        lines += [
            f"- {part}: {cpu:.2f} s ({cpu / breakdown['total']:.0%})" if cpu >= 0.05 else f"- {part}: ≈ 0 s"
            for part, cpu in breakdown.items()
            if part != "total"
        ]
        if "a" in best_cpu:
            lines.append(f"- for scale, the floor (a): {best_cpu['a']:.2f} CPU s (decode + encode only)")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    if not args.quick and {"a", "b", "c", "d"} <= best.keys():
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
