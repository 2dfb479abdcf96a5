"""Effect specs: parameter checks, streaming equals whole-file, no unreported latency, EQ slopes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from effect_cases import CASES
from hypothesis import given, settings
from hypothesis import strategies as st

from stemforge.dsp import (
    EFFECTS,
    PROCESS_FRAMES,
    DelayLine,
    EffectChain,
    fade_gains,
    parse_effect,
)
from stemforge.errors import SessionError

RATE = 48000


def noise(channels: int, frames: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = (0.3 * rng.standard_normal((channels, frames))).astype(np.float32)
    x[:, frames // 2 :] *= 0.01  # loud then quiet: dynamics and gates move
    return x


def run_in_blocks(chain: EffectChain, x: np.ndarray, sizes: list[int]) -> np.ndarray:
    parts, i, k = [], 0, 0
    while i < x.shape[1]:
        n = sizes[k % len(sizes)]
        parts.append(chain.process(x[:, i : i + n]))
        i, k = i + n, k + 1
    return np.concatenate(parts, axis=1)


@pytest.mark.parametrize("kind", sorted(CASES))
@settings(max_examples=8, deadline=None)
@given(sizes=st.lists(st.one_of(st.integers(1, 64), st.integers(65, 3 * PROCESS_FRAMES)), min_size=1, max_size=6), channels=st.sampled_from([1, 2]))
def test_streaming_equals_whole_file_for_every_effect(kind: str, sizes: list[int], channels: int) -> None:
    x = noise(channels, RATE // 2)
    whole = EffectChain([CASES[kind]], sample_rate=RATE, channels=channels).process(x)
    streamed = run_in_blocks(EffectChain([CASES[kind]], sample_rate=RATE, channels=channels), x, sizes)
    np.testing.assert_array_equal(streamed, whole)


@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize("rate", [44100, 48000, 96000])
def test_an_impulse_comes_out_on_its_own_frame(kind: str, rate: int) -> None:
    """Every effect reports latency 0, and indeed delays nothing (the dry path is on time);
    a chain adds the fixed framing only when it runs pedalboard plugins."""
    spec = CASES[kind]
    assert spec.latency_frames(rate) == 0
    chain = EffectChain([spec], sample_rate=rate, channels=2)
    runs_plugins = spec.stage(rate, channels=2) is None
    assert chain.framed == runs_plugins
    assert chain.latency_frames == (PROCESS_FRAMES if runs_plugins else 0)  # compensated by the engine
    x = np.zeros((2, PROCESS_FRAMES + 4000), np.float32)
    x[:, 1234] = 0.5
    y = chain.process(x)
    first = int(np.flatnonzero(np.max(np.abs(y), axis=0) > 1e-6)[0])
    assert first == 1234 + chain.latency_frames


@pytest.mark.parametrize("kind", sorted(CASES))
def test_every_parameter_is_range_checked_with_name_value_and_range(kind: str) -> None:
    cls = EFFECTS[kind]
    for name, p in cls.params().items():
        if p.high is None:
            continue
        bad = p.high * 2 + 1
        with pytest.raises(SessionError, match=rf'tracks\[2\] \("Vox"\)\.inserts\[1\] \({kind}\)\.{name}={bad:g} must be between {p.low:g} and {p.high:g} \(s\.toml\)'):
            parse_effect({"type": kind, name: bad}, where='tracks[2] ("Vox").inserts[1]', source=Path("s.toml"))


def test_unknown_effect_lists_the_known_ones_and_suggests() -> None:
    with pytest.raises(SessionError, match=r'inserts\[1\]\.type="reverbb" is not one of: clipper, compressor, .*; did you mean "reverb"\?'):
        parse_effect({"type": "reverbb"}, where="inserts[1]", source=Path("s.toml"))
    with pytest.raises(SessionError, match=r"unknown parameter 'threshold'; did you mean \"threshold_db\"\?"):
        parse_effect({"type": "compressor", "threshold": -10}, where="inserts[1]", source=Path("s.toml"))
    with pytest.raises(SessionError, match=r"slope_db_oct=10 is not one of: 6, 12, 18, 24, 36, 48"):
        parse_effect({"type": "eq", "bands": [{"kind": "highpass", "cutoff_hz": 80, "slope_db_oct": 10}]}, where="i", source=Path("s.toml"))


def test_a_table_key_written_below_an_inserts_header_gets_a_tip() -> None:
    with pytest.raises(SessionError, match=r"unknown parameter 'target'") as caught:
        parse_effect({"type": "limiter", "target": "club"}, where="master.inserts[1]", source=Path("s.toml"))
    assert caught.value.tip is not None and "write it above its [[...inserts]] tables" in caught.value.tip


def response_db(spec, freqs: list[float]) -> list[float]:
    chain = EffectChain([spec], sample_rate=RATE, channels=1)
    impulse = np.zeros((1, (1 << 16) + chain.latency_frames), np.float32)
    impulse[0, 0] = 1.0
    h = chain.process(impulse)[0, chain.latency_frames :]
    spectrum = np.abs(np.fft.rfft(h.astype(np.float64)))
    bins = np.fft.rfftfreq(h.size, 1 / RATE)
    return [20 * math.log10(spectrum[np.argmin(np.abs(bins - f))]) for f in freqs]


@pytest.mark.parametrize("slope", [6, 12, 18, 24, 36, 48])
def test_highpass_is_3_db_down_at_cutoff_and_falls_at_its_slope(slope: int) -> None:
    spec = parse_effect({"type": "eq", "bands": [{"kind": "highpass", "cutoff_hz": 1000, "slope_db_oct": slope}]}, where="i", source=Path("s.toml"))
    at_cutoff, low, lower = response_db(spec, [1000, 125, 62.5])
    assert at_cutoff == pytest.approx(-3.01, abs=0.1)
    if slope <= 24:  # steeper ones reach float32's floor an octave lower
        assert low - lower == pytest.approx(slope, abs=1.0)


def test_lowpass_is_3_db_down_at_cutoff() -> None:
    spec = parse_effect({"type": "eq", "bands": [{"kind": "lowpass", "cutoff_hz": 2000, "slope_db_oct": 24}]}, where="i", source=Path("s.toml"))
    [at_cutoff] = response_db(spec, [2000])
    assert at_cutoff == pytest.approx(-3.01, abs=0.15)


def test_peak_band_boosts_by_its_gain() -> None:
    spec = parse_effect({"type": "eq", "bands": [{"kind": "peak", "freq_hz": 1000, "gain_db": 6, "q": 1}]}, where="i", source=Path("s.toml"))
    centre, far = response_db(spec, [1000, 20])
    assert centre == pytest.approx(6.0, abs=0.2) and abs(far) < 0.1


@given(frames=st.integers(0, 500), sizes=st.lists(st.integers(1, 700), min_size=1, max_size=5))
def test_delay_line_shifts_by_exactly_its_length(frames: int, sizes: list[int]) -> None:
    x = np.arange(1, 2001, dtype=np.float32).reshape(1, -1)
    line = DelayLine(1, frames)
    parts, i, k = [], 0, 0
    while i < x.shape[1]:
        n = sizes[k % len(sizes)]
        parts.append(line.process(x[:, i : i + n]))
        i, k = i + n, k + 1
    y = np.concatenate(parts, axis=1)
    np.testing.assert_array_equal(y[0, frames:], x[0, : x.shape[1] - frames])
    assert not y[0, :frames].any()


@pytest.mark.parametrize("shape", ["linear", "equal_power", "exponential", "s_curve"])
def test_fade_in_starts_silent_rises_monotonically_and_fade_out_mirrors_it(shape: str) -> None:
    fade_in = fade_gains(shape, frames=100, start=0, stop=100)
    fade_out = fade_gains(shape, frames=100, start=0, stop=100, fade_out=True)
    assert fade_in[0] == 0 and np.all(np.diff(fade_in) > 0) and fade_in[-1] < 1
    np.testing.assert_array_equal(fade_out, fade_in[::-1])
    np.testing.assert_array_equal(fade_gains(shape, frames=100, start=30, stop=60), fade_in[30:60])
