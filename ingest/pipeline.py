"""Idempotent ingest: files in, chunks upserted into the store, a report out.

For each file: read and decode (`ingest.load`), find the article (`ingest.clean`), cut chunks
(`ingest.chunk`). Changed files are then reconciled with what Chroma holds, a group of files at
a time (one embedder pass and a few Chroma calls per group): chunks whose stable id (file +
text + occurrence) already exists are kept without re-embedding (only their offsets are
refreshed), new ones are embedded and added, vanished ones deleted. File records are written
last, so a run killed half-way is finished by the next one: the store stays marked as being
written until a run ends, and a run that finds the mark first drops chunks no record owns and
re-does files whose chunks disagree with their record. One ingest writes to a store at a time
(`vendors.locking`). Unchanged files (same content hash under the same chunking settings) cost
reading and hashing the file, nothing else.

Test hook, for the crash tests only: with `RAWI_TEST_INGEST_PAUSE_S` set, an ingest prints
`rawi-test-pause: <point> <files>` to stderr and sleeps that long after a group's chunks are
written (before its records; the group's files are named) and after the last record (before
the generation moves); `RAWI_TEST_INGEST_PAUSE_AT=chunks-written` (or `records-written`) limits
it to one of the two.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from core.sentences import chunk_sentences
from core.settings import IngestSettings
from ingest.chunk import chunk_blocks, tiktoken_counter
from ingest.clean import clean
from ingest.load import SUPPORTED_SUFFIXES, UnreadableFile, read_document
from vendors.locking import writer_lock
from vendors.store import ChunkStore, FileRecord

_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    chunks_written: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        lines = [
            f"files: {len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.failed)} failed; "
            f"chunks: {self.chunks_written} written, {self.chunks_deleted} deleted; {self.seconds:.1f} s"
        ]
        lines += [f"  failed: {path}: {reason}" for path, reason in self.failed]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Candidate:
    path: Path
    key: str  # path relative to its ingested root, POSIX style: the `file` of every chunk
    root: str


def collect(paths: Iterable[Path], report: IngestReport) -> tuple[list[_Candidate], list[Path]]:
    """Files to ingest, and the folders whose vanished files may be pruned."""
    found: dict[str, _Candidate] = {}
    roots: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            root = path.resolve()
            roots.append(root)
            for file in sorted(p for p in root.rglob("*") if p.is_file()):
                rel = file.relative_to(root)
                if any(part.startswith(".") for part in rel.parts) or file.name in _IGNORED_NAMES:
                    continue
                if file.suffix.lower() not in SUPPORTED_SUFFIXES:
                    report.failed.append((str(file), f"{file.suffix or 'no extension'} is not a supported type"))
                    continue
                found[rel.as_posix()] = _Candidate(file, rel.as_posix(), str(root))
        elif path.exists() or path.is_symlink():
            resolved = path.resolve()
            found[resolved.name] = _Candidate(resolved, resolved.name, str(resolved.parent))
        else:
            report.failed.append((str(path), "it does not exist"))
    return list(found.values()), roots


# Bump when the cleaning or chunking rules or the chunk metadata change, so the next ingest
# re-chunks every file (unchanged chunks keep their vectors; only their metadata is rewritten).
# 3: chunks link their neighbours (`prev`, `next`). 4: style sheets and scripts inside a line are cut out.
# 5: a short line holding an e-mail address (a byline, a contact footer) is furniture.
PIPELINE_VERSION = 5


def chunking_signature(settings: IngestSettings) -> str:
    """What, besides the text, decides the chunks: a change re-chunks every file."""
    return f"v{PIPELINE_VERSION}|{settings.token_encoding}|{settings.chunk_tokens}|{settings.chunk_overlap_tokens}"


def chunk_id(file: str, text: str, occurrence: int) -> str:
    """Stable id from the file and the chunk's content (and which repeat of that content it is)."""
    f = hashlib.sha1(file.encode("utf-8")).hexdigest()[:12]
    t = hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]
    return f"{f}-{t}-{occurrence}"


# Files are reconciled in groups of about this many chunks: one embedder call per batch and a
# handful of Chroma calls per group instead of five per file.
_GROUP_CHUNKS = 64


@dataclass
class _Prepared:
    """A changed file, cleaned and chunked, waiting for its group to be written."""

    cand: _Candidate
    text: str
    record: FileRecord
    ids: list[str]
    texts: list[str]
    metas: list[dict]
    is_update: bool


def ingest(
    paths: Iterable[Path],
    store: ChunkStore,
    embedder: Any,
    settings: IngestSettings,
    folder: Path,
    *,
    shared: bool = False,
    prune_missing: bool | None = None,
    progress: bool | None = None,
) -> IngestReport:
    """Bring the store in line with these files and folders; never raises for a bad file.

    `folder` is the store folder (it holds the ingest lock); `shared`: the store is on a Chroma
    server, where writers elsewhere take turns by a lease on the collection. Waits for (or after
    `RAWI_INGEST_LOCK_WAIT_S` refuses with `StoreError`) another ingest into the same store.
    """
    lease_s = settings.lease_s if shared else None  # a server may have writers elsewhere
    with writer_lock(folder, store, settings.lock_wait_s, lease_s=lease_s):
        return _ingest(paths, store, embedder, settings, prune_missing=prune_missing, progress=progress)


class Ingester:
    """Ingests files into one store with one embedder; built by the composition root (`rawi.compose`)."""

    def __init__(self, store: ChunkStore, embedder: Any, settings: IngestSettings, folder: Path, *,
                 shared: bool = False) -> None:
        """`settings`: the ingest section; `folder`: the store folder (lock, uploads); `shared`: Chroma is a server."""
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.folder = Path(folder)
        self.shared = shared

    def ingest(self, paths: Iterable[Path], *, prune_missing: bool | None = None,
               progress: bool | None = None) -> IngestReport:
        """`ingest(paths, ...)` into this store; answerable at once (the lexical index follows)."""
        return ingest(paths, self.store, self.embedder, self.settings, self.folder, shared=self.shared,
                      prune_missing=prune_missing, progress=progress)

    def file_records(self) -> dict[str, FileRecord]:
        """The files the store holds, by name, with where each came from."""
        return self.store.file_records()


def _ingest(
    paths: Iterable[Path],
    store: ChunkStore,
    embedder: Any,
    settings: IngestSettings,
    *,
    prune_missing: bool | None = None,
    progress: bool | None = None,
) -> IngestReport:
    from tqdm import tqdm

    began = time.perf_counter()
    report = IngestReport()
    prune = settings.prune_missing if prune_missing is None else prune_missing
    candidates, roots = collect(paths, report)
    records = store.file_records()
    if store.interrupted:  # an earlier ingest died half-way
        report.chunks_deleted += _repair(store, records, {c.key for c in candidates})
    signature = chunking_signature(settings)
    max_bytes = int(settings.max_file_mb * 1_000_000)
    writer = _GroupWriter(store, embedder, report, sentences=settings.sentence_vectors)

    # disable=None lets tqdm show the bar only on a terminal.
    bar = tqdm(candidates, desc="ingest", unit="file", disable=None if progress is None else not progress, leave=False)
    for cand in bar:
        try:
            doc = read_document(cand.path, max_bytes=max_bytes)
        except UnreadableFile as why:
            report.failed.append((str(cand.path), str(why)))
            continue
        content_hash = hashlib.sha256((signature + "\n" + doc.text).encode("utf-8")).hexdigest()
        previous = records.get(cand.key)
        if previous is not None and previous.content_hash == content_hash:
            report.unchanged.append(cand.key)
            continue
        article = clean(doc.text)
        # tiktoken_counter is cached; loading it (~1 s) is only paid when some file changed.
        count = tiktoken_counter(settings.token_encoding)
        spans = chunk_blocks(doc.text, article.blocks, settings.chunk_tokens, settings.chunk_overlap_tokens, count)
        if not spans:
            report.failed.append((str(cand.path), "no article text left after removing page furniture"))
            continue
        title = doc.html_title or article.title
        date = doc.html_date or article.date
        record = FileRecord(cand.key, content_hash, cand.root, title, date, len(spans))
        writer.add(_prepare(cand, doc.text, spans, record, is_update=previous is not None))
    writer.flush()

    changed = writer.wrote_any
    if prune:
        present = {c.key for c in candidates}
        failed_paths = {p for p, _ in report.failed}
        for root in roots:
            for key, record in records.items():
                if record.root != str(root) or key in present:
                    continue
                if (root / key).exists() and str(root / key) in failed_paths:
                    continue  # still there but unreadable now: keep what we had
                report.chunks_deleted += store.delete_file(key)
                report.removed.append(key)
                changed = True
    if changed:
        _test_pause("records-written", [])
    store.end_writes()  # also when an earlier run died after its last write
    report.seconds = time.perf_counter() - began
    return report


def _repair(store: ChunkStore, records: dict[str, FileRecord], candidates: set[str]) -> int:
    """After a run died half-way: drop chunks no record owns (unless this run ingests their file),
    and forget the record of any file whose chunks disagree with it, so this run re-does it."""
    deleted = 0
    hashes = store.chunk_hashes_by_file()
    for file in hashes.keys() - records.keys() - candidates:
        deleted += store.delete_file(file)
    for file, record in records.items():
        if hashes.get(file, set()) != {record.content_hash}:
            records[file] = replace(record, content_hash="")
    return deleted


def _test_pause(point: str, files: list[str]) -> None:
    """The crash tests' hook (see the module docstring); nothing unless RAWI_TEST_INGEST_PAUSE_S is set."""
    pause = os.environ.get("RAWI_TEST_INGEST_PAUSE_S")
    if pause and os.environ.get("RAWI_TEST_INGEST_PAUSE_AT", point) == point:
        print(f"rawi-test-pause: {point} {' '.join(files)}".rstrip(), file=sys.stderr, flush=True)
        time.sleep(float(pause))


def _prepare(cand: _Candidate, text: str, spans: list, record: FileRecord, *, is_update: bool) -> _Prepared:
    """Ids, texts and metadata of a file's chunks; ids are stable (file + text + which repeat)."""
    ids, texts, metas = [], [], []
    seen: dict[str, int] = {}
    for index, span in enumerate(spans):
        body = text[span.start : span.end]
        occurrence = seen.get(body, 0)
        seen[body] = occurrence + 1
        ids.append(chunk_id(record.file, body, occurrence))
        texts.append(body)
        meta = {"file": record.file, "start": span.start, "end": span.end, "chunk_index": index,
                "title": record.title, "content_hash": record.content_hash}
        if record.date:
            meta["date"] = record.date
        metas.append(meta)
    # Each chunk names its neighbours, so answering fetches them by id instead of filtering the
    # collection. "" rather than absent: Chroma merges metadata on update, an old link would stay.
    for index, meta in enumerate(metas):
        meta["prev"] = ids[index - 1] if index > 0 else ""
        meta["next"] = ids[index + 1] if index + 1 < len(ids) else ""
    return _Prepared(cand, text, record, ids, texts, metas, is_update)


class _GroupWriter:
    """Reconciles changed files with the store a group at a time.

    For a group: one look-up of the chunk ids Chroma holds for its files, one embedder pass over
    the chunks it does not hold yet, then writes: new chunks, refreshed offsets of kept ones,
    deletion of vanished ones, and last the file records, so a run killed mid-group leaves no
    record claiming chunks that are not there (the next run redoes the group).
    """

    def __init__(self, store: ChunkStore, embedder: Any, report: IngestReport, *, sentences: bool = True) -> None:
        self.store = store
        self.sentences = sentences  # also embed and store each new chunk's sentences
        self.embedder = embedder
        self.report = report
        self.pending: list[_Prepared] = []
        self.wrote_any = False
        self._dimension_checked = False

    def add(self, prepared: _Prepared) -> None:
        self.pending.append(prepared)
        if sum(len(p.ids) for p in self.pending) >= _GROUP_CHUNKS:
            self.flush()

    def flush(self) -> None:
        group, self.pending = self.pending, []
        if not group:
            return
        existing = self.store.chunk_ids_of_files([p.record.file for p in group])
        new: list[tuple[str, str, dict]] = []
        kept: list[tuple[str, dict]] = []
        gone: list[str] = []
        for p in group:
            held = existing.get(p.record.file, set())
            written = 0
            for cid, body, meta in zip(p.ids, p.texts, p.metas):
                if cid in held:
                    kept.append((cid, meta))
                else:
                    new.append((cid, body, meta))
                    written += 1
            vanished = sorted(held - set(p.ids))
            gone += vanished
            self.report.chunks_written += written
            self.report.chunks_deleted += len(vanished)
        if new:
            # Each new chunk's sentences are embedded with it (a sentence shared by overlapping
            # chunks once), so answering looks their vectors up instead of embedding them.
            sentence_texts = [[body[s.start : s.end] for s in chunk_sentences(body)] if self.sentences else []
                              for _, body, _ in new]
            vectors, by_text = self._embed([body for _, body, _ in new], [t for ts in sentence_texts for t in ts])
            if not self._dimension_checked:
                self.store.check_dimension(len(vectors[0]))
                self._dimension_checked = True
            self.store.add_chunks([c for c, _, _ in new], [b for _, b, _ in new], [m for _, _, m in new], vectors)
            if self.sentences:
                self.store.add_sentence_vectors([c for c, _, _ in new], [m["file"] for _, _, m in new],
                                                [len(ts) for ts in sentence_texts],
                                                [by_text[t] for ts in sentence_texts for t in ts])
        if kept:
            self.store.update_chunk_metas([c for c, _ in kept], [m for _, m in kept])
        if gone:
            self.store.delete_chunks(gone)
        _test_pause("chunks-written", [p.record.file for p in group])
        self.store.put_file_records([(p.record, p.text) for p in group])
        for p in group:
            (self.report.updated if p.is_update else self.report.added).append(p.record.file)
        self.wrote_any = True

    def _embed(self, chunks: list[str], sentences: list[str]) -> tuple[list[list[float]], dict[str, list[float]]]:
        """(the chunks' vectors in order, each distinct sentence's vector by its text), in one pass.

        Texts go to the model shortest first, so each batch holds texts of about one length
        (an embedder that pads a batch to its longest text wastes nothing)."""
        texts = list(dict.fromkeys(chunks + sentences))
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = self.embedder.get_text_embedding_batch([texts[i] for i in order])
        by_text = {texts[i]: vector for i, vector in zip(order, vectors)}
        return [by_text[c] for c in chunks], by_text
