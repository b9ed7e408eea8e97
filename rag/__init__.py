"""rawi's answering engine: retrieval, the extractive answerer, LLM prompts and verified citations.

`from rag import Assistant` for the type; build one with `rawi.open_assistant(store)` (the
composition root wires its parts). Importing this package loads nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.assistant import Answer, Assistant, Citation

__all__ = ["Answer", "Assistant", "Citation"]


def __getattr__(name: str) -> Any:
    # Lazy: `rawi --help` and `rawi ingest` should not pay for the answering stack.
    if name in __all__:
        from rag import assistant

        return getattr(assistant, name)
    raise AttributeError(name)
