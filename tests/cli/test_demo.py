"""`stemforge demo OUT` runs the whole flow on the synthesized demo song."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import soundfile as sf

from stemforge.analysis import analyze_file
from stemforge.audio import read_info


def test_demo_writes_the_multitrack_session_and_render(cli, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = cli("demo", out, "--bars", "8")
    assert result.code == 0, result.err
    assert "warning" not in result.err, result.err

    tracks = sorted((out / "tracks").glob("*.wav"))
    infos = [read_info(p) for p in tracks]
    assert len(tracks) >= 12
    assert {i.channels for i in infos} == {1, 2}
    assert [i.sample_rate for i in infos].count(44100) == 1

    report = json.loads((out / "render" / "render.json").read_text())
    assert report["sample_rate"] == 48000
    assert {"drums", "bass", "keys", "guitars", "lead_vocals", "backing_vocals", "fx"} <= {s["name"] for s in report["stems"]}
    resampled = [i for i in report["inputs"] if any(f["resampled"] for f in i["files"])]
    assert len(resampled) == 1

    # The BWF-stamped track starts where its time reference says, in its stem and the mix.
    stamped = [i for i in infos if i.time_reference]
    assert len(stamped) == 1
    frame = round(stamped[0].time_reference / stamped[0].sample_rate * 48000)
    entry = next(i for i in report["inputs"] if Path(i["files"][0]["path"]).name == stamped[0].path.name)
    assert entry["offset_frames"] == frame
    stem_file = next(s["file"] for s in report["stems"] if s["name"] == entry["stem"])
    stem, _ = sf.read(out / "render" / stem_file)
    source, _ = sf.read(stamped[0].path, always_2d=True)
    # The stem holds only this track: its loudest sample sits `frame` frames after the file's.
    assert int(np.argmax(np.abs(stem).max(axis=1))) - int(np.argmax(np.abs(source).max(axis=1))) == frame
    assert not np.any(stem[:frame])

    mix, _ = sf.read(out / "render" / "mix.wav")
    total = sum(sf.read(out / "render" / s["file"])[0] for s in report["stems"])
    assert 20 * math.log10(np.max(np.abs(total - mix))) < -90
    assert "session.toml" in result.out and "loudness.html" in result.out
    assert "data:image/png;base64," in (out / "loudness.html").read_text()
    assert " LUFS integrated" in result.out

    # The demo masters its stems to the session's target (streaming: -14 LUFS, -1 dBTP).
    mastered = analyze_file(out / "master" / "master.wav")
    assert abs(mastered.integrated_lufs - (-14.0)) <= 0.1
    assert mastered.true_peak_dbtp <= -1.0
    assert {p.name for p in (out / "master").iterdir()} >= {"master.wav", "master-cd.wav", "master.flac", "master.mp3", "report.html", "report.json"}
