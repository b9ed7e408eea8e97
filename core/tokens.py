"""Counting tokens with tiktoken, from the encodings bundled offline (never downloaded).

Loading an encoding's BPE file costs about a second, so counters are built on first use and
kept. Used to size chunks (ingest) and to count an LLM answer's usage (rag).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

TokenCounter = Callable[[str], int]


@lru_cache(maxsize=4)
def tiktoken_counter(encoding: str) -> TokenCounter:
    """Token counter for a tiktoken encoding, read from llama-index's bundled offline cache."""
    from core.offline import go_offline

    go_offline()
    import tiktoken

    enc = tiktoken.get_encoding(encoding)
    return lambda text: len(enc.encode(text, disallowed_special=()))
