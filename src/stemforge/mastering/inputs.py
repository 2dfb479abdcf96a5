"""What can be mastered: a stereo mix, a folder of stems, or a session rendered on the fly.

:func:`open_input` inspects a path and returns a :class:`MasterInput` that knows its rate,
length, stems and input files; :meth:`MasterInput.stem_blocks` streams the stems block by
block (files through :class:`~stemforge.audio.BlockReader`, sessions through
:func:`~stemforge.render.render_blocks`), so a session's stems are never written to disk.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stemforge.audio.buffer import Samples
from stemforge.audio.io import AUDIO_EXTENSIONS, BlockReader, read_info
from stemforge.errors import AudioFormatError, InputNotFoundError, UsageError

#: Frames per block when streaming stems.
BLOCK_FRAMES = 1 << 16


@dataclass(frozen=True)
class StemSource:
    """One stem of the input.

    Attributes
    ----------
    name : str
    role : str or None
    path : Path or None
        Its file (None for a session's stems, which are rendered).
    channels : int
        Channels of its file (1 is spread to both sides at unity).
    """

    name: str
    role: str | None
    path: Path | None
    channels: int = 2


@dataclass(frozen=True)
class MasterInput:
    """An input to master.

    Attributes
    ----------
    kind : str
        ``"mix"``, ``"stems"`` or ``"session"``.
    path : Path
        What the user named.
    sample_rate : int
        In Hz.
    channels : int
        Channels of the mix to master (1 only for a mono mix file).
    frames : int
    stems : tuple of StemSource
        Empty for a mix.
    files : tuple of Path
        Every file the input reads (never written).
    session : object or None
        The :class:`~stemforge.session.Session` for a session input.
    """

    kind: str
    path: Path
    sample_rate: int
    channels: int
    frames: int
    stems: tuple[StemSource, ...] = ()
    files: tuple[Path, ...] = ()
    session: object | None = None

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    def read_mix(self) -> Samples:
        """The whole mix file (kind ``"mix"``), float32 ``(channels, frames)``."""
        # One file: libsndfile reads it sooner than the compiled decoder loads.
        with BlockReader(self.path, compiled=False) as reader:
            out = np.empty((reader.channels, self.frames), np.float32)
            position = 0
            for block in reader.blocks(1 << 18):
                out[:, position : position + block.shape[1]] = block
                position += block.shape[1]
        return out[:, :position]

    def stem_blocks(self, *, block_frames: int = BLOCK_FRAMES, warnings: list[str] | None = None) -> Iterator[tuple[int, dict[str, Samples]]]:
        """Yield ``(start_frame, {stem name: float32 (2, n)})`` for every block, in stem order."""
        if self.kind == "session":
            from stemforge.render import render_blocks

            for rendered in render_blocks(self.session, block_frames=block_frames, warnings=warnings):  # type: ignore[arg-type]
                yield rendered.start_frame, rendered.stems
            return
        if self.kind != "stems":
            raise UsageError(f"{self.path}: a mix has no stems")
        with contextlib.ExitStack() as stack:
            readers = [stack.enter_context(BlockReader(s.path)) for s in self.stems if s.path is not None]
            for start in range(0, self.frames, block_frames):
                n = min(block_frames, self.frames - start)
                blocks: dict[str, Samples] = {}
                for stem, reader in zip(self.stems, readers, strict=True):
                    block = reader.read(n)
                    if block.shape[1] < n:
                        block = np.pad(block, ((0, 0), (0, n - block.shape[1])))
                    blocks[stem.name] = np.repeat(block, 2, axis=0) if block.shape[0] == 1 else block
                yield start, blocks


def _stem_files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS and not p.name.startswith("."))


def _from_stem_files(path: Path, named: list[tuple[str, str | None, Path]]) -> MasterInput:
    infos = [(name, role, read_info(file)) for name, role, file in named]
    first = infos[0][2]
    for name, _role, info in infos:
        if info.channels > 2:
            raise AudioFormatError(f"{info.path}: stem {name!r} has {info.channels} channels; stems must be mono or stereo")
        if info.sample_rate != first.sample_rate:
            raise AudioFormatError(
                f"{info.path}: stem {name!r} is at {info.sample_rate} Hz but {first.path.name} is at {first.sample_rate} Hz",
                tip="stems must share one sample rate; render them again at one rate",
            )
        if info.frames != first.frames:
            raise AudioFormatError(
                f"{info.path}: stem {name!r} is {info.frames} frames long but {first.path.name} is {first.frames}",
                tip="stems must have equal length and start at the song's zero",
            )
    names = [n for n, _, _ in named]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError(f"{path}: two stems are named {duplicates[0]!r}")
    stems = tuple(StemSource(name, role, info.path, info.channels) for name, role, info in infos)
    return MasterInput(
        kind="stems",
        path=path,
        sample_rate=first.sample_rate,
        channels=2,
        frames=first.frames,
        stems=stems,
        files=tuple(info.path.resolve() for _, _, info in infos),
    )


def _stem_name(file: Path, title_prefix: str | None) -> str:
    name = file.stem
    if title_prefix and name.startswith(title_prefix):
        name = name[len(title_prefix) :]
    return name


def open_input(path: str | Path) -> MasterInput:
    """Work out what ``path`` is and what it holds (headers only).

    Raises
    ------
    InputNotFoundError
        If ``path`` does not exist.
    UsageError, AudioFormatError, SessionError
        If it is none of a mix, a stems folder or a session, or its files disagree.
    """
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix.lower() == ".toml":
        from stemforge.render import plan_render
        from stemforge.session import load_session

        session = load_session(path)
        plan = plan_render(session)
        stems = tuple(StemSource(s.name, s.role, None) for s in session.stems)
        files = tuple(f.resolve() for f in session.input_files) + (path.resolve(),)
        return MasterInput("session", path, session.sample_rate, 2, plan.frames, stems, files, session)
    if path.is_file():
        info = read_info(path)
        if info.channels > 2:
            raise AudioFormatError(f"{path}: has {info.channels} channels; stemforge masters mono or stereo mixes", tip="give a stereo mixdown or a folder of stems")
        return MasterInput("mix", path, info.sample_rate, info.channels, info.frames, files=(path.resolve(),))
    manifest = path / "render.json"
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            entries = [(str(s["name"]), s.get("role"), path / str(s["file"])) for s in data["stems"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise AudioFormatError(f"{manifest}: not a render manifest ({exc})", tip="render the session again with `stemforge render`") from None
        if not entries:
            raise UsageError(f"{manifest}: lists no stems")
        for _, _, file in entries:
            if not file.is_file():
                raise InputNotFoundError(f"{file}: listed in {manifest.name} but missing")
        result = _from_stem_files(path, entries)
        return MasterInput(result.kind, result.path, result.sample_rate, result.channels, result.frames, result.stems, result.files + (manifest.resolve(),))
    stem_files = _stem_files_in(path)
    if not stem_files and (path / "stems").is_dir():
        stem_files = _stem_files_in(path / "stems")
    if not stem_files:
        raise UsageError(f"{path}: holds no audio files to master", tip="give a mix file, a folder of stems, or a session .toml")
    prefix = None
    if len(stem_files) > 1:
        common = stem_files[0].stem
        for f in stem_files[1:]:
            while common and not f.stem.startswith(common):
                common = common[:-1]
        if " - " in common:
            prefix = common[: common.rindex(" - ") + 3]
    return _from_stem_files(path, [(_stem_name(f, prefix), None, f) for f in stem_files])


__all__ = ["BLOCK_FRAMES", "MasterInput", "StemSource", "open_input"]
