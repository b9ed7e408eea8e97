"""BM25 over Arabic-normalised light stems, derived from the chunks stored in Chroma.

The index is a cache: it is rebuilt from the chunk collection whenever the collection's
`generation` (moved by every ingest that writes) differs from the one it was built at, and
saved under `<store>/lexical/<collection id>-g<generation>/` so the next process loads it
instead of rebuilding. A saved folder is never changed: it is written aside and renamed into
place, so processes sharing the store folder (several app instances, or an app and an ingest)
never read half of one index and half of another, and a collection made again under the same
name (a new id) never loads the old one's index. Older generations' folders are removed. An
index built while a writer is at work (the collection is marked `writing`) is not saved: the
generation moves on when the writer ends. Deleting the folder loses nothing. Tokenising is
`core.arabic.lexical_terms`; fusion is `rag.retrieve`.

The index is an inverted file in numpy arrays: for each term, the chunks that use it and their
precomputed BM25 weights (Lucene's variant, k1 = 1.5, b = 0.75, the same scores as bm25s gives).
bm25s itself was used before; its indexing loops over documents in Python and took far longer
than 15 s for 100k chunks on 2 cores, while sorting term-document pairs in numpy takes seconds.
The index also keeps each chunk's term numbers, so after an ingest only the chunks added since
are read from Chroma and tokenised (chunk ids name their content, so a kept id means kept text).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from array import array
from pathlib import Path

import numpy as np

from core.arabic import lexical_terms, variant_key
from vendors.store import ChunkStore

_FORMAT = 4  # bump when lexical_terms or the file layout changes
K1, B = 1.5, 0.75


class LexicalIndex:
    """Postings (chunk rows and BM25 weights, grouped by term) plus the chunk ids the rows stand for."""

    def __init__(self, ids: list[str], generation: int, vocab: dict[str, int], starts: np.ndarray,
                 rows: np.ndarray, weights: np.ndarray, lengths: np.ndarray, forward: np.ndarray,
                 source: str = "") -> None:
        self.ids = ids
        self.generation = generation
        self.source = source  # the id of the chunk collection it was built from
        self.vocab = vocab  # term -> term number; postings of term t are rows[starts[t]:starts[t + 1]]
        self.starts = starts
        self.rows = rows
        self.weights = weights
        self.lengths = lengths  # terms per chunk row
        self.forward = forward  # every row's term numbers, row after row (for incremental rebuilds)

    @property
    def size(self) -> int:
        return len(self.ids)

    def doc_freq(self, term: str) -> int:
        t = self.vocab.get(term)
        return 0 if t is None else int(self.starts[t + 1] - self.starts[t])

    def search(self, terms: list[str], n: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; only chunks sharing at least one term."""
        known = [self.vocab[t] for t in terms if t in self.vocab]
        if not known or n <= 0:
            return []
        scores = np.zeros(len(self.ids), dtype=np.float32)
        for t in known:  # a repeated query term counts again, as in bm25s
            lo, hi = self.starts[t], self.starts[t + 1]
            scores[self.rows[lo:hi]] += self.weights[lo:hi]
        matched = np.flatnonzero(scores)
        if len(matched) > n:
            matched = matched[np.argpartition(-scores[matched], n - 1)[:n]]
        best = matched[np.lexsort((matched, -scores[matched]))]
        return [(self.ids[int(r)], float(scores[r])) for r in best]

    def knows(self, term: str) -> bool:
        """Whether any chunk uses this term, or another spelling of it (same variant key)."""
        if self.doc_freq(term):
            return True
        key = variant_key(term)
        return key is not None and self.doc_freq(key) > 0

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term (0 for a term in every chunk, high for rare ones)."""
        n = max(1, len(self.ids))
        df = self.doc_freq(term)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))


class _Vocabulary(dict):
    """term -> number, numbering new terms as they come (so `map` can run at C speed)."""

    def __missing__(self, term: str) -> int:
        number = self[term] = len(self)
        return number


def build(store: ChunkStore, previous: LexicalIndex | None = None) -> LexicalIndex:
    """Index every stored chunk (from Chroma, the one source of truth); with `previous`, tokenise only new chunks."""
    generation = store.generation
    vocab = _Vocabulary(previous.vocab if previous is not None else {})
    current = store.chunk_ids()
    ids: list[str] = []
    lengths = array("i")
    forward = array("i")
    kept_lengths = kept_forward = np.zeros(0, dtype=np.int32)
    wanted: list[str] | None = None  # None: read every chunk
    if previous is not None:
        alive = set(current)
        keep = np.fromiter((cid in alive for cid in previous.ids), dtype=bool, count=len(previous.ids))
        ids = [cid for cid, k in zip(previous.ids, keep) if k]
        kept_lengths = previous.lengths[keep]
        kept_forward = previous.forward[np.repeat(keep, previous.lengths)]
        known = set(previous.ids)
        wanted = [cid for cid in current if cid not in known]
    for cid, text in store.chunk_texts(wanted):
        numbers = list(map(vocab.__getitem__, lexical_terms(text)))
        ids.append(cid)
        lengths.append(len(numbers))
        forward.extend(numbers)
    all_lengths = np.concatenate([kept_lengths, np.frombuffer(lengths, dtype=np.int32)])
    all_forward = np.concatenate([kept_forward, np.frombuffer(forward, dtype=np.int32)])
    return _index(ids, generation, dict(vocab), all_lengths, all_forward, store.identity)


def _index(ids: list[str], generation: int, vocab: dict[str, int], lengths: np.ndarray,
           terms: np.ndarray, source: str = "") -> LexicalIndex:
    """Postings from the forward index: order (term, row) pairs by term, count repeats, weigh them.

    Written to keep temporaries small (int32, one sort): at 100k chunks there are ~15M term
    occurrences, and `rawi serve` may rebuild while it answers.
    """
    n, v = len(ids), len(vocab)
    lengths, terms = lengths.astype(np.int32), terms.astype(np.int32)
    if n == 0 or len(terms) == 0:
        return LexicalIndex(ids, generation, vocab, np.zeros(v + 1, dtype=np.int64), np.zeros(0, dtype=np.int32),
                            np.zeros(0, dtype=np.float32), lengths, terms, source)
    order = np.argsort(terms, kind="stable")  # by term; rows stay ascending within a term
    term_sorted = terms[order]
    row_sorted = np.repeat(np.arange(n, dtype=np.int32), lengths)[order]
    del order
    first = np.empty(len(term_sorted), dtype=bool)  # first occurrence of each (term, row) pair
    first[0] = True
    np.not_equal(term_sorted[1:], term_sorted[:-1], out=first[1:])
    first[1:] |= row_sorted[1:] != row_sorted[:-1]
    at = np.flatnonzero(first)
    del first
    tf = np.diff(np.append(at, len(term_sorted))).astype(np.float32)
    term_of, row_of = term_sorted[at], row_sorted[at]
    del term_sorted, row_sorted, at
    df = np.bincount(term_of, minlength=v)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    norm = (K1 * (1 - B + B * lengths / max(float(lengths.mean()), 1e-9))).astype(np.float32)
    weights = idf[term_of] * tf / (tf + norm[row_of])  # Lucene drops the (k1 + 1) factor, as bm25s does
    starts = np.zeros(v + 1, dtype=np.int64)
    np.cumsum(df, out=starts[1:])
    return LexicalIndex(ids, generation, vocab, starts, row_of, weights.astype(np.float32), lengths, terms, source)


_ARRAYS = ("starts", "rows", "weights", "lengths", "forward")
_LEGACY = {"meta.json", "bm25", *(f"{name}.npy" for name in _ARRAYS)}  # the single-folder layout of earlier versions


def _name(source: str, generation: int) -> str:
    return f"{source}-g{generation}"


def save(index: LexicalIndex, folder: Path) -> None:
    """Write into a new folder and rename it into place: a half-written index is never loaded."""
    if not index.ids:
        return
    target = folder / _name(index.source, index.generation)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=folder))
    except OSError:
        return  # a read-only store still answers; it rebuilds in memory
    try:
        for name in _ARRAYS:
            np.save(tmp / f"{name}.npy", getattr(index, name))
        terms = sorted(index.vocab, key=index.vocab.__getitem__)
        meta = {"format": _FORMAT, "source": index.source, "generation": index.generation, "ids": index.ids,
                "terms": terms}
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.rename(tmp, target)  # fails if another process saved this generation first: theirs is as good
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return
    for old in folder.iterdir():  # this collection's older generations, leftovers of crashed saves, old layouts
        if old.name == target.name:
            continue
        if (old.name.startswith(f"{index.source}-g") or old.name in _LEGACY
                or old.name.startswith((".building-", ".lexical-")) and _older_than(old, 600)):
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return False


def load(folder: Path, generation: int | None, source: str = "") -> LexicalIndex | None:
    """The saved index of this collection at this generation (the newest saved, with None);
    None when there is none, or it is damaged."""
    if generation is None:
        saved = [int(m.group(1)) for p in _list(folder) if (m := re.fullmatch(re.escape(source) + r"-g(\d+)", p.name))]
        if not saved:
            return None
        generation = max(saved)
    path = folder / _name(source, generation)
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != _FORMAT or meta.get("generation") != generation or meta.get("source") != source:
            return None
        arrays = {name: np.load(path / f"{name}.npy") for name in _ARRAYS}
        vocab = {term: number for number, term in enumerate(meta["terms"])}
        ids = meta["ids"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    starts, rows, weights, lengths, forward = (arrays[k] for k in _ARRAYS)
    if (len(starts) != len(vocab) + 1 or len(rows) != len(weights) or len(lengths) != len(ids)
            or int(lengths.sum()) != len(forward) or (len(rows) and int(rows.max()) >= len(ids))):
        return None  # damaged: rebuild rather than answer from nonsense
    return LexicalIndex(ids, generation, vocab, starts, rows, weights, lengths, forward, source)


def _list(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def load_or_build(store: ChunkStore, folder: Path, previous: LexicalIndex | None = None) -> LexicalIndex:
    """The index for the store's current generation: loaded if cached, else rebuilt (from `previous`
    or the newest cached one, reading only new chunks) and cached unless a writer is at work."""
    meta = store.meta
    generation, source = int(meta.get("generation", 0)), store.identity
    index = load(folder, generation, source)
    if index is None:
        index = build(store, previous or load(folder, None, source))
        if not meta.get("writing"):
            save(index, folder)
    return index


class LiveLexicalIndex:
    """The lexical index of one store, kept in memory and following the store's writes.

    `current()` checks the store's generation (one Chroma round trip) and loads or rebuilds the
    index when another ingest moved it; `last()` is the index the last `current()` returned, for
    per-term look-ups (IDF, known words) while answering the question just retrieved.
    """

    def __init__(self, store: ChunkStore, folder: Path) -> None:
        self.store = store
        self.folder = Path(folder)
        self._index: LexicalIndex | None = None

    def current(self) -> LexicalIndex:
        generation = self.store.generation
        if (self._index is None or self._index.generation != generation
                or self._index.source != self.store.identity):
            self._index = load_or_build(self.store, self.folder, previous=self._index)
        return self._index

    def last(self) -> LexicalIndex:
        return self._index if self._index is not None else self.current()

    def idf(self, term: str) -> float:
        return self.last().idf(term)

    def knows(self, term: str) -> bool:
        return self.last().knows(term)
