"""Abstention: the reply when the sources do not answer, in the question's language, and telling
such a reply from an answer when an LLM wrote it.

Deciding *whether* to abstain is not here: the offline answerer decides by its confidence
(`rag.extractive`), the LLM by its own reading of the sources (`rag.prompts` tells it how).
"""

from __future__ import annotations

import re

from core.arabic import reply_in_arabic
from rag.citations import MARKER

ABSTAIN_AR = "لا تتضمن المصادر المتاحة إجابة عن هذا السؤال."
ABSTAIN_EN = "The available sources do not answer this question."

_ABSTAIN_PATTERNS = re.compile(
    r"(لا\s+تتضمن|لا\s+تحتوي|لا\s+تجيب|لا\s+توجد\s+(?:في|فى)\s+المصادر|لا\s+تذكر\s+المصادر|"
    r"do(?:es)?\s+not\s+(?:contain|answer|mention|provide)|cannot\s+answer|can't\s+answer|no\s+information)",
    re.I,
)


def abstention_message(question: str) -> str:
    return ABSTAIN_AR if reply_in_arabic(question) else ABSTAIN_EN


def looks_like_abstention(text: str) -> bool:
    return bool(_ABSTAIN_PATTERNS.search(text)) and not MARKER.search(text)
