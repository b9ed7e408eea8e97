"""rawi's view of Chroma: a chunk collection bound to one embedder, and a file-record collection.

Chroma is the one source of truth. `<name>` holds chunks (text, vector, metadata: file, start,
end, title, date, content_hash); `<name>_files` holds one record per article with its full
citable text, so any app instance (also against a Chroma server) can verify and show citations
without the original file; `<name>_sentence_vectors` holds, per chunk (same id), the vectors of
its sentences (those of `core.sentences.chunk_sentences`, in order), so answering looks them up
instead of embedding them. They are packed as float16 into one metadata string, not stored as
Chroma vectors: nothing searches them, and Chroma loads a collection's whole vector index on its
first read, which at 100k chunks (about 500k sentences) more than doubled the server's memory. A
store made before sentences were stored has none, and callers fall back to embedding. The chunk
collection's metadata names the embedder that filled it (with its `embedder_version` when the
embedder has one) and a `generation` that moves when a writer starts and when it ends, which
derived indexes use to know they are stale; `writing` is 1 while a writer is between the two, so
the next writer can tell that one died half-way and finish its work. An embedded Chroma client
caches vectors per client: `refresh()` reopens it when another process changed the database (the
`watch` the composition root passes in says so).
This module neither embeds, chunks nor locks; it stores and fetches.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from core.errors import EmbedderMismatchError, EmptyStoreError, StoreError

_WRITE_BATCH = 1000
_SENTENCES = "_sentence_vectors"  # suffix of the collection of packed sentence vectors
_OLD_SENTENCES = "_sentences"  # the earlier one-vector-per-sentence collection, dropped at the next ingest


@dataclass(frozen=True)
class FileRecord:
    file: str
    content_hash: str
    root: str
    title: str
    date: str
    chunks: int


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    meta: dict[str, Any]

    @property
    def file(self) -> str:
        return self.meta["file"]


class _Guarded:
    """A Chroma collection whose lost connections (a Chroma server gone) raise `StoreError`, not httpx's errors."""

    def __init__(self, collection: Any, label: str) -> None:
        self._collection = collection
        self._label = label

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._collection, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            import httpx

            try:
                return value(*args, **kwargs)
            except httpx.TransportError as err:
                raise StoreError(
                    f"Lost the connection to the Chroma server at {self._label} ({type(err).__name__}: {err}). "
                    "Check that it is running and reachable, then try again."
                ) from None

        return call


def _guard(collection: Any, label: str, client: Any) -> Any:
    # An embedded client has no connection to lose; an HttpClient's calls go over the network.
    return collection if _is_embedded(client) else _Guarded(collection, label)


def _is_embedded(client: Any) -> bool:
    try:
        return bool(client.get_settings().is_persistent)
    except Exception:
        return False


class ChunkStore:
    """Chunks and file records of one rawi collection in a Chroma client."""

    def __init__(self, chunks: Any, files: Any, label: str, client: Any = None, watch: Any = None, *,
                 embedder_version: str = "", sentences: Any = None) -> None:
        if client is not None:
            chunks, files = _guard(chunks, label, client), _guard(files, label, client)
            if sentences is not None:
                sentences = _guard(sentences, label, client)
        self.chunks = chunks
        self.files = files
        self.sentences = sentences  # packed sentence vectors by chunk id; None: this store keeps none
        self.label = label  # where the store is, for messages
        self.client = client  # to re-read the collection's metadata, which another client may have changed
        self.watch = watch  # embedded Chroma: .changed() and .reopen() -> a fresh client (see rawi.compose)
        self.embedder_version = embedder_version  # recorded at the first write when the store has none
        self._writing = False  # this object marked the collection as being written
        self._meta_lock = threading.RLock()  # Chroma replaces metadata whole: one read-modify-write at a time
        self._seen: tuple[int, str] | None = None  # (generation, identity) the client was last opened on

    # --- opening ------------------------------------------------------------------------------
    @classmethod
    def open(cls, client: Any, name: str, embedder_name: str, *, create: bool, label: str,
             watch: Any = None, embedder_version: str = "") -> "ChunkStore":
        """Open (or with `create`, make) the collection, refusing one filled by another embedder.

        `embedder_version` is the release of the embedder's vectors ("" when its name says it all):
        a store that recorded another one is refused too. A store that recorded none (made before
        versions were recorded) opens, and records this one at its next write.
        """
        if create:
            meta: dict[str, Any] = {"embedder": embedder_name, "generation": 0}
            if embedder_version:
                meta["embedder_version"] = embedder_version
            chunks = client.get_or_create_collection(
                name,
                embedding_function=None,  # never chromadb's default: it downloads an ONNX model
                configuration={"hnsw": {"space": "cosine"}},
                metadata=meta,
            )
        else:
            try:
                chunks = client.get_collection(name, embedding_function=None)
            except Exception:  # chromadb raises NotFoundError or ValueError by version
                raise EmptyStoreError(
                    f"The store {label} holds no articles yet. Run: rawi ingest data/corpus --store {label}"
                ) from None
        stored = (chunks.metadata or {}).get("embedder")
        if stored and stored != embedder_name:
            raise EmbedderMismatchError(
                f"The store {label} was filled by the embedder {stored!r} (dimension "
                f"{(chunks.metadata or {}).get('dim', '?')}), but rawi is set to use {embedder_name!r}. "
                "Vectors of two models cannot be mixed: set RAWI_EMBEDDER (and RAWI_EMBED_MODEL) back to what "
                "filled this store, or ingest into a new store with --store NEW_FOLDER."
            )
        recorded = str((chunks.metadata or {}).get("embedder_version") or "")
        if recorded and embedder_version and recorded != embedder_version:
            raise EmbedderMismatchError(
                f"The store {label} was filled by {embedder_name!r} version {recorded}, but version "
                f"{embedder_version} is installed, whose vectors differ. Vectors of two versions cannot be "
                f"mixed: install version {recorded} again, or re-ingest into a new store with --store NEW_FOLDER."
            )
        files = client.get_or_create_collection(f"{name}_files", embedding_function=None)
        sentences = client.get_or_create_collection(f"{name}{_SENTENCES}", embedding_function=None)
        if create:
            _drop_old_sentence_index(client, name)
        store = cls(chunks, files, label, client, watch, embedder_version=embedder_version, sentences=sentences)
        if watch is not None:
            store._seen = (store.generation, store.identity)
        return store

    def refresh(self) -> bool:
        """Reopen the client if another process wrote to the database since; True when it did.

        An embedded Chroma client sees other processes' rows in `get` and `count` but searches
        the vectors it loaded; a new client sees them all. Cheap when nothing changed (one stat).
        The database file also moves when no rawi writer ran (Chroma writes to it when a client opens
        or loads an index), so the reopen waits for a new `generation` (or collection): every rawi
        write moves it, and reopening on anything else reopened on every question.
        """
        if self.watch is None or not self.watch.changed():
            return False
        state = (self.generation, self.identity)  # read afresh (see `meta`)
        if state == self._seen:
            self.watch.seen()
            return False
        client = self.watch.reopen()
        chunks = client.get_collection(self.chunks.name, embedding_function=None)
        files = client.get_collection(self.files.name, embedding_function=None)
        if self.sentences is not None:
            self.sentences = client.get_or_create_collection(self.sentences.name, embedding_function=None)
        self.client, self.chunks, self.files = client, chunks, files  # embedded: no network to guard
        self._seen = (self.generation, self.identity)
        self.watch.seen()  # opening and getting the collections wrote to the database themselves
        return True

    # --- collection state -----------------------------------------------------------------------
    @property
    def meta(self) -> dict[str, Any]:
        # A Collection object keeps the metadata it was fetched with; read it afresh so that an ingest
        # by another client or process (a new `generation`) is seen by a running app.
        if self.client is not None:
            try:
                chunks = self.client.get_collection(self.chunks.name, embedding_function=None)
                self.chunks = _guard(chunks, self.label, self.client)
            except Exception:  # gone or unreachable: the next query reports it; keep what we had
                pass
        return dict(self.chunks.metadata or {})

    @property
    def generation(self) -> int:
        return int(self.meta.get("generation", 0))

    @property
    def identity(self) -> str:
        """The chunk collection's id: differs for a collection deleted and made again under the same name."""
        return str(self.chunks.id)

    @property
    def embedder_name(self) -> str:
        return str(self.meta.get("embedder", ""))

    @property
    def interrupted(self) -> bool:
        """A writer marked the collection as being written and has not finished (or died)."""
        return bool(self.meta.get("writing")) and not self._writing

    def _start_writing(self) -> None:
        # Before the first write: readers that cached anything now see a new generation. A store made
        # before embedder versions were recorded gets this writer's now (`open` refused any other).
        if not self._writing:
            changes: dict[str, Any] = {"writing": 1}
            if self.embedder_version and not self.meta.get("embedder_version"):
                changes["embedder_version"] = self.embedder_version
            self._set_meta(**changes)
            self._writing = True

    def end_writes(self) -> bool:
        """After a writer's last write: a new generation, and no longer marked as being written.

        Also when an earlier writer died half-way (its generation never moved on). True when it bumped.
        """
        if not self._writing and not self.meta.get("writing"):
            return False
        self._set_meta(writing=0)
        self._writing = False
        return True

    def bump_generation(self) -> None:
        self._set_meta()

    def _set_meta(self, **changes: Any) -> None:
        with self._meta_lock:
            meta = self.meta
            meta.update(changes)
            meta["generation"] = int(meta.get("generation", 0)) + 1
            self.chunks.modify(metadata=meta)

    def update_meta(self, **changes: Any) -> dict[str, Any]:
        """Change some keys of the collection's metadata, keeping the rest (and the generation); returns it."""
        with self._meta_lock:
            meta = self.meta
            meta.update(changes)
            self.chunks.modify(metadata=meta)
            return meta

    def check_dimension(self, dim: int) -> None:
        """Record the vector size on first write; refuse a different one later."""
        meta = self.meta
        if "dim" not in meta:
            self.update_meta(dim=dim)
        elif int(meta["dim"]) != dim:
            raise EmbedderMismatchError(
                f"The store {self.label} holds {meta['dim']}-dimensional vectors but the embedder gives {dim}. "
                "Ingest into a new store with --store NEW_FOLDER."
            )

    def count(self) -> int:
        return self.chunks.count()

    # --- file records ---------------------------------------------------------------------------
    def file_records(self) -> dict[str, FileRecord]:
        return {fid: _record(fid, meta) for fid, meta in _pages(self.files, ["metadatas"], lambda g: g["metadatas"])}

    def file_text(self, file: str) -> str | None:
        got = self.files.get(ids=[file], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def file_texts(self, files: list[str]) -> dict[str, str]:
        if not files:
            return {}
        got = self.files.get(ids=list(dict.fromkeys(files)), include=["documents"])
        return dict(zip(got["ids"], got["documents"]))

    def put_file_record(self, record: FileRecord, text: str) -> None:
        self.put_file_records([(record, text)])

    def put_file_records(self, records: list[tuple[FileRecord, str]]) -> None:
        """Write (record, full citable text) pairs, many per Chroma call."""
        self._start_writing()
        for i in range(0, len(records), _WRITE_BATCH):
            batch = records[i : i + _WRITE_BATCH]
            self.files.upsert(
                ids=[r.file for r, _ in batch],
                embeddings=[[1.0]] * len(batch),  # Chroma wants a vector; records are fetched by id only
                documents=[text for _, text in batch],
                metadatas=[{"content_hash": r.content_hash, "root": r.root, "title": r.title, "date": r.date,
                            "chunks": r.chunks} for r, _ in batch],
            )

    def delete_file(self, file: str) -> int:
        """Remove a file's record and every chunk of it; returns how many chunks went."""
        self._start_writing()
        ids = self.chunk_ids_of(file)
        if ids:
            for i in range(0, len(ids), _WRITE_BATCH):
                self.chunks.delete(ids=ids[i : i + _WRITE_BATCH])
        if self.sentences is not None:
            self.sentences.delete(where={"file": file})
        self.files.delete(ids=[file])
        return len(ids)

    # --- chunks ---------------------------------------------------------------------------------
    def chunk_hashes_by_file(self, batch: int = 5000) -> dict[str, set[str]]:
        """For every file with chunks, the content hashes its chunks carry (a full metadata scan: for repairs)."""
        found: dict[str, set[str]] = {}
        offset = 0
        while True:
            got = self.chunks.get(include=["metadatas"], limit=batch, offset=offset)
            if not got["ids"]:
                return found
            for meta in got["metadatas"]:
                found.setdefault(str(meta.get("file", "")), set()).add(str(meta.get("content_hash", "")))
            offset += len(got["ids"])

    def chunk_ids_of(self, file: str) -> list[str]:
        return list(self.chunks.get(where={"file": file}, include=[])["ids"])

    def chunk_ids_of_files(self, files: list[str]) -> dict[str, set[str]]:
        """The chunk ids held for each of these files (files with none are absent), one call per batch."""
        held: dict[str, set[str]] = {}
        for i in range(0, len(files), _WRITE_BATCH):
            got = self.chunks.get(where={"file": {"$in": files[i : i + _WRITE_BATCH]}}, include=["metadatas"])
            for cid, meta in zip(got["ids"], got["metadatas"]):
                held.setdefault(meta["file"], set()).add(cid)
        return held

    def add_chunks(self, ids: list[str], texts: list[str], metas: list[dict], vectors: list[list[float]]) -> None:
        self._start_writing()
        for i in range(0, len(ids), _WRITE_BATCH):
            s = slice(i, i + _WRITE_BATCH)
            self.chunks.upsert(ids=ids[s], documents=texts[s], metadatas=metas[s], embeddings=vectors[s])

    def update_chunk_metas(self, ids: list[str], metas: list[dict]) -> None:
        self._start_writing()
        for i in range(0, len(ids), _WRITE_BATCH):
            self.chunks.update(ids=ids[i : i + _WRITE_BATCH], metadatas=metas[i : i + _WRITE_BATCH])

    def delete_chunks(self, ids: list[str]) -> None:
        self._start_writing()
        for i in range(0, len(ids), _WRITE_BATCH):
            self.chunks.delete(ids=ids[i : i + _WRITE_BATCH])
            if self.sentences is not None:
                self.sentences.delete(ids=ids[i : i + _WRITE_BATCH])

    # --- sentence vectors -----------------------------------------------------------------------
    def add_sentence_vectors(self, chunk_ids: list[str], files: list[str], counts: list[int],
                             vectors: list[list[float]]) -> None:
        """Store the vectors of each chunk's sentences: `counts[j]` of them, in order, for `chunk_ids[j]`."""
        if self.sentences is None:
            return
        self._start_writing()
        metas, at = [], 0
        for file, count in zip(files, counts):
            metas.append({"file": file, "count": count, "vectors": _pack(vectors[at : at + count])})
            at += count
        for i in range(0, len(chunk_ids), _WRITE_BATCH):
            s = slice(i, i + _WRITE_BATCH)
            # Chroma wants a vector per record; these are fetched by id only, never searched.
            self.sentences.upsert(ids=chunk_ids[s], metadatas=metas[s], embeddings=[[1.0]] * len(metas[s]))

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """The stored sentence vectors of these chunks, one row per sentence (float32); chunks the store
        keeps none for are absent."""
        if self.sentences is None or not chunk_ids:
            return {}
        try:
            got = self.sentences.get(ids=list(dict.fromkeys(chunk_ids)), include=["metadatas"])
        except StoreError:
            raise
        except Exception:  # Chroma after a writer died mid-write ("Error finding id"): embed them instead
            return {}
        return {cid: _unpack(meta["vectors"], int(meta["count"])) for cid, meta in zip(got["ids"], got["metadatas"])
                if meta and "vectors" in meta}

    def sentence_vector_count(self) -> int:
        """How many sentence vectors the store keeps (a full metadata scan: for benchmarks)."""
        if self.sentences is None:
            return 0
        return sum(int(meta.get("count", 0)) for _, meta in _pages(self.sentences, ["metadatas"], lambda g: g["metadatas"]))

    def get_chunks(self, ids: list[str]) -> list[StoredChunk]:
        if not ids:
            return []
        got = self.chunks.get(ids=ids, include=["documents", "metadatas"])
        by_id = {cid: StoredChunk(cid, doc, meta) for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"])}
        return [by_id[cid] for cid in ids if cid in by_id]

    def neighbors(self, chunk: StoredChunk) -> list[StoredChunk]:
        """The chunks just before and after one chunk of its file (fewer at the file's ends)."""
        return self.neighbors_of([chunk])[0]

    def neighbors_of(self, chunks: list[StoredChunk]) -> list[list[StoredChunk]]:
        """`neighbors` of each chunk; the linked ones fetched together in one call."""
        # Ingest records each chunk's neighbours by id: a look-up by id costs ~1 ms at any size.
        linked = [c for c in chunks if "prev" in c.meta or "next" in c.meta]
        wanted = [cid for c in linked for cid in (c.meta.get("prev"), c.meta.get("next")) if cid]
        fetched = {c.id: c for c in self.get_chunks(list(dict.fromkeys(wanted)))}
        out = []
        for chunk in chunks:
            if chunk in linked:
                out.append([fetched[cid] for cid in (chunk.meta.get("prev"), chunk.meta.get("next")) if cid in fetched])
            else:
                out.append(self._neighbors_by_scan(chunk))
        return out

    def _neighbors_by_scan(self, chunk: StoredChunk) -> list[StoredChunk]:
        # Chunks ingested before ids were linked: filter on the file (a scan in Chroma, ~15 ms at
        # 100k chunks; adding `chunk_index` to the filter is slower still) and pick here.
        index = chunk.meta.get("chunk_index", 0)
        got = self.chunks.get(where={"file": chunk.file}, include=["documents", "metadatas"])
        found = [StoredChunk(cid, doc, meta) for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"])
                 if meta.get("chunk_index") in (index - 1, index + 1)]
        return sorted(found, key=lambda c: c.meta.get("chunk_index", 0))

    def chunk_ids(self) -> list[str]:
        """Every chunk id (no text, no vectors: cheap even at 100k chunks)."""
        return [cid for cid, _ in _pages(self.chunks, [], lambda g: g["ids"])]

    def chunk_texts(self, ids: list[str] | None = None, batch: int = 20_000) -> Iterator[tuple[str, str]]:
        """(id, text) of these chunks, or of every chunk, in large pages (for rebuilding derived indexes)."""
        if ids is not None:
            for i in range(0, len(ids), batch):
                got = self.chunks.get(ids=ids[i : i + batch], include=["documents"])
                yield from zip(got["ids"], got["documents"])
            return
        yield from _pages(self.chunks, ["documents"], lambda g: g["documents"], batch)

    def iter_chunks(self, batch: int = 5000) -> Iterator[StoredChunk]:
        """Every chunk, in pages (for rebuilding derived indexes)."""
        for cid, (doc, meta) in _pages(self.chunks, ["documents", "metadatas"],
                                       lambda g: zip(g["documents"], g["metadatas"]), batch):
            yield StoredChunk(cid, doc, meta)

    def dense_search(self, vector: list[float], n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        if n <= 0:
            return []
        got = self.chunks.query(query_embeddings=[vector], n_results=n, include=["distances"])
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(got["ids"][0], got["distances"][0])]


def _pack(vectors: list[list[float]]) -> str:
    # float16 halves the bytes and moves a cosine by under 1e-3; base64 because metadata is text.
    return base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode("ascii")


def _unpack(packed: str, count: int) -> np.ndarray:
    flat = np.frombuffer(base64.b64decode(packed), dtype=np.float16).astype(np.float32)
    return flat.reshape(count, -1) if count else flat.reshape(0, 0)


def _drop_old_sentence_index(client: Any, name: str) -> None:
    """A store from before sentence vectors were packed keeps them as a Chroma vector index that
    nothing reads any more: drop it (answering embeds those chunks' sentences at question time)."""
    try:
        client.delete_collection(f"{name}{_OLD_SENTENCES}")
    except Exception:  # not there: chromadb raises NotFoundError or ValueError by version
        pass


def _pages(collection: Any, include: list[str], values: Any, batch: int = 10_000) -> Iterator[tuple[str, Any]]:
    """(id, value) for every record, a page at a time: Chroma refuses to read ~100k records in one call."""
    offset = 0
    while True:
        got = collection.get(include=include, limit=batch, offset=offset)
        if not got["ids"]:
            return
        yield from zip(got["ids"], values(got))
        offset += len(got["ids"])


def _record(fid: str, meta: dict[str, Any]) -> FileRecord:
    return FileRecord(
        file=fid, content_hash=str(meta.get("content_hash", "")), root=str(meta.get("root", "")),
        title=str(meta.get("title", "")), date=str(meta.get("date", "")), chunks=int(meta.get("chunks", 0)),
    )
