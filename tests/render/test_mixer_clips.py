"""Clip edits: position, source offset, length, gain and fades land on exact frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stemforge.dsp import fade_gains
from stemforge.errors import RenderError
from stemforge.render import plan_render, render_session
from stemforge.session import Clip, Session, Stem, Track

RATE = 48000


@pytest.fixture(scope="module")
def ramp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mono file whose sample n holds (n + 1) / 2**20: every frame says where it came from."""
    x = (np.arange(1, 20001, dtype=np.float64) / 2**20).astype(np.float32)
    path = tmp_path_factory.mktemp("clips") / "ramp.wav"
    sf.write(path, x[:, None], RATE, subtype="FLOAT")
    return path


def render_track(tmp_path: Path, *clips: Clip) -> np.ndarray:
    track = Track("T", tuple(dict.fromkeys(f for c in clips for f in c.files)), "s", pan=-1.0, clips=clips)
    session = Session(title="Clips", sample_rate=RATE, tracks=(track,), stems=(Stem("s"),))
    result = render_session(session, out_dir=tmp_path, fmt="wav32f")
    return sf.read(result.stems["s"], dtype="float64")[0][:, 0]  # hard left: unity gain


def test_clip_with_source_offset_and_length_lands_exactly(ramp: Path, tmp_path: Path) -> None:
    left = render_track(tmp_path, Clip((ramp,), position_s=1000 / RATE, source_offset_s=250 / RATE, length_s=3000 / RATE))
    assert left.shape[0] == 4000  # ends with the clip
    assert not left[:1000].any()
    np.testing.assert_array_equal(left[1000:4000] * 2**20, np.arange(251, 3251))


def test_fades_and_clip_gain_land_exactly(ramp: Path, tmp_path: Path) -> None:
    clip = Clip((ramp,), position_s=0.01, source_offset_s=0.002, length_s=0.05, gain_db=-6, fade_in_s=0.004, fade_out_s=0.01, fade_shape="equal_power")
    left = render_track(tmp_path, clip)
    start, offset, length, fin, fout = 480, 96, 2400, 192, 480
    source = np.arange(offset + 1, offset + length + 1) / 2**20
    gain = np.full(length, np.float32(10 ** (-6 / 20)), np.float64)
    gain[:fin] *= fade_gains("equal_power", frames=fin, start=0, stop=fin)
    gain[length - fout :] *= fade_gains("equal_power", frames=fout, start=0, stop=fout, fade_out=True)
    np.testing.assert_allclose(left[start : start + length], source * gain, rtol=1e-6, atol=0)
    assert left[start] == 0 and left[start + length - 1] == 0  # silent first and last samples
    assert left[start + fin] == pytest.approx(source[fin] * 10 ** (-6 / 20), rel=1e-6)  # unity right after the fade-in


def test_several_clips_on_one_track_and_overlaps_add(ramp: Path, tmp_path: Path) -> None:
    left = render_track(
        tmp_path,
        Clip((ramp,), position_s=0.0, length_s=100 / RATE),
        Clip((ramp,), position_s=50 / RATE, source_offset_s=1000 / RATE, length_s=100 / RATE),
    )
    expected = np.zeros(150)
    expected[:100] += np.arange(1, 101)
    expected[50:150] += np.arange(1001, 1101)
    np.testing.assert_array_equal(left * 2**20, expected)


def test_clip_past_the_end_of_its_file_names_the_clip(ramp: Path) -> None:
    track = Track("Vox", (ramp,), "s", clips=(Clip((ramp,), source_offset_s=0.3, length_s=0.2),))
    session = Session(title="Clips", sample_rate=RATE, tracks=(track,), stems=(Stem("s"),))
    with pytest.raises(RenderError, match=r'tracks\[1\] \("Vox"\)\.clips\[1\]\.length_s=0\.2 runs past the end of ramp\.wav'):
        plan_render(session)
