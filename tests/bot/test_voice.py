"""Voice: replies read aloud the way people say them, espeak-ng output is a real Telegram voice
note, the bot falls back to text without espeak-ng, and inbound audio decodes to what an ASR
backend needs."""

import argparse
import io
import logging
import math
import re
import struct
import subprocess
import sys
from datetime import date
from pathlib import Path

import av
import pytest

from bot.cli.speak import cmd_speak
from bot.render import render
from bot.voice import asr, tts
from bot.voice.asr import ASRConfigError, AudioDecodeError, decode_pcm16k, recognizer_from_settings
from bot.voice.spoken import Lexicon, lexicon, to_pinyin, to_spoken
from bot.voice.tts import (
    CachedSynthesizer,
    EspeakSynthesizer,
    SpeechError,
    Synthesizer,
    available,
    default_synthesizer,
    encode_opus,
    espeak_synthesizer,
    ogg_duration,
    parse_wav,
)
from junxiu_core import INTENTS, REGIONS, CadreProfile, answer

needs_espeak = pytest.mark.skipif(
    not available(), reason="espeak-ng is not installed (apt-get install espeak-ng, or "
                            "make system-deps) or PyAV lacks libopus")

TODAY = date(2026, 11, 22)
MEDICAL_REPLY = render(answer("medical.subsidy", {"amount_yuan": 120_000},
                              CadreProfile(region="jilin", status="退休"), TODAY))
HAN = re.compile(r"[\u4e00-\u9fff]")


# --- to_spoken -------------------------------------------------------------------------------

@pytest.mark.parametrize(("written", "said"), [
    # amounts and counts
    ("可补助12万", "可补助十二万。"),
    ("45000元", "四万五千元。"),
    ("45,000元", "四万五千元。"),
    ("52500元", "五万两千五百元。"),
    ("1.5万元", "一点五万元。"),
    ("2万元", "两万元。"),
    ("2个月", "两个月。"),
    ("第2条", "第二条。"),
    ("2月", "二月。"),
    ("一般每批次不超过50人", "一般每批次不超过五十人。"),
    ("80周岁以下", "八十周岁以下。"),
    ("5-10天", "五到十天。"),
    ("007", "零零七。"),
    # dates
    ("2025年12月31日", "二零二五年十二月三十一日。"),
    ("12月15日前", "十二月十五日前。"),
    ("有效期至2025-12-31", "有效期至二零二五年十二月三十一日。"),
    ("2025-2027年", "二零二五到二零二七年。"),
    ("10月底前", "十月底前。"),
    # sections and document numbers
    ("第5.4.5条", "第五点四点五条。"),
    ("见5.10.1", "见五点十点一。"),
    ("威退役军人发〔2023〕24号", "威退役军人发二零二三年第二十四号。"),
    ("〔2023〕24号", "二零二三年第二十四号。"),
    ("中组发[2014]11号", "中组发二零一四年第十一号。"),
    # percentages, decimals, ratios, times
    ("超出部分的70%给予补助", "超出部分的百分之七十给予补助。"),
    ("补百分之70", "补百分之七十。"),
    ("7.5%", "百分之七点五。"),
    ("1:5至1:10的比例", "一比五至一比十的比例。"),
    ("上午9:15", "上午九点十五分。"),
    ("8:30集合", "八点半集合。"),
    # numbers said digit by digit
    ("请马上拨打120急救电话！", "请马上拨打幺二零急救电话！"),
    ("和120急救系统有协作。", "和幺二零急救系统有协作。"),
    ("值班电话0431-88886666", "值班电话零四三幺，八八八八六六六六。"),
    ("值班电话13800138000", "值班电话幺三八，零零幺三，八零零零。"),
    ("编号17，一般在2个工作日内答复您", "编号幺七，一般在两个工作日内答复您。"),
    # words from pronunciation.yaml
    ("每人500元/月", "每人五百元每月。"),
    ("离休/退休", "离休或退休。"),
    # the citation: 《》 dropped, every dotted number a section
    ("依据：《吉林省军队离休退休干部服务管理实施细则》第二十条",
     "依据：吉林省军队离休退休干部服务管理实施细则第二十条。"),
    ("依据：《规范》5.4.5、5.4.6；《办法》第十一条（三）",
     "依据：规范五点四点五、五点四点六；办法第十一条（三）。"),
    ("依据：《规范》5.5", "依据：规范五点五。"),
    # markup and symbols
    ("**重要** 👍 人数≤100人", "重要 人数不超过一百人。"),
    ("详见https://example.cn/a", "详见链接。"),
])
def test_to_spoken(written: str, said: str) -> None:
    assert to_spoken(written) == said


def test_to_spoken_keeps_lines_and_ends_each_with_punctuation() -> None:
    spoken = to_spoken(MEDICAL_REPLY)
    lines = spoken.split("\n")
    assert len(lines) == len(MEDICAL_REPLY.split("\n"))
    assert lines[0] == "大约能补助四万五千元。"
    assert lines[-1] == "依据：吉林省军队离休退休干部服务管理实施细则第二十条。"
    assert all(line[-1] in "。！？；，：…、" for line in lines)
    assert to_spoken("\n\n您好\n\n") == "您好。"


def test_to_spoken_is_pure() -> None:
    assert to_spoken(MEDICAL_REPLY) == to_spoken(MEDICAL_REPLY)
    assert MEDICAL_REPLY.endswith("》第二十条")  # the input is untouched


@pytest.mark.parametrize("intent", INTENTS)
def test_every_rendered_reply_is_said_without_digits_or_brackets(intent: str) -> None:
    for region in REGIONS:
        spoken = to_spoken(render(answer(intent, {}, CadreProfile(region=region, age=82), TODAY)))
        assert not re.search(r"[0-9%％〔〕]", spoken), spoken
        last = spoken.split("\n")[-1]
        if last.startswith("依据"):
            assert "《" not in last and "》" not in last


def test_pronunciation_data_is_a_lexicon() -> None:
    lex = lexicon()
    assert lex.pinyin["干部"] == "gan4 bu4"
    assert "〔" in lex.say
    custom = Lexicon({"say": {"军休所": "军队离休退休干部休养所"}})
    assert to_spoken("请问军休所", custom) == "请问军队离休退休干部休养所。"
    assert to_spoken("编号17", Lexicon({})) == "编号十七。"  # digit rules come from the data


# --- to_pinyin (what espeak-ng reads) -------------------------------------------------------

@pytest.mark.parametrize(("chinese", "pinyin"), [
    ("军休干部", "jun1 xiu1 gan4 bu4"),  # espeak-ng alone: gān bù
    ("银行", "yin2 hang2"),  # espeak-ng alone: yín xíng
    ("当地的地方", "dang1 di4 de5 di4 fang1"),  # espeak-ng alone: dāng de … de fang
    ("了解", "liao2 jie3"),
    ("重新申请", "chong2 xin1 shen1 qing3"),
    ("交还证件", "jiao1 huan2 zheng4 jian4"),
    ("给予补助", "ji3 yu3 bu3 zhu4"),
    ("机构都会联系", "ji1 gou4 dou1 hui4 lian2 xi4"),
    ("有人参加", "you3 ren2 can1 jia1"),
    ("不是，一起", "bu2 shi4，yi4 qi3"),  # tone sandhi of 不 and 一
    ("第十一条", "di4 shi2 yi1 tiao2"),  # but not inside numbers
    ("一万五千元", "yi2 wan4 wu3 qian1 yuan2"),
    ("幺二零", "yao1 er4 ling2"),
])
def test_to_pinyin(chinese: str, pinyin: str) -> None:
    assert to_pinyin(chinese) == pinyin


def test_every_rendered_reply_becomes_pinyin_only() -> None:
    syllable = re.compile(r"^[a-zü]+[1-5]$")
    for intent in INTENTS:
        reply = render(answer(intent, {}, CadreProfile(region="jilin"), TODAY))
        for word in re.split(r"[\s\W]+", to_pinyin(to_spoken(reply))):
            assert not word or syllable.match(word), (intent, word)


# --- espeak-ng synthesis --------------------------------------------------------------------

def probe(ogg: bytes) -> tuple[str, int, str, int, float]:
    with av.open(io.BytesIO(ogg)) as container:
        streams = container.streams.audio
        stream = streams[0]
        return (container.format.name, len(streams), stream.codec_context.name,
                stream.sample_rate, ogg_duration(ogg))


@needs_espeak
def test_espeak_writes_an_ogg_opus_voice_note() -> None:
    synth = espeak_synthesizer()
    assert isinstance(synth, EspeakSynthesizer)
    assert isinstance(synth, Synthesizer)
    sentence = "大约能补助四万五千元。补助最多十万元。"
    fmt, n_streams, codec, rate, seconds = probe(synth.synthesize(sentence))
    assert (fmt, n_streams, codec, rate) == ("ogg", 1, "opus", 48_000)
    chars = len(HAN.findall(to_spoken(sentence)))
    # Measured at 150 words a minute: 0.33-0.40 s a character for sentences of 6+ characters.
    assert 0.2 * chars < seconds < 0.5 * chars, (chars, seconds)


@needs_espeak
def test_a_typical_reply_is_spoken_in_well_under_a_second() -> None:
    import time

    synth = EspeakSynthesizer()
    synth.synthesize("您好。")  # loads pypinyin
    started = time.perf_counter()
    ogg = synth.synthesize(MEDICAL_REPLY)
    elapsed = time.perf_counter() - started
    seconds = ogg_duration(ogg)
    assert 15 < seconds < 60, seconds
    assert len(ogg) < 200_000  # ~32 kb/s
    assert elapsed < 3.0, elapsed  # measured 0.35 s on two cores


@needs_espeak
def test_slower_speech_is_longer() -> None:
    text = "军休干部您好，今天天气很好。"
    slow = ogg_duration(EspeakSynthesizer(speed=120).synthesize(text))
    fast = ogg_duration(EspeakSynthesizer(speed=200).synthesize(text))
    assert slow > fast * 1.3


@needs_espeak
def test_espeak_reads_the_pinyin_with_the_right_tones() -> None:
    def phonemes(text: str) -> str:
        return subprocess.run(["espeak-ng", "-q", "-x", "-v", tts.VOICE, "-b", "1"],
                              input=text.encode(), capture_output=True, check=True
                              ).stdout.decode()

    assert "a55n" in phonemes("干部")  # espeak-ng's own reading: gān, first tone
    assert "a51n" in phonemes(EspeakSynthesizer().script("干部"))  # gàn, fourth tone


@needs_espeak
def test_nothing_to_say_and_too_long_are_speech_errors() -> None:
    synth = EspeakSynthesizer(max_chars=50)
    with pytest.raises(SpeechError):
        synth.synthesize(" \n ")
    with pytest.raises(SpeechError, match="too long"):
        synth.synthesize("您好" * 100)


def fake_espeak(tmp_path: Path, body: str) -> str:
    script = tmp_path / "espeak-ng"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.skipif(sys.platform == "win32", reason="shell scripts stand in for espeak-ng")
def test_espeak_failures_raise_speech_error(tmp_path: Path) -> None:
    hangs = EspeakSynthesizer(executable=fake_espeak(tmp_path, "sleep 5"), timeout=0.3)
    with pytest.raises(SpeechError, match="longer than"):
        hangs.synthesize("您好")
    fails = EspeakSynthesizer(executable=fake_espeak(tmp_path, "echo broken >&2; exit 3"))
    with pytest.raises(SpeechError, match="failed"):
        fails.synthesize("您好")
    garbage = EspeakSynthesizer(executable=fake_espeak(tmp_path, "cat"))
    with pytest.raises(SpeechError, match="WAV"):
        garbage.synthesize("您好")
    with pytest.raises(SpeechError, match="not installed"):
        EspeakSynthesizer(executable=str(tmp_path / "missing")).synthesize("您好")
    with pytest.raises(ValueError):
        EspeakSynthesizer(speed=20)


def streaming_wav(pcm: bytes, rate: int = 22_050) -> bytes:
    """A WAV as espeak-ng --stdout writes it: sizes are placeholders."""
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return (b"RIFF" + struct.pack("<I", 0x7FFFF024) + b"WAVE" + b"fmt " +
            struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 0x7FFFF000) + pcm)


def tone(seconds: float, rate: int = 22_050, hz: float = 220.0) -> bytes:
    n = int(seconds * rate)
    return b"".join(struct.pack("<h", int(12_000 * math.sin(2 * math.pi * hz * i / rate)))
                    for i in range(n))


def test_parse_wav_reads_espeaks_streaming_header() -> None:
    pcm = tone(0.1)
    assert parse_wav(streaming_wav(pcm)) == (pcm, 22_050, 1)
    assert parse_wav(streaming_wav(pcm + b"\x01")) == (pcm, 22_050, 1)  # half a sample
    with pytest.raises(SpeechError):
        parse_wav(b"not a wav at all")


def test_encode_opus_makes_a_telegram_voice_note() -> None:
    fmt, n_streams, codec, rate, seconds = probe(encode_opus(tone(1.5), 22_050))
    assert (fmt, n_streams, codec, rate) == ("ogg", 1, "opus", 48_000)
    assert seconds == pytest.approx(1.5, abs=0.05)
    with pytest.raises(SpeechError):
        encode_opus(b"", 22_050)


def test_cached_synthesizer_says_the_same_text_once() -> None:
    calls: list[str] = []

    class Engine:
        def synthesize(self, text: str) -> bytes:
            calls.append(text)
            return f"OggS {text}".encode()

    synth = CachedSynthesizer(Engine(), size=2)
    assert isinstance(synth, Synthesizer)
    assert synth.synthesize("您好") == synth.synthesize("您好") == "OggS 您好".encode()
    synth.synthesize("再见")
    synth.synthesize("谢谢")  # the oldest, 您好, makes room
    synth.synthesize("您好")
    assert calls == ["您好", "再见", "谢谢", "您好"]
    assert (synth.hits, synth.misses) == (1, 4)


# --- without espeak-ng --------------------------------------------------------------------

def test_without_espeak_there_is_no_synthesizer_and_one_warning(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no espeak-ng
    monkeypatch.setattr(tts, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="bot.voice.tts"):
        assert not available()
        assert espeak_synthesizer() is None
        assert default_synthesizer("espeak") is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "espeak-ng" in warnings[0].getMessage()


def test_without_espeak_speak_exits_kindly(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture, tmp_path: Path
                                           ) -> None:
    monkeypatch.setattr(tts.shutil, "which", lambda name: None)
    out = tmp_path / "reply.ogg"
    args = argparse.Namespace(text="您好", out=str(out), speed=150, no_pinyin=False, show=False,
                              engine="espeak")
    assert cmd_speak(args) == 1
    assert "espeak-ng" in capsys.readouterr().err
    assert not out.exists()


@needs_espeak
def test_speak_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "reply.ogg"
    args = argparse.Namespace(text="大约能补助四万五千元。\\n补助最多十万元。", out=str(out),
                              speed=150, no_pinyin=False, show=True, engine="espeak")
    assert cmd_speak(args) == 0
    assert probe(out.read_bytes())[:4] == ("ogg", 1, "opus", 48_000)
    printed = capsys.readouterr().out
    assert "da4 yue1" in printed and "reply.ogg" in printed


# --- ASR --------------------------------------------------------------------------------------

def assert_16k_mono_of(pcm: bytes, seconds: float) -> None:
    assert len(pcm) % 2 == 0
    assert len(pcm) / 2 / asr.SAMPLE_RATE == pytest.approx(seconds, abs=0.08)
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    assert rms > 300  # sound, not silence


def test_decode_gives_16k_mono_pcm() -> None:
    ogg = encode_opus(tone(2.0), 22_050)
    assert_16k_mono_of(decode_pcm16k(ogg), 2.0)
    assert len(decode_pcm16k(ogg, max_seconds=0.5)) == 0.5 * asr.SAMPLE_RATE * 2
    with pytest.raises(AudioDecodeError):
        decode_pcm16k(b"OggS but not really")


@needs_espeak
def test_decode_gives_16k_mono_pcm_of_espeak_speech() -> None:
    ogg = EspeakSynthesizer().synthesize("军休干部您好，我想问一下疗养的事。")
    assert_16k_mono_of(decode_pcm16k(ogg), ogg_duration(ogg))


def test_no_asr_when_turned_off() -> None:
    assert recognizer_from_settings("none", None) is None
    assert recognizer_from_settings("off", "/models/x") is None


def test_no_asr_by_default_without_the_voice_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asr, "whisper_installed", lambda: False)
    assert recognizer_from_settings(None, None) is None
    assert recognizer_from_settings("", "/models/x") is None


@pytest.mark.parametrize(("backend", "path", "message"), [
    ("kaldi", "{tmp}", "unknown JUNXIU_ASR_BACKEND"),
    ("vosk", None, "JUNXIU_ASR_MODEL_PATH"),
    ("vosk", "{tmp}/missing", "not a directory"),
    ("vosk", "{tmp}", "pip install vosk"),
    ("sherpa-onnx", "{tmp}", "pip install sherpa-onnx"),
])
def test_misconfigured_asr_fails_at_start(backend: str, path: str | None, message: str,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    monkeypatch.setitem(sys.modules, "vosk", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "sherpa_onnx", None)
    with pytest.raises(ASRConfigError, match=message):
        recognizer_from_settings(backend, path and path.format(tmp=tmp_path))


def test_vosk_backend_gets_16k_pcm_and_joins_words(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fed: list[tuple[int, int]] = []

    class Model:
        def __init__(self, path: str) -> None:
            assert path == str(tmp_path)

    class KaldiRecognizer:
        def __init__(self, model: Model, rate: int) -> None:
            self.rate = rate

        def AcceptWaveform(self, pcm: bytes) -> bool:
            fed.append((self.rate, len(pcm)))
            return True

        def FinalResult(self) -> str:
            return '{"text": "我 想 问 疗养"}'

    fake = type(sys)("vosk")
    fake.Model, fake.KaldiRecognizer, fake.SetLogLevel = Model, KaldiRecognizer, lambda n: None
    monkeypatch.setitem(sys.modules, "vosk", fake)
    recognizer = recognizer_from_settings("vosk", str(tmp_path))
    assert isinstance(recognizer, asr.Recognizer)
    assert recognizer.transcribe(encode_opus(tone(1.0), 22_050)) == "我想问疗养"
    assert fed[0][0] == 16_000
    assert fed[0][1] == pytest.approx(32_000, abs=2_000)


def test_the_heap_is_tuned_for_the_speech_models_on_glibc() -> None:
    """glibc takes both settings (in a process of its own: the test run keeps its heap)."""
    import platform
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "from bot.voice.heap import keep_heap_small; "
                           "print(keep_heap_small())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert done == str(platform.libc_ver()[0] == "glibc")
