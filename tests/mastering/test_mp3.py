"""MP3 encoding and its verification: ffmpeg's and pedalboard's LAME give the same readings."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from stemforge.analysis import integrated_loudness, true_peak_dbtp
from stemforge.mastering import mp3


@pytest.mark.parametrize("sample_rate", [44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("use_ffmpeg", [True, False])
def test_encode_and_measure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_rate: int, channels: int, use_ffmpeg: bool) -> None:
    if use_ffmpeg and shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    if not use_ffmpeg:
        monkeypatch.setattr(mp3, "_ffmpeg", lambda: None)
    rng = np.random.default_rng(3)
    t = np.arange(3 * sample_rate) / sample_rate
    x = (0.3 * np.sin(2 * np.pi * 997 * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    samples = np.stack([x * (0.8 + 0.2 * c) for c in range(channels)])
    path = tmp_path / "x.mp3"
    mp3.encode_mp3(samples, sample_rate, path, kbps=320)
    kbps = path.stat().st_size * 8 / 3.0 / 1000
    assert 280 <= kbps <= 360
    report = mp3.measure_mp3(path, channels=channels)
    assert report.integrated_lufs == pytest.approx(integrated_loudness(samples, sample_rate), abs=0.1)
    # The reading is the decoded file's, whichever decoder: pedalboard's agrees.
    from pedalboard.io import AudioFile

    with AudioFile(str(path)) as f:
        decoded = f.read(f.frames)
        assert f.samplerate == sample_rate
    assert report.true_peak_dbtp == pytest.approx(true_peak_dbtp(decoded, sample_rate), abs=0.05)


def test_encoder_failure_is_an_output_error(tmp_path: Path) -> None:
    from stemforge.errors import OutputError

    with pytest.raises(OutputError, match="master.mp3"):
        mp3.encode_mp3(np.zeros((2, 4800), np.float32), 48000, tmp_path / "missing" / "x.mp3", kbps=320)


@pytest.mark.parametrize(("rise", "headroom"), [(None, 0.8), (0.2, 0.8), (0.9, 1.2)])
def test_mp3_headroom_follows_the_cd_conversion(tmp_path: Path, rise: float | None, headroom: float) -> None:
    """The MP3's source starts MP3_FIRST_MARGIN_DB under the ceiling, or the CD conversion's rise + MP3_OVER_SRC_DB."""
    from concurrent.futures import Future

    from mastering.material import song
    from stemforge.mastering import delivery
    from stemforge.mastering.limiter import LimiterSettings
    from stemforge.mastering.loudness import reach_loudness

    assert (delivery.MP3_FIRST_MARGIN_DB, delivery.MP3_OVER_SRC_DB) == (0.8, 0.3)
    level = reach_loudness(song(8.0, lufs=-16.0), 48000, target_lufs=-14.0, limiter=LimiterSettings(-1.0))
    measured: Future[float | None] = Future()
    measured.set_result(rise)
    item = delivery._mp3(level, temp=tmp_path / "x.mp3", ceiling_dbtp=-1.0, src_rise=measured, limited=Future())
    assert item.true_peak_dbtp <= -1.0
    assert item.notes[-1] == f"source limited to {-1.0 - headroom:+.2f} dBTP so the decoded MP3 stays within the ceiling"
    assert any("CD conversion" in note for note in item.notes) == (rise is not None and rise + 0.3 > 0.8)


@pytest.mark.parametrize("sample_rate", [44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
def test_measuring_while_encoding_reads_what_the_file_decodes_to(tmp_path: Path, sample_rate: int, channels: int) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    rng = np.random.default_rng(5)
    t = np.arange(4 * sample_rate) / sample_rate
    x = (0.4 * np.sin(2 * np.pi * 3001 * t) * (1 + np.sin(2 * np.pi * 0.7 * t)) / 2 + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    samples = np.stack([x * (0.7 + 0.3 * c) for c in range(channels)])
    # A folder name with the characters ffmpeg's tee muxer gives meaning to.
    folder = tmp_path / "out [a|b] x:y"
    folder.mkdir()
    teed = folder / "teed.mp3"
    during = mp3.encode_and_measure_mp3(samples, sample_rate, teed, kbps=320)
    plain = tmp_path / "plain.mp3"
    mp3.encode_mp3(samples, sample_rate, plain, kbps=320)
    assert teed.read_bytes() == plain.read_bytes()  # the delivered file is a plain encode
    after = mp3.measure_mp3(teed, channels=channels)
    assert during.integrated_lufs == after.integrated_lufs
    assert during.true_peak_dbtp == after.true_peak_dbtp
    assert during.sample_peak_dbfs == after.sample_peak_dbfs


def test_encoder_failure_while_measuring_is_an_output_error(tmp_path: Path) -> None:
    from stemforge.errors import OutputError

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    with pytest.raises(OutputError, match="master.mp3"):
        mp3.encode_and_measure_mp3(np.zeros((2, 4800), np.float32), 48000, tmp_path / "missing" / "x.mp3", kbps=320)


def test_mp3_started_before_the_rise_is_known_starts_again_when_it_asks_for_more(tmp_path: Path) -> None:
    import threading
    from concurrent.futures import Future

    from mastering.material import song
    from stemforge.mastering import delivery
    from stemforge.mastering.limiter import LimiterSettings
    from stemforge.mastering.loudness import reach_loudness

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    level = reach_loudness(song(60.0, lufs=-16.0), 48000, target_lufs=-14.0, limiter=LimiterSettings(-1.0))
    measured: Future[float | None] = Future()
    started = threading.Event()
    real = delivery.encode_and_measure_mp3

    def spy(*args: object, **kwargs: object) -> object:
        started.set()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    def measure_later() -> None:
        started.wait(10)
        measured.set_result(0.9)  # while the first encoding runs

    threading.Thread(target=measure_later, daemon=True).start()
    delivery_spy = pytest.MonkeyPatch()
    delivery_spy.setattr(delivery, "encode_and_measure_mp3", spy)
    try:
        item = delivery._mp3(level, temp=tmp_path / "x.mp3", ceiling_dbtp=-1.0, src_rise=measured, limited=Future())
    finally:
        delivery_spy.undo()
    assert item.notes[-1] == "source limited to -2.20 dBTP so the decoded MP3 stays within the ceiling"
    assert "the CD conversion raised the true peak 0.90 dB: first headroom 1.20 dB" in item.notes
    assert item.true_peak_dbtp <= -1.0
    # The file is the second, complete encoding: 60 s at 320 kbit/s.
    assert (tmp_path / "x.mp3").stat().st_size * 8 / 60.0 / 1000 == pytest.approx(320, rel=0.05)


def test_cancelled_encoding_returns_nothing(tmp_path: Path) -> None:
    import threading

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    stop = threading.Event()
    stop.set()
    x = (0.1 * np.random.default_rng(1).standard_normal((2, 48000 * 10))).astype(np.float32)
    assert mp3.encode_and_measure_mp3(x, 48000, tmp_path / "x.mp3", kbps=320, cancel=stop) is None
