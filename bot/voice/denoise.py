"""Noise reduction before Whisper: spectral gating per frequency band, numpy and scipy only.

A voice note from a kitchen or a street carries steady noise (a fan, traffic, a television
far off, line hiss). Each band's noise floor is estimated from the note itself (a low
percentile of its power over time: speech fills a band only now and then); a band's gain then
follows its signal-to-noise ratio, smoothed over time (decision-directed, Ephraim-Malah style)
so that what is left of the noise does not warble ("musical noise", which Whisper hears as
syllables). Bands that only ever hold noise — below the voice, or above a telephone's 3.4 kHz
— are gated down to the floor. A note whose noise is already far below its speech is returned
as it is, so clean speech is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATE = 16_000


@dataclass(frozen=True)
class Gate:
    n_fft: int = 512  # 32 ms at 16 kHz
    hop: int = 128
    noise_percentile: float = 20.0  # of each band's (time-smoothed) power
    noise_bias: float = 1.5  # the percentile under-reads the mean of the noise
    smoothing: float = 0.96  # decision-directed a priori SNR
    floor: float = 0.12  # the gain never goes below this (-18 dB): fewer artefacts
    skip_above_db: float = 30.0  # a note this clean is left alone


def noise_floor(power: np.ndarray, gate: Gate) -> np.ndarray:
    """Per band (rows), the power of the steady noise."""
    kernel = np.ones(5) / 5  # 5 frames (40 ms): a quiet gap, not a single dip
    smoothed = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="same"), 1, power)
    return np.percentile(smoothed, gate.noise_percentile, axis=1) * gate.noise_bias + 1e-12


def snr_db(power: np.ndarray, noise: np.ndarray) -> float:
    """Signal over noise in the loudest tenth of frames, in dB."""
    frames = power.sum(axis=0)
    loud = frames >= np.percentile(frames, 90)
    signal = float(frames[loud].mean())
    return 10 * float(np.log10(max(signal, 1e-12) / float(noise.sum())))


def gains(power: np.ndarray, noise: np.ndarray, gate: Gate) -> np.ndarray:
    """Wiener gains from a decision-directed a priori SNR, frame by frame."""
    posterior = power / noise[:, None]
    out = np.empty_like(power)
    previous = np.ones(power.shape[0])
    for t in range(power.shape[1]):
        post = posterior[:, t]
        prior = gate.smoothing * previous ** 2 * (posterior[:, t - 1] if t else post) + \
            (1 - gate.smoothing) * np.maximum(post - 1.0, 0.0)
        g = np.maximum(prior / (1.0 + prior), gate.floor)
        out[:, t] = g
        previous = g
    return out


def reduce_noise(samples: np.ndarray, gate: Gate | None = None, rate: int = RATE
                 ) -> np.ndarray:
    """float32 samples -> the same with the steady noise gated down (or unchanged)."""
    from scipy.signal import istft, stft

    gate = gate or Gate()
    if len(samples) < gate.n_fft * 4:
        return samples
    _, _, spec = stft(samples, fs=rate, nperseg=gate.n_fft, noverlap=gate.n_fft - gate.hop)
    power = np.abs(spec) ** 2
    noise = noise_floor(power, gate)
    if snr_db(power, noise) >= gate.skip_above_db:
        return samples
    _, out = istft(spec * gains(power, noise, gate), fs=rate, nperseg=gate.n_fft,
                   noverlap=gate.n_fft - gate.hop)
    return out[: len(samples)].astype(np.float32)
