"""rawi's hybrid Arabic retrieval as a llama-index `BaseRetriever`, for stock llama-index engines.

    retriever = assistant.as_retriever()          # or RawiRetriever(assistant, k=5)
    engine = RetrieverQueryEngine.from_args(retriever, llm=my_llm)

Each result is a `NodeWithScore` (the fused score, higher is better) whose `TextNode` is one stored
chunk: `text == file_text[start_char_idx:end_char_idx]` for the file named in its metadata, with
the article's title and date beside it and the file as its source document. Ranking is
`rag.retrieve`; answering and verifying citations stay with `rag.assistant`. Importing this
module imports llama-index.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from core.arabic import tokenize
from rag.retrieve import Hit, Mode

# What an LLM prompt shows of a node's metadata, and what an embedding of it would see.
_NOT_FOR_THE_LLM = ["chunk_id", "chunk_index", "dense_score", "lexical_score"]
_NOT_FOR_EMBEDDING = ["file", "title", "date", *_NOT_FOR_THE_LLM]


def node_of(hit: Hit) -> NodeWithScore:
    """One retrieval hit as a llama-index node with its exact place in its file."""
    chunk = hit.chunk
    meta = chunk.meta
    metadata: dict[str, Any] = {
        "file": meta["file"], "title": str(meta.get("title", "")), "date": str(meta.get("date", "")),
        "chunk_id": chunk.id, "chunk_index": int(meta.get("chunk_index", 0)),
    }
    if hit.dense is not None:
        metadata["dense_score"] = hit.dense
    if hit.lexical is not None:
        metadata["lexical_score"] = hit.lexical
    node = TextNode(
        id_=chunk.id, text=chunk.text, start_char_idx=int(meta["start"]), end_char_idx=int(meta["end"]),
        metadata=metadata, excluded_llm_metadata_keys=list(_NOT_FOR_THE_LLM),
        excluded_embed_metadata_keys=list(_NOT_FOR_EMBEDDING),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=meta["file"])},
    )
    return NodeWithScore(node=node, score=hit.score)


class RawiRetriever(BaseRetriever):
    """The top `k` chunks rawi's retrieval ranks for a query (hybrid, dense or BM25), as nodes."""

    def __init__(self, assistant: Any, *, k: int | None = None, mode: Mode = "hybrid", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.assistant = assistant
        self.k = k or assistant.settings.retrieval.top_k
        self.mode: Mode = mode

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # No length limit here: a llama-index chat engine may hand in a long condensed question.
        query = " ".join(query_bundle.query_str.split())
        if not tokenize(query):
            return []
        return [node_of(hit) for hit in self.assistant.retriever.retrieve(query, self.k, mode=self.mode).hits]
