"""24-bit WAV files written without libsndfile hold libsndfile's bytes, and the writer's levels."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from helpers import assert_user_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stemforge.audio import AtomicWriter, BlockReader, read_info
from stemforge.audio.io import _wav24_header
from stemforge.errors import OutputError

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="ffmpeg/ffprobe not installed (make sysdeps)")


def hot_signal(channels: int, frames: int, *, seed: int) -> np.ndarray:
    """Noise that clips, with full scale, silence, tiny values, rounding ties, NaN and ±inf in it."""
    rng = np.random.default_rng(seed)
    x = (0.5 * rng.standard_normal((channels, frames))).astype(np.float32)
    edges = [1.0, -1.0, 0.0, -0.0, 2**-24, -(2**-24), 3 * 2**-25, 1e-30, -1e-45, 1 - 2**-24, 1 + 2**-23, -1 - 2**-23, 1e30, -1e30]
    x[:, : len(edges)] = np.array(edges, np.float32)
    # x · 2^31 = 256k − 1/2: a tie that rounds up to the next 24-bit step (ties to even)
    k = rng.integers(-(2**15), 2**15, 200)
    x[0, 100:300] = ((512 * k - 1) / 2.0**32).astype(np.float32)
    for value, start in ((np.nan, 400), (np.inf, 500), (-np.inf, 600)):
        x[rng.integers(0, channels, 5), start + rng.integers(0, 100, 5)] = value
    return x


def as_written(x: np.ndarray) -> np.ndarray:
    """The floats a 24-bit file holds: NaN as 0, ±inf as ±1, clipped at full scale."""
    return np.clip(np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)


def libsndfile_bytes(tmp_path: Path, x: np.ndarray, sample_rate: int) -> bytes:
    path = tmp_path / "libsndfile.wav"
    sf.write(path, as_written(x).T, sample_rate, subtype="PCM_24")
    return path.read_bytes()


def levels_as_before(blocks: list[np.ndarray]) -> tuple[float, int]:
    """Peak and clipped samples as the writer measured them with numpy before 24-bit WAV was written by hand."""
    peak, clipped = 0.0, 0
    for block in blocks:
        block_peak = float(np.max(np.abs(block)))
        if not np.isfinite(block_peak):
            block = np.nan_to_num(block, nan=0.0, posinf=1.0, neginf=-1.0)
            block_peak = float(np.max(np.abs(block)))
        peak = max(peak, block_peak)
        if block_peak > 1.0:
            clipped += int(np.count_nonzero(np.abs(block) > 1.0))
    return peak, clipped


def split(x: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    """``x`` in blocks of ``sizes`` frames, the sizes repeated as often as needed."""
    blocks: list[np.ndarray] = []
    start = 0
    while start < x.shape[1]:
        size = sizes[len(blocks) % len(sizes)]
        blocks.append(x[:, start : start + size])
        start += size
    return blocks


def write_blocks(path: Path, x: np.ndarray, sizes: list[int], *, sample_rate: int = 48000) -> AtomicWriter:
    with AtomicWriter(path, sample_rate=sample_rate, channels=x.shape[0], fmt="wav24") as writer:
        for block in split(x, sizes):
            writer.write(block)
            writer.write(block[:, :0])  # empty blocks are ignored
    return writer


@contextlib.contextmanager
def file_size_limit(limit_bytes: int) -> Iterator[None]:
    """Let files grow to ``limit_bytes`` only; a write past it fails as on a full disk (EFBIG)."""
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


@pytest.mark.parametrize("block_frames", [7, 4097, 65536])
@pytest.mark.parametrize("sample_rate", [44100, 48000, 96000])
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_files_hold_the_bytes_libsndfile_writes(tmp_path: Path, channels: int, sample_rate: int, block_frames: int) -> None:
    x = hot_signal(channels, 20_001, seed=channels)  # odd: a mono file's data ends on a pad byte
    ours = tmp_path / "ours.wav"
    writer = write_blocks(ours, x, [block_frames], sample_rate=sample_rate)
    assert ours.read_bytes() == libsndfile_bytes(tmp_path, x, sample_rate)
    assert (writer.peak, writer.clipped_samples) == levels_as_before(split(x, [block_frames]))
    assert writer.clipped_samples > 0 and writer.frames == x.shape[1]


@pytest.mark.parametrize("sample_rate", [44100, 48000, 96000])
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_an_empty_file_holds_the_bytes_libsndfile_writes(tmp_path: Path, channels: int, sample_rate: int) -> None:
    ours = tmp_path / "ours.wav"
    with AtomicWriter(ours, sample_rate=sample_rate, channels=channels, fmt="wav24") as writer:
        writer.write(np.zeros((channels, 0), np.float32))
    assert ours.read_bytes() == libsndfile_bytes(tmp_path, np.zeros((channels, 0), np.float32), sample_rate)
    assert (writer.peak, writer.clipped_samples, writer.frames) == (0.0, 0, 0)


@pytest.mark.parametrize(
    "x",
    [
        hot_signal(2, 30_000, seed=9).astype(np.float64) * (1 + 1e-12),  # over 1 in float64, not in float32
        np.asfortranarray(hot_signal(2, 30_000, seed=10)),
        hot_signal(3, 60_000, seed=11)[:, ::2],
    ],
    ids=["float64", "fortran-order", "strided"],
)
def test_other_arrays_are_written_and_measured_as_before(tmp_path: Path, x: np.ndarray) -> None:
    ours = tmp_path / "ours.wav"
    writer = write_blocks(ours, x, [5000, 333])
    expected = np.clip(np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0).astype(np.float32)
    assert ours.read_bytes() == libsndfile_bytes(tmp_path, expected, 48000)
    assert (writer.peak, writer.clipped_samples) == levels_as_before(split(x, [5000, 333]))


def test_sizes_past_4_gib_are_written_as_libsndfile_writes_them() -> None:
    # libsndfile 1.2.2 writing 1,431,656,001 mono frames (4,294,968,003 bytes, past 2^32) at 48 kHz
    libsndfile = bytes.fromhex("52494646ffffffff57415645666d7420100000000100010080bb0000803202000300180064617461ffffffff")
    assert _wav24_header(48000, 1, 4_294_968_003) == libsndfile
    fits = _wav24_header(48000, 1, 2**32 - 38)  # the RIFF size, 36 + data, is 2^32 − 2
    assert fits[4:8] == (2**32 - 2).to_bytes(4, "little") and fits[40:44] == (2**32 - 38).to_bytes(4, "little")
    padded = _wav24_header(48000, 1, 2**32 - 37)  # with the pad byte the RIFF size would be 2^32
    assert padded[4:8] == b"\xff\xff\xff\xff" and padded[40:44] == (2**32 - 37).to_bytes(4, "little")


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_the_file_reads_back(tmp_path: Path, channels: int) -> None:
    x = hot_signal(channels, 9_999, seed=3)
    ours = tmp_path / "ours.wav"
    write_blocks(ours, x, [1000])
    libsndfile = tmp_path / "libsndfile.wav"
    libsndfile.write_bytes(libsndfile_bytes(tmp_path, x, 48000))
    data, rate = sf.read(ours, dtype="float32", always_2d=True)
    assert rate == 48000 and np.array_equal(data, sf.read(libsndfile, dtype="float32", always_2d=True)[0])
    assert np.max(np.abs(data - as_written(x).T)) <= 2.0**-23
    info = read_info(ours)
    assert (info.container, info.subtype, info.channels, info.frames) == ("WAV", "PCM_24", channels, 9_999)
    with BlockReader(ours) as reader:
        assert np.array_equal(reader.read(20_000), data.T)


@needs_ffmpeg
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_ffmpeg_reads_the_file(tmp_path: Path, channels: int) -> None:
    x = hot_signal(channels, 9_999, seed=4)
    ours = tmp_path / "ours.wav"
    write_blocks(ours, x, [4096])
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels,duration_ts", "-of", "csv=p=0", str(ours)],
        capture_output=True, text=True, check=True,
    )
    assert probe.stdout.strip() == f"pcm_s24le,48000,{channels},9999"
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(ours), "-f", "s24le", "-"], capture_output=True, check=True)
    assert decoded.stdout == ours.read_bytes()[44 : 44 + 9_999 * channels * 3]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 3000), min_size=1, max_size=12), channels=st.sampled_from([1, 2, 3]), frames=st.integers(700, 12_000))
def test_any_block_sizes_give_the_same_file(tmp_path: Path, sizes: list[int], channels: int, frames: int) -> None:
    x = hot_signal(channels, frames, seed=frames)
    whole = write_blocks(tmp_path / "whole.wav", x, [x.shape[1]])
    parts = write_blocks(tmp_path / "parts.wav", x, sizes)
    assert (tmp_path / "parts.wav").read_bytes() == (tmp_path / "whole.wav").read_bytes()
    assert (parts.peak, parts.clipped_samples, parts.frames) == (whole.peak, whole.clipped_samples, whole.frames)


def test_a_failed_write_leaves_no_file_and_the_target_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "mix.wav"
    target.write_bytes(b"an earlier render")
    with pytest.raises(ZeroDivisionError), AtomicWriter(target, sample_rate=48000, channels=2) as writer:
        writer.write(hot_signal(2, 5000, seed=1))
        1 / 0  # noqa: B018
    assert target.read_bytes() == b"an earlier render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mix.wav"]


def test_deferred_files_appear_on_commit_only(tmp_path: Path) -> None:
    x = hot_signal(2, 5000, seed=2)
    kept, dropped = AtomicWriter(tmp_path / "kept.wav", sample_rate=48000, channels=2, deferred=True), AtomicWriter(tmp_path / "dropped.wav", sample_rate=48000, channels=2, deferred=True)
    for writer in (kept, dropped):
        with writer:
            writer.write(x)
    assert not any(p.name in ("kept.wav", "dropped.wav") for p in tmp_path.iterdir())
    kept.commit()
    dropped.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.wav"]
    assert (tmp_path / "kept.wav").read_bytes() == libsndfile_bytes(tmp_path, x, 48000)


@pytest.mark.parametrize("fmt", ["wav24", "wav16"])
def test_a_full_disk_is_an_output_error(tmp_path: Path, fmt: str) -> None:
    x = hot_signal(2, 65_536, seed=5)
    with pytest.raises(OutputError, match=r"out\.wav: cannot be written \("), file_size_limit(500_000), AtomicWriter(tmp_path / "out.wav", sample_rate=48000, channels=2, fmt=fmt) as writer:
        for _ in range(10):
            writer.write(x)
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_cannot_be_created_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"out\.wav: cannot be written \(File too large\)"), file_size_limit(10):
        AtomicWriter(tmp_path / "out.wav", sample_rate=48000, channels=2).__enter__()
    assert list(tmp_path.iterdir()) == []


def test_a_render_onto_a_full_disk_fails_with_a_message_and_leaves_nothing(cli, wav, tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    tracks = tmp_path / "tracks"
    for name in ("01_Kick.wav", "07_BassDI.wav", "18_LeadVox.wav"):
        wav(tracks / name, (0.1 * rng.standard_normal((2, 48000 * 8))).astype(np.float32))
    session_file = tmp_path / "session.toml"
    assert cli("init", tracks, "-o", session_file).code == 0
    assert cli("render", session_file, "-o", tmp_path / "first").code == 0  # compiles and caches every kernel first
    out = tmp_path / "render"
    with file_size_limit(1_000_000):  # each output is 2.3 MB
        result = cli("render", session_file, "-o", out)
    assert_user_error(result, r"\.wav: cannot be written \(File too large\)")
    assert [p for p in out.rglob("*") if p.is_file()] == []


def test_write_behind_asks_for_each_stretch_once_and_keeps_the_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The running requests to start writing to disk cover the file in order, and change nothing in it."""
    from stemforge.audio import io as audio_io

    asked: list[tuple[int, int]] = []
    monkeypatch.setattr(audio_io, "_WRITE_BEHIND_BYTES", 10_000)
    monkeypatch.setattr(audio_io, "_FADVISE", lambda fd, offset, length, advice: asked.append((offset, length)))
    x = hot_signal(2, 20_000, seed=8)
    write_blocks(tmp_path / "a.wav", x, [1000, 3000])
    assert (tmp_path / "a.wav").read_bytes() == libsndfile_bytes(tmp_path, x, 48000)
    assert len(asked) >= 4
    assert [offset for offset, _ in asked] == [0] + [o + n for o, n in asked[:-1]]  # contiguous, no overlap
    assert all(n >= 10_000 for _, n in asked)
