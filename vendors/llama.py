"""Bridges from rawi's vendors to llama-index, for code that wants llama-index objects.

`as_llama_embedding(embedder)` wraps a `vendors.embedders.Embedder` as a llama-index `BaseEmbedding`
(used by the benchmark's stock `VectorStoreIndex` baseline, and by anyone plugging rawi's
embedder into their own llama-index pipeline); it first points llama-index's global defaults at
that embedder and at an LLM that refuses, so a forgotten argument can never reach OpenAI.
rawi's LLM is itself a llama-index `LLM` (`vendors.llm`), always handed over explicitly, never
taken from these globals. Extractive answering does not import llama-index (it costs ~2 s at
start-up); importing this module does.
"""

from __future__ import annotations

from typing import Any

from llama_index.core import Settings as LlamaSettings
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
from pydantic import PrivateAttr

from core.errors import ConfigError


class RawiEmbedding(BaseEmbedding):
    """A llama-index embedding that delegates both sides to a rawi embedder."""

    _inner: Any = PrivateAttr(default=None)

    def __init__(self, inner: Any) -> None:
        super().__init__(model_name=inner.model_name, embed_batch_size=inner.embed_batch_size)
        self._inner = inner

    @classmethod
    def class_name(cls) -> str:
        return "RawiEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._inner.get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._inner.get_text_embedding(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._inner.get_text_embedding_batch(texts)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)  # every engine here is CPU-bound or a blocking client

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


class NoLLMConfigured(CustomLLM):
    """Stands in for llama-index's OpenAI default: any use is a bug, so it raises."""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="none")

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        raise ConfigError("No LLM is configured (set RAWI_LLM_BASE_URL and RAWI_LLM_MODEL).")

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        raise ConfigError("No LLM is configured (set RAWI_LLM_BASE_URL and RAWI_LLM_MODEL).")


def install_global_defaults(embedding: BaseEmbedding) -> None:
    """Point llama-index's globals at our embedder and a refusing LLM (rawi passes its LLM explicitly, never via globals)."""
    LlamaSettings.embed_model = embedding
    LlamaSettings.llm = NoLLMConfigured()


def as_llama_embedding(embedder: Any) -> BaseEmbedding:
    """`embedder` as a llama-index `BaseEmbedding`, with llama-index's globals made safe first."""
    embedding = embedder if isinstance(embedder, BaseEmbedding) else RawiEmbedding(embedder)
    install_global_defaults(embedding)
    return embedding
