"""Native Instruments Stems (``.stem.mp4``) for DJ software (Traktor, Mixxx).

The format: one MP4 file with five audio tracks, the full mix first (what ordinary players
play) and then four stems in a fixed order, plus a ``stem`` box in ``moov/udta`` holding
JSON with the stems' display names and colours and the settings of the "mastering DSP"
(a compressor and a limiter the DJ software may apply to the sum of the stems)::

    {"version": 1,
     "mastering_dsp": {"compressor": {...}, "limiter": {...}},
     "stems": [{"name": "Drums", "color": "#RRGGBB"}, ... four entries ...]}

Stages: map the render's stems to the four slots by role (drums+percussion → drums,
bass → bass, lead and backing vocals → vocals, everything else → other; overridable) →
sum each slot into a temporary WAV (streaming) → encode master + 4 slots with ffmpeg (AAC,
moov at the end so nothing has to move) → insert the ``stem`` box
(:mod:`~stemforge.export.mp4box`) → rename onto the target.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stemforge.audio import AtomicWriter, BlockReader, atomic_path, read_info
from stemforge.errors import MissingDependencyError, OutputError, RenderError, UsageError
from stemforge.export.mp4box import insert_udta_box, make_box, read_box_payload

#: The four stem slots of the format, in file order.
SLOTS: tuple[str, ...] = ("drums", "bass", "other", "vocals")
SLOT_NAMES = {"drums": "Drums", "bass": "Bass", "other": "Other", "vocals": "Vocals"}
SLOT_COLORS = {"drums": "#E8412C", "bass": "#F5A623", "other": "#2E86DE", "vocals": "#27AE60"}
#: Stem role → slot; roles not listed go to ``other``.
DEFAULT_ROLE_MAP: Mapping[str, str] = {
    "drums": "drums",
    "percussion": "drums",
    "bass": "bass",
    "lead_vocals": "vocals",
    "backing_vocals": "vocals",
}
STEM_BOX = b"stem"
BLOCK_FRAMES = 1 << 16
CODECS = ("aac", "alac")
AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)


@dataclass(frozen=True)
class NiStemsResult:
    """What :func:`export_ni_stems` wrote.

    Attributes
    ----------
    path : Path
    assignment : Mapping[str, tuple[str, ...]]
        Slot → the render's stem names summed into it.
    metadata : Mapping[str, Any]
        The JSON written into the ``stem`` box.
    bytes : int
    """

    path: Path
    assignment: Mapping[str, tuple[str, ...]]
    metadata: Mapping[str, Any]
    bytes: int


def ffmpeg_path() -> str:
    """The ffmpeg executable, or MissingDependencyError with an install tip."""
    found = shutil.which("ffmpeg")
    if found is None:
        raise MissingDependencyError(
            "ffmpeg: not found on PATH; NI Stems export needs it to encode AAC",
            tip="install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg), or run `make sysdeps`",
        )
    return found


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """``["synths=bass", "fx=other"]`` → ``{"synths": "bass", "fx": "other"}``.

    Raises
    ------
    UsageError
        If an item is not ``role=slot`` or names an unknown slot.
    """
    mapping = {}
    for item in items:
        key, sep, slot = item.partition("=")
        key, slot = key.strip(), slot.strip().lower()
        if not sep or not key:
            raise UsageError(f"--map {item!r} must look like role=slot (e.g. synths=bass)")
        if slot not in SLOTS:
            raise UsageError(f"--map {item!r}: slot {slot!r} is not one of {', '.join(SLOTS)}")
        mapping[key] = slot
    return mapping


def assign_slots(stems: Sequence[Mapping[str, Any]], overrides: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """Slot → stem names. ``overrides`` maps a stem name or a role to a slot (name wins)."""
    overrides = dict(overrides or {})
    assignment: dict[str, list[str]] = {slot: [] for slot in SLOTS}
    for stem in stems:
        name, role = str(stem["name"]), str(stem.get("role") or stem["name"])
        slot = overrides.get(name) or overrides.get(role) or DEFAULT_ROLE_MAP.get(role, "other")
        assignment[slot].append(name)
    return assignment


def stem_metadata(*, names: Mapping[str, str] | None = None, colors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The JSON of the ``stem`` box: four stems (names, colours), mastering DSP switched off."""
    names = {**SLOT_NAMES, **(names or {})}
    colors = {**SLOT_COLORS, **(colors or {})}
    return {
        "version": 1,
        "mastering_dsp": {
            "compressor": {"enabled": False, "input_gain": 0.5, "output_gain": 0.5, "threshold": 0.0, "ratio": 2.0,
                           "attack": 0.01, "release": 0.3, "hp_cutoff": 300, "dry_wet": 50},
            "limiter": {"enabled": False, "threshold": 0.0, "ceiling": -0.3, "release": 0.05},
        },
        "stems": [{"name": names[slot], "color": colors[slot]} for slot in SLOTS],
    }


def read_stem_metadata(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The JSON of a ``.stem.mp4`` file's ``moov/udta/stem`` box, or None when absent."""
    payload = read_box_payload(Path(path).read_bytes(), [b"moov", b"udta", STEM_BOX])
    return None if payload is None else json.loads(payload.decode("utf-8"))


def _sum_slot(paths: Sequence[Path], out: Path, *, frames: int, sample_rate: int, channels: int) -> None:
    """Stream the sum of ``paths`` (silence when empty) into a float WAV of ``frames`` frames."""
    with contextlib.ExitStack() as stack:
        readers = [stack.enter_context(BlockReader(p)) for p in paths]
        writer = stack.enter_context(AtomicWriter(out, sample_rate=sample_rate, channels=channels, fmt="wav32f"))
        done = 0
        while done < frames:
            n = min(BLOCK_FRAMES, frames - done)
            total = np.zeros((channels, n), np.float32)
            for reader in readers:
                block = reader.read(n)
                m = block.shape[1]
                total[:, :m] += block if block.shape[0] in (1, channels) else block[:channels]
            writer.write(total)
            done += n


def _encode(ffmpeg: str, inputs: Sequence[Path], out: Path, *, codec: str, bitrate_kbps: int, tags: Mapping[str, str]) -> None:
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    for path in inputs:
        cmd += ["-i", str(path)]
    for i in range(len(inputs)):
        cmd += ["-map", f"{i}:a:0"]
    cmd += ["-c:a", "aac", "-b:a", f"{bitrate_kbps}k"] if codec == "aac" else ["-c:a", "alac"]
    cmd += ["-ac", "2"]
    for i, title in enumerate(["Master", *(SLOT_NAMES[s] for s in SLOTS)]):
        cmd += [f"-metadata:s:a:{i}", f"title={title}", f"-disposition:a:{i}", "default" if i == 0 else "0"]
    for key, value in tags.items():
        cmd += ["-metadata", f"{key}={value}"]
    cmd += ["-f", "mp4", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise RenderError(f"{out.name}: ffmpeg failed to encode the stems ({reason})")


def export_ni_stems(
    source: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str],
    mapping: Mapping[str, str] | None = None,
    bitrate_kbps: int = 320,
    codec: str = "aac",
    fmt: str = "wav24",
    on_progress: Callable[[int], None] | None = None,
) -> NiStemsResult:
    """Write a Native Instruments Stems file from a render folder or a session file.

    Parameters
    ----------
    source : path
        A render folder (``render.json``) or a session file (rendered first, in ``fmt``).
    out : path
        The ``.stem.mp4`` to write (atomically).
    mapping : mapping, optional
        Stem name or role → slot (``drums``, ``bass``, ``other``, ``vocals``).
    bitrate_kbps : int
        AAC bit rate per stream.
    codec : str
        ``aac`` (default, what DJ software and players expect) or ``alac`` (Apple Lossless,
        24-bit, about five times larger).

    Raises
    ------
    MissingDependencyError
        If ffmpeg is not installed.
    UsageError
        On a bad mapping, bit rate, sample rate or source.
    OutputError
        If ``out`` would overwrite an input.
    """
    from stemforge.export.package import read_render_json, render_folder

    ffmpeg = ffmpeg_path()
    out = Path(out)
    if not out.name.lower().endswith((".mp4", ".m4a")):
        raise UsageError(f"{out}: an NI Stems file must end in .stem.mp4")
    if codec not in CODECS:
        raise UsageError(f"--codec {codec!r} must be one of {', '.join(CODECS)}")
    if not 32 <= bitrate_kbps <= 512:
        raise UsageError(f"--bitrate {bitrate_kbps} must be between 32 and 512 kbit/s")
    with render_folder(Path(source), fmt=fmt, on_progress=on_progress) as folder:
        if out.resolve() in {p.resolve() for p in folder.rglob("*")} | {Path(source).resolve()}:
            raise OutputError(f"{out}: would overwrite an input")
        render = read_render_json(folder)
        mix = folder / str(render["mix"]["file"])
        info = read_info(mix)
        if codec == "aac" and info.sample_rate not in AAC_RATES:
            raise UsageError(f"{mix}: {info.sample_rate} Hz cannot be stored as AAC")
        stems = [s for s in render["stems"] if isinstance(s, dict) and s.get("file")]
        unknown = set(mapping or {}) - {str(s["name"]) for s in stems} - {str(s.get("role")) for s in stems}
        if unknown:
            raise UsageError(f"--map names {', '.join(sorted(unknown))}, which no stem has as name or role")
        assignment = assign_slots(stems, mapping)
        files = {str(s["name"]): folder / str(s["file"]) for s in stems}
        metadata = stem_metadata()
        tags = {k: str(render[k]) for k in ("title", "artist") if render.get(k)}
        with tempfile.TemporaryDirectory(prefix="stemforge-nistems-") as temp:
            slot_files = []
            for slot in SLOTS:
                path = Path(temp) / f"{slot}.wav"
                _sum_slot([files[n] for n in assignment[slot]], path, frames=info.frames,
                          sample_rate=info.sample_rate, channels=max(info.channels, 2))
                slot_files.append(path)
            encoded = Path(temp) / "encoded.mp4"
            _encode(ffmpeg, [mix, *slot_files], encoded, codec=codec, bitrate_kbps=bitrate_kbps, tags=tags)
            payload = json.dumps(metadata, separators=(",", ":")).encode("utf-8")
            data = insert_udta_box(encoded.read_bytes(), make_box(STEM_BOX, payload))
            with atomic_path(out) as target:
                target.write_bytes(data)
    return NiStemsResult(out, {k: tuple(v) for k, v in assignment.items()}, metadata, len(data))


__all__ = [
    "DEFAULT_ROLE_MAP",
    "SLOTS",
    "NiStemsResult",
    "assign_slots",
    "export_ni_stems",
    "ffmpeg_path",
    "parse_mapping",
    "read_stem_metadata",
    "stem_metadata",
]
