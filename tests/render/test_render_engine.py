"""The render engine's invariants: stems sum to the mix, blocks don't matter, frames land exactly."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stemforge.dsp.pan import channel_gains
from stemforge.render import plan_render, render_blocks, render_session
from stemforge.session import Session, Stem, Track

RATE = 48000


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, ...]]:
    """Short source files of every kind a session can hold.

    Quiet enough (peaks near -26 dBFS) that six of them at +6 dB never clip a wav24 mix.
    """
    folder = tmp_path_factory.mktemp("pool")
    rng = np.random.default_rng(11)

    def write(name: str, channels: int, frames: int, rate: int = RATE, level: float = 0.01) -> Path:
        path = folder / name
        sf.write(path, (level * rng.standard_normal((frames, channels))).astype(np.float32), rate, subtype="PCM_24")
        return path

    return {
        "mono": (write("mono.wav", 1, 9000),),
        "stereo": (write("stereo.wav", 2, 7000),),
        "mono44": (write("mono44.wav", 1, 8000, rate=44100),),
        "pair": (write("gtr_L.wav", 1, 6000), write("gtr_R.wav", 1, 6000)),
        "long": (write("long.wav", 2, 20000),),
    }


track_specs = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["mono", "stereo", "mono44", "pair", "long"]),
            "stem": st.sampled_from(["drums", "bass", "keys"]),
            "gain_db": st.floats(-30, 6, allow_nan=False),
            "pan": st.floats(-1, 1, allow_nan=False),
            "invert": st.booleans(),
            "mute": st.booleans(),
            "solo": st.booleans(),
            "offset_frames": st.integers(0, 5000),
        }
    ),
    min_size=1,
    max_size=6,
)


def make_session(pool: dict[str, tuple[Path, ...]], specs: list[dict], stem_gains: dict[str, float] | None = None) -> Session:
    tracks = tuple(
        Track(
            name=f"t{i}",
            files=pool[s["kind"]],
            stem=s["stem"],
            gain_db=s["gain_db"],
            pan=s["pan"],
            invert=s["invert"],
            mute=s["mute"],
            solo=s["solo"],
            offset_s=s["offset_frames"] / RATE,
        )
        for i, s in enumerate(specs)
    )
    gains = stem_gains or {}
    stems = tuple(Stem(name, gain_db=gains.get(name, 0.0)) for name in ("drums", "bass", "keys"))
    return Session(title="Prop", sample_rate=RATE, tracks=tracks, stems=stems)


def residual_dbfs(result) -> float:
    total = sum(sf.read(p, dtype="float64")[0] for p in result.stems.values())
    mix = sf.read(result.mix, dtype="float64")[0]
    peak = float(np.max(np.abs(total - mix)))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=track_specs, stem_gain=st.floats(-12, 6, allow_nan=False))
def test_stems_sum_to_the_mix(pool, tmp_path_factory, specs, stem_gain) -> None:
    session = make_session(pool, specs, {"bass": stem_gain})
    out = tmp_path_factory.mktemp("null")
    f32 = render_session(session, out_dir=out / "f32", fmt="wav32f")
    assert residual_dbfs(f32) < -120
    i24 = render_session(session, out_dir=out / "i24", fmt="wav24")
    assert residual_dbfs(i24) < -90
    lengths = {sf.info(p).frames for p in [f32.mix, *f32.stems.values()]}
    assert lengths == {f32.frames}


def collect(session: Session, block_frames: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    stems: dict[str, list[np.ndarray]] = {}
    mixes = []
    for block in render_blocks(session, block_frames=block_frames):
        for name, samples in block.stems.items():
            stems.setdefault(name, []).append(samples)
        mixes.append(block.mix)
    return {k: np.concatenate(v, axis=1) for k, v in stems.items()}, np.concatenate(mixes, axis=1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=track_specs, block_frames=st.integers(1, 30000))
def test_rendering_in_blocks_equals_rendering_at_once(pool, specs, block_frames) -> None:
    session = make_session(pool, specs)
    whole_stems, whole_mix = collect(session, plan_render(session).frames)
    stems, mix = collect(session, block_frames)
    np.testing.assert_array_equal(mix, whole_mix)
    for name in whole_stems:
        np.testing.assert_array_equal(stems[name], whole_stems[name])


@settings(max_examples=50, deadline=None)
@given(pan=st.floats(-1, 1, allow_nan=False))
def test_mono_pan_keeps_power(pan: float) -> None:
    left, right = channel_gains(1, pan=pan)[:, 0].astype(np.float64)
    assert left**2 + right**2 == pytest.approx(1.0, abs=1e-6)


def test_mono_centre_is_minus_3_db_and_stereo_balance_leaves_centre_at_unity() -> None:
    left, right = channel_gains(1, pan=0.0)[:, 0]
    assert 20 * math.log10(left) == pytest.approx(-3.0103, abs=1e-3) and left == right
    assert channel_gains(2, pan=0.0)[:, 0].tolist() == [1.0, 1.0]
    assert channel_gains(2, pan=1.0)[:, 0].tolist() == [0.0, 1.0]
    assert channel_gains(2, pan=-0.5)[:, 0].tolist() == [1.0, 0.5]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gain_db=st.floats(-40, 12, allow_nan=False))
def test_gain_is_linear(pool, gain_db: float) -> None:
    spec = {"kind": "stereo", "stem": "drums", "gain_db": 0.0, "pan": 0.0, "invert": False, "mute": False, "solo": False, "offset_frames": 0}
    _, unity = collect(make_session(pool, [spec]), 4096)
    _, scaled = collect(make_session(pool, [{**spec, "gain_db": gain_db}]), 4096)
    np.testing.assert_allclose(scaled, unity * 10 ** (gain_db / 20), rtol=1e-5, atol=1e-7)


def impulse_session(tmp_path: Path, *, offset_s: float, rate: int = RATE) -> Session:
    samples = np.zeros((1, rate), np.float32)
    samples[0, 0] = 0.5
    path = tmp_path / "click.wav"
    sf.write(path, samples.T, rate, subtype="FLOAT")
    track = Track("Impulse", (path,), "drums", offset_s=offset_s)
    return Session(title="Impulse", sample_rate=RATE, tracks=(track,), stems=(Stem("drums"),))


def test_offset_lands_on_the_exact_frame(tmp_path: Path) -> None:
    result = render_session(impulse_session(tmp_path, offset_s=1.5), out_dir=tmp_path / "out", fmt="wav32f")
    for path in (result.mix, result.stems["drums"]):
        audio = sf.read(path)[0]
        assert int(np.argmax(np.abs(audio[:, 0]))) == round(1.5 * RATE)
        assert np.count_nonzero(audio[: round(1.5 * RATE)]) == 0


def test_a_44k1_track_keeps_its_pitch_and_render_json_says_it_was_resampled(tmp_path: Path) -> None:
    t = np.arange(44100 * 2) / 44100
    path = tmp_path / "tone44.wav"
    sf.write(path, (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), 44100, subtype="PCM_24")
    session = Session(title="Tone", sample_rate=RATE, tracks=(Track("Tone", (path,), "keys"),), stems=(Stem("keys"),))
    result = render_session(session, out_dir=tmp_path / "out", fmt="wav32f")
    audio = sf.read(result.mix)[0][:, 0]
    assert len(audio) == 2 * RATE
    window = audio[RATE // 4 : RATE // 4 + RATE] * np.hanning(RATE)
    spectrum = np.abs(np.fft.rfft(window, 16 * RATE))
    peak_hz = np.argmax(spectrum) * RATE / (16 * RATE)
    assert peak_hz == pytest.approx(1000, abs=1)
    report = json.loads(result.report.read_text())
    assert report["inputs"][0]["files"][0] == {**report["inputs"][0]["files"][0], "sample_rate": 44100, "resampled": True}


def test_mute_and_solo_behave_as_in_a_daw(pool) -> None:
    base = {"kind": "mono", "gain_db": 0.0, "pan": 0.0, "invert": False, "offset_frames": 0}
    specs = [
        {**base, "stem": "drums", "mute": False, "solo": True},
        {**base, "stem": "bass", "mute": False, "solo": False},
        {**base, "stem": "keys", "mute": True, "solo": True},
    ]
    stems, mix = collect(make_session(pool, specs), 4096)
    assert np.any(stems["drums"]) and not np.any(stems["bass"]) and not np.any(stems["keys"])
    np.testing.assert_array_equal(mix, stems["drums"])


def test_integer_output_that_clips_warns_with_the_peak_and_float_keeps_it(tmp_path: Path, wav) -> None:
    path = wav(tmp_path / "loud.wav", np.full((1, 4800), 0.9, np.float32))
    session = Session(title="Loud", sample_rate=RATE, tracks=(Track("Loud", (path,), "drums", gain_db=6.0, pan=-1.0),), stems=(Stem("drums"),))
    clipped = render_session(session, out_dir=tmp_path / "i24", fmt="wav24")
    assert any("peaks at +5.08 dBFS" in w and "clipped" in w for w in clipped.warnings)
    kept = render_session(session, out_dir=tmp_path / "f32", fmt="wav32f")
    assert not kept.warnings
    assert sf.read(kept.mix)[0][:, 0].max() == pytest.approx(0.9 * 10 ** (6 / 20), rel=1e-6)


def test_render_json_records_inputs_with_their_hashes(pool, tmp_path: Path) -> None:
    import hashlib

    spec = {"kind": "pair", "stem": "keys", "gain_db": -3.0, "pan": 0.25, "invert": True, "mute": False, "solo": False, "offset_frames": 480}
    result = render_session(make_session(pool, [spec]), out_dir=tmp_path / "out")
    report = json.loads(result.report.read_text())
    assert report["tap_point"] == "pre-master" and report["format"] == "wav24" and report["frames"] == 6480
    files = report["inputs"][0]["files"]
    assert [f["sha256"] for f in files] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in pool["pair"]]
    assert [s["file"] for s in report["stems"]] == ["stems/Prop - drums.wav", "stems/Prop - bass.wav", "stems/Prop - keys.wav"]
