"""Rendering a Decision for a cadre who reads slowly or listens: the answer first, at most three
short points, caveats, and the citation alone on the last line. No markdown, emoji or symbols.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

import knowledge
from junxiu_core import Citation, Decision
from knowledge import KnowledgeBase, intents_where

MAX_POINTS = 3
FIRST_SENTENCES = 3  # a conversation's first answer, caveats included: short, for the ear
_SENTENCE_END = re.compile(r"[。！？!?]+")
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


def sentences(text: str) -> int:
    return len([part for part in _SENTENCE_END.split(text) if part.strip()])


def _fitting(lines: list[str], caveats: list[str]) -> tuple[list[str], list[str]]:
    used = sum(sentences(line) for line in lines)
    kept: list[str] = []
    for n, caveat in enumerate(caveats):
        used += sentences(caveat)
        if used > FIRST_SENTENCES and kept:
            return kept, caveats[n:]
        kept.append(caveat)
    return kept, []


def render(decision: Decision, *, detailed: bool = False, cite: bool = True,
           offer: str | None = None, with_answer: bool = False, lead: str | None = None) -> str:
    """The reply text.

    By default (one-shot, `junxiu ask`): the answer, at most three points, the caveats.
    With `offer` (a conversation's first answer, for the ear): the answer - the figure or the
    yes/no - and the caveats that change its meaning, then `offer` ("要详细说说吗？") when there
    is more; an answer that hands over to staff keeps its instructions in full.
    `detailed` ("详细说说"): the next layer - every point and the long version (conditions,
    procedure, whom to ask) - not the first answer again, unless `with_answer` (the answer is
    the procedure asked for: "那要怎么申请"). `lead`: the sentence the question asks about
    (bot.asked), said first in either layer.
    """
    caveats = list(decision.caveats)
    if detailed:
        lines = [*decision.points, *decision.more] or [decision.answer]
        if with_answer and lines[0] != decision.answer:
            lines = [knowledge.load().string("ui.detail.how") + decision.answer, *lines]
        if lead and lead not in lines[:1] and not (with_answer and lead == decision.answer):
            lines = [lead, *(line for line in lines if line != lead)]
    elif offer is not None and not decision.escalate:
        lines = [decision.answer] if lead in (None, decision.answer) else [lead, decision.answer]
        # the caveats that fit in three sentences, in the order the rules put them (the one
        # that changes the figure's meaning first); the rest wait for "详细说说"
        caveats, held_back = _fitting(lines, caveats)
        if held_back:
            decision = replace(decision, more=(*decision.more, *held_back))
    else:
        lines = [decision.answer, *decision.points[:MAX_POINTS]]
        offer = None
    lines += caveats
    if decision.follow_up is not None:
        lines.append(decision.follow_up.question)
    if offer and not detailed and decision.follow_up is None and (
            decision.points or decision.more):
        lines.append(offer)
    body = [speakable(line) for line in lines if line and line.strip()]
    if cite and decision.citations and decision.intent not in UNCITED:
        body.append(citation_line(decision.citations))
    return "\n".join(body)


MAX_SOURCES = 2  # articles read out when asked for more a second time
MAX_SOURCE_CHARS = 160


def sources_text(citations: Iterable[Citation], kb: KnowledgeBase) -> str:
    """"原文是这样写的：" and the first cited articles in their own words (cut at a sentence
    end when long), then the citation line."""
    cited = list(citations)[:MAX_SOURCES]
    lines = []
    for c in cited:
        text = kb.article(c.document, c.article).text
        if len(text) > MAX_SOURCE_CHARS:
            cut = max(text.rfind(mark, 0, MAX_SOURCE_CHARS) for mark in "。；")
            text = text[:cut + 1] if cut > 0 else text[:MAX_SOURCE_CHARS] + "……"
        lines.append(speakable(text))
    if not lines:
        return ""
    return "\n".join([kb.string("ui.detail.sources"), *lines, citation_line(cited)])
