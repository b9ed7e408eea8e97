"""BM25 over Arabic-normalised light stems, derived from the chunks stored in Chroma.

The index is a cache: it is rebuilt from the chunk collection whenever the collection's
`generation` (moved by every ingest that writes) differs from the one it was built at, and
saved under `<store>/lexical/<collection id>-g<generation>/` so the next process loads it
instead of rebuilding. A saved folder is never changed: it is written aside and renamed into
place, so processes sharing the store folder (several app instances, or one app and an ingest)
never read half of one index and half of another, and a collection made again under the same
name (a new id) never picks up the old one's index. Older folders are removed. Deleting the
folder loses nothing. Tokenising is `rag.arabic.lexical_terms`; fusion is `rag.retrieve`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from rag.arabic import lexical_terms, variant_key
from rag.store import ChunkStore

_FORMAT = 3  # bump when lexical_terms changes


class LexicalIndex:
    """A bm25s index plus the chunk ids its rows stand for."""

    def __init__(self, bm25: Any, ids: list[str], generation: int, doc_freq: dict[str, int],
                 source: str = "") -> None:
        self.bm25 = bm25
        self.ids = ids
        self.generation = generation
        self.doc_freq = doc_freq
        self.source = source  # the chunk collection's id

    @property
    def size(self) -> int:
        return len(self.ids)

    def search(self, terms: list[str], n: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; only chunks sharing at least one term."""
        if not terms or not self.ids or self.bm25 is None:
            return []
        docs, scores = self.bm25.retrieve([terms], k=min(n, len(self.ids)), show_progress=False)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def knows(self, term: str) -> bool:
        """Whether any chunk uses this term, or another spelling of it (same variant key)."""
        if term in self.doc_freq:
            return True
        key = variant_key(term)
        return key is not None and key in self.doc_freq

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term (0 for a term in every chunk, high for rare ones)."""
        n = max(1, len(self.ids))
        df = self.doc_freq.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))


def build(store: ChunkStore) -> LexicalIndex:
    """Tokenise every stored chunk and index it (from Chroma, the one source of truth)."""
    import bm25s

    generation = store.generation
    ids: list[str] = []
    corpus: list[list[str]] = []
    doc_freq: dict[str, int] = {}
    for chunk in store.iter_chunks():
        terms = lexical_terms(chunk.text)
        ids.append(chunk.id)
        corpus.append(terms)
        for term in set(terms):
            doc_freq[term] = doc_freq.get(term, 0) + 1
    if not ids:
        return LexicalIndex(None, [], generation, {}, store.identity)
    bm25 = bm25s.BM25()
    bm25.index(corpus, show_progress=False)
    return LexicalIndex(bm25, ids, generation, doc_freq, store.identity)


def _name(source: str, generation: int) -> str:
    return f"{source}-g{generation}"


def save(index: LexicalIndex, folder: Path) -> None:
    """Write into a new folder and rename it into place: a half-written index is never loaded."""
    if index.bm25 is None:
        return
    target = folder / _name(index.source, index.generation)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=folder))
    except OSError:
        return  # a read-only store still answers; it rebuilds in memory
    try:
        index.bm25.save(str(tmp / "bm25"), show_progress=False)
        meta = {"format": _FORMAT, "source": index.source, "generation": index.generation, "ids": index.ids,
                "doc_freq": index.doc_freq}
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.rename(tmp, target)  # fails if another process saved this generation first: theirs is as good
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return
    for old in folder.iterdir():  # earlier generations (and leftovers of crashed saves)
        if old.name != target.name and (old.name.startswith(f"{index.source}-g") or old.name.startswith(".building-")
                                        and _older_than(old, 600)):
            shutil.rmtree(old, ignore_errors=True)


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return False


def load(folder: Path, generation: int, source: str = "") -> LexicalIndex | None:
    """The saved index of this collection at this generation; None when there is none or it is damaged."""
    import bm25s

    path = folder / _name(source, generation)
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != _FORMAT or meta.get("generation") != generation or meta.get("source") != source:
            return None
        bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False, verbosity=0)
    except (OSError, ValueError, KeyError):
        return None
    return LexicalIndex(bm25, meta["ids"], generation, meta["doc_freq"], source)


def load_or_build(store: ChunkStore, folder: Path) -> LexicalIndex:
    """The index for the store's current generation: loaded if cached, else rebuilt and cached.

    An index built while a writer is at work is kept in memory only: the generation moves on when it ends.
    """
    meta = store.meta
    index = load(folder, int(meta.get("generation", 0)), store.identity)
    if index is None:
        index = build(store)
        if not meta.get("writing"):
            save(index, folder)
    return index
