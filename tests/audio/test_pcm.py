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
