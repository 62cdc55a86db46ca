"""Hearing a voice note well: noise is reduced before Whisper only when there is noise, the
prompt said back is no reading, an unsure note is read several ways and the reading the
understanding makes most sense of is taken, an emergency in any reading counts, and the ways
of reading come from asr.yaml. No model is loaded here."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bot.voice.asr import Hearing
from bot.voice.decoding import Decoding, Reading
from bot.voice.denoise import reduce_noise
from bot.voice.echo import PromptEcho
from bot.voice.listening import Verdict, listen
from bot.voice.whisper import default_decoding

TODAY = date(2026, 11, 22)
RATE = 16_000
LEAD = "以下是普通话的句子，是军休干部在咨询。"
TERMS = ["军休干部", "荣誉疗养", "军休所", "党组织", "走访慰问", "组织关系", "抚恤金"]


# --- noise reduction -------------------------------------------------------------------------

def _tone_bursts(seconds: float = 3.0) -> np.ndarray:
    """A speech-like signal: 300-3000 Hz harmonics in bursts, with gaps between them."""
    t = np.arange(int(seconds * RATE)) / RATE
    voiced = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((220, 440, 880, 1760), 1))
    envelope = (np.sin(2 * np.pi * 2.0 * t) > 0.2).astype(np.float32)
    return (0.3 * voiced * envelope).astype(np.float32)


def _snr_db(clean: np.ndarray, other: np.ndarray) -> float:
    return 10 * float(np.log10(np.sum(clean ** 2) / np.sum((other - clean) ** 2)))


def test_clean_speech_is_left_as_it_is() -> None:
    x = _tone_bursts()
    assert reduce_noise(x) is x


def test_steady_noise_is_reduced() -> None:
    clean = _tone_bursts()
    noise = np.random.default_rng(1).normal(0, 0.05, len(clean)).astype(np.float32)
    noisy = clean + noise
    out = reduce_noise(noisy)
    assert out.shape == noisy.shape and out.dtype == np.float32
    assert _snr_db(clean, out) > _snr_db(clean, noisy) + 3


def test_a_very_short_note_is_not_touched() -> None:
    x = np.random.default_rng(2).normal(0, 0.1, 400).astype(np.float32)
    assert reduce_noise(x) is x


# --- the prompt said back --------------------------------------------------------------------

@pytest.mark.parametrize("heard", ["以下是普通话的句子。", "军休， 以下是普通话的句子。",
                                   "军休干部，军休干部。", "军休干部、党组织、走访问。",
                                   "以下是普通话的组访慰"])
def test_the_prompt_said_back_is_no_reading(heard: str) -> None:
    assert PromptEcho(LEAD, TERMS).is_echo(heard)


@pytest.mark.parametrize("heard", ["荣誉疗养有年龄要求吗？", "军休干部，党组织关系怎么转？",
                                   "我是师级军休干部", "荣誉疗养", "救命", "外面有人撬我家的门。"])
def test_questions_with_the_prompts_words_are_readings(heard: str) -> None:
    assert not PromptEcho(LEAD, TERMS).is_echo(heard)


# --- readings and the choice between them ----------------------------------------------------

def test_readings_are_written_as_words() -> None:
    assert Reading.parse("beam5+prompt") == Reading(5, True, False)
    assert Reading.parse("greedy") == Reading(1, False, False)
    assert Reading.parse("denoised+beam5+prompt") == Reading(5, True, True)
    with pytest.raises(ValueError, match="loud"):
        Reading.parse("beam5+loud")


def test_decoding_settings_come_from_asr_yaml_and_unknown_ones_are_refused() -> None:
    decoding = default_decoding()
    assert decoding.first == Reading(1, True)
    assert any(r.denoised for r in decoding.second_opinion)
    assert any(not r.prompt for r in decoding.second_opinion)
    with pytest.raises(ValueError, match="beem"):
        Decoding.from_data({"beem_size": 5})


def test_taking_an_alternative_keeps_the_first_reading_as_one() -> None:
    heard = Hearing("抚礼费怎么申请", 0.5, 3.0, 3.0, alternatives=("护理费怎么申请", "x"),
                    alternative_confidences=(0.45, 0.3))
    taken = heard.taking(0)
    assert (taken.text, taken.confidence) == ("护理费怎么申请", 0.45)
    assert taken.alternatives == ("抚礼费怎么申请", "x")
    assert taken.alternative_confidences == (0.5, 0.3)


def test_an_unsure_note_is_understood_by_its_likeliest_reading() -> None:
    heard = Hearing("故障是不是要交给军休所包馆", 0.55, 3.0, 3.0,
                    alternatives=("护照是不是要交给军休所保管",), alternative_confidences=(0.5,))
    listening = listen(heard, TODAY, confirm_below=0.4)
    assert listening.understanding.intent == "travel.abroad"
    assert listening.text == "护照是不是要交给军休所保管"
    assert listening.hearing.alternatives == ("故障是不是要交给军休所包馆",)


def test_an_emergency_in_any_reading_is_answered_with_that_reading() -> None:
    heard = Hearing("外头有人绣我家的蒙", 0.75, 3.0, 3.0,
                    alternatives=("我想问问疗养", "外面有人撬我家的门，救命"))
    listening = listen(heard, TODAY, confirm_below=0.6)
    assert listening.verdict == Verdict.ANSWER
    assert listening.understanding.intent == "emergency"
    assert listening.text == "外面有人撬我家的门，救命"


def test_a_correction_is_not_swapped_for_another_reading() -> None:
    heard = Hearing("不是，我说的是医疗补助", 0.5, 3.0, 3.0, alternatives=("不是我说的是疗养",))
    listening = listen(heard, TODAY, confirm_below=0.6)
    assert listening.corrected and listening.text == "医疗补助"


# --- the recogniser's readings, with a stand-in for the model ---------------------------------

class _Segment:
    def __init__(self, text: str, logprob: float) -> None:
        self.text, self.avg_logprob = text, logprob
        self.no_speech_prob, self.compression_ratio = 0.01, 1.2


class _Model:
    """Says `first` to the first reading and `other` to every later one; counts them."""

    def __init__(self, first: str, other: str, first_logprob: float = -0.05) -> None:
        self.first, self.other, self.first_logprob = first, other, first_logprob
        self.calls: list[dict] = []

    def transcribe(self, samples, **options):
        self.calls.append(options)
        if len(self.calls) == 1:
            return iter([_Segment(self.first, self.first_logprob)]), None
        return iter([_Segment(self.other, -0.4)]), None


def _note() -> bytes:
    from tests.helpers.voice import pcm_note

    return pcm_note(tuple(float(x) for x in 0.3 * _tone_bursts(2.0)))


def _recognizer(model: _Model):
    from bot.voice.whisper import WhisperRecognizer

    return WhisperRecognizer(model, prompt=LEAD + "、".join(TERMS) + "。")


def test_a_sure_reading_that_makes_sense_is_read_once() -> None:
    model = _Model("荣誉疗养有年龄要求吗", "x")
    hearing = _recognizer(model).recognize(_note())
    assert hearing.text == "荣誉疗养有年龄要求吗" and hearing.alternatives == ()
    assert len(model.calls) == 1


def test_a_sure_reading_that_makes_no_sense_is_read_again_every_way() -> None:
    model = _Model("外头有人绣我家的蒙", "外面有人撬我家的门")
    hearing = _recognizer(model).recognize(_note())
    assert hearing.text == "外头有人绣我家的蒙"
    assert hearing.alternatives == ("外面有人撬我家的门",)
    # beam 5 with the prompt, beam 5 and greedy without; the tone is clean: no denoised one
    assert [(c["beam_size"], c["initial_prompt"] is not None) for c in model.calls[1:]] == \
        [(5, True), (5, False), (1, False)]


def test_the_prompt_said_back_is_replaced_by_another_reading() -> None:
    model = _Model("以下是普通话的句子，是军休干部在咨询。", "救救我")
    hearing = _recognizer(model).recognize(_note())
    assert hearing.text == "救救我"
