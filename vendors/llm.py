"""rawi's chat LLM behind the OpenAI API shape (OpenAI, Ollama, vLLM, llama.cpp's server, LM Studio),
as a llama-index `LLM`: the one interface rawi's engine talks to (`chat`, `stream_chat`).

`RAWI_LLM_*` settings build this one; any other llama-index LLM can be handed to rawi instead.
It calls the `openai` client directly rather than wrapping llama-index's OpenAILike: that one
retries on top of the client's own retries (max_retries=2 gave 6 HTTP attempts), and its streaming
errors surface as raw httpx exceptions. Here `max_retries=N` means at most N+1 requests per call,
every timeout is explicit, and every failure becomes an `LLMError` whose message never contains
the API key (the key is private state: no field, no repr, no serialisation). Importing this
module imports llama-index; only LLM mode does.
"""

from __future__ import annotations

from typing import Any, Sequence

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from pydantic import Field, PrivateAttr

from core.errors import LLMError
from vendors.api_errors import api_error, display_url


CONNECT_TIMEOUT_S = 10.0  # a server that has not accepted the connection by then is down


class OpenAICompatibleLLM(CustomLLM):
    """Chat completions, whole or streamed, with bounded retries and clean errors."""

    model: str = Field(description="Model name sent to the server.")
    base_url: str = Field("", description="OpenAI-compatible base URL; empty: the OpenAI API.")
    max_tokens: int = Field(512, description="Most tokens per reply.")
    temperature: float = Field(0.0, description="Sampling temperature.")
    timeout_s: float = Field(120.0, description="Seconds a reply may stay silent before its request is given up.")
    max_retries: int = Field(1, description="Retries of a failed request: at most max_retries + 1 requests per call.")
    system_in_user: bool = Field(False, description="Merge system messages into the first user message.")
    _client: Any = PrivateAttr(default=None)

    def __init__(self, base_url: str, model: str, api_key: str, *, timeout_s: float, max_retries: int,
                 max_tokens: int, temperature: float, system_in_user: bool = False) -> None:
        import openai

        super().__init__(model=model, base_url=base_url, max_tokens=max_tokens, temperature=temperature,
                         timeout_s=timeout_s, max_retries=max_retries, system_in_user=system_in_user)
        import httpx

        # Reading may take long on a CPU (the whole prompt is read before the first token); connecting may not.
        timeout = httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))
        self._client = openai.OpenAI(
            base_url=base_url or None, api_key=api_key or "not-needed", timeout=timeout, max_retries=max_retries
        )

    @classmethod
    def class_name(cls) -> str:
        return "RawiOpenAICompatibleLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self.model, num_output=self.max_tokens, is_chat_model=True)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """The whole reply; the server's usage (when it reports one) is in `additional_kwargs`."""
        try:
            reply = self._client.chat.completions.create(
                model=self.model, messages=_wire(messages, self.system_in_user), max_tokens=self.max_tokens,
                temperature=self.temperature,
            )
            text = reply.choices[0].message.content or ""
        except Exception as err:  # openai, httpx and JSON errors alike
            raise self._error(err) from None
        usage = {}
        if getattr(reply, "usage", None) is not None:
            usage = {"prompt_tokens": reply.usage.prompt_tokens, "completion_tokens": reply.usage.completion_tokens}
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), additional_kwargs=usage)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Responses as the text arrives (`delta` the new piece); `LLMError` if the stream fails or is cut off."""
        try:
            stream = self._client.chat.completions.create(
                model=self.model, messages=_wire(messages, self.system_in_user), max_tokens=self.max_tokens,
                temperature=self.temperature, stream=True,
            )
        except Exception as err:
            raise self._error(err) from None
        return self._responses(stream)

    def _responses(self, stream: Any) -> ChatResponseGen:
        text = ""
        try:
            finished = received = False
            for chunk in stream:
                received = True
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                if choice.delta is not None and choice.delta.content:
                    text += choice.delta.content
                    yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                                       delta=choice.delta.content)
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

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        reply = self.chat([ChatMessage(role=MessageRole.USER, content=prompt)])
        return CompletionResponse(text=reply.message.content or "", additional_kwargs=reply.additional_kwargs)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        for reply in self.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)]):
            yield CompletionResponse(text=reply.message.content or "", delta=reply.delta)

    def _error(self, err: Exception) -> LLMError:
        return api_error(err, "The language model", self.base_url or "the OpenAI API")


def _wire(messages: Sequence[ChatMessage], system_in_user: bool = False) -> list[dict[str, str]]:
    """llama-index chat messages as the OpenAI API's JSON (text only). With `system_in_user`, the
    system messages open the first user message instead, as Gemma's own chat template does (a
    server's formatter for such a model may otherwise drop them, or fall back to another template)."""
    wire = [{"role": str(getattr(m.role, "value", m.role)), "content": m.content or ""} for m in messages]
    if not system_in_user:
        return wire
    system = "\n\n".join(m["content"] for m in wire if m["role"] == "system")
    rest = [m for m in wire if m["role"] != "system"]
    first_user = next((m for m in rest if m["role"] == "user"), None)
    if system and first_user is not None:
        first_user["content"] = f"{system}\n\n{first_user['content']}"
    elif system:
        rest.insert(0, {"role": "user", "content": system})
    return rest


def build_chat_llm(llm: Any) -> OpenAICompatibleLLM:
    """The LLM for an LLM section of the settings (`core.settings.LLMSettings`)."""
    return OpenAICompatibleLLM(
        llm.base_url, llm.model, llm.api_key.get_secret_value(),
        timeout_s=llm.timeout_s, max_retries=llm.max_retries,
        max_tokens=llm.max_tokens, temperature=llm.temperature, system_in_user=llm.system_in_user,
    )
