"""rawi's composition root (`rawi.compose`) and its Python API: build the parts, get an assistant.

    import rawi
    bot = rawi.open_assistant(".rawi")
    print(bot.ask("من هو السفير الروسي لدى ليبيا؟").to_text())
    bot = rawi.Assistant.open(".rawi", llm=my_llama_index_llm)   # any llama-index LLM, answers verified

Importing this package loads nothing heavy; the names below load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rawi.compose import Assistant, Rawi, open_assistant

__all__ = ["Assistant", "Rawi", "open_assistant"]


def __getattr__(name: str) -> Any:
    # Lazy: `rawi --help` should not pay for the answering stack.
    if name in __all__:
        from rawi import compose

        return getattr(compose, name)
    raise AttributeError(name)
