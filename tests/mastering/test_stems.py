"""Mastering from stems: no moves equals mastering the sum; a +3 dB move adds 3 dB to that stem."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mastering.material import read, song, write
from stemforge.mastering import MasterSettings, StemMove, master, parse_stem_option
from stemforge.mastering.settings import EqBand, StemCompression


def _stems(folder: Path, seconds: float = 10.0) -> dict[str, np.ndarray]:
    rate = 48000
    frames = int(seconds * rate)
    t = np.arange(frames) / rate
    rng = np.random.default_rng(5)
    drums = song(seconds, lufs=-22.0, seed=3)
    bass = np.stack([0.2 * np.sin(2 * np.pi * 55 * t)] * 2).astype(np.float32)
    vocal = (0.1 * np.sin(2 * np.pi * 440 * t + 2 * np.sin(2 * np.pi * 5 * t)) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))).astype(np.float32)
    vocals = np.stack([vocal, vocal * 0.9]).astype(np.float32)
    keys = (0.03 * rng.standard_normal((2, frames))).astype(np.float32)
    stems = {"drums": drums, "bass": bass, "lead_vocals": vocals, "keys": keys}
    for name, samples in stems.items():
        write(folder / f"Song - {name}.wav", samples, subtype="FLOAT")
    return stems


def test_no_moves_equals_mastering_the_sum(tmp_path: Path) -> None:
    stems = _stems(tmp_path / "stems")
    mix = np.zeros_like(stems["drums"])
    for name in sorted(stems):  # the folder's order: file names sorted
        mix += stems[name]
    write(tmp_path / "mix.wav", mix, subtype="FLOAT")
    settings = MasterSettings(deliverables=("master",), glue=True)
    from_stems = master(tmp_path / "stems", settings, out_dir=tmp_path / "a")
    from_mix = master(tmp_path / "mix.wav", settings, out_dir=tmp_path / "b")
    a, _ = read(tmp_path / "a" / "master.wav")
    b, _ = read(tmp_path / "b" / "master.wav")
    difference = float(np.max(np.abs(a.astype(np.float64) - b)))
    assert difference == 0.0 or 20 * np.log10(difference) <= -120.0
    assert [s.name for s in from_stems.rebalance.stems] == ["bass", "drums", "keys", "lead_vocals"]
    assert not from_stems.rebalance.applied
    assert from_stems.level.limit.output_lufs == pytest.approx(from_mix.level.limit.output_lufs, abs=1e-9)


def test_plus_3_db_raises_the_stem_by_3_db(tmp_path: Path) -> None:
    _stems(tmp_path / "stems")
    settings = MasterSettings(deliverables=("master",), stems=(parse_stem_option("lead_vocals=+3dB"),))
    result = master(tmp_path / "stems", settings, out_dir=tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    stems = {s["name"]: s for s in report["stages"]["rebalance"]["stems"]}
    assert report["stages"]["rebalance"]["applied"] is True
    assert stems["lead_vocals"]["change_db"] == pytest.approx(3.0, abs=0.01)
    assert stems["lead_vocals"]["lufs_after"] - stems["lead_vocals"]["lufs_before"] == pytest.approx(3.0, abs=0.01)
    assert stems["drums"]["change_db"] == 0.0
    assert result.reached_target


def test_eq_and_compression_moves(tmp_path: Path) -> None:
    _stems(tmp_path / "stems")
    moves = (
        StemMove("drums", eq=(EqBand("high_shelf", 8000.0, -3.0),)),
        StemMove("keys", compression=StemCompression(-40.0, 4.0)),
    )
    result = master(tmp_path / "stems", MasterSettings(deliverables=("master",), stems=moves), out_dir=tmp_path / "out")
    by_name = {s.name: s for s in result.rebalance.stems}
    assert by_name["drums"].change_db is not None and -3.0 < by_name["drums"].change_db < -0.05
    assert by_name["keys"].change_db is not None and by_name["keys"].change_db < -1.0


def test_unknown_stem_is_a_usage_error(tmp_path: Path) -> None:
    from stemforge.errors import UsageError

    _stems(tmp_path / "stems", seconds=2.0)
    with pytest.raises(UsageError, match="no such stem"):
        master(tmp_path / "stems", MasterSettings(stems=(StemMove("vox", gain_db=1.0),)), out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("lead_vocals=+1.5dB", StemMove("lead_vocals", gain_db=1.5)),
        ("drums:high_shelf=8000:-1.5dB", StemMove("drums", eq=(EqBand("high_shelf", 8000.0, -1.5),))),
        ("drums:high_shelf=8k:-1.5", StemMove("drums", eq=(EqBand("high_shelf", 8000.0, -1.5),))),
        ("vox:peak=3000:-2dB:1.4", StemMove("vox", eq=(EqBand("peak", 3000.0, -2.0, 1.4),))),
        ("bass:highpass=30", StemMove("bass", eq=(EqBand("highpass", 30.0),))),
        ("bass:compress=-18:3", StemMove("bass", compression=StemCompression(-18.0, 3.0))),
    ],
)
def test_parse_stem_option(option: str, expected: StemMove) -> None:
    assert parse_stem_option(option) == expected


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("vocals", "has no '='"),
        ("vocals=loud", "not a gain in dB"),
        ("drums:high_shelf=8000", "FREQ:GAIN"),
        ("drums:tilt=3", "not a stem move"),
        ("drums:peak=90000:-1", "between 10 and 40000 Hz"),
        ("=3dB", "names no stem"),
    ],
)
def test_parse_stem_option_errors(option: str, message: str) -> None:
    from stemforge.errors import UsageError

    with pytest.raises(UsageError, match=message):
        parse_stem_option(option)
