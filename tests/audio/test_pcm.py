"""16/24-bit WAV data decoded without libsndfile gives libsndfile's floats bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stemforge.audio import BlockReader


def _write(path: Path, channels: int, subtype: str, fmt: str = "WAV") -> np.ndarray:
    rng = np.random.default_rng(channels + len(subtype))
    frames = 50_000
    x = rng.uniform(-1.0, 1.0, (frames, channels))
    x[:4] = [[-1.0] * channels, [1.0 - 2.0**-23] * channels, [0.0] * channels, [-(2.0**-23)] * channels]
    sf.write(path, x, 48000, subtype=subtype, format=fmt)
    return np.asarray(sf.read(path, dtype="float32", always_2d=True)[0].T)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24"])
@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize("fmt", ["WAV", "WAVEX"])
def test_direct_decoding_equals_libsndfile(tmp_path: Path, subtype: str, channels: int, fmt: str) -> None:
    path = tmp_path / "x.wav"
    expected = _write(path, channels, subtype, fmt)
    with BlockReader(path) as reader:
        assert reader._raw is not None  # the direct path is the one under test
        parts = [reader.read(n) for n in (1, 4095, 20000, 30000, 10)]
        assert parts[-1].shape == (channels, 0)
        got = np.concatenate(parts, axis=1)
        reader.seek(12345)
        again = reader.read(777)
    assert got.dtype == np.float32
    assert np.array_equal(got, expected)
    assert np.array_equal(again, expected[:, 12345 : 12345 + 777])


@pytest.mark.parametrize("subtype", ["FLOAT", "PCM_32", "PCM_U8"])
def test_other_subtypes_are_read_by_libsndfile(tmp_path: Path, subtype: str) -> None:
    path = tmp_path / "x.wav"
    expected = _write(path, 2, subtype)
    with BlockReader(path) as reader:
        assert reader._raw is None
        got = np.concatenate([reader.read(30000), reader.read(30000)], axis=1)
    assert np.array_equal(got, expected)


def test_a_file_with_chunks_after_the_data_is_decoded_to_its_frames(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    expected = _write(path, 2, "PCM_24")
    data = path.read_bytes()
    path.write_bytes(data + b"LIST" + (12).to_bytes(4, "little") + b"INFOISFT\x00\x00\x00\x00")
    with BlockReader(path) as reader:
        got = reader.read(10**6)
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("channels", [1, 2])
def test_24_bit_files_hold_libsndfile_bytes(tmp_path: Path, channels: int) -> None:
    """Written through int32 words, a wav24 file holds the bytes libsndfile writes from the floats."""
    from stemforge.audio import AtomicWriter

    rng = np.random.default_rng(channels)
    x = np.clip(0.5 * rng.standard_normal((channels, 70_000)), -1, 1).astype(np.float32)
    edges = np.array([1.0, -1.0, 0.0, -0.0, 2**-24, -(2**-24), 3 * 2**-25, -3 * 2**-25, 1 - 2**-24, 1e-30, 0.5 + 2**-25], np.float32)
    x[:, : edges.size] = edges
    ties = rng.integers(-(2**23), 2**23, 1000) * 2 + 1  # k + 1/2 on the 2^-24 grid: rounding ties
    x[0, 100:1100] = ties.astype(np.float32) / np.float32(2**25)
    x[:, 2000:2010] = 3.0  # clipped by the writer
    ours, theirs = tmp_path / "ours.wav", tmp_path / "theirs.wav"
    with AtomicWriter(ours, sample_rate=48000, channels=channels, fmt="wav24") as writer:
        for lo in range(0, x.shape[1], 30_000):
            writer.write(x[:, lo : lo + 30_000])
    sf.write(theirs, np.clip(x, -1, 1).T, 48000, subtype="PCM_24")
    assert ours.read_bytes() == theirs.read_bytes()


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24"])
def test_libsndfile_and_compiled_decoders_give_the_same_floats(tmp_path: Path, subtype: str) -> None:
    from stemforge.audio.io import BlockReader

    rng = np.random.default_rng(4)
    data = rng.uniform(-1.0, 1.0, (9_999, 2)).astype(np.float32)
    path = tmp_path / "x.wav"
    sf.write(str(path), data, 48000, subtype=subtype)
    with BlockReader(path) as fast, BlockReader(path, compiled=False) as plain:
        assert fast._raw is not None and plain._raw is None
        for size in (1, 4096, 70_000):
            a, b = fast.read(size), plain.read(size)
            assert np.array_equal(a, b)
