"""rawi's Arabic ingest rules for llama-index: its chunker as a `NodeParser`, its reader as `Document`s.

    pipeline = IngestionPipeline(transformations=[RawiNodeParser(), my_embedding])
    nodes = pipeline.run(documents=read_documents([Path("data/corpus")]))

`RawiNodeParser` finds the article in each document's text (page furniture, repeated headlines
and captions left out, `ingest.clean`) and cuts it into sentence-aware chunks sized in tokens
(`ingest.chunk`), the same spans `rawi ingest` stores. Each node's text is exactly
`document.text[start_char_idx:end_char_idx]`; llama-index's own post-processing (which finds a
node's text again with `str.find`) is not trusted with repeated passages, so the offsets are
set again from the spans. `read_documents` reads files as `rawi ingest` does (encoding detection,
the main text of HTML pages), so the offsets are also offsets into rawi's citable file text.
Storing and embedding are the pipeline's business; rawi's own store is `ingest.pipeline`.
Importing this module imports llama-index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import BaseNode, Document, NodeRelationship, TextNode
from pydantic import Field

from core.settings import IngestSettings
from ingest.chunk import chunk_blocks, tiktoken_counter
from ingest.clean import clean
from ingest.load import read_document
from ingest.pipeline import IngestReport, collect

_DEFAULTS = IngestSettings()


class RawiNodeParser(NodeParser):
    """Chunks of a document's article text, with exact offsets, title and date (rawi's ingest rules)."""

    chunk_tokens: int = Field(_DEFAULTS.chunk_tokens, description="Target chunk size in tokens.")
    chunk_overlap_tokens: int = Field(
        _DEFAULTS.chunk_overlap_tokens, description="Tokens of whole sentences repeated from the previous chunk."
    )
    token_encoding: str = Field(_DEFAULTS.token_encoding, description="tiktoken encoding that sizes chunks.")

    @classmethod
    def from_settings(cls, settings: IngestSettings, **kwargs: Any) -> "RawiNodeParser":
        """The parser that cuts exactly as `rawi ingest` does with these settings."""
        return cls(chunk_tokens=settings.chunk_tokens, chunk_overlap_tokens=settings.chunk_overlap_tokens,
                   token_encoding=settings.token_encoding, **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "RawiNodeParser"

    def _parse_nodes(self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any) -> list[BaseNode]:
        count = tiktoken_counter(self.token_encoding)
        parsed: list[BaseNode] = []
        for document in nodes:
            text = document.get_content()
            article = clean(text)
            spans = chunk_blocks(text, article.blocks, self.chunk_tokens, self.chunk_overlap_tokens, count)
            source = document.as_related_node_info()
            for index, span in enumerate(spans):
                metadata = {**document.metadata, "chunk_index": index}
                metadata.setdefault("title", article.title)
                if article.date:
                    metadata.setdefault("date", article.date)
                parsed.append(TextNode(
                    id_=self.id_func(index, document), text=text[span.start:span.end],
                    start_char_idx=span.start, end_char_idx=span.end, metadata=metadata,
                    excluded_embed_metadata_keys=list(document.excluded_embed_metadata_keys),
                    excluded_llm_metadata_keys=list(document.excluded_llm_metadata_keys),
                    relationships={NodeRelationship.SOURCE: source},
                ))
        return parsed

    def _postprocess_parsed_nodes(self, nodes: list[BaseNode], parent_doc_map: dict[str, Document]) -> list[BaseNode]:
        exact = {id(node): (node.start_char_idx, node.end_char_idx) for node in nodes if isinstance(node, TextNode)}
        nodes = super()._postprocess_parsed_nodes(nodes, parent_doc_map)
        for node in nodes:
            if id(node) in exact:
                node.start_char_idx, node.end_char_idx = exact[id(node)]
        return nodes


def read_documents(paths: Iterable[Path], max_bytes: int | None = None) -> list[Document]:
    """The files `rawi ingest` would take from `paths`, as llama-index `Document`s of rawi's citable text.

    A document's id and its `file` metadata are the name `rawi ingest` keys the file by (its path
    inside the folder given); HTML pages also give their title and date. A file that cannot be
    read raises `ingest.load.UnreadableFile` with the reason; unsupported types are skipped."""
    candidates, _ = collect(paths, IngestReport())
    documents = []
    for cand in candidates:
        doc = read_document(cand.path, max_bytes=max_bytes)
        metadata = {"file": cand.key}
        if doc.html_title:
            metadata["title"] = doc.html_title
        if doc.html_date:
            metadata["date"] = doc.html_date
        documents.append(Document(id_=cand.key, text=doc.text, metadata=metadata))
    return documents
