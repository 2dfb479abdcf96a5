"""Latency compensation: an impulse lands on the same frame in its stem, the mix and a dry track."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pedalboard
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).parents[1] / "dsp"))
from effect_cases import CASES

from stemforge.dsp import EFFECTS, EffectSpec, param, parse_effect
from stemforge.dsp.chain import chain_is_framed
from stemforge.render import render_session
from stemforge.session import Master, Return, Send, Session, Stem, Track

RATE = 48000
AT = 3000  # frame of the impulse


@pytest.fixture(scope="module")
def impulse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    x = np.zeros((RATE // 2, 1), np.float32)
    x[AT] = 0.5
    path = tmp_path_factory.mktemp("impulse") / "impulse.wav"
    sf.write(path, x, RATE, subtype="FLOAT")
    return path


@dataclass(frozen=True)
class Latent(EffectSpec):
    """A test effect that delays by ``frames`` and says so, as a look-ahead plugin does."""

    type_name = "test_latent"
    frames: int = param(1000, kind=int, low=0, high=RATE)

    def plugins(self, sample_rate: int) -> list[pedalboard.Plugin]:
        return [pedalboard.Delay(delay_seconds=self.frames / sample_rate, feedback=0.0, mix=1.0)]

    def latency_frames(self, sample_rate: int) -> int:
        return self.frames


@pytest.fixture
def latent() -> Iterator[type[Latent]]:
    EFFECTS[Latent.type_name] = Latent
    yield Latent
    del EFFECTS[Latent.type_name]


def first_frames(result) -> dict[str, int]:
    out = {}
    for name, path in [("mix", result.mix), *result.stems.items()]:
        audio = sf.read(path, dtype="float64")[0]
        out[name] = int(np.flatnonzero(np.max(np.abs(audio), axis=1) > 1e-6)[0])
    return out


def session(impulse: Path, chain: tuple, *, master: tuple = ()) -> Session:
    return Session(
        title="Impulse",
        sample_rate=RATE,
        tracks=(
            Track("Wet", (impulse,), "fx", inserts=chain, sends=(Send("r", -6.0),)),
            Track("Dry", (impulse,), "ref", pan=0.5),
        ),
        stems=(Stem("fx", inserts=chain), Stem("ref")),
        returns=(Return("r", inserts=chain),),
        master=Master(inserts=master),
        tail_max_s=1.0,
    )


@pytest.mark.parametrize("kind", sorted(CASES))
def test_impulse_through_every_effect_type_lands_on_the_same_frame(impulse: Path, tmp_path: Path, kind: str) -> None:
    """The effect on the track, on its return and on its stem: 0 frames of drift anywhere."""
    result = render_session(session(impulse, (CASES[kind],)), out_dir=tmp_path, fmt="wav32f")
    assert first_frames(result) == {"mix": AT, "fx": AT, "ref": AT}
    # a chain running pedalboard plugins is framed, and its latency compensated; one made of compiled stages has none
    framed = any(chain_is_framed((CASES[kind],), RATE, channels=c) for c in (1, 2))
    assert (result.latency_frames > 0) == framed


def test_reported_plugin_latency_is_compensated_on_every_path(impulse: Path, tmp_path: Path, latent) -> None:
    chain = (latent(frames=1000), CASES["compressor"])
    s = session(impulse, chain, master=(latent(frames=37), CASES["limiter"]))
    s = Session(
        title=s.title, sample_rate=RATE, stems=(Stem("fx", inserts=(latent(frames=2000),)), Stem("ref")), master=s.master,
        tracks=(s.tracks[0], Track("Dry", s.tracks[1].files, "ref", inserts=(latent(frames=777),))),
        returns=(Return("r", inserts=(latent(frames=250), CASES["reverb"])),),
    )
    pre = render_session(s, out_dir=tmp_path / "pre", fmt="wav32f")
    assert first_frames(pre) == {"mix": AT, "fx": AT, "ref": AT}
    post = render_session(s, out_dir=tmp_path / "post", fmt="wav32f", master_chain=True)
    assert post.tap_point == "post-master"
    assert first_frames(post) == {"mix": AT, "fx": AT, "ref": AT}
    assert post.latency_frames == pre.latency_frames + 37 + 8192


def test_without_effects_nothing_is_delayed_or_lengthened(impulse: Path, tmp_path: Path) -> None:
    result = render_session(session(impulse, ()), out_dir=tmp_path, fmt="wav32f")
    assert result.latency_frames == 0 and result.frames == RATE // 2
    assert first_frames(result) == {"mix": AT, "fx": AT, "ref": AT}


def test_master_chain_residual_is_measured(impulse: Path, tmp_path: Path) -> None:
    """With --master-chain the mix is the master chain over Σ stems: render.json says how far from Σ stems."""
    import json

    gain = parse_effect({"type": "gain", "gain_db": 6.0}, where="master", source=Path("test.toml"))
    s = session(impulse, (), master=(gain,))
    post = render_session(s, out_dir=tmp_path / "post", fmt="wav32f", master_chain=True)
    nulling = json.loads(post.report.read_text())["nulling"]
    mix, _ = sf.read(post.mix, dtype="float64")
    stems = sum(sf.read(p, dtype="float64")[0] for p in post.stems.values())
    residual = np.max(np.abs(mix - stems))
    assert residual > 0.1  # +6 dB on the mix alone
    assert nulling["stems_sum_to_mix"] is False
    assert nulling["master_chain_residual_peak_dbfs"] == pytest.approx(20 * np.log10(residual), abs=0.01)
    assert nulling["master_chain_residual_rms_dbfs"] < nulling["master_chain_residual_peak_dbfs"]
    pre = json.loads(render_session(s, out_dir=tmp_path / "pre", fmt="wav32f").report.read_text())["nulling"]
    assert pre["stems_sum_to_mix"] is True and pre["master_chain_residual_peak_dbfs"] is None
