"""Stem packages: one zip with the stems, the mix, ``manifest.json`` and a README.

``build_package(source, out=...)`` takes a render folder (``render.json``, ``stems/``,
``mix.wav``) or a session file (rendered to a temporary folder first), measures each
file (SHA-256, frames, integrated loudness, true peak), runs the delivery checks, and
writes the zip atomically: it appears under its final name only when complete. Audio is
stored uncompressed (PCM barely deflates and storing keeps packaging I/O-bound); the
manifest and README are deflated.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stemforge.audio import atomic_path, read_info, sha256_file
from stemforge.errors import InputNotFoundError, OutputError, StemforgeError, UsageError
from stemforge.export.manifest import (
    MANIFEST_NAME,
    MANIFEST_SCHEMA_VERSION,
    PACKAGE_FORMAT,
    README_NAME,
    readme_text,
)
from stemforge.export.zipsafe import name_problem

SESSION_SUFFIXES = frozenset({".toml"})


@dataclass(frozen=True)
class PackageResult:
    """What :func:`build_package` wrote.

    Attributes
    ----------
    path : Path
        The zip.
    manifest : Mapping[str, Any]
        The manifest written into it.
    bytes : int
        Size of the zip.
    seconds : float
    """

    path: Path
    manifest: Mapping[str, Any]
    bytes: int
    seconds: float


@contextlib.contextmanager
def render_folder(source: Path, *, fmt: str = "wav24", on_progress: Callable[[int], None] | None = None) -> Iterator[Path]:
    """Yield a render folder for ``source``: itself, or a temporary render of a session file.

    Raises
    ------
    InputNotFoundError
        If ``source`` does not exist.
    UsageError
        If ``source`` is neither a render folder nor a session file.
    """
    if not source.exists():
        raise InputNotFoundError(f"{source}: no such file or folder")
    if source.is_dir():
        if not (source / "render.json").is_file():
            raise UsageError(f"{source}: not a render folder (no render.json)",
                             tip="pass the folder `stemforge render` wrote, or a session file")
        yield source
        return
    if source.suffix.lower() not in SESSION_SUFFIXES:
        raise UsageError(f"{source}: not a session file or render folder",
                         tip="pass a session.toml or the folder `stemforge render` wrote")
    from stemforge.render import render_session
    from stemforge.session import load_session

    session = load_session(source)
    with tempfile.TemporaryDirectory(prefix="stemforge-package-") as temp:
        render_session(session, out_dir=Path(temp) / "render", fmt=fmt, on_progress=on_progress)
        yield Path(temp) / "render"


def read_render_json(folder: Path) -> dict[str, Any]:
    """``folder/render.json``, checked to hold ``mix`` and ``stems`` (UsageError otherwise)."""
    path = folder / "render.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("mix"), dict) or not isinstance(data.get("stems"), list):
        raise UsageError(f"{path}: lacks 'mix' and 'stems'; is it a stemforge render.json?")
    return data


def _arcname(folder: Path, relative: Any, *, where: str) -> tuple[str, Path]:
    if not isinstance(relative, str) or name_problem(relative):
        raise UsageError(f"{folder / 'render.json'}: {where} file {relative!r} is not a path inside the render folder")
    path = folder / relative
    if not path.is_file():
        raise InputNotFoundError(f"{path}: listed in render.json but missing")
    return relative.replace("\\", "/"), path


def _measure(path: Path, arcname: str) -> dict[str, Any]:
    """Header facts, checksum and loudness of one file, as a manifest entry."""
    from stemforge.analysis import analyze_file

    info = read_info(path)
    try:
        loudness = analyze_file(path)
        integrated, true_peak = loudness.integrated_lufs, loudness.true_peak_dbtp
        sample_peak = loudness.sample_peak_dbfs
    except StemforgeError:  # NaN/Inf samples: still packaged, levels unknown
        integrated = true_peak = sample_peak = None
    return {
        "file": arcname,
        "frames": info.frames,
        "channels": info.channels,
        "sample_rate": info.sample_rate,
        "bit_depth": info.bit_depth,
        "subtype": info.subtype,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        "integrated_lufs": _round(integrated),
        "true_peak_dbtp": _round(true_peak),
        "sample_peak_dbfs": _round(sample_peak),
    }


def _round(value: float | None) -> float | None:
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return round(float(value), 2)


def build_manifest(folder: Path, *, run_checks: bool = True) -> tuple[dict[str, Any], dict[str, Path]]:
    """The manifest of a render folder, and the archive name → file of every audio file."""
    from stemforge import __version__

    render = read_render_json(folder)
    mix_name, mix_path = _arcname(folder, render["mix"].get("file"), where="mix")
    files = {mix_name: mix_path}
    heads = []
    for i, stem in enumerate(render["stems"]):
        if not isinstance(stem, dict):
            raise UsageError(f"{folder / 'render.json'}: stems[{i}] is not an object")
        name, path = _arcname(folder, stem.get("file"), where=f"stems[{i}]")
        if name in files:
            raise UsageError(f"{folder / 'render.json'}: {name} is listed twice")
        files[name] = path
        head: dict[str, Any] = {"name": str(stem.get("name") or Path(name).stem), "role": stem.get("role")}
        tracks = stem.get("tracks")
        if isinstance(tracks, list) and all(isinstance(t, str) for t in tracks):
            head["tracks"] = list(tracks)
        heads.append(head)
    # One file at a time: the loudness meter sets a process-wide BLAS thread limit while it runs.
    measured = [_measure(path, name) for name, path in files.items()]
    mix, stems = measured[0], [head | entry for head, entry in zip(heads, measured[1:], strict=True)]
    qa: dict[str, Any] | None = None
    if run_checks:
        from stemforge.qa import Severity, check_delivery

        report = check_delivery(folder)
        qa = {
            "status": report.severity.value,
            "null_residual_db": report.null_residual_db,
            "failed": sorted(report.codes(Severity.FAIL)),
            "warnings": sorted(report.codes(Severity.WARN)),
        }
    nulling: dict[str, Any] = render["nulling"] if isinstance(render.get("nulling"), dict) else {}
    manifest: dict[str, Any] = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "format": PACKAGE_FORMAT,
        "generator": f"stemforge {__version__}",
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "title": str(render.get("title") or folder.name),
        "artist": render.get("artist"),
        "tempo_bpm": render.get("tempo_bpm"),
        "key": render.get("key"),
        "sample_rate": int(render.get("sample_rate") or mix["sample_rate"]),
        "bit_depth": render.get("bit_depth", mix["bit_depth"]),
        "float": str(mix["subtype"]).upper() in ("FLOAT", "DOUBLE"),
        "frames": mix["frames"],
        "duration_s": round(mix["frames"] / mix["sample_rate"], 6),
        "tap_point": render.get("tap_point"),
        "stems_sum_to_mix": bool(nulling.get("stems_sum_to_mix", True)),
        "mix": mix,
        "stems": stems,
    }
    manifest = {k: v for k, v in manifest.items() if v is not None or k in ("artist", "tap_point")}
    if qa is not None:
        manifest["qa"] = qa
    return manifest, files


def _text_entry(name: str) -> zipfile.ZipInfo:
    """A deflated regular-file entry (mode 0644) stamped with the current time."""
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def build_package(
    source: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str],
    fmt: str = "wav24",
    run_checks: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> PackageResult:
    """Write a stem package zip for a render folder or a session file.

    Parameters
    ----------
    source : path
        A render folder (with ``render.json``) or a session file (rendered first, in ``fmt``).
    out : path
        The zip to write (atomically).
    fmt : str
        Output format when ``source`` is a session file.
    run_checks : bool
        Run the delivery checks and record their result in the manifest's ``qa``.

    Raises
    ------
    InputNotFoundError, UsageError
        A missing or unsuitable source.
    OutputError
        If ``out`` would overwrite an input or cannot be written.
    """
    started = time.perf_counter()
    source, out = Path(source), Path(out)
    if out.suffix.lower() != ".zip":
        raise UsageError(f"{out}: a stem package must be a .zip file")
    with render_folder(source, fmt=fmt, on_progress=on_progress) as folder:
        inputs = {p.resolve() for p in folder.rglob("*")} | {source.resolve()}
        if out.resolve() in inputs:
            raise OutputError(f"{out}: would overwrite an input")
        manifest, files = build_manifest(folder, run_checks=run_checks)
        with atomic_path(out) as temp:
            with zipfile.ZipFile(temp, "w", allowZip64=True) as archive:
                for arcname, path in files.items():
                    archive.write(path, arcname, compress_type=zipfile.ZIP_STORED)
                text = json.dumps(manifest, indent=2, allow_nan=False) + "\n"
                archive.writestr(_text_entry(MANIFEST_NAME), text)
                archive.writestr(_text_entry(README_NAME), readme_text(manifest))
    return PackageResult(out, manifest, out.stat().st_size, time.perf_counter() - started)


__all__ = ["PackageResult", "build_manifest", "build_package", "read_render_json", "render_folder"]
