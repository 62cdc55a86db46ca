"""The knowledge base as data, plus its loader. Pure: no network, no clock, no database."""

from knowledge.base import Article, Document, KnowledgeBase, Statement, TextEntry, load

__all__ = ["Article", "Document", "KnowledgeBase", "Statement", "TextEntry", "load"]
