"""Reading and writing session files (TOML, via tomlkit so comments and order survive).

Loading validates every value and names the file, the key and the allowed range in its
message; saving updates the loaded document in place, so a user's comments, key order
and blank lines are kept, and writes paths relative to the session file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, Table

from stemforge.audio.io import write_text_atomic
from stemforge.classify.roles import ROLES
from stemforge.errors import InputNotFoundError, SessionError
from stemforge.session.model import EXCLUDE, TARGETS, Master, Session, Stem, Track
from stemforge.session.mixing import check_routing, clip_table, parse_clips, parse_inserts, parse_returns, parse_sends, send_table
from stemforge.session.schema import REQUIRED, Field, check_table, suggest

SESSION_FIELDS: dict[str, Field] = {
    "title": Field(str, REQUIRED),
    "sample_rate": Field(int, REQUIRED, 8000, 384000),
    "artist": Field(str, None),
    "tempo_bpm": Field(float, None, 20, 400),
    "key": Field(str, None),
    "tail_max_s": Field(float, 10.0, 0, 600),
}
TRACK_FIELDS: dict[str, Field] = {
    "name": Field(str, REQUIRED),
    "file": Field(object, None),  # or clips
    "stem": Field(str, REQUIRED),
    "gain_db": Field(float, 0.0, -120, 24),
    "pan": Field(float, 0.0, -1, 1),
    "mute": Field(bool, False),
    "solo": Field(bool, False),
    "invert": Field(bool, False),
    "offset_s": Field(float, 0.0, 0, 86400),
    "inserts": Field(list, []),
    "sends": Field(list, []),
    "clips": Field(list, []),
}
STEM_FIELDS: dict[str, Field] = {
    "name": Field(str, REQUIRED),
    "gain_db": Field(float, 0.0, -120, 24),
    "role": Field(str, None, choices=ROLES),
    "inserts": Field(list, []),
}
MASTER_FIELDS: dict[str, Field] = {
    "target": Field(str, "streaming", choices=tuple(TARGETS)),
    "lufs": Field(float, None, -40, 0),
    "ceiling_dbtp": Field(float, None, -12, 0),
    "inserts": Field(list, []),
}
TOP_LEVEL = ("session", "tracks", "stems", "returns", "master")


def load_session(path: str | os.PathLike[str], *, check_files: bool = True) -> Session:
    """Load and validate a session file.

    Parameters
    ----------
    path : path-like
        The ``session.toml``.
    check_files : bool
        Also check that every track's file exists.

    Raises
    ------
    InputNotFoundError
        If the session file (or, with ``check_files``, a track's file) does not exist.
    SessionError
        On a TOML syntax error (with its line), an unknown key, or an invalid value.
    """
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(f"{path}: no such session file")
    if path.is_dir():
        raise SessionError(f"{path}: is a folder, not a session file", tip="give the path of a session .toml file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SessionError(f"{path}: not a text file (session files are UTF-8 TOML)") from None
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        reason = str(exc).split(" at line ")[0]
        raise SessionError(
            f"{path}:{exc.line}:{exc.col}: TOML syntax error: {reason}",
            tip=f"check the quotes, brackets and = signs on line {exc.line}",
        ) from None
    return session_from_document(document, path=path, check_files=check_files)


def session_from_document(document: Mapping[str, Any], *, path: Path, check_files: bool = True) -> Session:
    """Build a validated :class:`Session` from a parsed TOML document."""
    name = path.name
    root = path.resolve().parent
    for key in document:
        if key not in TOP_LEVEL:
            raise SessionError(f"unknown table {key!r}{suggest(key, TOP_LEVEL)} ({name})", tip="a session has [session], [[tracks]], [[stems]] and [master]")
    if "session" not in document:
        raise SessionError(f"missing the [session] table ({name})", tip='add [session] with title = "..." and sample_rate = 48000')
    head = check_table(_table(document["session"], "session", name), SESSION_FIELDS, where="session", source=path)

    raw_tracks = _array(document.get("tracks", []), "tracks", name)
    tracks: list[Track] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_tracks, start=1):
        label = f"tracks[{i}]"
        if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
            label += f' ("{raw["name"]}")'
        values = check_table(_table(raw, label, name), TRACK_FIELDS, where=label, source=path)
        if values["name"] in seen:
            raise SessionError(f'{label}.name="{values["name"]}" is already used by tracks[{seen[values["name"]]}] ({name})')
        seen[values["name"]] = i
        values["inserts"] = parse_inserts(values["inserts"], where=label, source=path)
        values["sends"] = parse_sends(values["sends"], where=label, source=path)
        values["clips"] = parse_clips(
            values["clips"], where=label, source=path, resolve=lambda v, lab: _track_files(v, label=lab, root=root, name=name, check=check_files)
        )
        if values["clips"] and values["file"] is not None:
            raise SessionError(f"{label}: has both file and [[tracks.clips]]; give one or the other ({name})")
        if values["clips"]:
            files = tuple(dict.fromkeys(f for c in values["clips"] for f in c.files))
        elif values["file"] is None:
            raise SessionError(f"{label}: missing required key 'file' (or [[tracks.clips]]) ({name})")
        else:
            files = _track_files(values["file"], label=label, root=root, name=name, check=check_files)
        del values["file"]
        tracks.append(Track(files=files, **values))

    raw_stems = document.get("stems")
    stems: list[Stem] = []
    if raw_stems is None:
        order = {role: n for n, role in enumerate(ROLES)}
        used = sorted({t.stem for t in tracks if t.stem != EXCLUDE}, key=lambda s: (order.get(s, len(order)), s))
        stems = [Stem(s, role=s if s in ROLES else None) for s in used]
    else:
        for i, raw in enumerate(_array(raw_stems, "stems", name), start=1):
            label = f"stems[{i}]"
            values = check_table(_table(raw, label, name), STEM_FIELDS, where=label, source=path)
            if values["name"] == EXCLUDE:
                raise SessionError(f'{label}.name="exclude" is reserved for tracks kept out of every stem ({name})')
            if any(s.name == values["name"] for s in stems):
                raise SessionError(f'{label}.name="{values["name"]}" is defined twice ({name})')
            if values["role"] is None and values["name"] in ROLES:
                values["role"] = values["name"]
            values["inserts"] = parse_inserts(values["inserts"], where=label, source=path)
            stems.append(Stem(**values))
        names = [s.name for s in stems]
        for i, track in enumerate(tracks, start=1):
            if track.stem != EXCLUDE and track.stem not in names:
                raise SessionError(
                    f'tracks[{i}] ("{track.name}").stem="{track.stem}" names no stem in [[stems]]'
                    f"{suggest(track.stem, [*names, EXCLUDE])} ({name})",
                    tip=f"stems defined: {', '.join(names) or 'none'}; use \"exclude\" to leave a track out",
                )

    raw_master = _table(document.get("master", {}), "master", name)
    master_values = check_table({k: v for k, v in raw_master.items() if k != "stems"}, MASTER_FIELDS, where="master", source=path)
    if "stems" in raw_master:
        from stemforge.mastering.settings import moves_from_table  # the mastering chain owns these settings

        master_values["stems"] = moves_from_table(raw_master["stems"], stem_names=[s.name for s in stems], source=path)
    master_values["inserts"] = parse_inserts(master_values["inserts"], where="master", source=path)
    returns = parse_returns(_array(document.get("returns", []), "returns", name), source=path)
    check_routing(tracks, returns, source=path)
    return Session(
        title=head["title"],
        sample_rate=head["sample_rate"],
        artist=head["artist"],
        tempo_bpm=head["tempo_bpm"],
        key=head["key"],
        tail_max_s=head["tail_max_s"],
        returns=returns,
        tracks=tuple(tracks),
        stems=tuple(stems),
        master=Master(**master_values),
        path=path.resolve(),
        document=document,
    )


def _table(value: Any, label: str, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SessionError(f"{label} must be a table ({name})")
    return value


def _array(value: Any, label: str, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise SessionError(f"{label} must be an array of tables, written [[{label}]] ({name})")
    return list(value)


def _track_files(value: Any, *, label: str, root: Path, name: str, check: bool) -> tuple[Path, ...]:
    value = value.unwrap() if hasattr(value, "unwrap") else value
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list) or not 1 <= len(entries) <= 2 or not all(isinstance(e, str) and e for e in entries):
        raise SessionError(f'{label}.file must be a path, or a list of two paths ["left", "right"] ({name})')
    files = tuple((root / e).resolve() if not Path(e).is_absolute() else Path(e) for e in entries)
    if check:
        for entry, file in zip(entries, files, strict=True):
            if not file.is_file():
                raise InputNotFoundError(f'{label}.file="{entry}": no such file ({name})', tip=f"paths are relative to {root}")
    return files


# --------------------------------------------------------------------------------------
# Saving


def _relative(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


def _set(table: Any, key: str, value: Any, *, default: Any = None, explicit: bool = True) -> None:
    """Set ``table[key]`` unless it already holds ``value`` (keeps the item's comment).

    With ``explicit=False`` a key the user left out stays out while it holds its default.
    """
    if value is None:
        if key in table:
            del table[key]
        return
    if not explicit and key not in table and value == default:
        return
    if key in table:
        current = table[key]
        current = current.unwrap() if hasattr(current, "unwrap") else current
        if current == value and type(current) is type(value):
            return
    table[key] = value


def _sync_list(table: Any, key: str, value: tuple[Any, ...], dumped: list[dict[str, Any]], parse: Any) -> None:
    """Write an array of tables (inserts, sends, clips, returns) unless the file already says the same."""
    if key in table:
        current = table[key]
        current = current.unwrap() if hasattr(current, "unwrap") else current
        try:
            if parse(current) == value:
                return
        except SessionError:
            pass
        del table[key]
    if value:
        table[key] = dumped


def _track_values(track: Track, base: Path) -> dict[str, Any]:
    files = [_relative(f, base) for f in track.files]
    return {
        "name": track.name,
        "file": None if track.clips else files[0] if len(files) == 1 else files,
        "stem": track.stem,
        "gain_db": track.gain_db,
        "pan": track.pan,
        "mute": track.mute,
        "solo": track.solo,
        "invert": track.invert,
        "offset_s": track.offset_s,
    }


def session_to_document(session: Session, *, path: Path, comments: Mapping[str, str] | None = None) -> tomlkit.TOMLDocument:
    """The TOML document for ``session`` saved at ``path``.

    When the session was loaded from a file its document is updated in place (comments,
    order and formatting kept); otherwise a fresh document is built. ``comments`` maps a
    track name to a comment written after its ``stem`` line (the classifier's reason).
    """
    base = path.resolve().parent
    document = tomlkit.parse(tomlkit.dumps(session.document)) if session.document is not None else tomlkit.document()
    comments = comments or {}

    if "session" not in document:
        document["session"] = tomlkit.table()
    head = document["session"]
    for key, value in (
        ("title", session.title),
        ("artist", session.artist),
        ("sample_rate", session.sample_rate),
        ("tempo_bpm", session.tempo_bpm),
        ("key", session.key),
    ):
        _set(head, key, value)

    if session.document is None:
        document.add(tomlkit.nl())
    tracks = document.get("tracks")
    if not isinstance(tracks, AoT):
        tracks = tomlkit.aot()
        document["tracks"] = tracks
    while len(tracks) > len(session.tracks):
        tracks.body.pop()
    for i, track in enumerate(session.tracks):
        values = _track_values(track, base)
        explicit = i >= len(tracks)
        if explicit:
            tracks.append(tomlkit.table())
        table = tracks[i]
        for key, value in values.items():
            _set(table, key, value, default=TRACK_FIELDS[key].default, explicit=explicit)
        if track.name in comments:
            table["stem"].comment(comments[track.name])
        where = f"tracks[{i + 1}]"
        _sync_list(table, "clips", track.clips, [clip_table(c, lambda f: _relative(f, base)) for c in track.clips],
                   lambda v, w=where: parse_clips(v, where=w, source=path, resolve=lambda x, lab: _track_files(x, label=lab, root=base, name=path.name, check=False)))
        _sync_list(table, "inserts", track.inserts, [e.to_table() for e in track.inserts], lambda v, w=where: parse_inserts(v, where=w, source=path))
        _sync_list(table, "sends", track.sends, [send_table(x) for x in track.sends], lambda v, w=where: parse_sends(v, where=w, source=path))

    stems = document.get("stems")
    if not isinstance(stems, AoT):
        stems = tomlkit.aot()
        document["stems"] = stems
    while len(stems) > len(session.stems):
        stems.body.pop()
    for i, stem in enumerate(session.stems):
        explicit = i >= len(stems)
        if explicit:
            stems.append(tomlkit.table())
        table = stems[i]
        _set(table, "name", stem.name)
        _set(table, "gain_db", stem.gain_db, default=0.0, explicit=explicit)
        _set(table, "role", stem.role if stem.role != stem.name else None)
        _sync_list(table, "inserts", stem.inserts, [e.to_table() for e in stem.inserts], lambda v: parse_inserts(v, where="stems", source=path))

    returns = [
        {"name": r.name, "gain_db": r.gain_db}
        | ({"inserts": [e.to_table() for e in r.inserts]} if r.inserts else {})
        | ({"sends": [send_table(x) for x in r.sends]} if r.sends else {})
        for r in session.returns
    ]
    _sync_list(document, "returns", session.returns, returns, lambda v: parse_returns(v, source=path))

    if "master" not in document:
        document["master"] = tomlkit.table()
    master = document["master"]
    _set(master, "target", session.master.target)
    _set(master, "lufs", session.master.lufs)
    _set(master, "ceiling_dbtp", session.master.ceiling_dbtp)
    _sync_list(master, "inserts", session.master.inserts, [e.to_table() for e in session.master.inserts], lambda v: parse_inserts(v, where="master", source=path))
    if isinstance(master, Table) and "target" in master and session.document is None:
        lufs, ceiling = TARGETS[session.master.target]
        master["target"].comment(f"{lufs:g} LUFS integrated, {ceiling:g} dBTP ceiling")
    return document


def save_session(session: Session, path: str | os.PathLike[str], *, comments: Mapping[str, str] | None = None, header: str | None = None) -> Path:
    """Write ``session`` to ``path`` atomically, paths relative to it; return the path."""
    path = Path(path)
    document = session_to_document(session, path=path, comments=comments)
    text = tomlkit.dumps(document)
    if header and session.document is None:
        text = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + "\n" + text
    write_text_atomic(path, text)
    return path


__all__ = ["load_session", "save_session", "session_from_document", "session_to_document"]
