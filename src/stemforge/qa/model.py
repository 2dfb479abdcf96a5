"""Check codes, severities and the frozen results a delivery check returns.

Every check has a stable code (``SF110``) and a slug (``sample-rate-mismatch``); the
codes never change meaning once released, so scripts and CI can match on them. The
families:

- ``SF1xx`` files and formats (readable, rate, depth, channels, length, alignment)
- ``SF2xx`` levels (clipping, true-peak headroom, silence, DC offset)
- ``SF3xx`` stereo image and content (dual mono, negative correlation, duplicates)
- ``SF4xx`` naming
- ``SF5xx`` the null test against the mix and the causes found when it fails
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Severity(StrEnum):
    """How bad a finding is: ``pass`` < ``warn`` < ``fail``."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        """0 for pass, 1 for warn, 2 for fail."""
        return ("pass", "warn", "fail").index(self.value)


@dataclass(frozen=True)
class CheckCode:
    """One check: its stable code, slug and a title for tables."""

    code: str
    slug: str
    title: str


_CODES = (
    CheckCode("SF101", "unreadable", "file is readable audio"),
    CheckCode("SF102", "non-finite-samples", "no NaN or Inf samples"),
    CheckCode("SF110", "sample-rate-mismatch", "same sample rate"),
    CheckCode("SF111", "bit-depth-mismatch", "same bit depth, lossless"),
    CheckCode("SF112", "channel-mismatch", "same channel count"),
    CheckCode("SF113", "length-mismatch", "exactly the same length"),
    CheckCode("SF114", "start-alignment", "same start (BWF time reference)"),
    CheckCode("SF201", "clipping", "no clipping"),
    CheckCode("SF202", "true-peak-headroom", "true-peak headroom"),
    CheckCode("SF203", "silent-stem", "no silent stems"),
    CheckCode("SF204", "near-silent-stem", "no near-silent stems"),
    CheckCode("SF205", "dc-offset", "no DC offset"),
    CheckCode("SF301", "dual-mono", "stereo files carry stereo"),
    CheckCode("SF302", "negative-correlation", "no out-of-phase stereo"),
    CheckCode("SF303", "duplicate-stems", "no duplicate stems"),
    CheckCode("SF401", "naming", "portable, descriptive file names"),
    CheckCode("SF402", "name-collision", "file names unique ignoring case"),
    CheckCode("SF500", "null-test", "stems sum to the mix (null test)"),
    CheckCode("SF501", "stem-shifted", "stems aligned with the mix"),
    CheckCode("SF502", "polarity-inverted", "stem polarity matches the mix"),
    CheckCode("SF503", "missing-stem", "no material missing from the stems"),
    CheckCode("SF504", "mix-bus-processing", "no mix-bus dynamics the stems lack"),
    CheckCode("SF505", "mix-gain-offset", "mix level equals the stem sum"),
    CheckCode("SF506", "mix-format-mismatch", "mix matches the stems' format"),
    CheckCode("SF507", "mix-clipped", "the mix does not clip"),
    CheckCode("SF508", "stem-level-mismatch", "each stem at its level in the mix"),
    CheckCode("SF509", "unexplained-residual", "no other mix-bus difference"),
)

#: Every check code, keyed by code (``"SF110"``).
CODES: Mapping[str, CheckCode] = MappingProxyType({c.code: c for c in _CODES})


def code_for(code: str) -> CheckCode:
    """The :class:`CheckCode` of ``code``; a programming error if unknown."""
    try:
        return CODES[code]
    except KeyError:
        raise KeyError(f"unknown check code {code!r}") from None


@dataclass(frozen=True)
class Finding:
    """The outcome of one check on one file (or on the whole delivery).

    Attributes
    ----------
    code : str
        Stable check code, a key of :data:`CODES`.
    severity : Severity
    message : str
        One sentence a user understands.
    file : str or None
        The file name the finding is about; None for the delivery as a whole.
    details : Mapping[str, Any]
        Measurements behind the message (frames, dB, shift), JSON-serializable.
    """

    code: str
    severity: Severity
    message: str
    file: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The check's slug (``sample-rate-mismatch``)."""
        return code_for(self.code).slug

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "code": self.code,
            "check": self.slug,
            "severity": self.severity.value,
            "file": self.file,
            "message": self.message,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class StemSummary:
    """Header facts and levels of one delivered file.

    Attributes
    ----------
    file : str
        File name relative to the checked folder.
    sample_rate : int or None
        Hz; None when unreadable.
    channels, frames, bit_depth : int or None
    peak_dbfs : float or None
        Sample peak; None when unreadable, ``-inf`` is reported as None too.
    true_peak_dbtp : float or None
    rms_dbfs : float or None
    """

    file: str
    sample_rate: int | None
    channels: int | None
    frames: int | None
    bit_depth: int | None
    peak_dbfs: float | None
    true_peak_dbtp: float | None
    rms_dbfs: float | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "file": self.file,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "frames": self.frames,
            "bit_depth": self.bit_depth,
            "peak_dbfs": self.peak_dbfs,
            "true_peak_dbtp": self.true_peak_dbtp,
            "rms_dbfs": self.rms_dbfs,
        }


@dataclass(frozen=True)
class DeliveryReport:
    """Everything ``check`` found about one stem delivery.

    Attributes
    ----------
    stems_dir : str
    mix : str or None
        The mix file the stems were nulled against.
    stems : tuple[StemSummary, ...]
    findings : tuple[Finding, ...]
        One or more per check that ran; checks that found nothing report one ``pass``.
    null_residual_db : float or None
        Level of mix − Σ stems relative to the mix (dB, energy ratio), when a null test ran.
    elapsed_s : float
    """

    stems_dir: str
    mix: str | None
    stems: tuple[StemSummary, ...]
    findings: tuple[Finding, ...]
    null_residual_db: float | None = None
    elapsed_s: float = 0.0

    @property
    def severity(self) -> Severity:
        """The worst severity of any finding."""
        worst = max((f.severity.rank for f in self.findings), default=0)
        return (Severity.PASS, Severity.WARN, Severity.FAIL)[worst]

    @property
    def passed(self) -> bool:
        """True unless some check failed (warnings allowed)."""
        return self.severity is not Severity.FAIL

    def codes(self, severity: Severity | None = None) -> set[str]:
        """Codes of the findings, optionally only those of one severity."""
        return {f.code for f in self.findings if severity is None or f.severity is severity}

    def find(self, code: str) -> list[Finding]:
        """The findings of one code that are not a pass."""
        return [f for f in self.findings if f.code == code and f.severity is not Severity.PASS]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (schema_version 1)."""
        return {
            "schema_version": 1,
            "stems_dir": self.stems_dir,
            "mix": self.mix,
            "status": self.severity.value,
            "null_residual_db": self.null_residual_db,
            "elapsed_s": round(self.elapsed_s, 3),
            "stems": [s.to_json() for s in self.stems],
            "findings": [f.to_json() for f in self.findings],
        }


__all__ = ["CODES", "CheckCode", "DeliveryReport", "Finding", "Severity", "StemSummary", "code_for"]
