"""The meter against a plain float64 transcription of BS.1770-4 and Tech 3342.

The reference filters the whole buffer at once in float64 and evaluates the standard's
equations directly, block by block. The meter runs its filter in float32 up to 96 kHz and
sums in fixed internal blocks; the two must agree to a few thousandths of a LU.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from analysis.music import music_like
from stemforge.analysis import LoudnessMeter
from stemforge.analysis.kweighting import channel_weights, k_weighting_sos
from stemforge.audio import AudioBuffer


def reference(buffer: AudioBuffer) -> tuple[float | None, np.ndarray, float]:
    """Integrated loudness, momentary series and LRA, straight from the equations."""
    rate = buffer.sample_rate
    weighted = scipy.signal.sosfilt(k_weighting_sos(rate), buffer.samples.astype(np.float64), axis=1)  # eq. 1
    weights = channel_weights(buffer.channels)

    def loudness_of_windows(length_s: float) -> np.ndarray:
        hop = rate // 10 if rate % 10 == 0 else None
        assert hop is not None
        length = int(round(length_s * rate))
        starts = np.arange(0, weighted.shape[1] - length + 1, hop)
        cumulative = np.concatenate([np.zeros((buffer.channels, 1)), np.cumsum(weighted**2, axis=1)], axis=1)
        z = ((cumulative[:, starts + length] - cumulative[:, starts]) / length).T  # eq. 3
        with np.errstate(divide="ignore"):
            return -0.691 + 10 * np.log10(z @ weights)  # eq. 4

    momentary = loudness_of_windows(0.4)
    energy = 10 ** ((momentary + 0.691) / 10)
    kept = momentary > -70.0  # eq. 5
    integrated = None
    if kept.any():
        gate = -0.691 + 10 * np.log10(energy[kept].mean()) - 10.0  # eq. 6
        final = kept & (momentary > gate)
        integrated = float(-0.691 + 10 * np.log10(energy[final].mean()))  # eq. 7
    short_term = loudness_of_windows(3.0)
    st_energy = 10 ** ((short_term + 0.691) / 10)
    st_kept = short_term > -70.0
    st_gate = -0.691 + 10 * np.log10(st_energy[st_kept].mean()) - 20.0
    values = short_term[st_kept & (short_term > st_gate)]
    lra = float(np.percentile(values, 95) - np.percentile(values, 10))
    return integrated, momentary, lra


@pytest.mark.parametrize("sample_rate", [44100, 48000, 96000, 192000])
def test_meter_matches_the_equations(sample_rate: int) -> None:
    buffer = music_like(12.0 if sample_rate <= 48000 else 6.0, sample_rate=sample_rate, seed=3)
    meter = LoudnessMeter(sample_rate, buffer.channels, true_peak=False, spectrum=False)
    meter.process(buffer.samples)
    report = meter.result()
    integrated, momentary, lra = reference(buffer)
    assert report.integrated_lufs == pytest.approx(integrated, abs=0.002)
    np.testing.assert_allclose(report.momentary_lufs, momentary, atol=0.005)
    assert report.loudness_range_lu == pytest.approx(lra, abs=0.01)
