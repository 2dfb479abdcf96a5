"""The demo song's multitrack, written as a client would deliver it.

Sixteen files from fifteen tracks: a close-miked drum kit with overheads and room,
bass DI and amp, keys, a double-tracked guitar as a split L/R pair, pad, lead synth, lead
and backing vocals, tambourine and an FX riser. Like a real delivery they are a mix of
mono and stereo, mostly 24-bit with one 16-bit file, one file (the pad) at 44.1 kHz, and
one (the riser) cut to where its sound starts with a BWF ``bext`` time reference saying
where it belongs. Every file is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from stemforge.audio import AudioBuffer, atomic_path, write
from stemforge.audio.riff import insert_bext
from stemforge.demo import instruments, parts
from stemforge.demo.drums import DrumKit, tambourine
from stemforge.demo.song import Arrangement, arrange
from stemforge.demo.synth import Mono, db_to_gain
from stemforge.demo.voice import Singer, sing
from stemforge.errors import OutputError, UsageError

#: The session rate of the demo song.
SAMPLE_RATE = 48000
#: The rate of the one track delivered at another rate.
PAD_SAMPLE_RATE = 44100
#: Most parts synthesized at the same time (numpy and scipy release the GIL in their loops).
_WORKERS = 2


@dataclass(frozen=True)
class TrackSpec:
    """One delivered track.

    Attributes
    ----------
    files : tuple of str
        File names: one, or a split stereo pair (left, right) of mono files.
    channels : int
        Channels of the track (2 for a split pair: one per file).
    sample_rate : int
        Hz.
    subtype : str
        soundfile subtype (``PCM_24`` or ``PCM_16``).
    peak_dbfs : float
        The level its loudest sample is set to.
    role : str
        The stem role a classifier should propose for it.
    """

    files: tuple[str, ...]
    channels: int
    sample_rate: int
    subtype: str
    peak_dbfs: float
    role: str


TRACKS: tuple[TrackSpec, ...] = (
    TrackSpec(("01_KickIn.wav",), 1, SAMPLE_RATE, "PCM_24", -8.0, "drums"),
    TrackSpec(("03_SnareTop.wav",), 1, SAMPLE_RATE, "PCM_24", -8.0, "drums"),
    TrackSpec(("04_HiHat.wav",), 1, SAMPLE_RATE, "PCM_24", -12.0, "drums"),
    TrackSpec(("05_OH.wav",), 2, SAMPLE_RATE, "PCM_24", -11.0, "drums"),
    TrackSpec(("06_Room.wav",), 1, SAMPLE_RATE, "PCM_24", -12.0, "drums"),
    TrackSpec(("07_BassDI.wav",), 1, SAMPLE_RATE, "PCM_24", -12.0, "bass"),
    TrackSpec(("08_BassAmp.wav",), 1, SAMPLE_RATE, "PCM_24", -12.0, "bass"),
    TrackSpec(("10_Rhodes.wav",), 2, SAMPLE_RATE, "PCM_24", -12.0, "keys"),
    TrackSpec(("12_GtrRhy.L.wav", "12_GtrRhy.R.wav"), 2, SAMPLE_RATE, "PCM_24", -12.0, "guitars"),
    TrackSpec(("14_Pad.wav",), 2, PAD_SAMPLE_RATE, "PCM_24", -12.0, "synths"),
    TrackSpec(("16_LeadSynth.wav",), 1, SAMPLE_RATE, "PCM_24", -12.0, "synths"),
    TrackSpec(("18_LeadVox.wav",), 1, SAMPLE_RATE, "PCM_24", -8.0, "lead_vocals"),
    TrackSpec(("20_BGV.wav",), 2, SAMPLE_RATE, "PCM_24", -12.0, "backing_vocals"),
    TrackSpec(("22_Tamb.wav",), 1, SAMPLE_RATE, "PCM_16", -12.0, "percussion"),
    TrackSpec(("24_RiserFX.wav",), 2, SAMPLE_RATE, "PCM_24", -10.0, "fx"),
)

_SPECS = {spec.files[0]: spec for spec in TRACKS}


def _rng(seed: int, part: str) -> np.random.Generator:
    """An independent random stream per part, so changing one part leaves the others alone."""
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


def _stereo(left: Mono, right: Mono) -> Mono:
    return np.stack([left, right]).astype(np.float32)


Rendered = tuple[TrackSpec, Mono, "int | None"]


def _parts_of_the_band(arrangement: Arrangement, seed: int) -> list[Callable[[], Iterator[Rendered]]]:
    """Independent jobs, each yielding ``(spec, samples (channels, frames), time_reference)``.

    Every job draws from its own random streams, so they can run in any order or at the
    same time and still give the same samples. ``time_reference`` is None for tracks
    that start at the song's zero. Jobs are listed longest first.
    """
    rate = SAMPLE_RATE
    frames = arrangement.frames(rate)
    hits = parts.drum_hits(arrangement, _rng(seed, "drum part"))

    def vocals() -> Iterator[Rendered]:
        melody = parts.vocal_notes(arrangement, _rng(seed, "vocal part"))
        vox = sing(melody, _rng(seed, "lead vocal"), singer=Singer(formant_scale=0.97), sample_rate=rate, frames=frames)
        yield _SPECS["18_LeadVox.wav"], vox[None], None
        del vox
        singers = {
            2: Singer(formant_scale=1.04, vibrato_hz=5.9, vibrato_semitones=0.25, breathiness=0.12, compression=1.0),
            -2: Singer(formant_scale=0.9, vibrato_hz=5.0, vibrato_semitones=0.25, breathiness=0.1, compression=1.0),
        }
        high, low = (
            sing(
                parts.harmony_notes(arrangement, _rng(seed, f"bgv part {steps}"), steps=steps),
                _rng(seed, f"bgv {steps}"),
                singer=singer,
                sample_rate=rate,
                frames=frames,
            )
            for steps, singer in singers.items()
        )
        yield _SPECS["20_BGV.wav"], _stereo(0.85 * high + 0.35 * low, 0.35 * high + 0.85 * low), None

    def drums() -> Iterator[Rendered]:
        kit = DrumKit(hits, _rng(seed, "drum sound"), sample_rate=rate, frames=frames)
        yield _SPECS["01_KickIn.wav"], kit.mic("kick_in")[None], None
        yield _SPECS["03_SnareTop.wav"], kit.mic("snare_top")[None], None
        yield _SPECS["04_HiHat.wav"], kit.mic("hat")[None], None
        yield _SPECS["05_OH.wav"], _stereo(kit.mic("oh_l"), kit.mic("oh_r")), None
        yield _SPECS["06_Room.wav"], kit.room()[None], None

    def pad() -> Iterator[Rendered]:
        pad_rate = PAD_SAMPLE_RATE  # synthesized on its own rate's timeline: it lines up when resampled
        notes = parts.pad_notes(arrangement)
        yield _SPECS["14_Pad.wav"], instruments.pad(notes, _rng(seed, "pad"), sample_rate=pad_rate, frames=arrangement.frames(pad_rate)), None

    def guitars() -> Iterator[Rendered]:
        takes = [
            instruments.guitar(
                parts.guitar_notes(arrangement, _rng(seed, f"guitar part {take}"), take=take),
                _rng(seed, f"guitar {take}"),
                sample_rate=rate,
                frames=frames,
            )
            for take in (0, 1)
        ]
        yield _SPECS["12_GtrRhy.L.wav"], _stereo(*takes), None

    def synth() -> Iterator[Rendered]:
        lead = parts.lead_synth_notes(arrangement, _rng(seed, "synth part"))
        samples = instruments.lead_synth(lead, _rng(seed, "synth"), sample_rate=rate, frames=frames, beat_s=arrangement.beat_s)
        yield _SPECS["16_LeadSynth.wav"], samples[None], None

    def keys() -> Iterator[Rendered]:
        notes = parts.keys_notes(arrangement, _rng(seed, "keys part"))
        yield _SPECS["10_Rhodes.wav"], instruments.rhodes(notes, sample_rate=rate, frames=frames), None

    def bass() -> Iterator[Rendered]:
        notes = parts.bass_notes(arrangement, _rng(seed, "bass part"))
        di = instruments.bass_di(notes, _rng(seed, "bass"), sample_rate=rate, frames=frames)
        yield _SPECS["07_BassDI.wav"], di[None], None
        yield _SPECS["08_BassAmp.wav"], instruments.bass_amp(di, sample_rate=rate)[None], None

    def overdubs() -> Iterator[Rendered]:
        yield _SPECS["22_Tamb.wav"], tambourine(hits, _rng(seed, "tambourine"), sample_rate=rate, frames=frames)[None], None
        riser, start_frame = instruments.riser_fx(arrangement, _rng(seed, "riser"), sample_rate=rate)
        yield _SPECS["24_RiserFX.wav"], riser, start_frame

    return [vocals, drums, pad, guitars, synth, keys, bass, overdubs]


def _write_wav(path: Path, samples: Mono, *, sample_rate: int, subtype: str, time_reference: int | None) -> None:
    """Write one file atomically; with a ``time_reference``, as a BWF file with a ``bext`` chunk."""
    if time_reference is None:
        write(path, AudioBuffer(samples, sample_rate), fmt={"PCM_24": "wav24", "PCM_16": "wav16"}[subtype])
        return
    wav = io.BytesIO()
    sf.write(wav, samples.T, sample_rate, subtype=subtype, format="WAV")
    with atomic_path(path) as temp:
        temp.write_bytes(insert_bext(wav.getvalue(), time_reference))


def _idle_workers() -> int:
    """Threads worth running: one per idle core, up to :data:`_WORKERS`.

    A second thread only pays when a core is free; on a machine already busy it adds
    lock hand-overs and cache misses for nothing. The files are the same either way.
    """
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not available on this platform
        busy = 0.0
    return max(1, min(_WORKERS, round(cores - busy)))


def _deliver(job: Callable[[], Iterator[Rendered]], folder: Path) -> list[Path]:
    """Run one job and write its tracks, each levelled to its peak (split pairs file by file)."""
    written = []
    for spec, samples, time_reference in job():
        per_file = [samples] if len(spec.files) == 1 else [samples[k : k + 1] for k in range(len(spec.files))]
        for name, data in zip(spec.files, per_file, strict=True):
            peak = float(np.max(np.abs(data)))
            gain = db_to_gain(spec.peak_dbfs) / peak if peak > 0 else 0.0
            levelled = (data * np.float32(gain)).astype(np.float32)
            path = folder / name
            _write_wav(path, levelled, sample_rate=spec.sample_rate, subtype=spec.subtype, time_reference=time_reference)
            written.append(path)
    return written


def write_demo_tracks(folder: Path, *, seed: int = 7, bars: int | None = None) -> list[Path]:
    """Synthesize the demo song's multitrack into ``folder``.

    Deterministic: the same ``seed`` and ``bars`` give byte-identical files. Nothing but
    the track files is written to ``folder`` (created if missing); files of the same name
    are replaced, each atomically. Parts are synthesized on as many idle cores as there
    are, up to two.

    Parameters
    ----------
    folder : Path
        Where the tracks go.
    seed : int
        Seeds every random choice (humanized timing, noise, round robins); 0 or more.
    bars : int, optional
        Length of the song in bars (default 36 bars, 74 s); at least 4. Shorter songs keep
        the form, with each section shortened in proportion.

    Returns
    -------
    list of Path
        The files written, in track order (see :data:`TRACKS`).

    Raises
    ------
    UsageError
        If ``seed`` is negative or ``bars`` is below 4.
    OutputError
        If ``folder`` is a file or cannot be written.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"seed={seed!r} must be a non-negative integer")
    arrangement = arrange(bars)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file, not a folder for the demo tracks")
    jobs = _parts_of_the_band(arrangement, int(seed))
    with ThreadPoolExecutor(max_workers=_idle_workers()) as pool:
        written = [path for paths in pool.map(lambda job: _deliver(job, folder), jobs) for path in paths]
    order = {name: k for k, name in enumerate(name for spec in TRACKS for name in spec.files)}
    return sorted(written, key=lambda path: order[path.name])


__all__ = ["PAD_SAMPLE_RATE", "SAMPLE_RATE", "TRACKS", "TrackSpec", "write_demo_tracks"]
