"""RIFF/WAVE chunk reading and the Broadcast Wave ``bext`` chunk.

soundfile reads the audio but exposes neither the declared size of the ``data`` chunk
(needed to tell a truncated file from a short one) nor the BWF ``bext`` chunk's time
reference (EBU Tech 3285), so both are parsed here from the header bytes alone.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

# EBU Tech 3285 bext layout: Description 256, Originator 32, OriginatorReference 32,
# OriginationDate 10, OriginationTime 8, then TimeReferenceLow/High (uint32 each).
_BEXT_TIME_REFERENCE_OFFSET = 256 + 32 + 32 + 10 + 8
_BEXT_FIXED_SIZE = 602


@dataclass(frozen=True)
class RiffLayout:
    """What the chunk headers of a WAV file declare.

    Attributes
    ----------
    data_offset : int
        Byte offset of the first audio byte.
    data_bytes : int
        Size of the ``data`` chunk as the header declares it.
    file_bytes : int
        Actual size of the file.
    time_reference : int or None
        BWF time reference in samples since midnight, or None without a ``bext`` chunk.
    is_rf64 : bool
        True for RF64/BW64 files, whose sizes live in a ``ds64`` chunk.
    """

    data_offset: int
    data_bytes: int
    file_bytes: int
    time_reference: int | None
    is_rf64: bool

    @property
    def truncated(self) -> bool:
        """True when the file ends before the ``data`` chunk its header declares."""
        return not self.is_rf64 and self.data_offset + self.data_bytes > self.file_bytes


def read_riff_layout(path: Path) -> RiffLayout | None:
    """Parse the chunk headers of a WAV file; None if it is not RIFF/WAVE.

    Only headers are read (the audio is skipped with seeks), so this is cheap on any size.
    """
    file_bytes = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[8:12] != b"WAVE" or head[:4] not in (b"RIFF", b"RF64", b"BW64"):
            return None
        is_rf64 = head[:4] != b"RIFF"
        time_reference: int | None = None
        pos = 12
        while pos + 8 <= file_bytes:
            f.seek(pos)
            header = f.read(8)
            if len(header) < 8:
                break
            chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
            if chunk_id == b"bext" and size >= _BEXT_TIME_REFERENCE_OFFSET + 8:
                f.seek(pos + 8 + _BEXT_TIME_REFERENCE_OFFSET)
                low, high = struct.unpack("<II", f.read(8))
                time_reference = (high << 32) | low
            if chunk_id == b"data":
                return RiffLayout(pos + 8, size, file_bytes, time_reference, is_rf64)
            pos += 8 + size + (size & 1)
    return RiffLayout(file_bytes, 0, file_bytes, time_reference, is_rf64)


def bext_chunk(time_reference: int, *, description: str = "", originator: str = "stemforge") -> bytes:
    """Build a BWF version 1 ``bext`` chunk (header included) with a time reference.

    Parameters
    ----------
    time_reference : int
        Position of the file's first sample, in samples since midnight.
    """
    body = bytearray(_BEXT_FIXED_SIZE)
    body[0:256] = description.encode("ascii", "replace")[:256].ljust(256, b"\0")
    body[256:288] = originator.encode("ascii", "replace")[:32].ljust(32, b"\0")
    struct.pack_into("<II", body, _BEXT_TIME_REFERENCE_OFFSET, time_reference & 0xFFFFFFFF, time_reference >> 32)
    struct.pack_into("<H", body, _BEXT_TIME_REFERENCE_OFFSET + 8, 1)  # version
    return b"bext" + struct.pack("<I", len(body)) + bytes(body)


def insert_bext(wav_bytes: bytes, time_reference: int) -> bytes:
    """Return a copy of a RIFF/WAVE file's bytes with a ``bext`` chunk before its ``data``."""
    stream = io.BytesIO(wav_bytes)
    head = stream.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos = 12
    while pos + 8 <= len(wav_bytes):
        chunk_id = wav_bytes[pos : pos + 4]
        size = struct.unpack("<I", wav_bytes[pos + 4 : pos + 8])[0]
        if chunk_id == b"data":
            chunk = bext_chunk(time_reference)
            out = bytearray(wav_bytes[:pos] + chunk + wav_bytes[pos:])
            struct.pack_into("<I", out, 4, len(out) - 8)
            return bytes(out)
        pos += 8 + size + (size & 1)
    raise ValueError("WAV file has no data chunk")


__all__ = ["RiffLayout", "bext_chunk", "insert_bext", "read_riff_layout"]
