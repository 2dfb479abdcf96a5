"""NI Stems: five equal AAC streams, the stem box parses back, each stream matches its source."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pkg_helpers import make_render_folder

from stemforge.errors import MissingDependencyError, UsageError
from stemforge.export.ni_stems import (
    SLOTS,
    assign_slots,
    export_ni_stems,
    parse_mapping,
    read_stem_metadata,
    stem_metadata,
)

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="ffmpeg/ffprobe not installed (make sysdeps)")


@pytest.fixture(scope="module")
def render_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_render_folder(tmp_path_factory.mktemp("render"), keys=True)


@pytest.fixture(scope="module")
def stem_file(render_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    return export_ni_stems(render_dir, out=tmp_path_factory.mktemp("ni") / "Test Song.stem.mp4").path


def probe(path: Path) -> list[dict]:
    proc = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=index,codec_type,codec_name,duration,nb_frames,sample_rate",
                           "-of", "json", str(path)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)["streams"]


def decode(path: Path, stream: int) -> np.ndarray:
    proc = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", f"0:a:{stream}",
                           "-f", "f32le", "-ac", "2", "-ar", "48000", "pipe:1"], capture_output=True, check=True)
    return np.frombuffer(proc.stdout, dtype=np.float32).reshape(-1, 2).T


@needs_ffmpeg
def test_five_aac_streams_of_equal_length(stem_file: Path) -> None:
    streams = probe(stem_file)
    assert [s["codec_type"] for s in streams] == ["audio"] * 5
    assert {s["codec_name"] for s in streams} == {"aac"}
    assert len({s["duration"] for s in streams}) == 1 and len({s["nb_frames"] for s in streams}) == 1
    assert float(streams[0]["duration"]) == pytest.approx(2.0, abs=0.03)


@needs_ffmpeg
def test_stem_box_parses_back_to_what_was_written(stem_file: Path) -> None:
    metadata = read_stem_metadata(stem_file)
    assert metadata == stem_metadata()
    assert [s["name"] for s in metadata["stems"]] == ["Drums", "Bass", "Other", "Vocals"]
    assert all(len(s["color"]) == 7 and s["color"].startswith("#") for s in metadata["stems"])
    assert metadata["version"] == 1 and set(metadata["mastering_dsp"]) == {"compressor", "limiter"}


@needs_ffmpeg
def test_each_stream_decodes_close_to_its_source(stem_file: Path, render_dir: Path) -> None:
    def load(name: str) -> np.ndarray:
        return sf.read(render_dir / name, dtype="float32", always_2d=True)[0].T

    sources = [
        load("mix.wav"),
        load("stems/Test Song - drums.wav"),
        load("stems/Test Song - bass.wav"),
        load("stems/Test Song - keys.wav"),
        load("stems/Test Song - lead_vocals.wav"),
    ]
    for index, source in enumerate(sources):
        decoded = decode(stem_file, index)
        n = min(decoded.shape[1], source.shape[1])
        assert abs(decoded.shape[1] - source.shape[1]) <= 1024, (index, decoded.shape, source.shape)
        a, b = decoded[:, :n].ravel().astype(np.float64), source[:, :n].ravel().astype(np.float64)
        correlation = float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))
        assert correlation > 0.99, (index, correlation)


@needs_ffmpeg
def test_mapping_moves_a_stem(render_dir: Path, tmp_path: Path) -> None:
    result = export_ni_stems(render_dir, out=tmp_path / "x.stem.mp4", mapping={"keys": "bass"}, bitrate_kbps=96)
    assert result.assignment["bass"] == ("bass", "keys") and result.assignment["other"] == ()
    assert len(probe(result.path)) == 5


def test_default_role_mapping() -> None:
    stems = [{"name": n, "role": r} for n, r in [("Kit", "drums"), ("Perc", "percussion"), ("Bass", "bass"),
                                                 ("Gtr", "guitars"), ("Vox", "lead_vocals"), ("BV", "backing_vocals"), ("FX", "fx")]]
    assert assign_slots(stems) == {"drums": ["Kit", "Perc"], "bass": ["Bass"], "other": ["Gtr", "FX"], "vocals": ["Vox", "BV"]}
    assert assign_slots(stems, {"fx": "vocals", "Gtr": "bass"})["vocals"] == ["Vox", "BV", "FX"]
    assert tuple(assign_slots([])) == SLOTS


def test_bad_mapping_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="must look like role=slot"):
        parse_mapping(["synths"])
    with pytest.raises(UsageError, match="slot 'piano' is not one of drums, bass, other, vocals"):
        parse_mapping(["synths=piano"])


def test_missing_ffmpeg_says_how_to_install(monkeypatch: pytest.MonkeyPatch, render_dir: Path, tmp_path: Path) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MissingDependencyError, match="ffmpeg: not found") as info:
        export_ni_stems(render_dir, out=tmp_path / "x.stem.mp4")
    assert "apt-get install ffmpeg" in (info.value.tip or "")
    assert not (tmp_path / "x.stem.mp4").exists()


@needs_ffmpeg
def test_alac_is_lossless(render_dir: Path, tmp_path: Path) -> None:
    result = export_ni_stems(render_dir, out=tmp_path / "x.stem.mp4", codec="alac")
    streams = probe(result.path)
    assert [s["codec_name"] for s in streams] == ["alac"] * 5
    source = sf.read(render_dir / "stems" / "Test Song - bass.wav", dtype="float32", always_2d=True)[0].T
    decoded = decode(result.path, 2)
    assert decoded.shape == source.shape
    assert float(np.max(np.abs(decoded - source))) < 1e-6
    assert read_stem_metadata(result.path) == stem_metadata()


def test_unknown_codec_is_a_usage_error(render_dir: Path, tmp_path: Path) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    with pytest.raises(UsageError, match="--codec 'mp3' must be one of aac, alac"):
        export_ni_stems(render_dir, out=tmp_path / "x.stem.mp4", codec="mp3")
