"""The stem package's ``manifest.json`` (schema version 1) and its human-readable README.

The manifest is what a receiving studio's tools read; the README is what its engineers
read. Both describe the same facts: song metadata, the shared format, where the stems
were tapped, and per file its role, length, checksum and levels. See docs/packages.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from stemforge.errors import UsageError

#: The manifest schema this version of stemforge writes and understands.
MANIFEST_SCHEMA_VERSION = 1
#: The value of the manifest's ``format`` key.
PACKAGE_FORMAT = "stemforge-stem-package"
MANIFEST_NAME = "manifest.json"
README_NAME = "README.txt"

_REQUIRED = {
    "schema_version": int,
    "format": str,
    "title": str,
    "sample_rate": int,
    "mix": dict,
    "stems": list,
}
_REQUIRED_FILE = {"file": str, "frames": int, "sha256": str}


class ManifestError(UsageError):
    """A manifest that cannot be read: not JSON, a newer schema, or missing keys."""


def validate_manifest(data: Any, *, where: str = MANIFEST_NAME) -> Mapping[str, Any]:
    """Check a parsed manifest against schema version 1.

    Raises
    ------
    ManifestError
        If ``data`` is not a manifest, comes from a newer schema, or lacks a required key.
    """
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: is not a JSON object")
    version = data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > MANIFEST_SCHEMA_VERSION:
        raise ManifestError(
            f"{where}: schema_version {version} is newer than this stemforge understands ({MANIFEST_SCHEMA_VERSION})",
            tip="upgrade stemforge (pip install -U stemforge) to verify this package",
        )
    for key, kind in _REQUIRED.items():
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise ManifestError(f"{where}: {key!r} is missing or not a {kind.__name__}")
    if int(data["schema_version"]) < 1:
        raise ManifestError(f"{where}: schema_version {version} must be at least 1")
    if data["format"] != PACKAGE_FORMAT:
        raise ManifestError(f"{where}: format {data['format']!r} is not {PACKAGE_FORMAT!r}")
    entries = [("mix", data["mix"])] + [(f"stems[{i}]", s) for i, s in enumerate(data["stems"])]
    for label, entry in entries:
        if not isinstance(entry, dict):
            raise ManifestError(f"{where}: {label} is not an object")
        for key, kind in _REQUIRED_FILE.items():
            if not isinstance(entry.get(key), kind) or isinstance(entry.get(key), bool):
                raise ManifestError(f"{where}: {label}.{key} is missing or not a {kind.__name__}")
        if len(entry["sha256"]) != 64 or any(c not in "0123456789abcdef" for c in entry["sha256"]):
            raise ManifestError(f"{where}: {label}.sha256 is not 64 lowercase hex digits")
    return data


def _fmt(value: Any, unit: str, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f} {unit}"


def readme_text(manifest: Mapping[str, Any]) -> str:
    """The package's README.txt: what is inside and how to use and verify it."""
    title = manifest["title"]
    heading = f"{title}" + (f" by {manifest['artist']}" if manifest.get("artist") else "")
    lines = [
        heading,
        "=" * len(heading),
        "",
        "Stem package written by " + str(manifest.get("generator", "stemforge")) + ".",
        "",
        f"Sample rate : {manifest['sample_rate']} Hz",
        f"Bit depth   : {manifest.get('bit_depth') or 'n/a'}" + (" (float)" if manifest.get("float") else ""),
        f"Length      : {manifest.get('frames', 'n/a')} frames ({_fmt(manifest.get('duration_s'), 's', 3)})",
    ]
    if manifest.get("tempo_bpm"):
        lines.append(f"Tempo       : {manifest['tempo_bpm']:g} BPM")
    if manifest.get("key"):
        lines.append(f"Key         : {manifest['key']}")
    lines += [
        f"Tap point   : {manifest.get('tap_point', 'n/a')}",
        "",
        "Every file starts at the same moment (the song's zero) and has the same length:",
        "import them all at the very start of the session (bar 1 / 00:00:00:00) and they line up.",
    ]
    qa = manifest.get("qa") or {}
    null = qa.get("null_residual_db")
    if manifest.get("stems_sum_to_mix", True) and "SF500" not in qa.get("failed", ()):
        lines.append(
            "With every fader at 0 dB the stems add up to the mix"
            + (f" (null test residual {null:.1f} dB)." if isinstance(null, (int, float)) else ".")
        )
    elif manifest.get("stems_sum_to_mix", True):
        lines.append(f"WARNING: the stems do not add up to the mix (null test residual {null:.1f} dB); "
                     "run `stemforge check` on the extracted files for the cause.")
    else:
        lines.append("The mix has processing on its bus that the stems do not carry: they do not null against it.")
    if qa.get("failed"):
        lines.append("Delivery checks that failed when packaging: " + ", ".join(qa["failed"]) + " (see docs/qa.md).")
    lines += ["", "Files", "-----", ""]
    rows = [("file", "role", "loudness", "true peak")]
    mix = manifest["mix"]
    rows.append((mix["file"], "mix", _fmt(mix.get("integrated_lufs"), "LUFS"), _fmt(mix.get("true_peak_dbtp"), "dBTP")))
    for stem in manifest["stems"]:
        rows.append((stem["file"], str(stem.get("role") or ""), _fmt(stem.get("integrated_lufs"), "LUFS"),
                     _fmt(stem.get("true_peak_dbtp"), "dBTP")))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    with_tracks = [s for s in manifest["stems"] if s.get("tracks")]
    if with_tracks:
        lines += ["", "What each stem holds:", ""]
        lines += [f"  {s['name']}: {', '.join(s['tracks'])}" for s in with_tracks]
    lines += [
        "",
        "Checking the files",
        "------------------",
        "",
        "manifest.json lists the SHA-256 checksum and length in frames of every audio file.",
        "With stemforge:   stemforge verify THIS.zip [--extract FOLDER]",
        "Without it:       sha256sum stems/* mix.wav  (compare with manifest.json)",
        "",
    ]
    return "\n".join(lines)


__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_SCHEMA_VERSION",
    "PACKAGE_FORMAT",
    "README_NAME",
    "ManifestError",
    "readme_text",
    "validate_manifest",
]
