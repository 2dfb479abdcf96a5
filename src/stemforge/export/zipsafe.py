"""Which zip entries are safe to extract: inside the target folder, regular files only.

A zip entry's name is a path chosen by whoever made the archive. Extracting
``../../.bashrc``, ``/etc/passwd``, ``C:\\Windows\\…`` or a symbolic link (whose target
later writes land on) would reach outside the folder the user chose, so such entries
are refused before anything is written.
"""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

_DRIVE = re.compile(r"^[A-Za-z]:")


def name_problem(name: str) -> str | None:
    """Why an archive member name is unsafe, or None when it stays inside the target folder."""
    if not name:
        return "has an empty name"
    if "\x00" in name:
        return "has a NUL character in its name"
    unified = name.replace("\\", "/")
    if unified.startswith("/"):
        return "is an absolute path"
    if _DRIVE.match(unified):
        return "names a drive letter"
    parts = PurePosixPath(unified).parts
    if any(part == ".." for part in parts):
        return "points outside the folder ('..')"
    return None


def entry_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a zip entry must not be extracted, or None when it is a safe regular file or folder."""
    problem = name_problem(info.filename)
    if problem:
        return problem
    mode = (info.external_attr >> 16) & 0xFFFF
    kind = stat.S_IFMT(mode)  # 0 when the archiver recorded permissions only
    if kind == stat.S_IFLNK:
        return "is a symbolic link"
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        return "is not a regular file"
    return None


def safe_target(root: Path, name: str) -> Path:
    """``root / name`` after checking that it resolves inside ``root`` (raises ValueError)."""
    problem = name_problem(name)
    if problem:
        raise ValueError(f"{name!r} {problem}")
    target = (root / name.replace("\\", "/")).resolve()
    base = root.resolve()
    if target != base and base not in target.parents:
        raise ValueError(f"{name!r} resolves outside {root}")
    return target


__all__ = ["entry_problem", "name_problem", "safe_target"]
