"""Acceptance on the demo song: session and render-folder inputs land on target under the ceiling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis.ffmpeg_ebur128 import ffmpeg_ebur128, needs_ffmpeg

from mastering.material import measure
from stemforge.mastering import MasterSettings, master, resolve_target


@pytest.fixture(scope="module")
def demo_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from stemforge.demo import write_demo_tracks
    from stemforge.importers.folder import import_folder
    from stemforge.session import save_session

    root = tmp_path_factory.mktemp("demo")
    write_demo_tracks(root / "tracks", bars=6)
    session, _found, _proposals = import_folder(root / "tracks", title="Night Owl")
    save_session(session, root / "session.toml")
    return root / "session.toml"


@pytest.mark.parametrize("target", ["streaming", "club"])
def test_demo_session_reaches_target(tmp_path: Path, demo_session: Path, target: str) -> None:
    name, lufs, ceiling = resolve_target(target)
    settings = MasterSettings(target=name, target_lufs=lufs, ceiling_dbtp=ceiling, deliverables=("master", "cd"), max_reduction_db=12.0)
    result = master(demo_session, settings, out_dir=tmp_path / "out")
    assert result.input.kind == "session"
    for file in ("master.wav", "master-cd.wav"):
        measured_lufs, peak = measure(tmp_path / "out" / file)
        assert measured_lufs == pytest.approx(lufs, abs=0.1)
        assert peak <= ceiling
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert len(report["stages"]["rebalance"]["stems"]) >= 5
    assert all(s["lufs_before"] is None or s["lufs_before"] < 0 for s in report["stages"]["rebalance"]["stems"])


@needs_ffmpeg
def test_demo_render_folder_by_ffmpeg(tmp_path: Path, demo_session: Path) -> None:
    from stemforge.render import render_session
    from stemforge.session import load_session

    render_session(load_session(demo_session), out_dir=tmp_path / "render")
    result = master(tmp_path / "render", MasterSettings(deliverables=("master",)), out_dir=tmp_path / "out")
    assert result.input.kind == "stems"
    reading = ffmpeg_ebur128(tmp_path / "out" / "master.wav")
    assert reading.integrated_lufs == pytest.approx(-14.0, abs=0.1)
    assert reading.true_peak_dbtp <= -1.0
