"""Sends and FX returns rendered per stem: stems null against the mix, non-linear returns are reported."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stemforge.dsp import EFFECTS
from stemforge.render import render_session
from stemforge.session import Return, Send, Session, Stem, Track

RATE = 48000


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sends")
    rng = np.random.default_rng(5)
    out = {}
    for name, channels in (("kick", 1), ("bass", 1), ("vox", 1), ("gtr", 2)):
        burst = np.zeros((channels, RATE), np.float32)
        burst[:, : RATE // 3] = 0.2 * rng.standard_normal((channels, RATE // 3))
        out[name] = folder / f"{name}.wav"
        sf.write(out[name], burst.T, RATE, subtype="FLOAT")
    return out


def session_with_returns(sources: dict[str, Path], *, plate_inserts: tuple = ()) -> Session:
    reverb, delay, eq, comp = EFFECTS["reverb"], EFFECTS["delay"], EFFECTS["eq"], EFFECTS["compressor"]
    tracks = (
        Track("Kick", (sources["kick"],), "drums", inserts=(comp(threshold_db=-30, ratio=6),), sends=(Send("plate", -9.0),)),
        Track("Bass", (sources["bass"],), "bass", pan=-0.3, sends=(Send("slap", -6.0, pre_fader=True),), gain_db=-4),
        Track("Vox", (sources["vox"],), "vocals", offset_s=0.1, sends=(Send("plate", -3.0), Send("slap", -10.0))),
        Track("Gtr", (sources["gtr"],), "vocals", pan=0.4, offset_s=0.05, sends=(Send("plate", -12.0),)),
    )
    returns = (
        Return("plate", inserts=(*plate_inserts, reverb(room_size=0.6, damping=0.4)), gain_db=-2.0),
        Return("slap", inserts=(eq.from_table({"bands": [{"kind": "highpass", "cutoff_hz": 200, "slope_db_oct": 24}]}, where="x", source=Path("x")), delay(delay_s=0.09, feedback=0.45))),
    )
    stems = (Stem("drums"), Stem("bass", gain_db=-1.5), Stem("vocals"))
    return Session(title="Sends", sample_rate=RATE, tracks=tracks, stems=stems, returns=returns, tail_max_s=4.0)


def residual_dbfs(result) -> float:
    total = sum(sf.read(p, dtype="float64")[0] for p in result.stems.values())
    mix = sf.read(result.mix, dtype="float64")[0]
    peak = float(np.max(np.abs(total - mix)))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def test_stems_with_shared_reverb_and_delay_null_against_the_mix(sources, tmp_path: Path) -> None:
    result = render_session(session_with_returns(sources), out_dir=tmp_path, fmt="wav32f")
    assert residual_dbfs(result) < -120
    report = json.loads(result.report.read_text())
    assert report["nulling"]["exact_against_shared_returns"] is True
    assert {r["name"]: r["stems"] for r in report["returns"]} == {"plate": ["drums", "vocals"], "slap": ["bass", "vocals"]}
    # every stem carries its share of the returns: the reverb rings on past the dry sound
    drums = sf.read(result.stems["drums"])[0]
    assert np.max(np.abs(drums[int(0.5 * RATE) :])) > 1e-3


def test_per_stem_returns_sum_to_one_shared_linear_return(sources, tmp_path: Path) -> None:
    """Σ stems equals what a DAW mix through one shared reverb and delay would give."""
    session = session_with_returns(sources)
    per_stem = render_session(session, out_dir=tmp_path / "a", fmt="wav32f")
    mix = sf.read(per_stem.mix, dtype="float64")[0]
    # the same song with every track in one stem: one instance of each return
    merged = Session(
        title="Merged", sample_rate=RATE, returns=session.returns, tail_max_s=4.0, stems=(Stem("all"),),
        tracks=tuple(Track(t.name, t.files, "all", gain_db=t.gain_db + (-1.5 if t.stem == "bass" else 0.0), pan=t.pan, offset_s=t.offset_s, inserts=t.inserts, sends=tuple(Send(s.to, s.level_db - (-1.5 if t.stem == "bass" and not s.pre_fader else 0.0), s.pre_fader) for s in t.sends)) for t in session.tracks),
    )
    shared = sf.read(render_session(merged, out_dir=tmp_path / "b", fmt="wav32f").mix, dtype="float64")[0]
    n = min(len(mix), len(shared))
    assert 20 * math.log10(np.max(np.abs(mix[:n] - shared[:n]))) < -100


def test_tails_ring_out_and_every_output_has_the_same_length(sources, tmp_path: Path) -> None:
    result = render_session(session_with_returns(sources), out_dir=tmp_path, fmt="wav32f")
    lengths = {sf.info(p).frames for p in [result.mix, *result.stems.values()]}
    assert lengths == {result.frames}
    assert result.frames > int(1.1 * RATE)  # past the last clip (0.1 s + 1 s)
    report = json.loads(result.report.read_text())
    assert report["tail"]["capped"] is False and report["tail"]["frames"] == result.frames - round(1.1 * RATE)
    # the render stops on the last frame where any output is still above -96 dBFS
    last = max(np.max(np.abs(sf.read(p)[0][-1])) for p in [result.mix, *result.stems.values()])
    assert 20 * math.log10(last) > -96


def test_tail_cap_cuts_the_render_and_says_so(sources, tmp_path: Path) -> None:
    session = session_with_returns(sources)
    result = render_session(session, out_dir=tmp_path, fmt="wav32f", tail_max_s=0.2)
    assert result.frames == round(1.1 * RATE) + round(0.2 * RATE)
    report = json.loads(result.report.read_text())
    assert report["tail"]["capped"] is True
    assert any("tail_max_s" in w for w in report["warnings"])


def test_non_linear_return_reports_which_stems_cannot_null_and_the_residual(sources, tmp_path: Path) -> None:
    comp = EFFECTS["compressor"](threshold_db=-40, ratio=8, attack_ms=1)
    result = render_session(session_with_returns(sources, plate_inserts=(comp,)), out_dir=tmp_path, fmt="wav32f")
    assert residual_dbfs(result) < -120  # the mix is the sum of the stems, always
    report = json.loads(result.report.read_text())
    assert report["nulling"]["exact_against_shared_returns"] is False
    [entry] = report["nulling"]["non_linear_returns"]
    assert entry["name"] == "plate" and entry["stems"] == ["drums", "vocals"]
    assert -80 < entry["residual_peak_dbfs"] < 0
    stems = {s["name"]: s for s in report["stems"]}
    assert stems["drums"]["nulls_against_shared_returns"] is False
    assert stems["drums"]["null_residual_dbfs"] == entry["residual_peak_dbfs"]
    assert stems["bass"]["nulls_against_shared_returns"] is True
    assert any("cannot null exactly" in w and "plate" in w for w in report["warnings"])


@pytest.mark.parametrize("pre_fader", [True, False])
def test_pre_fader_sends_ignore_the_fader_and_post_fader_sends_follow_it(sources, tmp_path: Path, pre_fader: bool) -> None:
    """A track at -20 dB sends at 0 dB to a pass-through return; its stem holds dry + return."""
    track = Track("Vox", (sources["vox"],), "vocals", gain_db=-20.0, pan=-1.0, sends=(Send("bus", 0.0, pre_fader=pre_fader),))
    session = Session(
        title="Pre", sample_rate=RATE, tracks=(track,), stems=(Stem("vocals"),),
        returns=(Return("bus", inserts=(EFFECTS["gain"](gain_db=0.0),)),),
    )
    result = render_session(session, out_dir=tmp_path, fmt="wav32f")
    left = sf.read(result.stems["vocals"], dtype="float64")[0][:, 0]
    source = sf.read(sources["vox"], dtype="float64")[0]
    fader = 10 ** (-20 / 20)
    expected = source * (fader + (1.0 if pre_fader else fader))  # hard left: unity pan gain
    np.testing.assert_allclose(left[: len(source)], expected, rtol=1e-5, atol=1e-7)
