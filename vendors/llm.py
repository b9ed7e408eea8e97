"""A chat LLM behind the OpenAI API shape (OpenAI, Ollama, vLLM, llama.cpp's server, LM Studio).

Uses the `openai` client directly, not llama-index's OpenAILike: llama-index retries on top of
the client's own retries (max_retries=2 gave 6 HTTP attempts), and streaming errors surface as
raw httpx exceptions either way. Here `max_retries=N` means at most N+1 requests, every timeout
is explicit, and every failure becomes an `LLMError` whose message never contains the API key.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from core.errors import LLMError


class ChatLLM:
    """Non-streamed and streamed chat completions with bounded retries and a clear error."""

    def __init__(self, base_url: str, model: str, api_key: str, *, timeout_s: float, max_retries: int,
                 max_tokens: int, temperature: float) -> None:
        import openai

        self.model = model
        self.base_url = base_url
        self.max_tokens = max_tokens
        self.temperature = temperature
        self._client = openai.OpenAI(
            base_url=base_url or None, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=max_retries
        )

    def complete(self, messages: list[dict[str, str]]) -> tuple[str, dict[str, int]]:
        """The whole reply and the server's reported usage (may be empty)."""
        try:
            reply = self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=self.max_tokens, temperature=self.temperature
            )
            text = reply.choices[0].message.content or ""
        except Exception as err:  # openai, httpx and JSON errors alike
            raise self._error(err) from None
        usage = {}
        if getattr(reply, "usage", None) is not None:
            usage = {"prompt_tokens": reply.usage.prompt_tokens, "completion_tokens": reply.usage.completion_tokens}
        return text, usage

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """Text deltas as they arrive; raises `LLMError` if the stream fails or ends without finishing."""
        try:
            stream = self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=self.max_tokens, temperature=self.temperature,
                stream=True,
            )
            finished = received = False
            for chunk in stream:
                received = True
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                if choice.delta is not None and choice.delta.content:
                    yield choice.delta.content
                if choice.finish_reason:
                    finished = True
            if not received:  # e.g. HTTP 200 with a body that is not a stream of JSON events
                raise LLMError(f"The language model at {display_url(self.base_url) or 'the OpenAI API'} "
                               "sent a reply that is not a valid chat-completion stream.")
            if not finished:
                raise LLMError("The language model's reply was cut off before it finished.")
        except LLMError:
            raise
        except Exception as err:
            raise self._error(err) from None

    def _error(self, err: Exception) -> LLMError:
        return api_error(err, "The language model", self.base_url or "the OpenAI API")


def display_url(url: str) -> str:
    """`url` as it may be shown or logged: scheme, host, port and path; no user:password@, query or fragment."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", "")) if parts.scheme else url.split("?")[0]
    except ValueError:
        return "(URL)"


def api_error(err: Exception, what: str, url: str) -> LLMError:
    """An `LLMError` that says what went wrong with an OpenAI-shaped server, in words.

    Built from the error's type and HTTP status only: never from the server's reply body or the
    exception text, which may echo the API key ("Incorrect API key provided: sk-..."), and with
    the URL's credentials and query string removed.
    """
    import httpx
    import openai

    where = display_url(url)
    if isinstance(err, openai.APITimeoutError):
        return LLMError(f"{what} at {where} did not answer in time.")
    if isinstance(err, openai.APIConnectionError):
        return LLMError(f"{what} at {where} cannot be reached.")
    if isinstance(err, openai.RateLimitError):
        return LLMError(f"{what} at {where} is rate-limiting requests (429); try again shortly.")
    if isinstance(err, openai.AuthenticationError):
        return LLMError(f"{what} at {where} refused the API key (401).")
    if isinstance(err, openai.APIStatusError):
        return LLMError(f"{what} at {where} failed with HTTP {err.status_code}.")
    if isinstance(err, (json.JSONDecodeError, ValueError)):
        return LLMError(f"{what} at {where} sent a reply that is not valid JSON.")
    if isinstance(err, httpx.TransportError):  # the connection dropped while the reply was streaming in
        return LLMError(f"{what} at {where} dropped the connection; the reply was cut off before it finished.")
    return LLMError(f"{what} at {where} failed ({type(err).__name__}).")


def build_chat_llm(llm: Any) -> ChatLLM:
    """The client for an LLM section of the settings (`core.settings.LLMSettings`)."""
    return ChatLLM(
        llm.base_url, llm.model, llm.api_key.get_secret_value(),
        timeout_s=llm.timeout_s, max_retries=llm.max_retries,
        max_tokens=llm.max_tokens, temperature=llm.temperature,
    )
