"""Audio conventions, streaming file I/O, atomic output and resampling.

Samples are float32 shaped ``(channels, frames)`` with an explicit ``sample_rate`` in Hz.
"""

from stemforge.audio.buffer import AudioBuffer, Samples
from stemforge.audio.formats import FORMATS, OutputFormat, output_format
from stemforge.audio.io import (
    AUDIO_EXTENSIONS,
    AtomicWriter,
    AudioInfo,
    BlockReader,
    atomic_path,
    read,
    read_info,
    sha256_file,
    write,
    write_text_atomic,
)
from stemforge.audio.resample import StreamResampler, resample

__all__ = [
    "AUDIO_EXTENSIONS",
    "FORMATS",
    "AtomicWriter",
    "AudioBuffer",
    "AudioInfo",
    "BlockReader",
    "OutputFormat",
    "Samples",
    "StreamResampler",
    "atomic_path",
    "output_format",
    "read",
    "read_info",
    "resample",
    "sha256_file",
    "write",
    "write_text_atomic",
]
