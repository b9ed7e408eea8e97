"""Talking to the LLM: rawi's engine speaks to any llama-index `LLM` through `chat` and `stream_chat`.

The messages are plain `{"role", "content"}` dicts (built by `rag.prompts`); here they become
llama-index `ChatMessage`s, the reply comes back as text, and any failure of an LLM that is not
rawi's own becomes an `LLMError` naming only the exception's type (its text may hold a key), so
the assistant falls back to the extractive answer as it does for its own client. Which LLM is
used is decided by the composition root (`rawi.compose`); rawi's OpenAI-compatible one is
`vendors.llm`. llama-index is imported here only when an LLM is called.
"""

from __future__ import annotations

from typing import Any, Iterator

from core.errors import LLMError


def model_name(llm: Any) -> str:
    """The name an answer reports for `llm` ("" when it states none)."""
    try:
        return str(llm.metadata.model_name or "")
    except Exception:  # a foreign LLM whose metadata fails must not break answering
        return str(getattr(llm, "model", "") or "")


def _chat_messages(messages: list[dict[str, str]]) -> list[Any]:
    from llama_index.core.base.llms.types import ChatMessage

    return [ChatMessage(role=m["role"], content=m["content"]) for m in messages]


def _failed(llm: Any, err: Exception) -> LLMError:
    return LLMError(f"The language model {model_name(llm) or type(llm).__name__} failed ({type(err).__name__}).")


def chat_text(llm: Any, messages: list[dict[str, str]]) -> str:
    """The LLM's whole reply to `messages`."""
    try:
        return llm.chat(_chat_messages(messages)).message.content or ""
    except LLMError:
        raise
    except Exception as err:
        raise _failed(llm, err) from None


def stream_text(llm: Any, messages: list[dict[str, str]]) -> Iterator[str]:
    """The LLM's reply to `messages` as text deltas, in order."""
    seen = ""
    try:
        for response in llm.stream_chat(_chat_messages(messages)):
            delta = response.delta
            if delta is None:  # an LLM that only reports the text so far
                text = response.message.content or ""
                delta, seen = text[len(seen):], text
            else:
                seen += delta
            if delta:
                yield delta
    except LLMError:
        raise
    except Exception as err:
        raise _failed(llm, err) from None
