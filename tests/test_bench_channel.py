"""The benchmarks' phone-call noise is as loud as it says: heard examples and spoken sets are
labelled with an SNR, and a wrong scale would make every figure measured in noise mean less."""

import numpy as np
import pytest

from bench.voice import with_murmur, with_noise


def _snr_db(speech: np.ndarray, noisy: np.ndarray) -> float:
    # the noise's variance: a constant offset is not heard (pink noise of a short note has one)
    return float(10 * np.log10(np.mean(speech ** 2) / np.var(noisy - speech)))


@pytest.fixture
def speech() -> np.ndarray:
    t = np.arange(16_000) / 16_000
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.mark.parametrize("snr", [6.0, 10.0, 14.0])
def test_pink_noise_is_the_asked_snr_below_the_speech(speech: np.ndarray, snr: float) -> None:
    assert _snr_db(speech, with_noise(speech, seed=1, snr_db=snr)) == pytest.approx(snr, abs=0.2)


def test_a_murmur_of_other_speech_is_the_asked_snr_below_it_whatever_its_own_loudness(
        speech: np.ndarray) -> None:
    t = np.arange(len(speech)) / 16_000
    other = (2.0 * np.sin(2 * np.pi * 150 * t)).astype(np.float32)  # far louder than the note
    assert _snr_db(speech, with_murmur(speech, other, 8.0)) == pytest.approx(8.0, abs=0.2)
