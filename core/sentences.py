"""Sentences as spans of the original text: the one splitter ingest (chunking) and answering (quoting) share.

A sentence ends at `.` `!` `?` `؟` `؛` `…` followed by a space or a line end, or at a line
break. Spans are `(start, end)` offsets into the text they were cut from, so a quote is always
`text[start:end]`. Choosing which lines are content (`Block`s) is `ingest.clean`; sizing chunks
is `ingest.chunk`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence: text up to a run of end marks (and closing quotes/brackets) followed by blank or line end.
_SENTENCE = re.compile(r"[^\n]*?(?:[.!?؟؛…]+[\"'”’»)\]]*(?=\s|$)|(?=\n)|$)", re.S)


@dataclass(frozen=True)
class Block:
    """A run of consecutive content lines: `text[start:end]` of the original."""

    start: int
    end: int


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def sentences(text: str, block: Block) -> list[Span]:
    """Sentence spans inside a block, trimmed of surrounding blanks."""
    spans: list[Span] = []
    segment = text[block.start : block.end]
    for match in _SENTENCE.finditer(segment):
        if match.end() == match.start():
            continue
        s, e = block.start + match.start(), block.start + match.end()
        raw = text[s:e]
        lead = len(raw) - len(raw.lstrip())
        trail = len(raw) - len(raw.rstrip())
        if s + lead < e - trail:
            spans.append(Span(s + lead, e - trail))
    return spans


def chunk_sentences(text: str) -> list[Span]:
    """The sentences of a whole chunk's text, as spans of it: the ones answering quotes
    (`rag.citations.source_sentences`) and the ones ingest stores a vector for."""
    return sentences(text, Block(0, len(text)))
