"""Stored chunks (or retrieval hits) as `Source`s, the numbered passages an answer cites.

Finding the chunks is `rag.retrieve` and `vendors.store`; cutting a source into citable
sentences is `rag.citations`.
"""

from __future__ import annotations

from typing import Any

from core.results import Source


def sources_from_chunks(chunks: list[Any], scores: list[float] | None = None) -> list[Source]:
    """Stored chunks as numbered-source candidates (score 0 unless given)."""
    scores = scores or [0.0] * len(chunks)
    return [
        Source(
            file=c.meta["file"], chunk_id=c.id, score=score, text=c.text,
            start=int(c.meta["start"]), end=int(c.meta["end"]),
            title=str(c.meta.get("title", "")), date=str(c.meta.get("date", "")),
            chunk_index=int(c.meta.get("chunk_index", 0)),
        )
        for c, score in zip(chunks, scores)
    ]


def sources_from_hits(hits: list[Any]) -> list[Source]:
    return sources_from_chunks([h.chunk for h in hits], [h.score for h in hits])
