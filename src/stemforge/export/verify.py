"""``verify_package``: checksums, lengths and schema of a stem package, and safe extraction.

Checks, in order: every entry's name and type (nothing that would land outside the target
folder: ``..``, absolute paths, drive letters, symbolic links); the manifest (present,
valid, not from a newer schema); every listed file (present, SHA-256 as listed, length in
frames as listed, read from its header, and equal to the mix's). Extraction happens only
when nothing failed, only inside the target folder, never over an existing file, and each
file appears under its final name only when complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import soundfile as sf

from stemforge.audio import atomic_path
from stemforge.errors import InputNotFoundError, OutputError, UsageError
from stemforge.export.manifest import MANIFEST_NAME, README_NAME, ManifestError, validate_manifest
from stemforge.export.zipsafe import entry_problem, safe_target


@dataclass(frozen=True)
class VerifyIssue:
    """One problem found in a package.

    Attributes
    ----------
    kind : str
        ``unsafe-entry``, ``missing-manifest``, ``invalid-manifest``, ``missing-file``,
        ``checksum-mismatch``, ``length-mismatch``, ``unreadable``, ``unlisted-file``.
    severity : str
        ``fail`` or ``warn``.
    file : str or None
        The archive member concerned.
    message : str
    """

    kind: str
    severity: str
    file: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "file": self.file, "message": self.message}


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify_package`.

    Attributes
    ----------
    path : Path
    manifest : dict or None
    files_checked : int
        Audio files whose checksum and length were compared.
    issues : tuple of VerifyIssue
    extracted_to : Path or None
        The folder the package was extracted into, when asked and nothing failed.
    """

    path: Path
    manifest: dict[str, Any] | None
    files_checked: int
    issues: tuple[VerifyIssue, ...]
    extracted_to: Path | None = None

    @property
    def ok(self) -> bool:
        """True when no issue is a failure."""
        return not any(i.severity == "fail" for i in self.issues)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "title": (self.manifest or {}).get("title"),
            "schema_version": (self.manifest or {}).get("schema_version"),
            "files_checked": self.files_checked,
            "issues": [i.to_json() for i in self.issues],
            "extracted_to": str(self.extracted_to) if self.extracted_to else None,
        }


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not path.exists():
        raise InputNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a stem package (.zip)")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"{path}: not a readable zip file ({exc})",
                         tip="stem packages are written by `stemforge package`") from None


def _hash_member(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as stream:
        while chunk := stream.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _frames_of(archive: zipfile.ZipFile, name: str) -> int:
    with archive.open(name) as stream:
        return int(sf.info(stream).frames)


def _check_file(archive: zipfile.ZipFile, entry: dict[str, Any], members: set[str], mix_frames: int | None) -> list[VerifyIssue]:
    name = entry["file"]
    if name not in members:
        return [VerifyIssue("missing-file", "fail", name, "is listed in the manifest but missing from the package")]
    issues = []
    try:
        digest = _hash_member(archive, name)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return [VerifyIssue("checksum-mismatch", "fail", name, f"is corrupt ({exc})")]
    if digest != entry["sha256"]:
        issues.append(VerifyIssue("checksum-mismatch", "fail", name,
                                  f"SHA-256 {digest[:12]}… does not match the manifest's {entry['sha256'][:12]}…"))
    try:
        frames = _frames_of(archive, name)
    except (sf.LibsndfileError, RuntimeError, TypeError, zipfile.BadZipFile) as exc:
        issues.append(VerifyIssue("unreadable", "fail", name, f"its audio header cannot be read ({exc})"))
        return issues
    if frames != entry["frames"]:
        issues.append(VerifyIssue("length-mismatch", "fail", name,
                                  f"holds {frames} frames; the manifest lists {entry['frames']}"))
    elif mix_frames is not None and frames != mix_frames:
        issues.append(VerifyIssue("length-mismatch", "fail", name, f"holds {frames} frames; the mix holds {mix_frames}"))
    return issues


def verify_package(path: str | os.PathLike[str], *, extract: str | os.PathLike[str] | None = None) -> VerifyReport:
    """Verify a stem package and optionally extract it into ``extract``.

    Raises
    ------
    InputNotFoundError
        If the zip does not exist.
    UsageError
        If it is not a zip file, or its manifest comes from a newer schema version.
    OutputError
        If extraction would overwrite an existing file.
    """
    path = Path(path)
    issues: list[VerifyIssue] = []
    with _open_zip(path) as archive:
        infos = archive.infolist()
        for info in infos:
            problem = entry_problem(info)
            if problem:
                issues.append(VerifyIssue("unsafe-entry", "fail", info.filename, f"{problem}; refusing to extract it"))
        members = {i.filename for i in infos if not i.is_dir()}
        manifest = _load_manifest(archive, members, issues)
        checked = 0
        if manifest is not None:
            entries = [manifest["mix"], *manifest["stems"]]
            mix_frames = manifest["mix"]["frames"]
            for entry in entries:
                issues += _check_file(archive, entry, members, None if entry is manifest["mix"] else mix_frames)
                checked += 1
            listed = {e["file"] for e in entries} | {MANIFEST_NAME, README_NAME}
            for name in sorted(members - listed):
                if not any(i.file == name for i in issues):
                    issues.append(VerifyIssue("unlisted-file", "warn", name, "is in the package but not in the manifest"))
        extracted = None
        if extract is not None and not any(i.severity == "fail" for i in issues):
            extracted = _extract(archive, Path(extract))
    return VerifyReport(path, manifest, checked, tuple(issues), extracted)


def _load_manifest(archive: zipfile.ZipFile, members: set[str], issues: list[VerifyIssue]) -> dict[str, Any] | None:
    if MANIFEST_NAME not in members:
        issues.append(VerifyIssue("missing-manifest", "fail", MANIFEST_NAME, "is missing: this is not a stem package"))
        return None
    try:
        data = json.loads(archive.read(MANIFEST_NAME).decode("utf-8"))
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError) as exc:
        issues.append(VerifyIssue("invalid-manifest", "fail", MANIFEST_NAME, f"is not valid JSON ({exc})"))
        return None
    try:
        return dict(validate_manifest(data, where=MANIFEST_NAME))
    except ManifestError as exc:
        if "newer" in exc.message:
            raise
        issues.append(VerifyIssue("invalid-manifest", "fail", MANIFEST_NAME, exc.message.split(": ", 1)[-1]))
        return None


def _extract(archive: zipfile.ZipFile, folder: Path) -> Path:
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file, not a folder to extract into")
    files = [i for i in archive.infolist() if not i.is_dir()]
    targets = []
    for info in files:
        try:
            target = safe_target(folder, info.filename)
        except ValueError as exc:  # entry_problem already refused these; belt and braces
            raise OutputError(f"{folder}: refusing to extract {exc}") from None
        if target.exists():
            raise OutputError(f"{target}: already exists; extract into an empty folder")
        targets.append((info, target))
    for info, target in targets:
        with atomic_path(target) as temp, archive.open(info) as source, open(temp, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 22)
    return folder


__all__ = ["VerifyIssue", "VerifyReport", "verify_package"]
