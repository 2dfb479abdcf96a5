"""A minimal ISO base media (MP4) box reader and writer: enough to add ``moov/udta/<box>``.

ffmpeg writes the audio; what it cannot write is the NI Stems metadata box
(``moov/udta/stem``), so this module inserts it. An MP4 file is a sequence of boxes, each
``size (u32, big-endian) | type (4 chars) | payload``; ``size == 1`` means a 64-bit size
follows the type, ``size == 0`` means "to the end of the file". Containers (``moov``,
``trak``, ``mdia``, ``minf``, ``stbl``, ``udta``) hold boxes. Inserting bytes into
``moov`` grows ``moov`` (and ``udta``); when ``moov`` comes before ``mdat`` every chunk
offset (``stco`` 32-bit, ``co64`` 64-bit) that points past the insertion is shifted too.

Written here because no library in the dependency set edits MP4 boxes; only the few box
types needed are understood.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from stemforge.errors import AudioFormatError

#: Boxes whose payload is a sequence of boxes (the ones on the way to udta and stco/co64).
CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf"})


@dataclass(frozen=True)
class Box:
    """One box: where it is in the file and how big its header is.

    Attributes
    ----------
    kind : bytes
        Four-character type (``b"moov"``).
    offset : int
        Byte offset of the box's first header byte.
    size : int
        Total size including the header.
    header : int
        Header length (8, or 16 with a 64-bit size).
    """

    kind: bytes
    offset: int
    size: int
    header: int

    @property
    def payload_start(self) -> int:
        return self.offset + self.header

    @property
    def end(self) -> int:
        return self.offset + self.size


def iter_boxes(data: bytes | bytearray, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The boxes laid one after the other in ``data[start:end]``.

    Raises
    ------
    AudioFormatError
        If a box header is truncated or a size runs past ``end``.
    """
    end = len(data) if end is None else end
    pos = start
    while pos < end:
        if end - pos < 8:
            raise AudioFormatError(f"MP4: truncated box header at byte {pos}")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise AudioFormatError(f"MP4: truncated 64-bit box size at byte {pos}")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise AudioFormatError(f"MP4: box {kind!r} at byte {pos} has an impossible size {size}")
        yield Box(kind, pos, size, header)
        pos += size


def find_box(data: bytes | bytearray, path: list[bytes], start: int = 0, end: int | None = None) -> Box | None:
    """The first box at ``path`` (e.g. ``[b"moov", b"udta", b"stem"]``), or None."""
    for box in iter_boxes(data, start, end):
        if box.kind == path[0]:
            if len(path) == 1:
                return box
            if box.kind in CONTAINERS:
                found = find_box(data, path[1:], box.payload_start, box.end)
                if found is not None:
                    return found
    return None


def make_box(kind: bytes, payload: bytes) -> bytes:
    """A box of ``kind`` around ``payload`` (32-bit size)."""
    if len(kind) != 4:
        raise ValueError(f"box type {kind!r} must be 4 bytes")
    if len(payload) + 8 > 0xFFFFFFFF:
        raise ValueError("box too large for a 32-bit size")
    return struct.pack(">I4s", len(payload) + 8, kind) + payload


def read_box_payload(data: bytes | bytearray, path: list[bytes]) -> bytes | None:
    """The payload of the box at ``path``, or None when absent."""
    box = find_box(data, path)
    return None if box is None else bytes(data[box.payload_start : box.end])


def _grow(data: bytearray, box: Box, delta: int) -> None:
    """Add ``delta`` to a box's size field in place."""
    if box.header == 16:
        struct.pack_into(">Q", data, box.offset + 8, box.size + delta)
    else:
        if box.size + delta > 0xFFFFFFFF:
            raise AudioFormatError("MP4: box grows past a 32-bit size")
        struct.pack_into(">I", data, box.offset, box.size + delta)


def _chunk_offset_tables(data: bytearray, start: int, end: int) -> Iterator[Box]:
    for box in iter_boxes(data, start, end):
        if box.kind in (b"stco", b"co64"):
            yield box
        elif box.kind in CONTAINERS:
            yield from _chunk_offset_tables(data, box.payload_start, box.end)


def _shift_chunk_offsets(data: bytearray, moov: Box, at: int, delta: int) -> None:
    """Shift every chunk offset that points at or past byte ``at`` by ``delta``."""
    for table in _chunk_offset_tables(data, moov.payload_start, moov.end):
        (count,) = struct.unpack_from(">I", data, table.payload_start + 4)  # after version/flags
        base = table.payload_start + 8
        width, fmt = (4, ">I") if table.kind == b"stco" else (8, ">Q")
        if base + count * width > table.end:
            raise AudioFormatError(f"MP4: {table.kind.decode()} table overruns its box")
        for i in range(count):
            (value,) = struct.unpack_from(fmt, data, base + i * width)
            if value >= at:
                if table.kind == b"stco" and value + delta > 0xFFFFFFFF:
                    raise AudioFormatError("MP4: chunk offset overflows stco; write moov at the end")
                struct.pack_into(fmt, data, base + i * width, value + delta)


def insert_udta_box(data: bytes | bytearray, box: bytes) -> bytes:
    """Return ``data`` with ``box`` appended inside ``moov/udta`` (created when absent).

    An existing box of the same type in ``moov/udta`` is replaced.

    Raises
    ------
    AudioFormatError
        If the file has no ``moov`` box or its boxes are malformed.
    """
    out = bytearray(data)
    kind = box[4:8]
    existing = find_box(out, [b"moov", b"udta", kind])
    if existing is not None:
        out = _remove(out, existing)
    moov = find_box(out, [b"moov"])
    if moov is None:
        raise AudioFormatError("MP4: no moov box")
    udta = find_box(out, [b"udta"], moov.payload_start, moov.end)
    if udta is None:
        insert, blob, grown = moov.end, make_box(b"udta", box), [moov]
    else:
        insert, blob, grown = udta.end, box, [moov, udta]
    delta = len(blob)
    _shift_chunk_offsets(out, moov, insert, delta)
    for parent in grown:
        _grow(out, parent, delta)
    out[insert:insert] = blob
    return bytes(out)


def _remove(data: bytearray, target: Box) -> bytearray:
    """Remove a box inside moov/udta, shrinking its parents and shifting chunk offsets."""
    moov = find_box(data, [b"moov"])
    udta = find_box(data, [b"moov", b"udta"])
    if moov is None or udta is None:
        return data
    delta = -target.size
    _shift_chunk_offsets(data, moov, target.end, delta)
    _grow(data, moov, delta)
    _grow(data, udta, delta)
    del data[target.offset : target.end]
    return data


__all__ = ["Box", "find_box", "insert_udta_box", "iter_boxes", "make_box", "read_box_payload"]
