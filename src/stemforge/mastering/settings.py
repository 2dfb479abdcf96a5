"""What a master is asked to do: target, reference, per-stem moves and bus processing.

Everything a user enters (command line, session file, Python) is validated here, with
messages that name the option, the value and what is allowed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from stemforge.errors import UsageError
from stemforge.session.model import TARGETS

#: Filter kinds a stem EQ band may be.
EQ_KINDS = ("low_shelf", "high_shelf", "peak", "highpass", "lowpass")
#: Deliverables written by default, in order.
DELIVERABLES = ("master", "cd", "flac", "mp3")
#: Named bus settings (stage 3) a user can start from; explicit options override them.
PRESETS: dict[str, dict[str, object]] = {
    "transparent": {},
    "glue": {"glue": True},
    "wide": {"width_percent": 115.0, "mono_below_hz": 120.0},
    "modern": {"glue": True, "width_percent": 110.0, "mono_below_hz": 120.0},
}


@dataclass(frozen=True)
class EqBand:
    """One band of a stem's EQ.

    Attributes
    ----------
    kind : str
        One of :data:`EQ_KINDS`.
    freq_hz : float
        Corner or centre frequency.
    gain_db : float
        Boost (+) or cut (−); ignored by ``highpass``/``lowpass``.
    q : float
        Quality factor (0.707 is a Butterworth shelf or pass).
    """

    kind: str
    freq_hz: float
    gain_db: float = 0.0
    q: float = 0.7071

    def __post_init__(self) -> None:
        if self.kind not in EQ_KINDS:
            raise UsageError(f"EQ kind {self.kind!r} is not known; choose one of: {', '.join(EQ_KINDS)}")
        if not 10.0 <= self.freq_hz <= 40000.0:
            raise UsageError(f"EQ {self.kind} frequency {self.freq_hz:g} Hz must be between 10 and 40000 Hz")
        if not -24.0 <= self.gain_db <= 24.0:
            raise UsageError(f"EQ {self.kind} gain {self.gain_db:+g} dB must be between -24 and +24 dB")
        if not 0.1 <= self.q <= 20.0:
            raise UsageError(f"EQ {self.kind} q={self.q:g} must be between 0.1 and 20")


@dataclass(frozen=True)
class StemCompression:
    """A stem's compressor (pedalboard's, per channel).

    Attributes
    ----------
    threshold_db, ratio, attack_ms, release_ms : float
    """

    threshold_db: float
    ratio: float = 2.0
    attack_ms: float = 10.0
    release_ms: float = 100.0

    def __post_init__(self) -> None:
        if not -60.0 <= self.threshold_db <= 0.0:
            raise UsageError(f"compression threshold {self.threshold_db:g} dB must be between -60 and 0 dB")
        if not 1.0 <= self.ratio <= 20.0:
            raise UsageError(f"compression ratio {self.ratio:g} must be between 1 and 20")
        if not (0.01 <= self.attack_ms <= 500.0 and 1.0 <= self.release_ms <= 5000.0):
            raise UsageError(f"compression attack {self.attack_ms:g} ms / release {self.release_ms:g} ms out of range")


@dataclass(frozen=True)
class StemMove:
    """Stage 1 settings for one stem.

    Attributes
    ----------
    name : str
        The stem it applies to.
    gain_db : float
    eq : tuple of EqBand
    compression : StemCompression or None
    """

    name: str
    gain_db: float = 0.0
    eq: tuple[EqBand, ...] = ()
    compression: StemCompression | None = None

    @property
    def is_neutral(self) -> bool:
        """True when the move leaves the stem as it is."""
        return self.gain_db == 0.0 and not self.eq and self.compression is None

    def merged(self, other: StemMove) -> StemMove:
        """This move followed by ``other`` (gains add, EQ bands chain, ``other``'s compressor wins)."""
        return StemMove(
            self.name,
            gain_db=self.gain_db + other.gain_db,
            eq=self.eq + other.eq,
            compression=other.compression or self.compression,
        )


@dataclass(frozen=True)
class MasterSettings:
    """Everything the mastering chain is asked to do.

    Attributes
    ----------
    target : str or None
        Name of the delivery target (one of ``TARGETS``), or None for custom values.
    target_lufs : float
        Integrated loudness to reach.
    ceiling_dbtp : float
        True-peak ceiling of every deliverable.
    reference : Path or None
        Reference track for tonal matching.
    match_amount : float
        0–100 %: how far the spectrum (and, unless the loudness was given explicitly, the
        loudness) moves toward the reference.
    match_phase : str
        ``"linear"`` or ``"minimum"`` phase correction filter.
    loudness_from_reference : bool
        Move the target loudness toward the reference's by ``match_amount``.
    stems : tuple of StemMove
    glue : bool
        Gentle stereo-linked bus compression.
    width_percent : float
        Side level in percent (100 leaves the image as it is).
    mono_below_hz : float or None
        Keep the stereo image mono below this frequency.
    max_reduction_db : float
        Most peak gain reduction the limiter may use to reach the target.
    deliverables : tuple of str
        Subset of :data:`DELIVERABLES`.
    preview_s : float
        Length of the before/after previews.
    preset : str or None
        The :data:`PRESETS` entry the bus settings started from (for the report).
    seed : int
        Seed of the dither noise.
    """

    target: str | None = "streaming"
    target_lufs: float = -14.0
    ceiling_dbtp: float = -1.0
    reference: Path | None = None
    match_amount: float = 100.0
    match_phase: str = "linear"
    loudness_from_reference: bool = False
    stems: tuple[StemMove, ...] = ()
    glue: bool = False
    width_percent: float = 100.0
    mono_below_hz: float | None = None
    max_reduction_db: float = 6.0
    deliverables: tuple[str, ...] = DELIVERABLES
    preview_s: float = 20.0
    preset: str | None = None
    seed: int = field(default=0)

    def __post_init__(self) -> None:
        if not -40.0 <= self.target_lufs <= 0.0:
            raise UsageError(f"target loudness {self.target_lufs:g} LUFS must be between -40 and 0 LUFS")
        if not -12.0 <= self.ceiling_dbtp <= 0.0:
            raise UsageError(f"ceiling {self.ceiling_dbtp:g} dBTP must be between -12 and 0 dBTP")
        if not 0.0 <= self.match_amount <= 100.0:
            raise UsageError(f"--match-amount={self.match_amount:g} must be between 0 and 100")
        if self.match_phase not in ("linear", "minimum"):
            raise UsageError(f"match phase {self.match_phase!r} must be 'linear' or 'minimum'")
        if not 0.0 <= self.width_percent <= 200.0:
            raise UsageError(f"--width={self.width_percent:g} must be between 0 and 200 (percent; 100 leaves the image as it is)")
        if self.mono_below_hz is not None and not 20.0 <= self.mono_below_hz <= 500.0:
            raise UsageError(f"--mono-below={self.mono_below_hz:g} Hz must be between 20 and 500 Hz")
        if not 0.0 < self.max_reduction_db <= 24.0:
            raise UsageError(f"--max-gr-db={self.max_reduction_db:g} must be above 0 and at most 24 dB")
        if not self.deliverables:
            raise UsageError(f"--deliver names no file; choose from: {', '.join(DELIVERABLES)}")
        for name in self.deliverables:
            if name not in DELIVERABLES:
                raise UsageError(f"--deliver: {name!r} is not a deliverable; choose from: {', '.join(DELIVERABLES)}")
        if self.preset is not None and self.preset not in PRESETS:
            raise UsageError(f"--preset={self.preset!r} is not known; choose one of: {', '.join(PRESETS)}")
        if not 1.0 <= self.preview_s <= 120.0:
            raise UsageError(f"preview length {self.preview_s:g} s must be between 1 and 120 s")


def resolve_target(target: str | None, *, lufs: float | None = None, ceiling_dbtp: float | None = None) -> tuple[str | None, float, float]:
    """The target name, loudness and ceiling from a name and optional overrides.

    Raises
    ------
    UsageError
        If ``target`` is not a known target name.
    """
    name = target or "streaming"
    if name not in TARGETS:
        raise UsageError(f"--target={name!r} is not known; choose one of: {', '.join(TARGETS)}", tip="or give --lufs and --ceiling")
    target_lufs, target_ceiling = TARGETS[name]
    custom = (lufs is not None and lufs != target_lufs) or (ceiling_dbtp is not None and ceiling_dbtp != target_ceiling)
    return (None if custom else name), (target_lufs if lufs is None else lufs), (target_ceiling if ceiling_dbtp is None else ceiling_dbtp)


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_GAIN = re.compile(rf"^({_NUMBER})\s*(?:db)?$", re.IGNORECASE)
_FREQ = re.compile(rf"^({_NUMBER})\s*(k)?(?:hz)?$", re.IGNORECASE)
_STEM_HELP = (
    "write NAME=+1.5dB, NAME:high_shelf=8000:-1.5dB, NAME:peak=3000:-2dB:1.4 (q), NAME:highpass=30 "
    "or NAME:compress=-18:2 (threshold dB : ratio)"
)


def _gain(text: str, option: str) -> float:
    match = _GAIN.match(text.strip())
    if not match:
        raise UsageError(f"--stem {option!r}: {text!r} is not a gain in dB", tip=_STEM_HELP)
    return float(match.group(1))


def _freq(text: str, option: str) -> float:
    match = _FREQ.match(text.strip())
    if not match:
        raise UsageError(f"--stem {option!r}: {text!r} is not a frequency in Hz", tip=_STEM_HELP)
    return float(match.group(1)) * (1000.0 if match.group(2) else 1.0)


def parse_stem_option(option: str) -> StemMove:
    """Parse one ``--stem`` value into a :class:`StemMove`.

    Forms: ``NAME=GAIN[dB]``, ``NAME:low_shelf|high_shelf|peak=FREQ:GAIN[dB][:Q]``,
    ``NAME:highpass|lowpass=FREQ[:Q]``, ``NAME:compress=THRESHOLD_DB[:RATIO[:ATTACK_MS[:RELEASE_MS]]]``.

    Raises
    ------
    UsageError
        If the value does not have one of these forms or a number is out of range.
    """
    if "=" not in option:
        raise UsageError(f"--stem {option!r} has no '='", tip=_STEM_HELP)
    left, right = option.split("=", 1)
    left = left.strip()
    if not left:
        raise UsageError(f"--stem {option!r} names no stem", tip=_STEM_HELP)
    if ":" not in left:
        return StemMove(left, gain_db=_gain(right, option))
    name, kind = (part.strip() for part in left.split(":", 1))
    values = [v.strip() for v in right.split(":")]
    try:
        if kind in ("low_shelf", "high_shelf", "peak"):
            if len(values) not in (2, 3):
                raise UsageError(f"--stem {option!r}: {kind} takes FREQ:GAIN[:Q]", tip=_STEM_HELP)
            q = float(values[2]) if len(values) == 3 else 0.7071
            return StemMove(name, eq=(EqBand(kind, _freq(values[0], option), _gain(values[1], option), q),))
        if kind in ("highpass", "lowpass"):
            if len(values) not in (1, 2):
                raise UsageError(f"--stem {option!r}: {kind} takes FREQ[:Q]", tip=_STEM_HELP)
            q = float(values[1]) if len(values) == 2 else 0.7071
            return StemMove(name, eq=(EqBand(kind, _freq(values[0], option), 0.0, q),))
        if kind in ("compress", "compression"):
            if not 1 <= len(values) <= 4:
                raise UsageError(f"--stem {option!r}: compress takes THRESHOLD_DB[:RATIO[:ATTACK_MS[:RELEASE_MS]]]", tip=_STEM_HELP)
            numbers = [_gain(values[0], option), *(float(v) for v in values[1:])]
            return StemMove(name, compression=StemCompression(*numbers))
        if kind in ("gain", "gain_db"):
            return StemMove(name, gain_db=_gain(right, option))
    except ValueError as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(f"--stem {option!r}: {exc}", tip=_STEM_HELP) from None
    raise UsageError(f"--stem {option!r}: {kind!r} is not a stem move; use gain, {', '.join(EQ_KINDS)} or compress", tip=_STEM_HELP)


def moves_from_table(table: object, *, stem_names: list[str], source: Path) -> tuple[StemMove, ...]:
    """Stem moves from a session's ``[master.stems]`` table.

    ::

        [master.stems.lead_vocals]
        gain_db = 1.5
        eq = [{ kind = "high_shelf", freq_hz = 8000, gain_db = -1.5 }]
        compression = { threshold_db = -18, ratio = 2 }

    Raises
    ------
    SessionError
        On an unknown stem, key or kind, or a value out of range (naming file and key).
    """
    from collections.abc import Mapping

    from stemforge.errors import SessionError
    from stemforge.session.schema import Field, check_table, suggest

    name = source.name
    if not isinstance(table, Mapping):
        raise SessionError(f"master.stems must be a table of stems, written [master.stems.NAME] ({name})")
    moves = []
    for stem, raw in table.items():
        where = f"master.stems.{stem}"
        if stem not in stem_names:
            raise SessionError(f"{where}: the session has no stem {stem!r}{suggest(stem, stem_names)} ({name})", tip=f"stems: {', '.join(stem_names)}")
        if not isinstance(raw, Mapping):
            raise SessionError(f"{where} must be a table ({name})")
        values = check_table(raw, {"gain_db": Field(float, 0.0, -24, 24), "eq": Field(list, []), "compression": Field(object, None)}, where=where, source=source)
        bands = []
        for i, band in enumerate(values["eq"], start=1):
            label = f"{where}.eq[{i}]"
            if not isinstance(band, Mapping):
                raise SessionError(f"{label} must be a table like {{ kind = \"high_shelf\", freq_hz = 8000, gain_db = -1.5 }} ({name})")
            band_values = check_table(
                band,
                {"kind": Field(str, None, choices=EQ_KINDS), "freq_hz": Field(float, None, 10, 40000), "gain_db": Field(float, 0.0, -24, 24), "q": Field(float, 0.7071, 0.1, 20)},
                where=label,
                source=source,
            )
            if band_values["kind"] is None or band_values["freq_hz"] is None:
                raise SessionError(f"{label} needs kind and freq_hz ({name})")
            bands.append(EqBand(**band_values))
        compression = None
        if values["compression"] is not None:
            label = f"{where}.compression"
            if not isinstance(values["compression"], Mapping):
                raise SessionError(f"{label} must be a table like {{ threshold_db = -18, ratio = 2 }} ({name})")
            c = check_table(
                values["compression"],
                {"threshold_db": Field(float, None, -60, 0), "ratio": Field(float, 2.0, 1, 20), "attack_ms": Field(float, 10.0, 0.01, 500), "release_ms": Field(float, 100.0, 1, 5000)},
                where=label,
                source=source,
            )
            if c["threshold_db"] is None:
                raise SessionError(f"{label} needs threshold_db ({name})")
            compression = StemCompression(**c)
        moves.append(StemMove(str(stem), gain_db=values["gain_db"], eq=tuple(bands), compression=compression))
    return tuple(moves)


def merge_moves(moves: list[StemMove] | tuple[StemMove, ...]) -> tuple[StemMove, ...]:
    """Combine moves naming the same stem, keeping the order stems were first named in."""
    merged: dict[str, StemMove] = {}
    for move in moves:
        merged[move.name] = merged[move.name].merged(move) if move.name in merged else move
    return tuple(merged.values())


def db_to_gain(gain_db: float) -> float:
    """Linear amplitude of a level in dB."""
    return 10.0 ** (gain_db / 20.0)


def gain_to_db(gain: float) -> float:
    """Level in dB of a linear amplitude (−inf for 0)."""
    return 20.0 * math.log10(gain) if gain > 0 else -math.inf


__all__ = [
    "DELIVERABLES",
    "EQ_KINDS",
    "PRESETS",
    "EqBand",
    "MasterSettings",
    "StemCompression",
    "StemMove",
    "merge_moves",
    "moves_from_table",
    "parse_stem_option",
    "resolve_target",
]
