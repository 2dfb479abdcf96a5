"""Helpers for package tests: a small render folder and a zip rewriter that breaks packages."""

from __future__ import annotations

import json
import stat
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from scipy import signal

RATE = 48000


def make_render_folder(folder: Path, *, frames: int = RATE * 2, seed: int = 3, keys: bool = False) -> Path:
    """A render folder as `stemforge render` writes it: stems/, mix.wav, render.json.

    Stems: drums, bass, lead_vocals, and with ``keys`` a keys stem (every NI Stems slot used).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / RATE
    # Band-limited like music (lossy codecs drop the top octave of white noise).
    hiss = signal.sosfilt(signal.butter(4, 9000, fs=RATE, output="sos"), rng.standard_normal((2, frames)), axis=1)
    voice = signal.sosfilt(signal.butter(2, [200, 4000], btype="bandpass", fs=RATE, output="sos"),
                           rng.standard_normal((2, frames)), axis=1)
    stems = {
        "drums": ("drums", 0.2 * hiss * np.exp(-((t * 2) % 1.0) * 8)),
        "bass": ("bass", np.vstack([0.3 * np.sin(2 * np.pi * 55 * t)] * 2)),
        "lead_vocals": ("lead_vocals", 0.2 * voice * (t > 0.5)),
    }
    if keys:
        chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
        stems["keys"] = ("keys", np.vstack([0.1 * chord, 0.08 * chord]))
    (folder / "stems").mkdir(parents=True, exist_ok=True)
    entries = []
    total = np.zeros((2, frames))
    for name, (role, samples) in stems.items():
        q = np.round(samples * 2**23) / 2**23
        total += q
        rel = f"stems/Test Song - {name}.wav"
        sf.write(folder / rel, q.T.astype(np.float32), RATE, subtype="PCM_24")
        entries.append({"name": name, "role": role, "file": rel, "peak_dbfs": -6.0, "tracks": [name]})
    sf.write(folder / "mix.wav", total.T.astype(np.float32), RATE, subtype="PCM_24")
    render = {
        "schema_version": 1, "generator": "stemforge test", "title": "Test Song", "artist": "The Testers",
        "tempo_bpm": 120.0, "key": "A minor", "sample_rate": RATE, "frames": frames, "duration_s": frames / RATE,
        "format": "wav24", "bit_depth": 24, "tap_point": "pre-master",
        "mix": {"file": "mix.wav", "peak_dbfs": -1.0}, "stems": entries, "inputs": [], "warnings": [],
    }
    (folder / "render.json").write_text(json.dumps(render, indent=2))
    return folder


def rewrite_zip(
    src: Path,
    dst: Path,
    *,
    drop: Iterable[str] = (),
    replace: Mapping[str, bytes] | None = None,
    manifest: Callable[[dict[str, Any]], None] | None = None,
    add: Iterable[tuple[zipfile.ZipInfo, bytes]] = (),
) -> Path:
    """Copy a zip, dropping, replacing or adding members and editing manifest.json."""
    drop = set(drop)
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w") as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            data = old.read(info)
            if replace and info.filename in replace:
                data = replace[info.filename]
            if manifest and info.filename == "manifest.json":
                doc = json.loads(data)
                manifest(doc)
                data = json.dumps(doc).encode()
            new.writestr(info, data)
        for info, data in add:
            new.writestr(info, data)
    return dst


def entry(name: str, *, symlink: bool = False) -> zipfile.ZipInfo:
    """A zip entry named exactly ``name`` (no normalization), optionally a symbolic link."""
    info = zipfile.ZipInfo("placeholder")
    info.filename = name  # ZipInfo() would strip a leading slash or drive; keep it raw
    mode = (stat.S_IFLNK | 0o777) if symlink else (stat.S_IFREG | 0o644)
    info.external_attr = mode << 16
    return info
