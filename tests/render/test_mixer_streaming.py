"""Streaming equals whole-file rendering with every effect, sends, returns, clips and tails."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parents[1] / "dsp"))
from effect_cases import CASES

from stemforge.render import RenderStats, plan_render, render_blocks
from stemforge.session import Clip, Master, Return, Send, Session, Stem, Track

RATE = 48000


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Session:
    folder = tmp_path_factory.mktemp("stream")
    rng = np.random.default_rng(3)

    def write(name: str, channels: int, frames: int, rate: int = RATE) -> Path:
        path = folder / name
        x = 0.25 * rng.standard_normal((frames, channels))
        x[frames // 2 :] *= 0.02
        sf.write(path, x.astype(np.float32), rate, subtype="FLOAT")
        return path

    mono, stereo, slow = write("mono.wav", 1, 9000), write("stereo.wav", 2, 7000), write("slow.wav", 1, 6000, rate=44100)
    c = CASES
    tracks = (
        Track("Kick", (mono,), "drums", inserts=(c["gate"], c["eq"], c["compressor"]), sends=(Send("room", -6),)),
        Track("Snare", (stereo,), "drums", offset_s=0.01, inserts=(c["saturation"], c["clipper"]), sends=(Send("echo", -9, pre_fader=True),), gain_db=-3),
        Track(
            "Vox", (slow, mono), "vocals", pan=-0.4,
            clips=(
                Clip((slow,), position_s=0.05, source_offset_s=0.01, length_s=0.08, fade_in_s=0.005, fade_out_s=0.02, fade_shape="equal_power"),
                Clip((mono,), position_s=0.12, source_offset_s=0.02, fade_in_s=0.01, fade_shape="s_curve", gain_db=-4),
            ),
            inserts=(c["delay"], c["limiter"]), sends=(Send("room", -3), Send("echo", -12)),
        ),
        Track("Bass", (mono,), "bass", inserts=(c["gain"], c["reverb"]), offset_s=0.02),
    )
    returns = (
        Return("echo", inserts=(c["delay"],), sends=(Send("room", -6),)),
        Return("room", inserts=(c["eq"], c["reverb"], c["compressor"])),
    )
    stems = (Stem("drums", inserts=(c["compressor"],), gain_db=-2), Stem("bass"), Stem("vocals", inserts=(c["eq"],)))
    return Session(title="Stream", sample_rate=RATE, tracks=tracks, stems=stems, returns=returns, master=Master(inserts=(c["limiter"],)), tail_max_s=0.6)


def collect(session: Session, block_frames: int, master_chain: bool) -> tuple[dict[str, np.ndarray], np.ndarray, RenderStats]:
    stats = RenderStats()
    stems: dict[str, list[np.ndarray]] = {}
    mixes = []
    for block in render_blocks(plan_render(session, master_chain=master_chain), block_frames=block_frames, stats=stats):
        assert block.frames <= block_frames
        for name, samples in block.stems.items():
            stems.setdefault(name, []).append(samples)
        mixes.append(block.mix)
    return {k: np.concatenate(v, axis=1) for k, v in stems.items()}, np.concatenate(mixes, axis=1), stats


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(block_frames=st.one_of(st.integers(64, 4000), st.integers(4001, 70000)), master_chain=st.booleans(), workers=st.sampled_from([1, 2]))
def test_rendering_in_blocks_equals_rendering_at_once(song: Session, block_frames: int, master_chain: bool, workers: int) -> None:
    whole_stems, whole_mix, whole = collect(song, 1 << 22, master_chain)
    stems, mix, streamed = collect(song, block_frames, master_chain)
    assert streamed.frames == whole.frames == mix.shape[1]
    assert whole.tail_frames > 0
    np.testing.assert_array_equal(mix, whole_mix)
    for name in whole_stems:
        np.testing.assert_array_equal(stems[name], whole_stems[name])
    assert [r.name for r in streamed.residuals] == ["room"]
    assert streamed.residuals[0].residual_peak_dbfs == whole.residuals[0].residual_peak_dbfs
