"""The bundled demo song: a realistic multitrack synthesized on the spot.

``write_demo_tracks(folder)`` writes "Night Owl", a 74-second pop song in A minor, as the
sixteen files a client would deliver (close-miked drums with overheads and room, bass DI
and amp, keys, a split-stereo guitar pair, pad, synth, lead and backing vocals,
tambourine, FX riser). It needs no downloads or data files and is deterministic for a
given seed, so ``stemforge demo`` and the tests can run the whole flow on real-looking
material.

Modules: ``song`` (form, chords, timing), ``parts`` (what each musician plays),
``synth`` (signal building blocks), ``drums``, ``instruments`` and ``voice`` (the sounds),
``tracks`` (the delivered files).
"""

from stemforge.demo.song import (
    DEFAULT_BARS,
    KEY,
    MIN_BARS,
    TEMPO_BPM,
    TITLE,
    Arrangement,
    arrange,
)
from stemforge.demo.tracks import (
    PAD_SAMPLE_RATE,
    SAMPLE_RATE,
    TRACKS,
    TrackSpec,
    write_demo_tracks,
)

__all__ = [
    "DEFAULT_BARS",
    "KEY",
    "MIN_BARS",
    "PAD_SAMPLE_RATE",
    "SAMPLE_RATE",
    "TEMPO_BPM",
    "TITLE",
    "TRACKS",
    "Arrangement",
    "TrackSpec",
    "arrange",
    "write_demo_tracks",
]
