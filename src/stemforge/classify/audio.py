"""Audio → stem role, for names that say nothing (``Audio 07``) and names that may lie.

Only a few seconds are read: :func:`read_excerpt` probes a file at evenly spaced points
with :class:`~stemforge.audio.BlockReader` (``seek`` + a short ``read``), keeps the
loudest probe and reads :data:`EXCERPT_S` seconds around it, so a five-minute track
costs about ten seconds of decoding. :func:`classify_audio` measures the excerpt
(:mod:`.features`) and decides between ``drums``, ``bass``, ``lead_vocals`` and
``other`` with deliberately modest confidences: the audio tells the big families apart,
not a Rhodes from a Wurli.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stemforge.audio import AudioBuffer, BlockReader
from stemforge.classify.features import AudioFeatures, measure
from stemforge.classify.roles import Classification
from stemforge.errors import AudioFormatError, UsageError

#: Seconds of audio the decision is made from.
EXCERPT_S = 4.0
#: How many points of a file are probed to find its loudest part.
PROBES = 24
_PROBE_S = 0.25
_SILENT_DBFS = -65.0
_MONOPHONIC_APERIODICITY = 0.01


def _clip01(x: float) -> float:
    return max(0.0, min(1.0, x))


def loudest_start(mono: np.ndarray, sample_rate: int, *, seconds: float = EXCERPT_S) -> int:
    """First frame of the loudest ``seconds`` of a mono signal (a running energy sum).

    Parameters
    ----------
    mono : np.ndarray, float32, shape (frames,)
    sample_rate : int
        Hz.
    seconds : float
        Length of the window.

    Returns
    -------
    int
        0 when the signal is no longer than the window.
    """
    window = int(seconds * sample_rate)
    if len(mono) <= window:
        return 0
    hop = max(1, sample_rate // 10)
    blocks = len(mono) // hop
    energy = np.square(mono[: blocks * hop].astype(np.float64)).reshape(blocks, hop).sum(axis=1)
    span = max(1, window // hop)
    sums = np.convolve(energy, np.ones(span), mode="valid")
    return int(np.argmax(sums)) * hop


@dataclass(frozen=True)
class Excerpt:
    """The loudest few seconds of a track, and how much of the track plays at all.

    Attributes
    ----------
    buffer : AudioBuffer
        Mono, ``(1, frames)``, at the files' sample rate.
    active_share : float
        0–1, share of the probed points within 30 dB of the loudest (a lead vocal sings
        most of the song, a double only the choruses).
    """

    buffer: AudioBuffer
    active_share: float


def _active_share(energies: np.ndarray, probe_frames: int) -> float:
    if energies.size == 0 or probe_frames <= 0:
        return 0.0
    levels_db = 10 * np.log10(energies / probe_frames + 1e-30)
    floor = max(float(levels_db.max()) - 30.0, _SILENT_DBFS)
    return float(np.mean(levels_db > floor))


def excerpt(paths: Sequence[str | os.PathLike[str]], *, seconds: float = EXCERPT_S, probes: int = PROBES) -> Excerpt:
    """Read the loudest ``seconds`` of one track (one file, or the files of a split L/R pair).

    The files are probed at ``probes`` evenly spaced points (a quarter second each); the
    loudest probe is the centre of the excerpt. Only the probes and the excerpt are read.

    Parameters
    ----------
    paths : sequence of path
        One file, or several of the same length played together (summed to mono).
    seconds : float, keyword-only
        Length of the excerpt.
    probes : int, keyword-only
        Points probed to find the loudest part.

    Returns
    -------
    Excerpt

    Raises
    ------
    UsageError
        If no path is given or the files' sample rates differ.
    """
    if not paths:
        raise UsageError("read_excerpt needs at least one file")
    readers = [BlockReader(p) for p in paths]
    rates = {r.sample_rate for r in readers}
    if len(rates) != 1:
        raise UsageError(f"{', '.join(str(p) for p in paths)}: sample rates differ ({sorted(rates)})")
    sample_rate = rates.pop()
    frames = min(r.info.frames for r in readers)
    window = int(seconds * sample_rate)
    probe = int(_PROBE_S * sample_rate)
    with contextlib.ExitStack() as stack:
        opened = [stack.enter_context(r) for r in readers]
        if frames <= 2 * window:
            start, length = 0, frames
        else:
            positions = np.linspace(0, frames - probe, probes).astype(int)
            energies = np.zeros(len(positions))
            for reader in opened:
                for i, pos in enumerate(positions):
                    reader.seek(int(pos))
                    energies[i] += float(np.square(reader.read(probe), dtype=np.float64).sum())
            centre = int(positions[int(np.argmax(energies))]) + probe // 2
            start = int(min(max(0, centre - window // 2), frames - window))
            length = window
        mono = np.zeros(length, np.float64)
        for reader in opened:
            reader.seek(start)
            block = reader.read(length)
            mono[: block.shape[1]] += block.mean(axis=0)
    mono /= len(readers)
    if frames <= 2 * window:  # the whole file was read: its quarter seconds are the probes
        probe = max(1, min(probe, length))
        count = max(1, length // probe)
        energies = np.square(mono[: count * probe]).reshape(count, probe).sum(axis=1) * len(readers)
    buffer = AudioBuffer(mono.astype(np.float32)[None, :], sample_rate)
    return Excerpt(buffer, _active_share(energies, probe * len(readers)))


def read_excerpt(paths: Sequence[str | os.PathLike[str]], *, seconds: float = EXCERPT_S, probes: int = PROBES) -> AudioBuffer:
    """The loudest ``seconds`` of a track as a mono buffer (see :func:`excerpt`)."""
    return excerpt(paths, seconds=seconds, probes=probes).buffer


def decide(features: AudioFeatures) -> Classification:
    """Turn measured features into a role with a modest confidence and a short reason.

    Parameters
    ----------
    features : AudioFeatures

    Returns
    -------
    Classification
        ``drums``, ``bass``, ``lead_vocals`` or ``other`` (low confidence when unsure).
    """
    f = features
    if not math.isfinite(f.rms_dbfs) or f.rms_dbfs < _SILENT_DBFS:
        return Classification("other", 0.05, "audio: silent, nothing to go on")
    erratic_pitch = f.voiced_share < 0.6 or f.pitch_range_st > 24
    busy = _clip01(f.onset_rate_hz / 1.5)
    drum_score = _clip01((f.percussive_share - 0.35) / 0.3) * busy
    # hits decay between onsets, notes sustain: a kick alone is not very "percussive"
    # in the spectrogram (its tail is a low sine) but is mostly decay
    drum_score = max(drum_score, _clip01((0.75 - f.sustain_share) / 0.35) * busy)
    one_pitch_hits = f.sustain_share < 0.65 and f.pitch_range_st < 6 and (f.glide_share >= 0.4 or f.percussive_share >= 0.45)
    if not erratic_pitch and not one_pitch_hits:
        drum_score *= 0.5
    if drum_score >= 0.4:
        confidence = 0.45 + 0.4 * drum_score
        return Classification(
            "drums",
            round(confidence, 2),
            f"audio: drum-like hits ({f.onset_rate_hz:.1f}/s, {100 * f.percussive_share:.0f} % percussive energy)",
        )
    pitched = f.voiced_share >= 0.5
    # one low note at a time: chords (a piano's left hand, a strummed low E) have a common
    # period too, but only an approximate one
    steady_low = (
        pitched
        and 28.0 <= f.f0_hz <= 260.0
        and f.glide_share < 0.3
        and f.pitch_range_st < 30
        and f.aperiodicity < _MONOPHONIC_APERIODICITY
    )
    if steady_low and f.low_share >= 0.45 and f.centroid_hz < 900:
        score = _clip01((f.low_share - 0.45) / 0.4) * _clip01((900 - f.centroid_hz) / 600)
        return Classification(
            "bass",
            round(0.5 + 0.35 * score, 2),
            f"audio: low pitch (~{f.f0_hz:.0f} Hz), {100 * f.low_share:.0f} % of energy below 250 Hz",
        )
    if steady_low and 0 < f.lowest_peak_hz <= 110.0 and f.low_share >= 0.15 and f.sustain_share >= 0.6:
        return Classification(
            "bass",
            0.5,
            f"audio: low notes (~{f.f0_hz:.0f} Hz, lowest partial {f.lowest_peak_hz:.0f} Hz), bright",
        )
    if (
        pitched
        and 80.0 <= f.f0_hz <= 1100.0
        and f.glide_share >= 0.3
        and f.formant_score >= 0.3
        and f.low_share < 0.45
        and f.percussive_share < 0.35
    ):
        score = _clip01((f.glide_share - 0.3) / 0.5) * _clip01((f.formant_score - 0.3) / 0.5)
        return Classification(
            "lead_vocals",
            round(0.45 + 0.3 * score, 2),
            f"audio: voice-like (~{f.f0_hz:.0f} Hz, gliding pitch, formants)",
        )
    if pitched:
        return Classification("other", 0.3, f"audio: tonal (~{f.f0_hz:.0f} Hz), not drums, bass or voice")
    return Classification("other", 0.2, "audio: not clearly drums, bass or voice")


def classify_audio(buffer: AudioBuffer, *, seconds: float = EXCERPT_S) -> Classification:
    """Propose a role from audio: the loudest ``seconds`` of ``buffer`` are measured.

    Parameters
    ----------
    buffer : AudioBuffer
        Any length and channel count (channels are averaged).
    seconds : float, keyword-only
        Length of the excerpt the decision is made from.

    Returns
    -------
    Classification
        ``drums``, ``bass``, ``lead_vocals`` or ``other``; confidence at most 0.85.
    """
    if seconds <= 0:
        raise UsageError(f"seconds={seconds} must be positive")
    mono = buffer.samples.mean(axis=0)
    if mono.size == 0:
        return Classification("other", 0.05, "audio: empty, nothing to go on")
    start = loudest_start(mono, buffer.sample_rate, seconds=seconds)
    excerpt = mono[start : start + int(seconds * buffer.sample_rate)]
    return decide(measure(excerpt, buffer.sample_rate))


@dataclass(frozen=True)
class Hearing:
    """What listening to a track found.

    Attributes
    ----------
    features : AudioFeatures
        Measured on the loudest excerpt.
    classification : Classification
        The role the audio suggests.
    active_share : float
        0–1, how much of the track plays (see :class:`Excerpt`).
    """

    features: AudioFeatures
    classification: Classification
    active_share: float


def analyse_file(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, seconds: float = EXCERPT_S) -> Hearing:
    """Measure and classify one audio file or a split pair, reading only a few seconds.

    Raises
    ------
    InputNotFoundError, AudioFormatError
        If a file is missing or unreadable.
    """
    group = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    found = excerpt([Path(p) for p in group], seconds=seconds)
    if found.buffer.frames == 0:
        raise AudioFormatError(f"{group[0]}: holds no audio")
    features = measure(found.buffer.samples[0], found.buffer.sample_rate)
    return Hearing(features, decide(features), found.active_share)


def classify_file(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, seconds: float = EXCERPT_S
) -> Classification:
    """Propose a role from one audio file or a split pair (see :func:`analyse_file`)."""
    return analyse_file(paths, seconds=seconds).classification


__all__ = ["EXCERPT_S", "Excerpt", "Hearing", "analyse_file", "classify_audio", "classify_file", "decide", "excerpt", "loudest_start", "read_excerpt"]
