"""The MP4 box writer: a box added to moov/udta keeps the audio playable wherever moov sits."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stemforge.errors import AudioFormatError
from stemforge.export.mp4box import find_box, insert_udta_box, iter_boxes, make_box, read_box_payload

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


def encode(tmp_path: Path, *, faststart: bool) -> Path:
    rng = np.random.default_rng(2)
    wav = tmp_path / "in.wav"
    sf.write(wav, (0.1 * rng.standard_normal((24000, 2))).astype(np.float32), 48000)
    out = tmp_path / ("fast.mp4" if faststart else "plain.mp4")
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-i", str(wav), "-map", "0:a", "-map", "1:a",
           "-c:a", "aac", "-b:a", "128k"]
    cmd += ["-movflags", "+faststart"] if faststart else []
    subprocess.run([*cmd, str(out)], check=True)
    return out


def decoded(path: Path) -> bytes:
    return subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:1", "-f", "f32le", "pipe:1"],
                          capture_output=True, check=True).stdout


@needs_ffmpeg
@pytest.mark.parametrize("faststart", [False, True])
def test_insert_keeps_audio_and_reads_back(tmp_path: Path, faststart: bool) -> None:
    src = encode(tmp_path, faststart=faststart)
    data = src.read_bytes()
    kinds = [b.kind for b in iter_boxes(data)]
    assert (kinds.index(b"moov") < kinds.index(b"mdat")) == faststart
    out = tmp_path / "tagged.mp4"
    out.write_bytes(insert_udta_box(data, make_box(b"stem", b'{"hello": 1}')))
    assert read_box_payload(out.read_bytes(), [b"moov", b"udta", b"stem"]) == b'{"hello": 1}'
    assert decoded(out) == decoded(src)  # chunk offsets still point at the audio
    # Replacing the box keeps one copy and the audio intact.
    again = insert_udta_box(out.read_bytes(), make_box(b"stem", b"{}"))
    assert read_box_payload(again, [b"moov", b"udta", b"stem"]) == b"{}"
    moov = find_box(again, [b"moov"])
    udta = find_box(again, [b"moov", b"udta"])
    assert moov is not None and udta is not None
    assert sum(1 for b in iter_boxes(again, udta.payload_start, udta.end) if b.kind == b"stem") == 1
    (tmp_path / "again.mp4").write_bytes(again)
    assert decoded(tmp_path / "again.mp4") == decoded(src)


def test_synthetic_boxes_and_errors() -> None:
    # ftyp, moov (no udta) before mdat, with one stco pointing into mdat.
    stco = make_box(b"stco", struct.pack(">II", 0, 1) + struct.pack(">I", 0))
    moov = make_box(b"moov", make_box(b"trak", make_box(b"mdia", make_box(b"minf", make_box(b"stbl", stco)))))
    ftyp = make_box(b"ftyp", b"isom\x00\x00\x02\x00")
    mdat_offset = len(ftyp) + len(moov)
    moov = moov.replace(struct.pack(">II", 1, 0), struct.pack(">II", 1, mdat_offset + 8))
    data = ftyp + moov + make_box(b"mdat", b"AUDIO")
    tagged = insert_udta_box(data, make_box(b"stem", b"x"))
    table = find_box(tagged, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stco"])
    assert table is not None
    (offset,) = struct.unpack_from(">I", tagged, table.payload_start + 8)
    assert tagged[offset : offset + 5] == b"AUDIO"
    with pytest.raises(AudioFormatError, match="no moov"):
        insert_udta_box(ftyp, make_box(b"stem", b"x"))
    with pytest.raises(AudioFormatError, match="impossible size"):
        list(iter_boxes(struct.pack(">I4s", 400, b"moov")))
