"""The API's shapes: a chat-completions (or `/api/ask`) request read into a question and its history, and
an `Answer` written as an OpenAI completion, as stream chunks, or an OpenAI-style error body.

Pure functions over plain data; no HTTP here (that is `api.routes`). A request is checked field by field
and refused with an `ApiError` whose message names the field, so a person can fix the call.
Citations travel in an extra `citations` field (every field of `core.results.Citation`), and the whole
`rawi ask --json` object in `rawi`, both on the completion and on the final stream chunk.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass
from typing import Any

from core.results import Answer, Citation

MODEL_ID = "rawi"
ROLES = ("system", "developer", "user", "assistant", "tool")


class ApiError(Exception):
    """A request refused with an HTTP status and an OpenAI-style error body (`str(err)` is the message)."""

    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.param, self.code = status, kind, param, code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(str(self), kind=self.kind, param=self.param, code=self.code)


def error_body(message: str, *, kind: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict[str, Any]:
    """`{"error": {"message", "type", "param", "code"}}`, as OpenAI's API and its clients expect."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


@dataclass(frozen=True)
class ChatRequest:
    """What rawi takes from a chat-completions request: the last user message, the turns before it, streaming."""

    question: Any  # the last user message's text (checked by the assistant like any question)
    history: list[dict[str, str]]
    stream: bool


def _text(content: Any, where: str) -> str:
    """A message's content as text: a string, or a list of text parts (`{"type": "text", "text": ...}`)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for i, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise ApiError(400, f"{where}[{i}] must be a text part ({{\"type\": \"text\", \"text\": \"...\"}}); "
                               "rawi reads text only.", param=f"{where}[{i}]")
            pieces.append(part["text"])
        return "".join(pieces)
    raise ApiError(400, f"{where} must be a string or a list of text parts, not {type(content).__name__}.",
                   param=where)


def parse_chat_request(body: Any) -> ChatRequest:
    """The question, history and streaming flag of a chat-completions request, or an `ApiError` naming what is wrong.

    The last message must be the user's question; earlier user and assistant messages are the
    conversation, which resolves follow-ups as the chat does. System (and developer, tool) messages are
    read and left out: rawi's own rules decide how it answers.
    """
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    model = body.get("model")
    if model is None:
        raise ApiError(400, f"You must provide a model parameter (this server has one model, '{MODEL_ID}').",
                       param="model")
    if not isinstance(model, str):
        raise ApiError(400, f"model must be a string, not {type(model).__name__}.", param="model")
    if model != MODEL_ID:
        raise ApiError(404, f"The model '{model[:100]}' does not exist; this server has one model, '{MODEL_ID}'.",
                       param="model", code="model_not_found")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(400, f"stream must be true or false, not {type(stream).__name__}.", param="stream")
    n = body.get("n", 1)
    if n is not None and n != 1:
        raise ApiError(400, "rawi writes one answer per request: n must be 1.", param="n")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty array of {\"role\", \"content\"} objects.",
                       param="messages")
    turns: list[dict[str, str]] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise ApiError(400, f"{where} must be an object with a role and content.", param=where)
        role = message.get("role")
        if role not in ROLES:
            raise ApiError(400, f"{where}.role must be one of {', '.join(ROLES)}.", param=f"{where}.role")
        turns.append({"role": role, "content": _text(message.get("content"), f"{where}.content")})
    if turns[-1]["role"] != "user":
        raise ApiError(400, "The last message must be the user's question (role \"user\").",
                       param=f"messages[{len(turns) - 1}].role")
    history = [t for t in turns[:-1] if t["role"] in ("user", "assistant")]
    return ChatRequest(turns[-1]["content"], history, stream)


def citation_dict(citation: Citation) -> dict[str, Any]:
    """Every field of the citation (read from the type itself, so a field added to it travels too)."""
    return {**{f.name: getattr(citation, f.name) for f in dataclasses.fields(citation)}, **citation.to_dict()}


def _usage(answer: Answer) -> dict[str, int] | None:
    usage = answer.usage or {}
    if "prompt_tokens" not in usage or "completion_tokens" not in usage:
        return None  # the offline extractive answerer uses no tokens
    return {"prompt_tokens": int(usage["prompt_tokens"]), "completion_tokens": int(usage["completion_tokens"]),
            "total_tokens": int(usage.get("total_tokens", usage["prompt_tokens"] + usage["completion_tokens"]))}


def new_completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def rawi_fields(answer: Answer) -> dict[str, Any]:
    """The extra fields a completion and the final chunk carry: `citations`, and `rawi` (`rawi ask --json`)."""
    return {"citations": [citation_dict(c) for c in answer.citations], "rawi": answer.to_dict()}


def completion(answer: Answer, completion_id: str | None = None) -> dict[str, Any]:
    """A `chat.completion` object: the answer with its [n] markers as the message, citations beside it."""
    return {
        "id": completion_id or new_completion_id(), "object": "chat.completion", "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer},
                     "finish_reason": "stop", "logprobs": None}],
        "usage": _usage(answer),
        **rawi_fields(answer),
    }


def chunk(completion_id: str, created: int, delta: dict[str, Any], finish_reason: str | None = None,
          **extra: Any) -> dict[str, Any]:
    """One `chat.completion.chunk` of a stream."""
    return {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}], **extra}


def final_chunk(completion_id: str, created: int, answer: Answer) -> dict[str, Any]:
    """The stream's last chunk: `finish_reason` "stop", with the citations and the checked answer."""
    return chunk(completion_id, created, {}, "stop", usage=_usage(answer), **rawi_fields(answer))


def models() -> dict[str, Any]:
    """`GET /v1/models`: rawi is the one model."""
    return {"object": "list", "data": [model()]}


def model() -> dict[str, Any]:
    return {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "rawi"}


def parse_ask_request(body: Any) -> ChatRequest:
    """`POST /api/ask`'s body, `{"question": "...", "history": [{"role", "content"}, ...]}` (history optional)."""
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object with a question.")
    if "question" not in body:
        raise ApiError(400, "The request body needs a question: {\"question\": \"...\"}.", param="question")
    question = body["question"]
    if not isinstance(question, str):
        raise ApiError(400, f"question must be a string, not {type(question).__name__}.", param="question")
    history = body.get("history") or []
    if not isinstance(history, list):
        raise ApiError(400, "history must be an array of {\"role\", \"content\"} objects.", param="history")
    turns = []
    for i, turn in enumerate(history):
        where = f"history[{i}]"
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            raise ApiError(400, f"{where} must be an object whose role is user or assistant.", param=where)
        turns.append({"role": turn["role"], "content": _text(turn.get("content"), f"{where}.content")})
    return ChatRequest(question, turns, False)
