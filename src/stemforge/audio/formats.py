"""Output formats a user can ask for, and how each maps onto soundfile."""

from __future__ import annotations

from dataclasses import dataclass

from stemforge.errors import UsageError


@dataclass(frozen=True)
class OutputFormat:
    """A file format for rendered audio.

    Attributes
    ----------
    name : str
        The name a user types (``wav24``).
    container : str
        soundfile's major format (``WAV``, ``FLAC``).
    subtype : str
        soundfile's subtype (``PCM_24``, ``FLOAT``).
    extension : str
        File name extension with its dot.
    bit_depth : int
        Bits per sample.
    is_float : bool
        True for floating-point formats, which keep levels above 0 dBFS intact.
    """

    name: str
    container: str
    subtype: str
    extension: str
    bit_depth: int
    is_float: bool


FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("wav16", "WAV", "PCM_16", ".wav", 16, False),
        OutputFormat("wav24", "WAV", "PCM_24", ".wav", 24, False),
        OutputFormat("wav32f", "WAV", "FLOAT", ".wav", 32, True),
        OutputFormat("flac16", "FLAC", "PCM_16", ".flac", 16, False),
        OutputFormat("flac24", "FLAC", "PCM_24", ".flac", 24, False),
    )
}


def output_format(name: str) -> OutputFormat:
    """Look up an output format by the name a user types.

    Raises
    ------
    UsageError
        If ``name`` is not one of :data:`FORMATS`.
    """
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(FORMATS)
        raise UsageError(f"format {name!r} is not known; choose one of: {known}") from None


__all__ = ["FORMATS", "OutputFormat", "output_format"]
