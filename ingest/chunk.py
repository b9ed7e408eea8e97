"""Cut content blocks into sentence-aware chunks sized in tokens, with overlap.

Sentences come from `core.sentences`; a chunk is whole sentences up to `chunk_tokens` tokens (tiktoken), and the next chunk starts
with as many trailing sentences of it as fit in `overlap_tokens`. A sentence longer than a
chunk is cut at word boundaries. Every chunk is a `(start, end)` span of the original text,
never crossing the furniture between blocks. Choosing blocks is `ingest.clean`.
"""

from __future__ import annotations

import re

from core.sentences import Block, Span, sentences
from core.tokens import TokenCounter, tiktoken_counter  # noqa: F401  (re-exported for callers of ingest.chunk)


def _split_long(text: str, span: Span, limit: int, count: TokenCounter) -> list[Span]:
    """Cut an over-long sentence at spaces so that each piece fits in `limit` tokens."""
    pieces: list[Span] = []
    start = span.start
    words = [m.end() for m in re.finditer(r"\S+", text[span.start : span.end])]
    last_cut = start
    piece_end = start
    for word_end in words:
        end = span.start + word_end
        if count(text[last_cut:end]) > limit and piece_end > last_cut:
            pieces.append(Span(last_cut, piece_end))
            rest = text[piece_end:end]
            last_cut = piece_end + (len(rest) - len(rest.lstrip()))
        piece_end = end
    if piece_end > last_cut:
        pieces.append(Span(last_cut, piece_end))
    return pieces


def chunk_blocks(
    text: str, blocks: list[Block], chunk_tokens: int, overlap_tokens: int, count: TokenCounter
) -> list[Span]:
    """Chunks of whole sentences per block; consecutive chunks share up to `overlap_tokens` of sentences."""
    chunks: list[Span] = []
    overlap_tokens = min(overlap_tokens, chunk_tokens // 2)
    for block in blocks:
        units: list[tuple[Span, int]] = []
        for sentence in sentences(text, block):
            n = count(text[sentence.start : sentence.end])
            if n > chunk_tokens:
                units.extend((p, count(text[p.start : p.end])) for p in _split_long(text, sentence, chunk_tokens, count))
            else:
                units.append((sentence, n))
        i = 0
        while i < len(units):
            j, size = i, 0
            while j < len(units) and (j == i or size + units[j][1] <= chunk_tokens):
                size += units[j][1]
                j += 1
            chunks.append(Span(units[i][0].start, units[j - 1][0].end))
            if j >= len(units):
                break
            # Step back over whole trailing sentences that fit in the overlap, never to i itself.
            back, carried = j, 0
            while back - 1 > i and carried + units[back - 1][1] <= overlap_tokens:
                back -= 1
                carried += units[back][1]
            i = back
    return chunks
