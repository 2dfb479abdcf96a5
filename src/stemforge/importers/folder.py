"""Import a folder of audio files: one track per file, split L/R pairs joined.

Only headers are read (format, rate, channels, length, BWF time reference), so import
is quick however long the songs. Offsets come from BWF ``bext`` time references: when
every file carries one they are taken relative to the earliest (a session exported
from 01:00:00:00 starts at zero); otherwise each stamped file sits at its own time
reference and unstamped files at zero.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from stemforge.audio.io import AUDIO_EXTENSIONS, AudioInfo, read_info
from stemforge.classify import ROLES, Classification, classify_tracks
from stemforge.errors import InputNotFoundError, UsageError
from stemforge.session.model import EXCLUDE, Session, Stem, Track

# "Gtr.L", "Gtr_R", "Gtr-Left", "Gtr R", "Gtr (L)"
_SIDE = re.compile(r"^(?P<base>.+?)(?:[ ._-]+|\s*\()(?P<side>l|r|left|right)\)?$", re.IGNORECASE)


@dataclass(frozen=True)
class FoundTrack:
    """A track found in a folder, before it is given a stem.

    Attributes
    ----------
    name : str
        From the file name (the common base for a split pair).
    files : tuple of Path
        One file, or (left, right) of a split stereo pair.
    infos : tuple of AudioInfo
        Their headers.
    offset_s : float
        Timeline position from the BWF time reference (0 without one).
    """

    name: str
    files: tuple[Path, ...]
    infos: tuple[AudioInfo, ...]
    offset_s: float = 0.0

    @property
    def sample_rate(self) -> int:
        return self.infos[0].sample_rate

    @property
    def channels(self) -> int:
        return sum(i.channels for i in self.infos)

    @property
    def duration_s(self) -> float:
        return max(i.duration_s for i in self.infos)


def _audio_files(folder: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            path = Path(root) / name
            if not name.startswith(".") and path.suffix.lower() in AUDIO_EXTENSIONS:
                files.append(path)
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix().lower())


def _side_of(path: Path) -> tuple[str, str] | None:
    match = _SIDE.match(path.stem)
    if not match:
        return None
    return match["base"], match["side"][0].upper()


def scan_folder(folder: str | os.PathLike[str]) -> list[FoundTrack]:
    """Read the headers of every audio file under ``folder`` and pair split stereo files.

    Raises
    ------
    InputNotFoundError
        If ``folder`` does not exist.
    UsageError
        If it is not a folder or holds no audio files.
    AudioFormatError
        If a file is not readable audio (the message names it).
    """
    folder = Path(folder)
    if not folder.exists():
        raise InputNotFoundError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise UsageError(f"{folder}: is a file, not a folder", tip="give the folder that holds the client's tracks")
    paths = _audio_files(folder)
    if not paths:
        extensions = ", ".join(sorted(AUDIO_EXTENSIONS))
        raise UsageError(f"{folder}: holds no audio files ({extensions})")
    infos = {path: read_info(path) for path in paths}

    # Join mono L/R files with the same base name, rate and length into one stereo track.
    sides: dict[tuple[Path, str], dict[str, Path]] = {}
    for path in paths:
        side = _side_of(path)
        if side is not None and infos[path].channels == 1:
            sides.setdefault((path.parent, side[0]), {})[side[1]] = path
    paired: dict[Path, tuple[str, Path, Path]] = {}
    for (_, base), found in sides.items():
        left, right = found.get("L"), found.get("R")
        if left and right:
            li, ri = infos[left], infos[right]
            if (li.sample_rate, li.frames, li.time_reference) == (ri.sample_rate, ri.frames, ri.time_reference):
                paired[left] = (base, left, right)
                paired[right] = (base, left, right)

    stamps = [i.time_reference for i in infos.values()]
    origin = min(stamps) if all(s is not None for s in stamps) else 0  # type: ignore[type-var]

    def offset_of(info: AudioInfo) -> float:
        if info.time_reference is None:
            return 0.0
        return round((info.time_reference - (origin or 0)) / info.sample_rate, 9)

    tracks: list[FoundTrack] = []
    done: set[Path] = set()
    for path in paths:
        if path in done:
            continue
        if path in paired:
            base, left, right = paired[path]
            done.update((left, right))
            tracks.append(FoundTrack(base, (left, right), (infos[left], infos[right]), offset_of(infos[left])))
        else:
            done.add(path)
            tracks.append(FoundTrack(path.stem, (path,), (infos[path],), offset_of(infos[path])))
    _unique_names(tracks)
    return tracks


def _unique_names(tracks: list[FoundTrack]) -> None:
    counts = Counter(t.name for t in tracks)
    for i, track in enumerate(tracks):
        if counts[track.name] > 1:
            parent = track.files[0].parent.name
            tracks[i] = FoundTrack(f"{parent}/{track.name}", track.files, track.infos, track.offset_s)


def session_rate(tracks: list[FoundTrack]) -> int:
    """The most common sample rate among ``tracks`` (the highest on a tie)."""
    counts = Counter(t.sample_rate for t in tracks)
    return max(counts, key=lambda rate: (counts[rate], rate))


def import_folder(
    folder: str | os.PathLike[str], *, title: str | None = None
) -> tuple[Session, list[FoundTrack], list[Classification]]:
    """Build a session from a folder of audio files, proposing a stem for each track.

    Returns
    -------
    session : Session
        Stems in role order; tracks proposed as ``exclude`` are kept but left out of stems.
    found : list of FoundTrack
        What was found, in the session's track order.
    proposals : list of Classification
        The classifier's proposal for each track.
    """
    folder = Path(folder)
    found = scan_folder(folder)
    proposals = classify_tracks(found)
    tracks = tuple(
        Track(name=f.name, files=f.files, stem=p.role, offset_s=f.offset_s) for f, p in zip(found, proposals, strict=True)
    )
    used = {t.stem for t in tracks}
    stems = tuple(Stem(role, role=role) for role in ROLES if role in used and role != EXCLUDE)
    session = Session(
        title=title or default_title(folder),
        sample_rate=session_rate(found),
        tracks=tracks,
        stems=stems,
    )
    return session, found, proposals


_GENERIC_FOLDERS = {"tracks", "audio", "audio files", "stems", "multitracks", "multitrack", "wav", "wavs", "files", "bounces", "exports"}


def default_title(folder: Path) -> str:
    """The song title a folder suggests: its name, or its parent's for ``tracks/``-like names."""
    folder = folder.resolve()
    if folder.name.lower() in _GENERIC_FOLDERS and folder.parent.name:
        return folder.parent.name
    return folder.name


def init_header(folder: Path) -> str:
    """The comment written at the top of a new session file."""
    return (
        f"stemforge session, written by `stemforge init {folder}` on {date.today().isoformat()}.\n"
        "Edit freely: comments and order are kept. Each track's comment says why its stem was proposed.\n"
        'stem = "exclude" keeps a track (click, guide, rough mix) out of every stem and the mix.'
    )


__all__ = ["FoundTrack", "import_folder", "init_header", "scan_folder", "session_rate"]
