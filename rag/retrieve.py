"""Hybrid retrieval: dense search in Chroma and BM25, fused by weighted reciprocal rank.

Weights, `rrf_k`, candidate depth and top-k are settings. Plain fusion is not free (on some
Arabic sets the dense side alone beats it), so the weights were chosen by measurement on two
sets: XQuAD-ar (document MRR@10: dense 0.918, BM25 0.915, 0.5/0.5 fusion 0.941, 0.65/0.35 0.939)
and eval/questions/dev.jsonl. The lexical index is refreshed here when the store's generation
moves (another process ingested), and the store's client when its database changed on disk.
This module ranks chunks; choosing sentences is `rag.extractive`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np

from core.arabic import is_mostly_arabic, lexical_terms
from core.glossary import arabic_equivalents
from core.sentences import chunk_sentences
from core.timing import ms_since as _ms
from vendors.lexical import LiveLexicalIndex
from vendors.store import ChunkStore, StoredChunk, sentence_ids

Mode = Literal["hybrid", "dense", "bm25"]


@dataclass
class Hit:
    chunk: StoredChunk
    score: float  # fused score, higher is better
    dense: float | None = None  # cosine similarity, when the dense side found it
    lexical: float | None = None  # BM25 score, when the lexical side found it


@dataclass
class Retrieval:
    hits: list[Hit]
    query_vector: list[float] | None
    timings_ms: dict[str, float] = field(default_factory=dict)


class HybridRetriever:
    """Ranks stored chunks for a question over the parts it is given (the composition root builds them)."""

    def __init__(self, store: ChunkStore, embed_query: Callable[[str], list[float]], lexical_index: LiveLexicalIndex,
                 *, candidates: int, dense_weight: float, lexical_weight: float, rrf_k: int,
                 sentence_weight: float = 0.0,
                 remember_sentences: Callable[[dict[str, list[float]]], None] | None = None) -> None:
        """`sentence_weight`: share of a chunk's best sentence in its dense score (0: the chunk alone);
        `remember_sentences`: handed the stored vectors of the sentences of the chunks looked at
        (text -> vector), so the answerer finds them without embedding."""
        self.store = store
        self.embed_query = embed_query
        self.lexical = lexical_index
        self.candidates = candidates
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.rrf_k = rrf_k
        self.sentence_weight = sentence_weight
        self.remember_sentences = remember_sentences

    def retrieve(self, query: str, k: int, *, mode: Mode = "hybrid") -> Retrieval:
        """Top-k chunks for `query` (both sides see the same text)."""
        self.store.refresh()  # another process may have written (embedded Chroma); one stat when it did not
        timings: dict[str, float] = {}
        dense: list[tuple[str, float]] = []
        vector = None
        if mode in ("hybrid", "dense"):
            t = time.perf_counter()
            vector = self.embed_query(query)
            timings["embed"] = _ms(t)
            t = time.perf_counter()
            dense = self.store.dense_search(vector, self.candidates)  # Chroma returns fewer when it holds fewer
            timings["dense"] = _ms(t)
        sparse: list[tuple[str, float]] = []
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            sparse = self.lexical.current().search(query_terms(query), self.candidates)
            timings["lexical"] = _ms(t)
        chunks: dict[str, StoredChunk] = {}
        if vector is not None and (self.sentence_weight > 0 or self.remember_sentences is not None):
            t = time.perf_counter()
            wanted = dict.fromkeys([cid for cid, _ in dense] + [cid for cid, _ in sparse[:k]])
            chunks = {c.id: c for c in self.store.get_chunks(list(wanted))}
            dense = self._with_sentences(vector, dense, chunks)
            timings["sentences"] = _ms(t)
        t = time.perf_counter()
        fused = self.fuse(dense, sparse, mode)[:k]
        missing = [cid for cid, _ in fused if cid not in chunks]
        chunks.update((c.id, c) for c in self.store.get_chunks(missing))
        dense_scores, sparse_scores = dict(dense), dict(sparse)
        hits = [
            Hit(chunks[cid], score, dense_scores.get(cid), sparse_scores.get(cid))
            for cid, score in fused
            if cid in chunks
        ]
        timings["fuse"] = _ms(t)
        return Retrieval(hits, vector, timings)

    def _with_sentences(self, vector: list[float], dense: list[tuple[str, float]],
                        chunks: dict[str, StoredChunk]) -> list[tuple[str, float]]:
        """The dense ranking re-scored by chunk and best sentence, from the sentence vectors the store
        keeps (a chunk without them keeps its own cosine); the vectors found are handed on."""
        spans = {cid: [c.text[s.start : s.end] for s in chunk_sentences(c.text)] for cid, c in chunks.items()}
        stored = self.store.sentence_vectors([sid for cid, texts in spans.items() for sid in sentence_ids(cid, len(texts))])
        if not stored:
            return dense  # a store made before sentence vectors were kept
        q = np.asarray(vector, dtype=np.float32)
        found: dict[str, list[float]] = {}
        rescored = []
        for cid, cosine in dense:
            texts = spans.get(cid, [])
            pairs = [(text, stored[sid]) for text, sid in zip(texts, sentence_ids(cid, len(texts))) if sid in stored]
            if pairs and self.sentence_weight > 0:
                best = float(np.max(np.asarray([v for _, v in pairs], dtype=np.float32) @ q))
                cosine = (1 - self.sentence_weight) * cosine + self.sentence_weight * best
            rescored.append((cid, cosine))
        for cid, texts in spans.items():
            found.update((text, stored[sid]) for text, sid in zip(texts, sentence_ids(cid, len(texts))) if sid in stored)
        if self.remember_sentences is not None:
            self.remember_sentences(found)
        return sorted(rescored, key=lambda item: (-item[1], item[0]))

    def fuse(self, dense: list[tuple[str, float]], sparse: list[tuple[str, float]], mode: Mode) -> list[tuple[str, float]]:
        """Weighted reciprocal-rank fusion: sum of w / (rrf_k + rank) over the rankings that list a chunk."""
        weights = {"hybrid": (self.dense_weight, self.lexical_weight), "dense": (1.0, 0.0), "bm25": (0.0, 1.0)}[mode]
        scores: dict[str, float] = {}
        for weight, ranking in zip(weights, (dense, sparse)):
            if weight <= 0:
                continue
            for rank, (cid, _) in enumerate(ranking, start=1):
                scores[cid] = scores.get(cid, 0.0) + weight / (self.rrf_k + rank)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def query_terms(query: str) -> list[str]:
    """BM25 terms of a question; one not in Arabic also gets the Arabic words the glossary gives
    for its English words (names already meet through their variant keys)."""
    terms = lexical_terms(query)
    if not is_mostly_arabic(query):
        terms += lexical_terms(arabic_equivalents(query))
    return terms
