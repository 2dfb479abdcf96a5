"""Stage 1: stem rebalance — per-stem EQ, compression and gain, then the sum.

Each stem runs through its own chain (EQ → compressor → gain) block by block; the stems are
then summed in input order into float32 buffers, exactly as the render engine sums its
buses, so mastering stems without any move gives the very samples of mastering their mix.
Each stem's integrated loudness is metered before and after its move: that difference is
the change of its contribution to the master bus, in LU.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pedalboard

from stemforge.analysis import LoudnessMeter
from stemforge.audio.buffer import Samples
from stemforge.errors import UsageError
from stemforge.mastering.filters import EqChain
from stemforge.mastering.inputs import MasterInput
from stemforge.mastering.settings import EqBand, StemCompression, StemMove, db_to_gain


@dataclass(frozen=True)
class StemReport:
    """One stem in stage 1.

    Attributes
    ----------
    name : str
    role : str or None
    gain_db : float
    eq : tuple of EqBand
    compression : StemCompression or None
    lufs_before, lufs_after : float or None
        Integrated loudness of the stem before and after its move.
    change_db : float or None
        ``lufs_after − lufs_before``: how much its contribution to the bus moved.
    """

    name: str
    role: str | None
    gain_db: float
    eq: tuple[EqBand, ...]
    compression: StemCompression | None
    lufs_before: float | None
    lufs_after: float | None

    @property
    def change_db(self) -> float | None:
        if self.lufs_before is None or self.lufs_after is None:
            return None
        return self.lufs_after - self.lufs_before


@dataclass(frozen=True)
class RebalanceStage:
    """Stage 1's report.

    Attributes
    ----------
    applied : bool
        False when no stem had a move (the sum is the plain mix).
    stems : tuple of StemReport
    """

    applied: bool
    stems: tuple[StemReport, ...]


@dataclass(frozen=True)
class SummedStems:
    """The result of stage 1.

    Attributes
    ----------
    mix : np.ndarray, float32, shape (2, frames)
        The sum after the moves (the master bus input).
    plain_mix : np.ndarray, float32, shape (2, frames)
        The sum without moves (the "before" of the report); the same array as ``mix`` when
        nothing moved.
    stage : RebalanceStage
    """

    mix: Samples
    plain_mix: Samples
    stage: RebalanceStage


class _StemChain:
    def __init__(self, move: StemMove, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.eq = EqChain(move.eq, sample_rate, 2)
        self.compressor = (
            pedalboard.Compressor(
                threshold_db=move.compression.threshold_db,
                ratio=move.compression.ratio,
                attack_ms=move.compression.attack_ms,
                release_ms=move.compression.release_ms,
            )
            if move.compression is not None
            else None
        )
        self.gain = np.float32(db_to_gain(move.gain_db))

    def process(self, block: Samples) -> Samples:
        out = self.eq.process(block)
        if self.compressor is not None:
            out = self.compressor.process(out, self.sample_rate, reset=False)
        if self.gain != 1.0:
            out = out * self.gain
        return out


#: Blocks of stems read ahead of their meters at most.
_METER_QUEUE = 2


def _meter(pairs: list[tuple[LoudnessMeter, Samples]]) -> None:
    for meter, block in pairs:
        meter.process(block)


def rebalance_stems(source: MasterInput, moves: tuple[StemMove, ...], *, warnings: list[str]) -> SummedStems:
    """Apply ``moves`` to the stems of ``source`` and sum them.

    Raises
    ------
    UsageError
        If a move names a stem the input does not have.
    """
    names = [s.name for s in source.stems]
    by_name = {m.name: m for m in moves}
    for move in moves:
        if move.name not in names:
            close = ", ".join(names)
            raise UsageError(f"--stem {move.name!r}: the input has no such stem", tip=f"its stems are: {close}")
    active = {n: _StemChain(by_name[n], source.sample_rate) for n in names if n in by_name and not by_name[n].is_neutral}
    rate = source.sample_rate
    # named in the meters' errors (a NaN sample): the stem's file, or the session's stem
    labels = {s.name: str(s.path) if s.path is not None else f"{source.path} (stem {s.name!r})" for s in source.stems}
    before = {n: LoudnessMeter(rate, 2, path=labels[n], true_peak=False, spectrum=False, levels=False) for n in names}
    after = {n: LoudnessMeter(rate, 2, path=f"{labels[n]} after its move", true_peak=False, spectrum=False, levels=False) for n in active}
    plain = np.zeros((2, source.frames), np.float32)
    moved = np.zeros((2, source.frames), np.float32) if active else plain
    # Stem files are metered on a thread of their own while the next blocks are read and
    # summed (the meter's filters and libsndfile release the GIL). A session's blocks come
    # from the render engine, which already keeps both cores busy: they are metered in turn.
    metered: deque[Future[None]] = deque()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stemforge-stem-meter") as meter_thread:
        for start, blocks in source.stem_blocks(warnings=warnings):
            n = next(iter(blocks.values())).shape[1] if blocks else 0
            plain_view = plain[:, start : start + n]
            moved_view = moved[:, start : start + n]
            to_meter: list[tuple[LoudnessMeter, Samples]] = []
            for name in names:
                block = blocks[name]
                to_meter.append((before[name], block))
                plain_view += block
                if active:
                    if name in active:
                        block = active[name].process(block)
                        to_meter.append((after[name], block))
                    moved_view += block
            if source.kind != "stems":
                _meter(to_meter)
                continue
            metered.append(meter_thread.submit(_meter, to_meter))
            while len(metered) > _METER_QUEUE:
                metered.popleft().result()
        while metered:
            metered.popleft().result()
    reports = []
    for stem in source.stems:
        move = by_name.get(stem.name, StemMove(stem.name))
        lufs_before = before[stem.name].integrated_lufs()
        lufs_after = after[stem.name].integrated_lufs() if stem.name in after else lufs_before
        reports.append(StemReport(stem.name, stem.role, move.gain_db, move.eq, move.compression, lufs_before, lufs_after))
    return SummedStems(mix=moved, plain_mix=plain, stage=RebalanceStage(applied=bool(active), stems=tuple(reports)))


__all__ = ["RebalanceStage", "StemReport", "SummedStems", "rebalance_stems"]
