"""A scripted, local-only HTTP server that speaks the OpenAI API shape.

Tests use it to drive rawi's LLM path through a *real* HTTP round trip
(the ``openai`` client, httpx, llama-index's ``OpenAILike``) while keeping
every byte on 127.0.0.1 and every reply under the test's control.

Standard library only: no dependencies beyond CPython.

Example::

    from tests.support.openai_server import ScriptedOpenAIServer, Reply

    with ScriptedOpenAIServer() as server:
        server.script(Reply.status(429), Reply.text("answer [1]"))
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=1)
        ...
        assert server.request_count == 2

Endpoints (with or without the ``/v1`` prefix):

* ``POST /v1/chat/completions``: consumes one scripted :class:`Reply`
  (or :attr:`ScriptedOpenAIServer.default` when the queue is empty); honours
  ``"stream": true`` (Server-Sent Events) and
  ``"stream_options": {"include_usage": true}``.
* ``POST /v1/completions`` (legacy text completions, which llama-index's
  ``OpenAILike`` uses when ``is_chat_model=False``): same queue, same
  ``requests`` log, text-completion shaped replies.
* ``POST /v1/embeddings``: deterministic, L2-normalised vectors derived from a
  SHA-256 of each input; honours ``encoding_format`` (``"float"`` or
  ``"base64"``; the ``openai`` client asks for base64 unless told otherwise)
  and ``dimensions``.  Never scripted.
* ``GET /v1/models`` and ``GET /v1/models/<id>``: one model, ``test-model``.

Anything else gets an OpenAI-shaped 404.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import http.server
import json
import math
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Deque, Dict, Iterable, List, Optional, Tuple, Union

__all__ = ["Reply", "ScriptedOpenAIServer", "MODEL_ID", "deterministic_embedding"]

MODEL_ID = "test-model"
HOST = "127.0.0.1"
DEFAULT_CHUNK_SIZE = 4

# Errors that mean "the client went away"; the server swallows them.
_DISCONNECT_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "model_not_found"),
    408: ("timeout_error", None),
    409: ("conflict_error", None),
    422: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", "service_unavailable"),
    504: ("server_error", None),
}


# --------------------------------------------------------------------------
# Replies
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One scripted answer to one chat (or legacy completion) request.

    Build replies with the constructors, not the dataclass directly:
    :meth:`text`, :meth:`status`, :meth:`malformed`, :meth:`cut_stream`,
    :meth:`refuse`.
    """

    kind: str  # "text" | "status" | "malformed" | "cut" | "refuse"
    content: str = ""
    delay: float = 0.0
    status_code: int = 200
    message: str = ""
    error_type: Optional[str] = None
    error_code: Optional[str] = None
    after_chars: int = 0
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    finish_reason: str = "stop"
    chunk_size: int = DEFAULT_CHUNK_SIZE
    chunk_delay: float = 0.0
    headers: Tuple[Tuple[str, str], ...] = field(default_factory=tuple)

    @classmethod
    def text(
        cls,
        content: str,
        *,
        delay: float = 0.0,
        prompt_tokens: Optional[int] = None,
        completion_tokens: Optional[int] = None,
        finish_reason: str = "stop",
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        chunk_delay: float = 0.0,
    ) -> "Reply":
        """A normal completion whose assistant message is ``content``.

        Streamed requests get ``content`` split into deltas of ``chunk_size``
        characters (``chunk_delay`` seconds apart).  ``delay`` sleeps before
        anything is sent (use it to trigger client timeouts).  Token counts
        default to whitespace word counts.
        """
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        return cls(
            kind="text",
            content=content,
            delay=delay,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=finish_reason,
            chunk_size=chunk_size,
            chunk_delay=chunk_delay,
        )

    @classmethod
    def status(
        cls,
        code: int,
        message: Optional[str] = None,
        *,
        error_type: Optional[str] = None,
        error_code: Optional[str] = None,
        delay: float = 0.0,
        headers: Optional[Dict[str, str]] = None,
    ) -> "Reply":
        """An HTTP error with an OpenAI-shaped body
        ``{"error": {"message", "type", "param", "code"}}``.

        Every error reply carries ``retry-after: 0`` *and* ``retry-after-ms: 1``:
        the ``openai`` client ignores a retry-after of exactly 0 (it only
        honours values > 0) and would otherwise back off ~0.4-0.5 s, while
        ``retry-after-ms: 1`` makes it retry after 1 ms.  Pass ``headers`` to
        add or override headers (e.g. ``{"x-should-retry": "false"}``).
        """
        if not 400 <= code <= 599:
            raise ValueError("Reply.status expects a 4xx or 5xx code, got %r" % (code,))
        default_type, default_code = _ERROR_TYPES.get(
            code, ("server_error" if code >= 500 else "invalid_request_error", None)
        )
        merged = {"retry-after": "0", "retry-after-ms": "1"}
        merged.update({k.lower(): v for k, v in (headers or {}).items()})
        return cls(
            kind="status",
            status_code=code,
            message=message if message is not None else "Scripted error %d" % code,
            error_type=error_type if error_type is not None else default_type,
            error_code=error_code if error_code is not None else default_code,
            delay=delay,
            headers=tuple(merged.items()),
        )

    @classmethod
    def malformed(cls, *, delay: float = 0.0) -> "Reply":
        """HTTP 200, ``Content-Type: application/json``, body that is not JSON."""
        return cls(kind="malformed", delay=delay)

    @classmethod
    def cut_stream(
        cls,
        content: str,
        after_chars: int,
        *,
        delay: float = 0.0,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> "Reply":
        """A reply that dies half way.

        Streamed: deltas for the first ``after_chars`` characters of
        ``content``, then the connection is reset (no finish_reason, no
        ``[DONE]``).  Not streamed: a ``Content-Length`` for the full JSON body
        but only part of it is sent before the connection is reset.
        """
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        return cls(
            kind="cut",
            content=content,
            after_chars=max(0, min(after_chars, len(content))),
            delay=delay,
            chunk_size=chunk_size,
        )

    @classmethod
    def refuse(cls, *, delay: float = 0.0) -> "Reply":
        """Close the connection without sending any response bytes."""
        return cls(kind="refuse", delay=delay)


ReplyLike = Union[Reply, str]


def _as_reply(reply: ReplyLike) -> Reply:
    if isinstance(reply, Reply):
        return reply
    if isinstance(reply, str):
        return Reply.text(reply)
    raise TypeError("expected Reply or str, got %r" % (type(reply).__name__,))


# --------------------------------------------------------------------------
# Embeddings
# --------------------------------------------------------------------------


def deterministic_embedding(item: Any, dim: int) -> List[float]:
    """The vector the server returns for one embeddings input ``item``.

    Derived from SHA-256 (stable across processes, unlike ``hash()``), values
    in [-1, 1], L2-normalised.  Strings are hashed as UTF-8; token arrays
    (lists of ints) as their JSON text.
    """
    if dim < 1:
        raise ValueError("dim must be >= 1")
    if isinstance(item, str):
        seed = item.encode("utf-8")
    else:
        seed = json.dumps(item, separators=(",", ":")).encode("utf-8")
    values: List[float] = []
    counter = 0
    while len(values) < dim:
        digest = hashlib.sha256(seed + b"\x00" + counter.to_bytes(4, "big")).digest()
        for (word,) in struct.iter_unpack(">I", digest):
            values.append(word / 0xFFFFFFFF * 2.0 - 1.0)
        counter += 1
    values = values[:dim]
    norm = math.sqrt(sum(v * v for v in values))
    if norm == 0.0:  # astronomically unlikely; keep the contract anyway
        values = [1.0] + [0.0] * (dim - 1)
        norm = 1.0
    return [v / norm for v in values]


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------


def _word_count(text: str) -> int:
    return len(text.split())


def _prompt_text(body: Dict[str, Any]) -> str:
    parts: List[str] = []
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                for part in content:
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        parts.append(part["text"])
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        parts.append(prompt)
    elif isinstance(prompt, list):
        parts.extend(p for p in prompt if isinstance(p, str))
    return "\n".join(parts)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes; avoid 40 ms Nagle/delayed-ACK stalls
    server_version = "ScriptedOpenAI/1.0"
    sys_version = ""
    server: "_HTTPServer"

    # ----------------------------------------------------------- plumbing
    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except _DISCONNECT_ERRORS + (OSError,):
            pass
        finally:
            self.server.owner._untrack(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except _DISCONNECT_ERRORS:
            self.close_connection = True
        except OSError:
            # The socket was shut down under us (stop(), cut, refuse).
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output clean

    @property
    def _owner(self) -> "ScriptedOpenAIServer":
        return self.server.owner

    def _route(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path.startswith("/v1/"):
            path = path[3:]
        elif path == "/v1":
            path = ""
        return path

    def _read_body(self) -> Tuple[bytes, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            parsed = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, ValueError):
            parsed = None
        return raw, parsed

    def _send_json(
        self,
        status: int,
        payload: Any,
        headers: Iterable[Tuple[str, str]] = (),
    ) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", "req_%d" % self._owner._next_id())
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_error_body(
        self,
        status: int,
        message: str,
        error_type: Optional[str] = "invalid_request_error",
        code: Optional[str] = None,
        headers: Iterable[Tuple[str, str]] = (),
    ) -> None:
        self._send_json(
            status,
            {"error": {"message": message, "type": error_type, "param": None, "code": code}},
            headers,
        )

    def _abort(self, reset: bool) -> None:
        """Drop the connection now; RST if ``reset`` else FIN."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            if reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    # ----------------------------------------------------------- GET
    def do_GET(self) -> None:
        route = self._route()
        if route == "/models":
            self._send_json(200, {"object": "list", "data": [self._owner._model_object()]})
        elif route.startswith("/models/"):
            model_id = route[len("/models/") :]
            if model_id == MODEL_ID:
                self._send_json(200, self._owner._model_object())
            else:
                self._send_error_body(
                    404, "The model '%s' does not exist" % model_id, code="model_not_found"
                )
        else:
            self._send_error_body(404, "Unknown path %s" % self.path, code="unknown_url")

    # ----------------------------------------------------------- POST
    def do_POST(self) -> None:
        route = self._route()
        raw, body = self._read_body()
        if route in ("/chat/completions", "/completions"):
            if not isinstance(body, dict):
                self._send_error_body(400, "Request body is not a JSON object")
                return
            reply = self._owner._record_and_pop(route, body, dict(self.headers.items()))
            self._answer_completion(route == "/chat/completions", body, reply)
        elif route == "/embeddings":
            if not isinstance(body, dict):
                self._send_error_body(400, "Request body is not a JSON object")
                return
            self._owner._record_embedding(body)
            self._answer_embeddings(body)
        else:
            self._send_error_body(404, "Unknown path %s" % self.path, code="unknown_url")

    # ----------------------------------------------------------- completions
    def _answer_completion(self, chat: bool, body: Dict[str, Any], reply: Reply) -> None:
        owner = self._owner
        if reply.delay > 0:
            if owner._stopping.wait(reply.delay):
                self._abort(reset=False)
                return

        if reply.kind == "refuse":
            self._abort(reset=False)
            return
        if reply.kind == "status":
            self._send_error_body(
                reply.status_code,
                reply.message,
                reply.error_type,
                reply.error_code,
                headers=reply.headers,
            )
            return
        if reply.kind == "malformed":
            data = b'{"id": "chatcmpl-malformed", "choices": [ this is not json'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            return

        model = body.get("model") if isinstance(body.get("model"), str) else MODEL_ID
        completion_id = ("chatcmpl-%d" if chat else "cmpl-%d") % owner._next_id()
        created = int(time.time())
        prompt_tokens = (
            reply.prompt_tokens
            if reply.prompt_tokens is not None
            else _word_count(_prompt_text(body))
        )
        completion_tokens = (
            reply.completion_tokens
            if reply.completion_tokens is not None
            else _word_count(reply.content)
        )
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        streamed = body.get("stream") is True

        if streamed:
            self._stream_completion(chat, body, reply, model, completion_id, created, usage)
            return

        if chat:
            payload: Dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.content, "refusal": None},
                        "logprobs": None,
                        "finish_reason": reply.finish_reason,
                    }
                ],
                "usage": usage,
            }
        else:
            payload = {
                "id": completion_id,
                "object": "text_completion",
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": [
                    {
                        "index": 0,
                        "text": reply.content,
                        "logprobs": None,
                        "finish_reason": reply.finish_reason,
                    }
                ],
                "usage": usage,
            }

        if reply.kind == "cut":
            data = json.dumps(payload).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: max(1, len(data) // 2)])
            self.wfile.flush()
            self._abort(reset=True)
            return

        self._send_json(200, payload)

    def _stream_completion(
        self,
        chat: bool,
        body: Dict[str, Any],
        reply: Reply,
        model: str,
        completion_id: str,
        created: int,
        usage: Dict[str, int],
    ) -> None:
        owner = self._owner
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.send_header("x-request-id", "req_%d" % owner._next_id())
        self.end_headers()
        self.wfile.flush()

        cut = reply.kind == "cut"
        text = reply.content[: reply.after_chars] if cut else reply.content
        pieces = [text[i : i + reply.chunk_size] for i in range(0, len(text), reply.chunk_size)]

        def chunk(choice_delta: Optional[Dict[str, Any]], finish: Optional[str]) -> Dict[str, Any]:
            if chat:
                choice: Dict[str, Any] = {
                    "index": 0,
                    "delta": choice_delta or {},
                    "logprobs": None,
                    "finish_reason": finish,
                }
                obj = "chat.completion.chunk"
            else:
                choice = {
                    "index": 0,
                    "text": (choice_delta or {}).get("content", ""),
                    "logprobs": None,
                    "finish_reason": finish,
                }
                obj = "text_completion"
            return {
                "id": completion_id,
                "object": obj,
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": [choice],
            }

        def send(payload: Any) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload)
            self.wfile.write(("data: %s\n\n" % data).encode("utf-8"))
            self.wfile.flush()

        def pause() -> bool:
            """Sleep chunk_delay; True when the server is stopping."""
            return reply.chunk_delay > 0 and owner._stopping.wait(reply.chunk_delay)

        if chat:
            send(chunk({"role": "assistant", "content": ""}, None))
        for piece in pieces:
            if pause():
                self._abort(reset=False)
                return
            send(chunk({"content": piece}, None))

        if cut:
            # Make sure the client has the partial deltas, then reset.
            time.sleep(0.02)
            self._abort(reset=True)
            return

        send(chunk({}, reply.finish_reason))
        stream_options = body.get("stream_options")
        if isinstance(stream_options, dict) and stream_options.get("include_usage"):
            final = chunk({}, None)
            final["choices"] = []
            final["usage"] = usage
            send(final)
        send("[DONE]")

    # ----------------------------------------------------------- embeddings
    def _answer_embeddings(self, body: Dict[str, Any]) -> None:
        owner = self._owner
        inputs = body.get("input")
        if isinstance(inputs, str):
            items: List[Any] = [inputs]
        elif isinstance(inputs, list) and inputs and all(isinstance(t, int) for t in inputs):
            items = [inputs]  # a single token array
        elif isinstance(inputs, list) and inputs:
            items = list(inputs)
        else:
            self._send_error_body(400, "'input' must be a non-empty string or array")
            return

        dim = body.get("dimensions")
        if not isinstance(dim, int) or dim < 1:
            dim = owner.embedding_dim
        base64_format = body.get("encoding_format") == "base64"

        data = []
        tokens = 0
        for index, item in enumerate(items):
            vector = deterministic_embedding(item, dim)
            tokens += _word_count(item) if isinstance(item, str) else len(item) if isinstance(item, list) else 1
            if base64_format:
                encoded: Any = base64.b64encode(struct.pack("<%df" % dim, *vector)).decode("ascii")
            else:
                encoded = vector
            data.append({"object": "embedding", "index": index, "embedding": encoded})

        model = body.get("model") if isinstance(body.get("model"), str) else MODEL_ID
        self._send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    owner: "ScriptedOpenAIServer"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Client disconnects and sockets closed by stop() are expected; stay quiet.
        pass


class ScriptedOpenAIServer:
    """An OpenAI-compatible HTTP server on 127.0.0.1 with scripted replies.

    Use as a context manager (or call :meth:`start` / :meth:`stop`).  The
    server thread and every connection thread are daemons, and :meth:`stop`
    closes open connections, so a forgotten server never hangs pytest.

    Attributes:
        default: the :class:`Reply` used when the script queue is empty
            (``Reply.text("OK")`` unless changed).
        requests: parsed JSON bodies of every chat/legacy-completion request,
            in arrival order (including ones answered with errors or refusals).
        request_paths: the route of each entry in ``requests``
            (``"/chat/completions"`` or ``"/completions"``).
        request_headers: the HTTP headers (dict) of each entry in ``requests``.
        embedding_requests: parsed JSON bodies of every embeddings request.
        embedding_dim: vector size returned by ``/v1/embeddings`` unless the
            request asks for ``dimensions``.
    """

    def __init__(self, *, embedding_dim: int = 8, default: Optional[ReplyLike] = None) -> None:
        if embedding_dim < 1:
            raise ValueError("embedding_dim must be >= 1")
        self.embedding_dim = embedding_dim
        self.default: Reply = _as_reply(default) if default is not None else Reply.text("OK")
        self.requests: List[Dict[str, Any]] = []
        self.request_paths: List[str] = []
        self.request_headers: List[Dict[str, str]] = []
        self.embedding_requests: List[Dict[str, Any]] = []
        self._queue: Deque[Reply] = collections.deque()
        self._lock = threading.Lock()
        self._ids = 0
        self._stopping = threading.Event()
        self._httpd: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._connections: set = set()

    # ----------------------------------------------------------- lifecycle
    def start(self) -> "ScriptedOpenAIServer":
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _HTTPServer((HOST, 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="ScriptedOpenAIServer:%d" % self.port,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections, release the port.  Idempotent."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> "ScriptedOpenAIServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # ----------------------------------------------------------- addresses
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("ScriptedOpenAIServer is not running; call start() or use 'with'")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``; pass to ``openai.OpenAI(base_url=...)``
        or ``OpenAILike(api_base=...)``."""
        return "http://%s:%d/v1" % (HOST, self.port)

    # ----------------------------------------------------------- scripting
    def script(self, *replies: ReplyLike) -> "ScriptedOpenAIServer":
        """Append replies to the queue; each chat request consumes one, in order.
        A bare string is shorthand for ``Reply.text(string)``."""
        converted = [_as_reply(r) for r in replies]
        with self._lock:
            self._queue.extend(converted)
        return self

    @property
    def pending(self) -> int:
        """How many scripted replies have not been consumed yet."""
        with self._lock:
            return len(self._queue)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    @property
    def last_request(self) -> Optional[Dict[str, Any]]:
        with self._lock:
            return self.requests[-1] if self.requests else None

    def reset(self) -> None:
        """Forget queued replies and recorded requests (``default`` is kept)."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.request_paths.clear()
            self.request_headers.clear()
            self.embedding_requests.clear()

    def embedding_for(self, text: Any, dim: Optional[int] = None) -> List[float]:
        """The vector this server returns for ``text`` (float64, before any
        base64/float32 round trip)."""
        return deterministic_embedding(text, dim or self.embedding_dim)

    # ----------------------------------------------------------- internals
    def _record_and_pop(self, route: str, body: Dict[str, Any], headers: Dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.request_paths.append(route)
            self.request_headers.append(headers)
            return self._queue.popleft() if self._queue else self.default

    def _record_embedding(self, body: Dict[str, Any]) -> None:
        with self._lock:
            self.embedding_requests.append(body)

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    @staticmethod
    def _model_object() -> Dict[str, Any]:
        return {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "rawi-tests"}
