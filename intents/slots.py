"""Slot extraction: the facts a cadre states in one message, as plain values.

`extract(text, today)` returns only the slots it found:

    amount_yuan int, amount_approx True        rank "师级"…  (junxiu_core.model.Rank values)
    military_rank "大校"… (only without a post)  status "离休" | "退休"
    merits [codes], age int, age_approx True   date "YYYY-MM-DD", date_kind "depart" | "return"
    region weihai|liaocheng|jilin|shanghai     place_other "湖南", destination "加拿大", abroad True
    lives_alone bool, self_care bool, serious_illness bool, last_sanatorium_year int
    aspect "passport" | "long_stay" | "how"   (the part of a topic asked about)

Amounts below 10 yuan are ignored (一块去 = "go together"); approximate amounts and ages carry
a *_approx flag so the caller can ask for the figure. merits holds only codes with a known
level: 评过先进 without saying who named it adds nothing (the caller asks).

Pure and fast: no clock (`today` is a parameter), no I/O but the gazetteer read once from the
package data, every pattern compiled once. Numbers are parsed by `_parse_number` here rather
than by cn2an: cn2an costs 20-400 µs per call and rejects the approximate forms (十几万, 十来万);
tests check that both agree on the exact forms.

Context rule used throughout: a *clause* is the text between two of ，。；！？,;!? (a '.' between
digits is a decimal point, not a boundary); negations and qualifiers are looked for in it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import yaml

from junxiu_core.model import Rank, Status

# --- shared helpers ----------------------------------------------------------------------------

# Full-width ASCII and the ideographic space, in case the normaliser was skipped.
_HALF_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
_CLAUSE_SEP_RE = re.compile(r"[，。；！？,;!?\n]|(?<!\d)\.|\.(?!\d)")
# Document numbers (〔2023〕24号) and phone numbers are blanked before any number is read, so
# neither becomes an amount, a date or an age.
_MASK_RE = re.compile(
    r"[〔\[(（【]\s*\d{4}\s*[〕\])）】]\s*第?\d+\s*号"
    r"|(?<!\d)1[3-9]\d{9}(?!\d)"
    r"|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"
    r"|(?:电话|手机|座机|号码)[:是为\s]{0,2}\d{7,12}"
)
_NEG_RE = re.compile(r"没|未|不是|无|从不|并非")

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6,
              "柒": 7, "捌": 8, "玖": 9}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_APPROX_CHARS = frozenset("来几多余好")
_MAX_NUMBER = 1e12  # beyond any sum or count a cadre names; keeps floats finite
_NUM_TOKEN_RE = re.compile(
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|点[零〇一二两三四五六七八九]+|.")


class _Msg:
    """The message plus clause boundaries, so context lookups are a bisect away."""

    __slots__ = ("seps", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.seps = [m.start() for m in _CLAUSE_SEP_RE.finditer(text)]

    def clause(self, pos: int) -> tuple[int, int]:
        i = bisect_left(self.seps, pos)
        start = self.seps[i - 1] + 1 if i else 0
        end = self.seps[i] if i < len(self.seps) else len(self.text)
        return start, end

    def before(self, pos: int, width: int) -> str:
        """Up to `width` characters before pos, not crossing the clause start."""
        start = self.clause(pos)[0]
        return self.text[max(start, pos - width):pos]

    def negated(self, pos: int, width: int = 6) -> bool:
        return bool(_NEG_RE.search(self.before(pos, width)))


def _parse_number(s: str) -> tuple[float, bool] | None:
    """Value of a numeral mixing Arabic and Chinese digits, and whether it is approximate.

    12万5千, 十万零五千, 8.6万, 八点六万, 一万二 (=12000: a lone digit after a unit counts in the
    next lower unit), 十几万/二十多万/一万多 (approximate, the round part), 三四万 (a range: the
    lower bound, approximate). None when the text is not a number.
    """
    total = section = 0.0
    num: float | None = None
    num_text = ""
    last_unit = 1
    zero = approx = False
    for tok in _NUM_TOKEN_RE.findall(s):
        c = tok[0]
        if "0" <= c <= "9":
            if len(tok) > 15:
                return None
            if num is not None:
                approx = True
                continue
            num, num_text = float(tok.replace(",", "")), tok
        elif c == "点" and len(tok) > 1:
            if num is None or num != int(num):
                return None
            num = float(f"{int(num)}." + "".join(str(_CN_DIGITS[ch]) for ch in tok[1:]))
            num_text = "."
        elif c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
            if digit == 0:
                zero = True
            elif num is not None:
                approx = True  # 三四万: keep the lower bound
            else:
                num, num_text = float(digit), c
        elif c in _CN_UNITS:
            last_unit = _CN_UNITS[c]
            section += (1.0 if num is None else num) * last_unit
            num, zero = None, False
        elif c in _CN_BIG:
            section += num or 0.0
            if not section:
                return None
            last_unit = _CN_BIG[c]
            total += section * last_unit
            section, num, zero = 0.0, None, False
        elif c in _APPROX_CHARS:
            approx = True
        else:
            return None
    if num is not None:
        if not zero and last_unit >= 100 and len(num_text) == 1:
            num *= last_unit / 10  # 一万二 = 12000, 三千五 = 3500
        section += num
    value = total + section
    return (value, approx) if 0 < value < _MAX_NUMBER else None


def _small_int(s: str) -> int | None:
    """An integer written in digits or Chinese (八十二, 二十三, 十), or None."""
    if s.isdigit():
        return int(s)
    parsed = _parse_number(s)
    if parsed is None or parsed[1] or parsed[0] != int(parsed[0]):
        return None
    return int(parsed[0])


# --- amount ------------------------------------------------------------------------------------

_AMOUNT_RE = re.compile(
    r"(?<![\d.,:/\-])"
    r"(?P<num>(?:好几|几|\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|[一二两三四五六七八九壹贰叁肆伍陆柒捌玖十拾])"
    r"(?:\d+(?:\.\d+)?|点[零〇一二两三四五六七八九]+"
    r"|[零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖十拾百佰千仟万亿来几多余])*)"
    r"(?P<unit>元|块钱|块|圆|人民币)?"
)
# A number followed by one of these counts something else: age, date, times, people …
# (the lookaheads keep 里面, 个人负担, 人民币, 回来, 所以, 平均 from rejecting money).
_NOT_MONEY_AFTER_RE = re.compile(
    r"周岁|岁|年|月|日|号|天|次|人(?!民币)|个(?!人)|名|位|趟|回(?!来|去)|遍|分|秒|小时|点|米|公里"
    r"|里(?!面|头|边)|斤|克|平(?!均|时)|层|楼|等|级|届|批|期|倍|%|条|项|页|辆|套|件|张|家|所(?!以)"
    r"|床|台|周|步|字|度|职|岗|届|[\d.:/\-]"
)
_MONEY_CONTEXT_RE = re.compile(
    r"自付|自负|自费|花了|花费|花销|医疗费|医药费|住院费|费用|付了|掏了|报销|元|块|钱|开销|支出"
    r"|个人负担|自己出")
# When several amounts are named, the one next to "self-paid" is the one the rules need.
_PREFER_STRONG_RE = re.compile(
    r"自付|自负|自费|个人负担|个人承担|个人支付|自己付|自己掏|自己出|自掏")
_PREFER_WEAK_RE = re.compile(r"掏|花")
_PREFER_WINDOW = 12
# 一块去 ("together") reads as 1 yuan; no sum this assistant handles is that small.
_MIN_YUAN = 10
# Hedges around a figure (将近十万, 五万左右) make it approximate too.
_HEDGE_BEFORE_RE = re.compile(r"将近|接近|大概|大约|约|差不多|估计|少说")
_HEDGE_AFTER_RE = re.compile(r"左右|上下|出头|开外")
# 好几万 and friends name no digit: a deliberately round guess, flagged approximate so the
# caller asks for the figure (the product brief fixes 好几万 at 100000).
_SEVERAL_GUESS = {"万": 100_000, "千": 5_000, "十万": 300_000, "百": 500}


def _amount_value(num: str) -> tuple[int, bool, bool] | None:
    """(yuan, approximate, has a magnitude word 千/万/亿) for one matched number span."""
    if num.startswith(("好几", "几")):
        rest = num.removeprefix("好").removeprefix("几").rstrip("多来余")
        guess = _SEVERAL_GUESS.get(rest)
        return (guess, True, True) if guess else None
    parsed = _parse_number(num)
    if parsed is None:
        return None
    value, approx = parsed
    return round(value), approx, any(c in num for c in "千仟万亿")


# Voice input hears 万 as 晚, 玩 or 湾 (十五晚, 十二玩): right after a numeral, and not as
# 晚上/晚饭/晚会/晚点 or 玩具.
_WAN_SLIP_RE = re.compile(r"(?<=[\d一二两三四五六七八九十])[晚玩湾](?![上饭餐间会点安辈年具耍儿])")


def _amounts(msg: _Msg) -> dict[str, Any]:
    text = _WAN_SLIP_RE.sub("万", msg.text)  # same length: positions still line up
    found: list[tuple[int, int, int, bool]] = []  # start, end, yuan, approximate
    money_context: bool | None = None
    for m in _AMOUNT_RE.finditer(text):
        num, unit = m.group("num"), m.group("unit")
        if not unit and _NOT_MONEY_AFTER_RE.match(text, m.end()):
            continue
        value = _amount_value(num)
        if value is None:
            continue
        yuan, approx, magnitude = value
        if yuan < _MIN_YUAN:
            continue
        if not (unit or magnitude):
            # A bare number is money only if large, money is being talked about, and it is not
            # a year (2023) or an id (too many digits).
            if money_context is None:
                money_context = bool(_MONEY_CONTEXT_RE.search(text))
            if not (money_context and 1000 <= yuan < 100_000_000 and num.isdigit()):
                continue
            if (len(num) == 4 and 1900 <= yuan <= 2100
                    and not _MONEY_CONTEXT_RE.search(text, max(0, m.start() - 3), m.start())):
                continue
        found.append((m.start(), m.end(), yuan, approx))
    if not found:
        return {}
    best = found[0]
    for pattern in (_PREFER_STRONG_RE, _PREFER_WEAK_RE):
        keys = [(k.start(), k.end()) for k in pattern.finditer(text)]
        if not keys:
            continue
        scored = []
        for item in found:
            start, end = item[0], item[1]
            # A figure after its keyword (自付12万) beats one before it at the same distance.
            dist = min(start - ke if ke <= start else (ks - end + 0.5 if ks >= end else 0)
                       for ks, ke in keys)
            scored.append((dist, start, item))
        dist, _, item = min(scored)
        if dist <= _PREFER_WINDOW:
            best = item
            break
    out: dict[str, Any] = {"amount_yuan": best[2]}
    if best[3] or _HEDGE_BEFORE_RE.search(text, max(0, best[0] - 3), best[0]) \
            or _HEDGE_AFTER_RE.match(text, best[1]):
        out["amount_approx"] = True
    return out


# --- rank and military rank --------------------------------------------------------------------

_RANK_BY_CHAR = {"军": Rank.ARMY, "师": Rank.DIVISION, "团": Rank.REGIMENT,
                 "营": Rank.BATTALION, "连": Rank.COMPANY, "排": Rank.PLATOON}
# 师/团/营/连/排 are everyday characters (老师, 旅游团, 营养, 连续, 安排); a post needs 正/副 in
# front or 级/职 (or 长/政委) after, and the character before must not make another word
# (工程师级, 集团级, 经营级, 安排级别 …).
_NOT_BEFORE_POST = (
    "老律厨技教医讲牧导药画计程影摄发容筑析划询算疗剂机大宗法"  # 老师, 工程师, 厨师长 …
    "游集社表唱艺剧乐舞青"  # 旅游团, 集团, 社团, 代表团, 合唱团, 剧团, 共青团
    "经国私民运阵野露"  # 经营, 国营, 阵营, 露营
    "安编并彩"  # 安排, 编排, 并排, 彩排
    "冠将海空陆"  # 冠军, 将军, 海军 …
)
_RANK_RE = re.compile(
    r"(?P<pre>正|副)(?P<a>[军师团营连排])(?:级|职)?"
    r"(?=[级职长干退转待的了,，。.!！?？\s离在是吗呢啊吧、;；:：]|政委|$)"
    rf"|(?<![{_NOT_BEFORE_POST}])(?P<b>[军师团营连排])(?:级|职(?!称|业|工|员|能|责|位|人员))"
    rf"|(?<![{_NOT_BEFORE_POST}])(?P<c>[军师团营连排])(?:长|政委)"
)
# "团级以下要审批吗" asks about a category, it does not say what the cadre is.
_CATEGORY_AFTER_RE = re.compile(r"(?:干部)?(?:及|或)?以[上下]")
_MIL_RANK_RE = re.compile(r"(?<![马早晚其集空心手家途当加向身路会网线桌楼山天地面台海员])"
                          r"[大上中少](?:将|校|尉)(?![区车园长门])")
_MIL_RANK_CONTEXT_BEFORE_RE = re.compile(r"是|授|晋|衔|为|到|我|了")
_MIL_RANK_CONTEXT_AFTER_RE = re.compile(r"军衔|衔|退|转|干部|待遇|的|了|[,，。.!！?？\s]|$")


def _rank(msg: _Msg) -> dict[str, Any]:
    text = msg.text
    for m in _RANK_RE.finditer(text):
        if _CATEGORY_AFTER_RE.match(text, m.end()):
            continue
        char = m.group("a") or m.group("b") or m.group("c")
        return {"rank": _RANK_BY_CHAR[char].value}
    for m in _MIL_RANK_RE.finditer(text):
        if (_MIL_RANK_CONTEXT_BEFORE_RE.search(msg.before(m.start(), 3))
                or _MIL_RANK_CONTEXT_AFTER_RE.match(text, m.end())):
            return {"military_rank": m.group()}
    return {}


# --- status ------------------------------------------------------------------------------------

# 离退休(干部/费), 离休退休, 离休、退休 name both groups; 军休 names either: neither decides.
_BOTH_STATUS_RE = re.compile(r"离休?[、和与及或/]?退休?|离退")
_STATUS_RE = re.compile(r"离休|退休")


def _status(msg: _Msg) -> dict[str, Any]:
    text = _BOTH_STATUS_RE.sub(lambda m: "#" * len(m.group()), msg.text)
    seen = set()
    for m in _STATUS_RE.finditer(text):
        if not msg.negated(m.start(), 3):
            seen.add(m.group())
    if "离休" in seen:  # a 离休 cadre may still say 退休 loosely; the reverse does not happen
        return {"status": Status.LIXIU.value}
    if seen:
        return {"status": Status.TUIXIU.value}
    return {}


# --- merits ------------------------------------------------------------------------------------

_MERIT_RE = re.compile(r"(?P<ord>[一二三123特])等功")
_MERIT_CODE = {"特": "merit_1", "一": "merit_1", "1": "merit_1", "二": "merit_2", "2": "merit_2",
               "三": "merit_3", "3": "merit_3"}
_WARTIME_RE = re.compile(r"战时|作战|战场|参战|战斗|打仗|前线|反击战|还击战|战争|抗美援朝|对越")
# A merit is a collective one when 集体 says so or a unit is the subject (连队立了三等功);
# "在部队立过三等功" names where the cadre earned it, so a preceding 在/从 keeps it personal.
_COLLECTIVE_RE = re.compile(
    r"集体|(?<![在从到])(?:单位|部队|连队)(?:里|也|曾|还)?(?:荣立|立|获得|获|得)")
_CITATION_RE = re.compile(r"嘉奖")
# Level of a commendation body: party committee/government → commended_*, veterans department
# → model_cadre_*, a bare level word (市级, 县里) → decided by the honour word.
_LEVEL_RE = re.compile(
    r"(?P<national>国务院|党中央|中共中央|中央(?!军委)|全国|国家级|退役军人事务部|退役军人部)"
    r"|(?P<province>省(?:委|政府|人民政府|级|里|退役军人事务厅|退役军人厅|退役军人事务局|厅)"
    r"|退役军人事务厅)"
    # 城市里 / 社区里 are not bodies, so 级/里/局 need a guard; 市委, 市退役军人事务局 do not
    # (聊城市退役军人事务局 is a city body although 城市 stands inside it).
    r"|(?P<city>(?:市|州|盟)(?:委|政府|人民政府|退役军人事务局|退役军人局)"
    r"|(?<![城超都门夜股上])(?:市|州|盟)(?:级|里|局))"
    r"|(?P<county>(?:县|区|旗)(?:委|政府|人民政府|退役军人事务局|退役军人局)"
    r"|(?<![社小园景城市郊山矿营])(?:县|区|旗)(?:级|里|局))"
)
_COMMEND_WORD_RE = re.compile(r"表彰|表扬|奖励|嘉奖|通报|荣誉称号|授予|先进|模范|优秀")
_MODEL_WORD_RE = re.compile(r"先进|模范|优秀")
_NO_MERIT_RE = re.compile(
    r"(?:没|没有|未|从没|从未|不曾)(?:有)?(?:立|得|获|受|评)?[过到上]?(?:什么|啥|任何|一次)?"
    r"(?:功(?!夫|课|能|效)|表彰|奖励|荣誉|嘉奖|先进)"
    r"|(?:啥|什么|任何)(?:功|表彰|奖励|荣誉|奖)(?:也|都)(?:没|没有)"
)


def _merits(msg: _Msg) -> dict[str, Any]:
    text = msg.text
    codes: list[str] = []

    def add(code: str) -> None:
        if code not in codes:
            codes.append(code)

    for m in _MERIT_RE.finditer(text):
        if msg.negated(m.start()) or _COLLECTIVE_RE.search(msg.before(m.start(), 8)):
            continue
        code = _MERIT_CODE[m.group("ord")]
        if code == "merit_3":
            start, end = msg.clause(m.start())
            if _WARTIME_RE.search(text, start, end):
                code = "merit_3_wartime"
        add(code)
    for m in _LEVEL_RE.finditer(text):
        start, end = msg.clause(m.start())
        if not _COMMEND_WORD_RE.search(text, start, end) or _NEG_RE.search(text, start, m.start()):
            continue
        body = m.group()
        if "退役军人" in body or body.endswith(("厅", "局")):
            kind = "model_cadre"
        elif "委" in body or "政府" in body or body in ("国务院", "党中央", "中共中央", "中央"):
            kind = "commended"
        else:
            kind = "model_cadre" if _MODEL_WORD_RE.search(text, start, end) else "commended"
        add(f"{kind}_{m.lastgroup}")
    for m in _CITATION_RE.finditer(text):
        start, end = msg.clause(m.start())
        if msg.negated(m.start()) or _LEVEL_RE.search(text, start, end):
            continue  # a 嘉奖 from a party committee is a commendation, handled above
        add("citation")
    if not codes and _NO_MERIT_RE.search(text):
        codes.append("none")
    return {"merits": codes} if codes else {}


# --- age ---------------------------------------------------------------------------------------

_AGE_NUM = r"(?<![\d一二三四五六七八九十])(?P<n>\d{2,3}|[一二三四五六七八九十]{2,4})"
_AGE_WITH_SUI_RE = re.compile(
    rf"(?P<pre>快要?|明年就?满?|年满|刚满|满了?|刚过|过了)?{_AGE_NUM}(?P<approx>多|来|几)?(?:周岁|岁)"
    r"(?!以上|以下|及以上|及以下|以内|之前|以前|前|后|那年|时|的时候|的人|的老)"
)
_AGE_BARE_RE = re.compile(
    rf"(?P<pre>今年|我|俺|本人|已经|都|已|快要?|明年就?满?|年满|刚满|整|正好)"
    rf"(?:已经|都|也|才|就|刚|快|整|满|正好)?"
    rf"{_AGE_NUM}(?P<approx>多|来|出头)?(?![\d一二三四五六七八九十万千百元块年月日号天次个人%.点岁周多来几])"
)
# Someone else's age: 老伴78岁.
_KIN_RE = re.compile(r"老伴|爱人|老婆|妻子|丈夫|老头|儿子|女儿|孩子|父亲|母亲|孙子|孙女|外孙|战友")


def _age(msg: _Msg) -> dict[str, Any]:
    for pattern, low, high in ((_AGE_WITH_SUI_RE, 40, 120), (_AGE_BARE_RE, 50, 110)):
        for m in pattern.finditer(msg.text):
            age = _small_int(m.group("n"))
            if age is None or not low <= age <= high:
                continue
            if _KIN_RE.search(msg.text, msg.clause(m.start())[0], m.start()):
                continue
            pre = m.group("pre") or ""
            if pre.startswith(("快", "明年")):
                age -= 1  # 快80了, 明年80: not 80 yet
            out: dict[str, Any] = {"age": age}
            if m.group("approx"):
                out["age_approx"] = True
            return out
    return {}


# --- date --------------------------------------------------------------------------------------

_D = r"(?:\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_M = r"(?:\d{1,2}|十[一二]?|[一二三四五六七八九])"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_DEPART_RETURN_VERB = r"出发|回|走|飞|出国|出境|返回|离开|动身|入境|启程"
_DATE_RE = re.compile(
    rf"(?<!\d)(?P<iy>\d{{4}})[-/.](?P<im>\d{{1,2}})[-/.](?P<id>\d{{1,2}})(?!\d)"
    rf"|(?:(?P<y>\d{{4}})年|(?P<yw>今年|明年|后年))?(?<![\d.])(?P<m>{_M})月份?(?P<d>{_D})(?:日|号)?(?!\d)"
    rf"|(?P<nm>下下个?月|下个?月)(?P<nd>{_D})(?:日|号)"
    rf"|(?:这个?月|本月)(?P<td>{_D})(?:日|号)"
    # 12/20 is a date; 12.5 only with 号/日 or a travel verb after it (else it is 12.5万).
    rf"|(?<![\d.])(?P<dm>\d{{1,2}})(?:/(?P<ds>\d{{1,2}})(?![\d/])|\.(?P<dd>\d{{1,2}})"
    rf"(?:日|号|(?=\s*(?:{_DEPART_RETURN_VERB}))))"
    rf"|(?<![\d月.〕\]第])(?P<od>{_D})(?:日|号)(?!楼|线|房|床|窗口|门|文|令|院|桥|车厢|口|位|机|字|码)"
    r"|(?P<rel>大后天|后天|明天|明日|今天|今日)"
    r"|(?:(?P<nw>下下|下|这|本)个?|(?<![每一两二三四五六七八九十几\d]))"
    r"(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])(?![次回遍趟])"
    r"|(?P<nn>\d{1,3}|[一二两三四五六七八九十]{1,3})天(?:后|以后|之后)"
)
_RETURN_RE = re.compile(r"回国|回来|回到|返回|入境|返程|回程|归国|到家|回(?=\s*$|[了的吧,，。.])")
_DEPART_RE = re.compile(r"出发|动身|启程|出国|出境|离开|走|飞|出门|起飞|登机|去")
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}


def _safe_date(year: int, month: int | None, day: int | None) -> date | None:
    if month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_day(today: date, month_offset: int, day: int | None) -> date | None:
    month0 = today.month - 1 + month_offset
    return _safe_date(today.year + month0 // 12, month0 % 12 + 1, day)


def _resolve_date(m: re.Match[str], today: date) -> date | None:
    g = m.group
    if g("iy"):
        return _safe_date(int(g("iy")), int(g("im")), int(g("id")))
    if g("m"):
        month, day = _small_int(g("m")), _small_int(g("d"))
        if g("y") or g("yw"):
            year = int(g("y")) if g("y") else today.year + ("今年", "明年", "后年").index(g("yw"))
            return _safe_date(year, month, day)
        found = _safe_date(today.year, month, day)
        if found and found < today:  # a month/day already past this year means next year
            found = _safe_date(today.year + 1, month, day)
        return found
    if g("nm"):
        return _month_day(today, 2 if g("nm").startswith("下下") else 1, _small_int(g("nd")))
    if g("td"):
        return _month_day(today, 0, _small_int(g("td")))
    if g("dm"):
        month, day = int(g("dm")), int(g("ds") or g("dd"))
        found = _safe_date(today.year, month, day)
        if found and found < today:
            found = _safe_date(today.year + 1, month, day)
        return found
    if g("od"):
        day = _small_int(g("od"))
        # 3号: this month unless already past, then next month (skipping months without it).
        for offset in range(3):
            found = _month_day(today, offset, day)
            if found and found >= today:
                return found
        return None
    if g("rel"):
        return today + timedelta(days=_RELATIVE_DAYS[g("rel")])
    if g("wd"):
        weekday = _WEEKDAY[g("wd")]
        which = g("nw")
        if which in ("下", "下下"):
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=len(which))
            return monday + timedelta(days=weekday)
        if which in ("这", "本"):
            return today - timedelta(days=today.weekday()) + timedelta(days=weekday)
        return today + timedelta(days=(weekday - today.weekday()) % 7)  # the coming one
    if g("nn"):
        days = _small_int(g("nn"))
        return today + timedelta(days=days) if days is not None else None
    return None


def _date(msg: _Msg, today: date) -> dict[str, Any]:
    text = msg.text
    matches = list(_DATE_RE.finditer(text))
    for i, m in enumerate(matches):
        found = _resolve_date(m, today)
        if found is None:
            continue
        out: dict[str, Any] = {"date": found.isoformat()}
        # The verb belongs to this date: look after it up to the next date or clause end,
        # then before it back to the previous date or clause start.
        start, end = msg.clause(m.start())
        after_end = min(end, matches[i + 1].start()) if i + 1 < len(matches) else end
        before_start = max(start, matches[i - 1].end()) if i else start
        for lo, hi in ((m.end(), after_end), (before_start, m.start())):
            if _RETURN_RE.search(text, lo, hi):
                out["date_kind"] = "return"
                break
            if _DEPART_RE.search(text, lo, hi):
                out["date_kind"] = "depart"
                break
        if m.group("rel") in ("今天", "今日") and "date_kind" not in out:
            continue  # 今天想问一下: "today" is a date only when someone leaves or returns
        return out
    return {}


# --- region ------------------------------------------------------------------------------------

_LEVELS = {"province": 1, "city": 2, "district": 3}
_SELF_RE = re.compile(r"我|俺|本人|咱")
_HOME_RE = re.compile(r"住|安置|定居|落户|户口|军休所|家在|居住|移交")
_ABROAD_WORD_RE = re.compile(r"出国|出境|国外|境外")
# A place gone to for a purpose ("去上海看病", "到青岛开会") is a visit, not where the cadre is
# settled: it says nothing of whose rules apply (the roster, or asking, does).
_VISIT_BEFORE_RE = re.compile(r"(?:去|到|上)(?:了|过)?$")
_VISIT_AFTER_RE = re.compile(
    r"(?:的?医院|的?大医院)?(?:看病|就医|就诊|治病|住院|复查|检查|体检|做手术|开刀|看专家|"
    r"玩|旅游|旅行|逛|转转|开会|出差|探亲|看望|看孙|看儿|看女|看闺|参观)")
# A place that names an awarding body (山东省委省政府的表彰) says who commended the cadre, not
# where the cadre lives: it counts only when no other place is named.
_BODY_AFTER_RE = re.compile(r"(?:省|市|县|区)?(?:委|政府|人民政府|退役军人|党委)")


def _expand(name: str) -> tuple[str, list[str]]:
    """'长春(市)' -> ('长春', ['长春', '长春市'])."""
    if "(" not in name:
        return name, [name]
    base, rest = name.split("(", 1)
    return base, [base, base + rest.rstrip(")")]


@cache
def _gazetteer() -> tuple[re.Pattern[str], dict[str, tuple[str, str, int]]]:
    """The place pattern and name → (kind, value, level); kind: region/other/foreign/ignore."""
    raw = resources.files("intents").joinpath("data/gazetteer.yaml").read_text("utf-8")
    data = yaml.safe_load(raw)
    places: dict[str, tuple[str, str, int]] = {}
    for region, levels in data["regions"].items():
        for level, names in levels.items():
            for name in names:
                for form in _expand(name)[1]:
                    places[form] = ("region", region, _LEVELS[level])
    for level, names in data["other"].items():
        for name in names:
            base, forms = _expand(name)
            for form in forms:
                places[form] = ("other", base, _LEVELS[level])
    for kind in ("foreign", "ignore"):
        for name in data[kind]:
            base, forms = _expand(name)
            for form in forms:
                places[form] = (kind, base, 0)
    names = sorted(places, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names))), places


def _region(msg: _Msg) -> dict[str, Any]:
    """Precedence: the place tied to the cadre (我/住/安置, not 儿子/老伴) wins; at equal ties the
    most specific (district > city > province), then one of our regions over another place,
    then the first named."""
    pattern, places = _gazetteer()
    text = msg.text
    out: dict[str, Any] = {}
    best: tuple[tuple[int, int, int, int], str, str] | None = None
    for m in pattern.finditer(text):
        kind, value, level = places[m.group()]
        if kind == "ignore":
            continue
        if kind == "foreign":
            out.setdefault("destination", value)
            out["abroad"] = True
            continue
        start, end = msg.clause(m.start())
        if (_VISIT_BEFORE_RE.search(msg.before(m.start(), 3))
                and _VISIT_AFTER_RE.match(text, m.end())
                and not _HOME_RE.search(text, start, end)):
            continue
        body = bool(_BODY_AFTER_RE.match(text, m.end()))
        score = (-10 * body + 2 * bool(_HOME_RE.search(text, start, end))
                 + bool(_SELF_RE.search(text, start, end))
                 - 3 * bool(_KIN_RE.search(text, start, end)))
        key = (score, level, kind == "region", -m.start())
        if best is None or key > best[0]:
            best = (key, kind, value)
    if best is not None:
        out["region" if best[1] == "region" else "place_other"] = best[2]
    if "abroad" not in out and _ABROAD_WORD_RE.search(text):
        out["abroad"] = True
    return out


# --- living situation and health ---------------------------------------------------------------

_ALONE_TRUE_RE = re.compile(
    r"独居|独自(?:一人)?(?:居住|生活|住)|一个人(?:住|过|生活|居住)|一人(?:住|独居|生活)|孤老|孤寡"
    r"|无儿无女|无子女|没有子女|没有儿女|没儿没女|膝下无|空巢|身边没(?:有)?人")
_ALONE_FALSE_RE = re.compile(
    r"(?:跟|和|与|同)(?:老伴儿?|爱人|老婆|妻子|丈夫|儿子|女儿|孩子|子女|儿女|家人|保姆)"
    r"[^,，。.!！?？]{0,4}(?:住|生活|过)|老两口")
_SELF_CARE_FALSE_RE = re.compile(
    r"卧床|不能自理|无法自理|不能够自理|自理不了|不(?:太)?能照顾自己|瘫痪|瘫在床|偏瘫|坐轮椅|轮椅"
    r"|失能|需要(?:人|专人)(?:照顾|护理|伺候)|离不开人")
_SELF_CARE_TRUE_RE = re.compile(
    r"(?<![不没])(?:能够?|可以)自理|生活(?:能够?|可以)?自理|腿脚(?:还)?(?:挺|很|都|还)?(?:利索|灵便|好使)"
    r"|身体(?:还|挺|很|蛮|特别|非常|一直|都|也){0,2}(?:硬朗|好|健康|不错|结实|行)|能走能动|能吃能睡|行动自如")
_BU_RE = re.compile(r"不|并非")
_ILLNESS_RE = re.compile(
    r"传染病|精神病|精神疾病|精神分裂|癌症|癌|恶性肿瘤|肿瘤|重病|重症|病危|晚期|ICU|重症监护"
    r"|尿毒症|白血病|肺结核|结核病", re.IGNORECASE)


def _living(msg: _Msg) -> dict[str, Any]:
    text = msg.text
    out: dict[str, Any] = {}
    # "不是一个人住" must not read as living alone.
    if any(not _BU_RE.search(msg.before(m.start(), 3)) for m in _ALONE_TRUE_RE.finditer(text)):
        out["lives_alone"] = True
    elif _ALONE_FALSE_RE.search(text):
        out["lives_alone"] = False
    # Health words about someone else (老伴卧床) say nothing about the cadre.
    if any(not _about_kin(msg, m.start()) for m in _SELF_CARE_FALSE_RE.finditer(text)):
        out["self_care"] = False
    elif any(not _about_kin(msg, m.start()) for m in _SELF_CARE_TRUE_RE.finditer(text)):
        out["self_care"] = True
    negated = affirmed = False
    for m in _ILLNESS_RE.finditer(text):
        if _about_kin(msg, m.start()):
            continue
        if msg.negated(m.start(), 8):
            negated = True  # 没有传染病: the condition is met, say so
        else:
            affirmed = True
    if affirmed or negated:
        out["serious_illness"] = affirmed
    return out


def _about_kin(msg: _Msg, pos: int) -> bool:
    return bool(_KIN_RE.search(msg.text, msg.clause(pos)[0], pos))


# --- last honorary sanatorium ------------------------------------------------------------------

_SAN_YEAR_RE = re.compile(
    r"大前年|前年|去年|今年|(?<!\d)(?P<y>\d{4})年|(?P<n>\d{1,2}|[一二两三四五六七八九十]{1,2})年前")
_SAN_YEARS_AGO = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}
_SAN_WORD_RE = re.compile(r"疗养")
_PAST_RE = re.compile(r"过|去了|参加|去的|回来|上次|上回|最近一次|疗养了")
# "今年刚去过" answering "上次疗养是哪一年？": the clause is only the time and the verb.
_SHORT_ANSWER_RE = re.compile(
    r"^\s*(?:大前年|前年|去年|今年|\d{4}年)(?:刚|才|也|就)?(?:去|参加)过?(?:了|一回|一次|一趟)?\s*$")


def _last_sanatorium(msg: _Msg, today: date) -> dict[str, Any]:
    text = msg.text
    for m in _SAN_YEAR_RE.finditer(text):
        start, end = msg.clause(m.start())
        clause = text[start:end]
        if not (_SAN_WORD_RE.search(clause) or _SHORT_ANSWER_RE.match(clause)):
            continue
        if not _PAST_RE.search(clause) or _NEG_RE.search(clause):
            continue
        if m.group("y"):
            year = int(m.group("y"))
        elif m.group("n"):
            ago = _small_int(m.group("n"))
            if ago is None:
                continue
            year = today.year - ago
        else:
            year = today.year - _SAN_YEARS_AGO[m.group()]
        if 1950 <= year <= today.year:
            return {"last_sanatorium_year": year}
    return {}


# --- a bare number, as the answer to a question ----------------------------------------------

_BARE_NUMBER_RE = re.compile(r"^\s*(?:大概|大约|差不多|一共)?\s*"
                             r"(?P<n>[\d.零〇一二两三四五六七八九十百千万]+)\s*(?:元|块钱|块|万块|来块)?\s*(?:吧|啊|左右|多)?\s*$")


def bare_number(text: str) -> float | None:
    """The value of a message that is only a number ("12", "九万", "十二万块吧"), else None."""
    m = _BARE_NUMBER_RE.match(text.translate(_HALF_WIDTH))
    if not m:
        return None
    parsed = _parse_number(m.group("n"))
    return parsed[0] if parsed else None


# --- aspect ------------------------------------------------------------------------------------


@cache
def _aspects() -> tuple[tuple[str, re.Pattern[str]], ...]:
    raw = resources.files("intents").joinpath("data/aspects.yaml").read_text("utf-8")
    return tuple((name, re.compile(pattern)) for name, pattern in yaml.safe_load(raw).items())


def _aspect(msg: _Msg) -> dict[str, Any]:
    """Which part of a topic is asked about (data/aspects.yaml)."""
    for name, pattern in _aspects():
        if pattern.search(msg.text):
            return {"aspect": name}
    return {}


# --- composition -------------------------------------------------------------------------------


def extract(text: str, today: date) -> dict[str, Any]:
    """All slots stated in one (normalised) message; missing slots are omitted."""
    text = text.translate(_HALF_WIDTH)
    masked = _MASK_RE.sub(lambda m: "#" * len(m.group()), text)
    msg = _Msg(text)
    numbers = _Msg(masked) if masked != text else msg
    slots: dict[str, Any] = {}
    slots.update(_amounts(numbers))
    slots.update(_rank(msg))
    slots.update(_status(msg))
    slots.update(_merits(msg))
    slots.update(_age(numbers))
    slots.update(_date(numbers, today))
    slots.update(_region(msg))
    slots.update(_living(msg))
    slots.update(_last_sanatorium(numbers, today))
    slots.update(_aspect(msg))
    return slots
