"""Awkward inputs: clear errors (nothing written) or warnings, never a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mastering.material import measure, read, song, write
from stemforge.errors import AnalysisError, AudioFormatError, StemforgeError
from stemforge.mastering import MasterSettings, master

FAST = MasterSettings(deliverables=("master",))


def _nothing_written(out: Path) -> bool:
    return not out.exists() or not any(out.iterdir())


def test_silent_input_is_an_error(tmp_path: Path) -> None:
    mix = write(tmp_path / "mix.wav", np.zeros((2, 48000 * 3), np.float32))
    with pytest.raises(AnalysisError, match="silent"):
        master(mix, FAST, out_dir=tmp_path / "out")
    assert _nothing_written(tmp_path / "out")


def test_too_short_input_is_an_error(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    mix = write(tmp_path / "mix.wav", (0.1 * rng.standard_normal((2, int(0.3 * 48000)))).astype(np.float32))
    with pytest.raises(AnalysisError, match="at least 0.4 s"):
        master(mix, FAST, out_dir=tmp_path / "out")
    assert _nothing_written(tmp_path / "out")


def test_one_second_input_is_mastered_with_a_warning(tmp_path: Path) -> None:
    mix = write(tmp_path / "mix.wav", song(1.0, lufs=-20.0))
    result = master(mix, MasterSettings(), out_dir=tmp_path / "out")
    assert any("only 1.0 s long" in w for w in result.warnings)
    lufs, peak = measure(tmp_path / "out" / "master.wav")
    assert lufs == pytest.approx(-14.0, abs=0.1)
    assert peak <= -1.0
    assert (tmp_path / "out" / "master.mp3").exists()


def test_mono_input_is_mastered_as_mono(tmp_path: Path) -> None:
    mix = write(tmp_path / "mix.wav", song(6.0, lufs=-20.0, channels=1))
    settings = MasterSettings(target=None, target_lufs=-16.0, width_percent=120.0, max_reduction_db=12.0)
    result = master(mix, settings, out_dir=tmp_path / "out")
    assert any("mono" in w for w in result.warnings)
    assert any("stereo input" in w for w in result.warnings)
    for name in ("master.wav", "master-cd.wav"):
        samples, _ = read(tmp_path / "out" / name)
        assert samples.shape[0] == 1
    lufs, peak = measure(tmp_path / "out" / "master.wav")
    assert lufs == pytest.approx(-16.0, abs=0.1)
    assert peak <= -1.0


def test_clipped_input_warns(tmp_path: Path) -> None:
    mix = write(tmp_path / "mix.wav", song(6.0, lufs=-7.0, clip=True))
    result = master(mix, FAST, out_dir=tmp_path / "out")
    assert any("clipped" in w for w in result.warnings)
    lufs, peak = measure(tmp_path / "out" / "master.wav")
    assert lufs == pytest.approx(-14.0, abs=0.1) and peak <= -1.0


def test_unreadable_input_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "mix.wav"
    bad.write_bytes(b"RIFF not really a wav file")
    with pytest.raises(AudioFormatError):
        master(bad, FAST, out_dir=tmp_path / "out")
    assert _nothing_written(tmp_path / "out")


def test_silent_reference_is_an_error(tmp_path: Path) -> None:
    mix = write(tmp_path / "mix.wav", song(4.0, lufs=-20.0))
    ref = write(tmp_path / "ref.wav", np.zeros((2, 48000 * 4), np.float32))
    with pytest.raises(AnalysisError, match="reference is silent"):
        master(mix, MasterSettings(reference=ref, deliverables=("master",)), out_dir=tmp_path / "out")
    assert _nothing_written(tmp_path / "out")


def test_stems_of_unequal_length_are_an_error(tmp_path: Path) -> None:
    write(tmp_path / "stems" / "a.wav", song(3.0, lufs=-20.0))
    write(tmp_path / "stems" / "b.wav", song(2.0, lufs=-20.0))
    with pytest.raises(AudioFormatError, match="frames long"):
        master(tmp_path / "stems", FAST, out_dir=tmp_path / "out")


def test_refuses_to_overwrite_an_input(tmp_path: Path) -> None:
    mix = write(tmp_path / "master.wav", song(3.0, lufs=-20.0))
    with pytest.raises(StemforgeError, match="refusing to overwrite"):
        master(mix, FAST, out_dir=tmp_path)


def test_failure_midway_leaves_no_partial_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stemforge.mastering import pipeline

    def broken(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "match_previews", broken)  # while the CD and MP3 are under way
    mix = write(tmp_path / "mix.wav", song(3.0, lufs=-20.0))
    with pytest.raises(OSError):
        master(mix, MasterSettings(), out_dir=tmp_path / "out")
    assert _nothing_written(tmp_path / "out")


def test_a_master_stopped_while_the_mp3_encodes_stops_the_encoder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CD's handling fails (as a full disk would) while the MP3 encodes: no file is left,
    and the encoder is stopped rather than run to the end."""
    import shutil
    import time

    from stemforge.mastering import delivery

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    import threading

    finished: list[object] = []
    started = threading.Event()
    real = delivery.encode_and_measure_mp3

    class Held:
        """The encoder's source: after its first block it waits for the master to stop it."""

        def __init__(self, inner: object, cancel: object) -> None:
            self.inner, self.cancel, self.shape = inner, cancel, inner.shape  # type: ignore[attr-defined]

        def __getitem__(self, key: tuple[slice, slice]) -> object:
            waited = 0.0
            while key[1].start and not self.cancel.is_set() and waited < 30:  # type: ignore[attr-defined]
                time.sleep(0.01)  # a master that never stops the encoder fails the test below, late
                waited += 0.01
            return self.inner[key]  # type: ignore[index]

    def watched(samples: object, *args: object, **kwargs: object) -> object:
        started.set()
        result = real(Held(samples, kwargs["cancel"]), *args, **kwargs)  # type: ignore[arg-type]
        finished.append(result)
        return result

    def broken(*args: object, **kwargs: object) -> object:
        assert started.wait(30)  # the encoder is under way
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(delivery, "encode_and_measure_mp3", watched)
    monkeypatch.setattr(delivery, "_cd_convert", broken)  # runs beside the encoder from its start
    mix = write(tmp_path / "mix.wav", song(120.0, lufs=-20.0))
    with pytest.raises(OSError):
        master(mix, MasterSettings(), out_dir=tmp_path / "out")
    assert _nothing_written(tmp_path / "out")
    assert finished and all(result is None for result in finished)  # stopped, never a full measurement


def _clipped_runs_by_hand(x: np.ndarray, run: int) -> int:
    runs = 0
    for channel in x:
        i = 0
        while i < channel.size:
            if abs(channel[i]) >= np.float32(0.9999):
                j = i
                while j + 1 < channel.size and channel[j + 1] == channel[i]:
                    j += 1
                runs += int(j - i + 1 >= run)
                i = j + 1
            else:
                i += 1
    return runs


def test_clipped_runs_are_flat_tops_counted_once_across_pieces() -> None:
    from stemforge.mastering.pipeline import _CHECK_FRAMES, CLIPPED_RUN_FRAMES, _clipped_runs

    rng = np.random.default_rng(5)
    for _ in range(10):
        frames = int(rng.integers(1, 3 * _CHECK_FRAMES))
        x = (0.2 * rng.standard_normal((2, frames))).astype(np.float32)
        for _ in range(int(rng.integers(0, 20))):
            at, length = int(rng.integers(0, frames)), int(rng.integers(1, 6))
            x[int(rng.integers(0, 2)), at : at + length] = rng.choice([1.0, -1.0, 0.99995, 1.2])
        for border in range(_CHECK_FRAMES, frames, _CHECK_FRAMES):  # runs across the pieces' borders
            at = border + int(rng.integers(-5, 1))
            x[0, at : at + int(rng.integers(1, 6))] = 1.0
        assert _clipped_runs(x) == _clipped_runs_by_hand(x, CLIPPED_RUN_FRAMES)


def test_a_float_mix_peaking_over_full_scale_is_not_called_clipped(tmp_path: Path) -> None:
    x = song(6.0, lufs=-8.0)
    x *= np.float32(1.3 / np.abs(x).max())  # smooth peaks at +2.3 dBFS, none repeated
    mix = write(tmp_path / "mix.wav", x, subtype="FLOAT")
    result = master(mix, FAST, out_dir=tmp_path / "out")
    assert not any("clipped" in w for w in result.warnings)
    lufs, peak = measure(tmp_path / "out" / "master.wav")
    assert lufs == pytest.approx(-14.0, abs=0.1) and peak <= -1.0
