"""The knowledge base as data, plus its loader. Pure: no network, no clock, no database."""

from knowledge.base import Article, Document, KnowledgeBase, Statement, TextEntry, load
from knowledge.catalogue import IntentInfo, catalogue, intents_where, national_key

__all__ = ["Article", "Document", "IntentInfo", "KnowledgeBase", "Statement", "TextEntry",
           "catalogue", "intents_where", "load", "national_key"]
