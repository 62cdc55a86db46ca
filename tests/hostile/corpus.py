"""Hostile and odd inputs, built deterministically: hand-written cases plus generated ones.

`corpus()` returns the same list of `Case`s on every call and every machine (a seeded
random.Random, no hashing of sets). Each case has a category, so a failure says what kind of
input broke things. What is deliberately left out:

- lone surrogates (U+D800-U+DFFF): Telegram delivers valid UTF-8 only, and no transport can
  hand the bot such a string;
- NUL reaches the bot only in the SQLite-backed tests here (PostgreSQL rejects NUL in text;
  Telegram strips it from messages).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

LONG = 20_000  # characters: five times Telegram's 4,096 limit, for the console path


@dataclass(frozen=True)
class Case:
    category: str
    text: str

    def __repr__(self) -> str:  # short, for failure messages
        shown = self.text if len(self.text) <= 40 else self.text[:37] + "…"
        return f"<{self.category} {shown!r} len={len(self.text)}>"


# Ordinary questions the hostile bits are wrapped around (written for this file).
QUESTIONS = (
    "我能参加疗养吗",
    "医疗补助怎么算",
    "我在吉林，退休的，自付了十二万",
    "转人工",
    "你好",
    "出国要报备吗",
    "今年体检什么时候",
    "谢谢",
)

WHITESPACE = (
    "", " ", "  ", "\t", "\n", "\r\n", "\r", "\v", "\f", "\u3000", "\u00a0", "\u2003",
    "\u1680", "\u205f", "\u2007", " \t\n\r ", "\u3000\u3000\u3000", "\n" * 50, " " * 4000,
)

INJECTIONS = {
    "sql": (
        "' OR '1'='1", "'; DROP TABLE messages; --", "\" OR 1=1 --", "1; DELETE FROM cadres",
        "' UNION SELECT name, phone FROM cadres --", "admin'--", "1' AND SLEEP(5)#",
        "'); UPDATE tickets SET status='closed'; --", "%' OR name LIKE '%", "\\'; SELECT 1; --",
        "' OR 1=1; PRAGMA writable_schema=1; --", "$$; SELECT pg_sleep(5); $$",
    ),
    "html": (
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b>粗体</b>",
        "<a href=\"javascript:alert(1)\">点我</a>", "</pre><h1>标题</h1>", "&lt;&amp;&gt;",
        "<svg/onload=alert(1)>", "<iframe src=//evil>", "*bold* _italic_ `code` [x](http://e)",
        "<tg-spoiler>秘密</tg-spoiler>", "]]><!--", "{{constructor.constructor('x')()}}",
    ),
    "format": (
        "{0}", "{}", "%s", "%d", "%(x)s", "{{}}", "${x}", "{name}", "{n}", "{text!r}",
        "%n%n%n", "{0:>99999}", "{__class__}", "#{x}", "%(phone)s", "{region}", "${jndi:x}",
        "{{ui.welcome}}", "%", "{",
    ),
    "path": (
        "../../etc/passwd", "..\\..\\windows\\system32", "/etc/shadow", "file:///etc/passwd",
        "var/audio/../../.env", "%2e%2e%2f%2e%2e%2f", "....//....//", "~/.ssh/id_rsa",
    ),
    "shell": (
        "; rm -rf /", "$(reboot)", "`id`", "| cat /etc/passwd", "&& shutdown -h now",
        "> /dev/null", "2>&1", "$HOME", "\\\n", "a; b && c || d", "!!", "*", "-v --help",
        "--stdout", "-", "'\"$(echo hi)\"'",
    ),
}

EMOJI = (
    "😀", "👍", "🙏", "❤️", "👨‍👩‍👧‍👦", "👩‍❤️‍💋‍👨", "🏳️‍🌈", "🇨🇳", "🇺🇸", "🇹🇼🇭🇰🇲🇴",
    "👍🏻", "👍🏿", "👩🏽‍🦳", "🧑🏼‍⚕️", "🫡", "🀄", "©️", "1️⃣", "#️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "☺", "😀" * 200, "👨‍👩‍👧‍👦" * 300, "🇨🇳" * 500,
)

# U+0000-U+001F, DEL, a few C1 controls, the zero-width and direction marks, separators, BOM.
INVISIBLE = (
    *(chr(c) for c in range(0x20)), "\x7f", "\x80", "\x85", "\x9f",
    *(chr(c) for c in range(0x200B, 0x2010)), "\u2028", "\u2029", "\ufeff", "\u2060",
    "\u00ad", "\u034f", "\u180e", "\ufff9", "\ufffc", "\ufffd",
)

BIDI = tuple(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))

OTHER_LANGUAGES = (
    "Hello, how do I apply for the sanatorium?",
    "I need help", "help", "Where is my pension?",
    "Здравствуйте, как получить медицинскую помощь?", "Помогите!",
    "مرحبا، كيف يمكنني الحصول على المساعدة؟", "السلام عليكم",
    "עזרה בבקשה",
    "こんにちは、療養に参加できますか", "助けてください",
    "안녕하세요, 요양에 참가할 수 있나요?", "도와주세요",
    "བཀྲ་ཤིས་བདེ་ལེགས།", "ང་ལ་རོགས་རམ་དགོས།",
    "ياخشىمۇسىز، ماڭا ياردەم كېرەك", "دوختۇرخانىغا قانداق بارىمەن",
    "Xin chào", "Γειά σου", "नमस्ते", "สวัสดีครับ", "Salut ça va ?",
    "我在吉林 and I need 医疗补助 please", "疗养 сколько стоит", "こんにちは 转人工",
)

DIGITS = (
    "0", "1", "2", "9", "12", "120", "110", "119", "00000", "999999999999",
    "1" * 300, "3.14", "-1", "+1", "1e10", "0x1F", "1/0", "NaN", "inf", "１２３",
    "١٢٣٤٥", "一二三", "壹贰叁", "½", "²³", "Ⅻ", "12万", "120000", "1,000,000",
    str(10 ** 60),
)

PHONES = (
    "13800138000", "+8613800138000", "+86 138 0013 8000", "138-0013-8000", "138 0013 8000",
    "8613800138000", "010-12345678", "(010) 1234 5678", "400-123-4567", "12345",
    "我的电话是13800138000", "电话：13800138000，请回电", "1380013800", "138001380000",
    "+1 (555) 010-9999", "tel:+8613800138000", "13800138000 13900139000", "+86-138-0013-8000",
)

COMMANDS = (
    "/start", "/start ", "/start abc", "/start 😀", "/start ' OR 1=1 --", "/start {0}",
    "/start " + "A" * 5000, "/start\n/start", "/START", "/Start@junxiu_test_bot",
    "/start@other_bot", "/@bot", "/@", "//", "/", "/ start", "/reply 1 您好",
    "/reply", "/reply abc", "/reply 99999999999999999999 x", "/claim 1", "/claim #1",
    "/close 1 done", "/queue", "/ticket 1", "/ticket -1", "/canned", "/staffhelp",
    "/checkins", "/contacted 1 电话", "/voice", "/voice on", "/help", "/menu",
    "/unknowncmd", "/😀", "/疗养", "/rate:1:5", "claim:1", "close:1", "rate:1:5", "pick:jilin",
    "checkin:ok", "/" + "a" * 300, "/start " + "\u202e" + "edoc", "\u200b/start", " /start",
    "／start", "/start\x00", "/help me please", "/reply@junxiu_test_bot 1 hi",
)

PUNCTUATION = (
    "???", "？？？？？", "!!!!!!!", "！！！", "。。。。", "……", "~~~~", "...", "、、、", "，，，",
    "?!?!?!", "？" * 1000, "!" * 4000, "。" * 5000, "-_-", "^_^", "(╯°□°）╯︵ ┻━┻",
    "【】《》「」『』", "\"\"\"\"", "''''", ";;;;", "::::", "####", "@@@@", "$$$$", "%%%%",
)

FULL_WIDTH = (
    "ＡＢＣ", "１２３", "／ｓｔａｒｔ", "医疗补助怎么算？！", "ｈｅｌｌｏ", "转　人　工",
    "我在吉林，自付１２万", "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ", "（疗养）", "＂引号＂",
    "疗养ｓａｎａｔｏｒｉｕｍ", "ＳＥＬＥＣＴ　＊　ＦＲＯＭ　ｃａｄｒｅｓ", "＜ｓｃｒｉｐｔ＞",
    "１３８００１３８０００", "Ｏ Ｋ",
)

# Characters the fuzzer draws from: CJK, Latin, digits, punctuation, emoji parts, invisible
# characters, combining marks, RTL letters, astral planes.
_FUZZ_POOL = (
    "疗养医疗补助转人工吉林上海威海聊城退休离休干部你好谢谢我是的了吗么呢"
    "abcXYZ0123456789 ,.!?;:'\"<>{}[]()%$#@&*/\\|`~-_=+"
    "，。！？；：“”‘’（）【】《》、…—"
    "😀👍🙏❤🇨🇳👨‍👩‍👧\u200d\ufe0f\U0001f3fb"
    "\u200b\u200c\u200e\u200f\u202e\u2066\u2069\ufeff\u2028\x00\x1b\t\n"
    "\u0300\u0301\u0336\u0489\u20dd"
    "مرحباשלוםпривет"
    "\U00020000\U0002a700\U0001d11e\U0010fffd"
)


def zalgo(text: str, marks: int, rng: random.Random) -> str:
    """Each character followed by `marks` combining diacritics (U+0300-U+036F)."""
    return "".join(ch + "".join(chr(rng.randrange(0x300, 0x370)) for _ in range(marks))
                   for ch in text)


def _long() -> list[Case]:
    rng = random.Random(20_000)
    question = "我是军休干部，想问一下疗养和医疗补助的事情，"
    latin = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "
    cjk = "".join(chr(rng.randrange(0x4E00, 0x9FA6)) for _ in range(LONG))
    mixed = "".join(rng.choice((question, latin, "12345 ", "😀", "\u200b", "\n"))
                    for _ in range(LONG // 10))[:LONG]
    return [
        Case("long", (question * LONG)[:LONG]),
        Case("long", (latin * LONG)[:LONG]),
        Case("long", mixed),
        Case("long", cjk),
        Case("long", ("转人工" + question * LONG)[:LONG]),  # hand-over with a huge question
        Case("long", ("我老伴摔倒了起不来" + latin * LONG)[:LONG]),  # emergency, huge
        Case("long", "".join(chr(rng.choice((rng.randrange(0x20, 0xD800),
                                             rng.randrange(0xE000, 0x110000))))
                             for _ in range(LONG))),
        Case("long", "\n".join([question] * 2000)[:LONG]),
    ]


def _long_words() -> list[Case]:
    return [Case("long_word", text) for text in (
        "a" * 5000, "疗" * 5000, "https://example.com/" + "a" * 4000,
        "QUJD" * 1500, "x" * 4096, "x" * 4097, "转人工" * 1400, "ab" * 3000 + "疗养",
        "13800138000" * 300, "\u0301" * 3000, "😀" * 3000,
    )]


def _injections() -> list[Case]:
    out = []
    for kind, payloads in INJECTIONS.items():
        for i, payload in enumerate(payloads):
            question = QUESTIONS[i % len(QUESTIONS)]
            out += [Case(kind, payload), Case(kind, f"{question}{payload}"),
                    Case(kind, f"{payload}{question}"),
                    Case(kind, f"{question[:2]}{payload}{question[2:]}")]
    return out


def _invisible() -> list[Case]:
    out = []
    for i, ch in enumerate(INVISIBLE):
        question = QUESTIONS[i % len(QUESTIONS)]
        out += [Case("invisible", ch), Case("invisible", ch * 20),
                Case("invisible", ch.join(question)), Case("invisible", f"{ch}{question}{ch}")]
    return out


def _bidi() -> list[Case]:
    out = [Case("bidi", text) for text in (
        "\u202eedoc", "\u202e转人工", "abc\u202edef\u202c", "\u2067مرحبا\u2069 疗养",
        "\u200fשלום\u200e 你好", "\u202d\u202e\u202d\u202e", "\u2066" * 100,
        "مرحبا 13800138000", "\u202e/start", "医疗\u202e补助怎么算",
    )]
    for i, mark in enumerate(BIDI):
        question = QUESTIONS[i % len(QUESTIONS)]
        out += [Case("bidi", mark), Case("bidi", f"{mark}{question}"),
                Case("bidi", f"{question}{mark}مرحبا")]
    return out


def _emoji() -> list[Case]:
    out = []
    for i, emoji in enumerate(EMOJI):
        question = QUESTIONS[i % len(QUESTIONS)]
        out += [Case("emoji", emoji), Case("emoji", f"{question}{emoji}"),
                Case("emoji", f"{emoji}{question}{emoji}")]
    return out


def _zalgo() -> list[Case]:
    rng = random.Random(3)
    return [Case("zalgo", zalgo(base, marks, rng))
            for base in ("转人工", "疗养", "hello", "13800138000", "/start")
            for marks in (1, 5, 20, 80)]


def _languages() -> list[Case]:
    out = [Case("language", text) for text in OTHER_LANGUAGES]
    out += [Case("language", f"{text} {QUESTIONS[i % len(QUESTIONS)]}")
            for i, text in enumerate(OTHER_LANGUAGES)]
    return out


def _fuzz(n: int = 260) -> list[Case]:
    rng = random.Random(1_000)
    out = []
    for _ in range(n):
        length = rng.choice((1, 2, 3, 5, 8, 13, 40, 200, 1000))
        out.append(Case("fuzz", "".join(rng.choice(_FUZZ_POOL) for _ in range(length))))
    return out


def corpus() -> list[Case]:
    cases: list[Case] = []
    cases += [Case("whitespace", t) for t in WHITESPACE]
    cases += _long()
    cases += _long_words()
    cases += _emoji()
    cases += _invisible()
    cases += _bidi()
    cases += _zalgo()
    cases += _injections()
    cases += _languages()
    cases += [Case("digits", t) for t in DIGITS]
    cases += [Case("phone", t) for t in PHONES]
    cases += [Case("command", t) for t in COMMANDS]
    cases += [Case("punctuation", t) for t in PUNCTUATION]
    cases += [Case("full_width", t) for t in FULL_WIDTH]
    cases += _fuzz()
    return cases


def categories() -> list[str]:
    return sorted({c.category for c in corpus()})
