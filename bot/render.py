"""Rendering a Decision for a cadre who reads slowly or listens: the answer first, at most three
short points, caveats, and the citation alone on the last line. No markdown, emoji or symbols.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from junxiu_core import Citation, Decision
from knowledge import intents_where

MAX_POINTS = 3
# Small talk cites the service duty it rests on (national §15) but does not read it out.
UNCITED = intents_where(cited=False)  # knowledge/data/intents.yaml

# Symbols a screen reader or TTS reads badly, as they are said.
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
_SPOKEN_SYMBOLS = (("≤", "不超过"), ("≥", "不少于"), ("<=", "不超过"), (">=", "不少于"),
                   ("～", "到"), ("~", "到"), ("→", "，"), ("×", "乘"), ("&", "和"))
_MARKUP = re.compile(r"[*_`#|>\[\]{}]|^\s*[-•·]\s*", re.MULTILINE)
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")


def speakable(text: str) -> str:
    """One line made safe to read aloud: no markup, emoji or symbols."""
    text = _PERCENT.sub(lambda m: f"百分之{m.group(1)}", text)
    for symbol, words in _SPOKEN_SYMBOLS:
        text = text.replace(symbol, words)
    text = _EMOJI.sub("", _MARKUP.sub("", text))
    return re.sub(r"\s+", " ", text).strip()


def citation_line(citations: Iterable[Citation]) -> str:
    """依据：《吉林省…实施细则》第十五条、第二十条；《…》5.4.5"""
    by_document: dict[str, list[str]] = {}
    for c in citations:
        refs = by_document.setdefault(c.title or c.document, [])
        if c.article not in refs:
            refs.append(c.article)
    if not by_document:
        return ""
    return "依据：" + "；".join(f"《{title}》" + "、".join(refs)
                              for title, refs in by_document.items())


def render(decision: Decision, *, detailed: bool = False, cite: bool = True,
           offer: str | None = None) -> str:
    """The reply text.

    By default (one-shot, `junxiu ask`): the answer, at most three points, the caveats.
    With `offer` (a conversation's first answer, for the ear): the answer - the figure or the
    yes/no - and the caveats that change its meaning, then `offer` ("要详细说说吗？") when there
    is more; an answer that hands over to staff keeps its instructions in full.
    `detailed` ("详细说说"): the next layer - every point and the long version (conditions,
    procedure, whom to ask) - not the first answer again.
    """
    if detailed:
        lines = [*decision.points, *decision.more] or [decision.answer]
    elif offer is not None and not decision.escalate:
        lines = [decision.answer]
    else:
        lines = [decision.answer, *decision.points[:MAX_POINTS]]
        offer = None
    lines += decision.caveats
    if decision.follow_up is not None:
        lines.append(decision.follow_up.question)
    if offer and not detailed and decision.follow_up is None and (
            decision.points or decision.more):
        lines.append(offer)
    body = [speakable(line) for line in lines if line and line.strip()]
    if cite and decision.citations and decision.intent not in UNCITED:
        body.append(citation_line(decision.citations))
    return "\n".join(body)
