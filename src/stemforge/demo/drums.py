"""A synthesized drum kit heard through the microphones of a real recording.

Each piece (kick, snare, hi-hat, crash) is synthesized as a handful of round-robin
one-shots; each microphone then hears every piece with its own level, arrival delay and
tone (a close mic hears its drum loud and the others as faint, dull bleed; the overheads
hear the kit as a stereo picture, the room hears it late, dark and reverberant). A hit
is placed into every microphone at once, so bleed is sample-consistent between tracks as
it is between real mics on one kit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from stemforge.demo.parts import Hit
from stemforge.demo.synth import (
    Mono,
    bandpass,
    convolve,
    delay,
    exp_decay,
    highpass,
    lowpass,
    place,
    reverb_ir,
    sine,
    soft_clip,
)

_ROUND_ROBIN = 4


def _kick(rng: np.random.Generator, sample_rate: int, *, beater: float) -> Mono:
    frames = int(0.6 * sample_rate)
    t = np.arange(frames) / sample_rate
    freq_hz = 47.0 + 120.0 * np.exp(-t / 0.025) * rng.uniform(0.95, 1.05)
    body = sine(np.cumsum(freq_hz) / sample_rate) * exp_decay(frames, 0.16, sample_rate)
    click = highpass(rng.standard_normal(frames).astype(np.float32), 1800.0, sample_rate)
    click *= exp_decay(frames, 0.0035, sample_rate)
    return soft_clip(body + beater * 0.6 * click, 1.5)


def _snare(rng: np.random.Generator, sample_rate: int, *, wires: float) -> Mono:
    frames = int(0.5 * sample_rate)
    t = np.arange(frames) / sample_rate
    shell = sine(185.0 * t * (1.0 - 0.02 * t)) + 0.5 * sine(330.0 * t + 0.25)
    shell *= exp_decay(frames, 0.06, sample_rate)
    noise = rng.standard_normal(frames).astype(np.float32)
    rattle = bandpass(noise, 1500.0, 9000.0, sample_rate) * exp_decay(frames, 0.13 * rng.uniform(0.9, 1.1), sample_rate)
    crack = highpass(noise, 800.0, sample_rate) * exp_decay(frames, 0.004, sample_rate)
    return (0.8 * shell + wires * 1.3 * rattle + 1.0 * crack).astype(np.float32)


def _metal(rng: np.random.Generator, sample_rate: int, frames: int, *, partials: int, low_hz: float) -> Mono:
    """Inharmonic partials (a cymbal's modes) with random phases.

    Built as a sparse spectrum and one inverse FFT, so many partials cost no more than one.
    """
    spectrum = np.zeros(frames // 2 + 1, dtype=np.complex128)
    bins = np.round(low_hz * np.exp(rng.uniform(0.0, np.log(9000.0 / low_hz), partials)) * frames / sample_rate)
    spectrum[bins.astype(int)] += np.exp(2j * np.pi * rng.random(partials))
    return (np.fft.irfft(spectrum, frames) * (frames / 2.0 / np.sqrt(partials))).astype(np.float32)


def _hat(rng: np.random.Generator, sample_rate: int, *, open_: bool) -> Mono:
    frames = int((0.6 if open_ else 0.15) * sample_rate)
    tone = _metal(rng, sample_rate, frames, partials=12, low_hz=3000.0)
    noise = rng.standard_normal(frames).astype(np.float32)
    sound = highpass(0.6 * tone + noise, 6500.0, sample_rate, order=4)
    return (sound * exp_decay(frames, 0.16 if open_ else 0.022, sample_rate)).astype(np.float32)


def _crash(rng: np.random.Generator, sample_rate: int) -> Mono:
    frames = int(2.8 * sample_rate)
    tone = _metal(rng, sample_rate, frames, partials=48, low_hz=400.0)
    noise = highpass(rng.standard_normal(frames).astype(np.float32), 2500.0, sample_rate)
    env = 0.6 * exp_decay(frames, 0.8, sample_rate) + 0.4 * exp_decay(frames, 0.08, sample_rate)
    return (highpass(0.7 * tone + noise, 350.0, sample_rate) * env).astype(np.float32)


def drum_one_shots(rng: np.random.Generator, sample_rate: int) -> dict[str, list[Mono]]:
    """Round-robin one-shots of every piece, as the drums themselves sound."""
    return {
        "kick": [_kick(rng, sample_rate, beater=rng.uniform(0.8, 1.2)) for _ in range(_ROUND_ROBIN)],
        "snare": [_snare(rng, sample_rate, wires=rng.uniform(0.8, 1.1)) for _ in range(_ROUND_ROBIN)],
        "hat": [_hat(rng, sample_rate, open_=False) for _ in range(_ROUND_ROBIN)],
        "hat_open": [_hat(rng, sample_rate, open_=True) for _ in range(2)],
        "crash": [_crash(rng, sample_rate) for _ in range(2)],
    }


@dataclass(frozen=True)
class Pickup:
    """How one microphone hears one piece.

    Attributes
    ----------
    gain : float
        Linear level relative to the piece's one-shot.
    delay_ms : float
        Sound's travel time from the drum to the mic.
    tone : callable or None
        A filter ``(samples, sample_rate) -> samples`` for the mic's distance and angle.
    """

    gain: float
    delay_ms: float
    tone: Callable[[Mono, int], Mono] | None = None


def _lp(cutoff_hz: float) -> Callable[[Mono, int], Mono]:
    return lambda x, sample_rate: lowpass(x, cutoff_hz, sample_rate)


def _hp(cutoff_hz: float) -> Callable[[Mono, int], Mono]:
    return lambda x, sample_rate: highpass(x, cutoff_hz, sample_rate)


def _kick_in_tone(x: Mono, sample_rate: int) -> Mono:
    return (highpass(x, 45.0, sample_rate) + 1.2 * highpass(x, 2500.0, sample_rate)).astype(np.float32)


#: Microphone name → piece → pickup. Distances follow a typical pop kit set-up.
MICS: dict[str, dict[str, Pickup]] = {
    "kick_in": {"kick": Pickup(1.0, 0.0, _kick_in_tone), "snare": Pickup(0.03, 2.0, _lp(2500.0))},
    "snare_top": {
        "snare": Pickup(1.0, 0.0),
        "kick": Pickup(0.05, 1.5, _lp(1500.0)),
        "hat": Pickup(0.14, 0.8, _hp(3000.0)),
        "hat_open": Pickup(0.14, 0.8, _hp(3000.0)),
        "crash": Pickup(0.05, 2.0),
    },
    "hat": {
        "hat": Pickup(1.0, 0.0),
        "hat_open": Pickup(1.0, 0.0),
        "snare": Pickup(0.22, 1.2, _hp(600.0)),
        "kick": Pickup(0.02, 2.0, _hp(150.0)),
        "crash": Pickup(0.12, 2.2),
    },
    "oh_l": {
        "kick": Pickup(0.16, 3.9, _hp(150.0)),
        "snare": Pickup(0.42, 3.0),
        "hat": Pickup(0.5, 2.4),
        "hat_open": Pickup(0.5, 2.4),
        "crash": Pickup(0.8, 2.0),
    },
    "oh_r": {
        "kick": Pickup(0.16, 3.6, _hp(150.0)),
        "snare": Pickup(0.46, 2.7),
        "hat": Pickup(0.22, 3.5, _lp(9000.0)),
        "hat_open": Pickup(0.22, 3.5, _lp(9000.0)),
        "crash": Pickup(0.5, 3.2, _lp(10000.0)),
    },
    "room": {
        "kick": Pickup(0.25, 11.0, _lp(3000.0)),
        "snare": Pickup(0.55, 10.0, _lp(6000.0)),
        "hat": Pickup(0.12, 10.5, _lp(6000.0)),
        "hat_open": Pickup(0.14, 10.5, _lp(6000.0)),
        "crash": Pickup(0.3, 9.8, _lp(6000.0)),
    },
}


class DrumKit:
    """A drum performance ready to be heard through any of :data:`MICS`.

    Parameters
    ----------
    hits : sequence of Hit
        The performance (tambourine hits are ignored: it is overdubbed on its own track).
    rng : np.random.Generator
        Seeds the one-shots and the round-robin choice.
    sample_rate : int
    frames : int
        Length of every microphone's track.
    """

    def __init__(self, hits: Sequence[Hit], rng: np.random.Generator, *, sample_rate: int, frames: int) -> None:
        self.sample_rate = sample_rate
        self.frames = frames
        self.one_shots = drum_one_shots(rng, sample_rate)
        self.hits = [h for h in hits if h.piece in self.one_shots]
        self.variants = [int(rng.integers(len(self.one_shots[h.piece]))) for h in self.hits]
        self._room_rng_seed = int(rng.integers(2**31))

    def mic(self, name: str) -> Mono:
        """What microphone ``name`` recorded, mono float32 ``(frames,)``."""
        pickups = MICS[name]
        heard: dict[tuple[str, int], Mono] = {}
        for piece, pickup in pickups.items():
            for k, shot in enumerate(self.one_shots[piece]):
                sound = pickup.tone(shot, self.sample_rate) if pickup.tone else shot
                heard[piece, k] = pickup.gain * delay(np.pad(sound, (0, 1024)), round(pickup.delay_ms * self.sample_rate / 1000))
        out = np.zeros(self.frames, dtype=np.float32)
        for hit, variant in zip(self.hits, self.variants, strict=True):
            if hit.piece in pickups:
                place(out, heard[hit.piece, variant], round(hit.start_s * self.sample_rate), hit.velocity**1.6)
        return out

    def room(self) -> Mono:
        """The room mic, ``(frames,)``: late, dark and reverberant."""
        rng = np.random.default_rng(self._room_rng_seed)
        dry = self.mic("room")
        ir = reverb_ir(rng, self.sample_rate, decay_s=1.1, length_s=1.2, damping_hz=2500.0)
        return highpass(dry + 0.5 * convolve(dry, ir), 60.0, self.sample_rate)


def tambourine(hits: Sequence[Hit], rng: np.random.Generator, *, sample_rate: int, frames: int) -> Mono:
    """An overdubbed tambourine: bursts of jingles, a little different on every hit."""
    out = np.zeros(frames, dtype=np.float32)
    shot_frames = int(0.25 * sample_rate)
    for hit in hits:
        if hit.piece != "tamb":
            continue
        noise = rng.standard_normal(shot_frames).astype(np.float32)
        env = np.zeros(shot_frames, dtype=np.float32)
        for k in range(3):  # the jingles strike in a quick cluster
            start = int((0.004 * k + rng.uniform(0.0, 0.002)) * sample_rate)
            env[start:] += (0.7**k) * exp_decay(shot_frames - start, 0.045, sample_rate)
        place(out, bandpass(noise, 4500.0, 14000.0, sample_rate) * env, round(hit.start_s * sample_rate), hit.velocity**1.4)
    return out


__all__ = ["MICS", "DrumKit", "Pickup", "drum_one_shots", "tambourine"]
