"""The API's HTTP routes over an `Assistant`: `POST /v1/chat/completions` (streamed as server-sent events or
not), `GET /v1/models`, and `POST /api/ask` (the JSON of `rawi ask --json`).

`build_api(assistant, serve, login)` returns the routes and the login-limit middleware; `ui.app.launch`
hands them to the same server as the chat, so both live on one port behind one login. Every refusal
is an OpenAI-style error body with a message a person understands, and the server keeps serving.
Imported only by `launch`, so FastAPI is loaded only to serve. Answers are computed on a small pool
of threads of their own (`ANSWER_THREADS`), so twenty clients at once queue for the CPU instead of
each holding a thread and its memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Iterator

from fastapi import APIRouter, Request
from fastapi.middleware import Middleware
from fastapi.responses import JSONResponse, StreamingResponse

from api.guard import Credentials, FailedLogins, LoginLimit, too_many_message
from api.shapes import (
    ApiError,
    ChatRequest,
    chunk,
    completion,
    error_body,
    final_chunk,
    model,
    models,
    new_completion_id,
    parse_ask_request,
    parse_chat_request,
)
from core.errors import BadQuestionError, RawiError, StoreError
from core.results import Answer
from core.settings import ServeSettings

log = logging.getLogger("rawi.api")

ANSWER_THREADS = 4  # as many answers at once as the chat's queue runs
GENERIC_ERROR = "Something went wrong while answering; please try again."
_END = object()


@dataclass
class Api:
    """What `launch` adds to the chat's server: the routes, and the middleware limiting the page's login."""

    routes: list[Any]
    middleware: list[Any]
    failed_logins: FailedLogins


def _error_response(err: ApiError) -> Any:
    return JSONResponse(err.body(), status_code=err.status, headers=err.headers)


def _engine_error(err: Exception) -> ApiError:
    """An error from answering as the API reports it."""
    if isinstance(err, BadQuestionError):
        return ApiError(400, str(err), param="messages")
    if isinstance(err, StoreError):  # no articles yet, the Chroma server unreachable: not the caller's doing
        return ApiError(503, str(err), kind="server_error", code="unavailable")
    if isinstance(err, RawiError):
        return ApiError(400, str(err))
    log.error("answering failed", exc_info=err)
    return ApiError(500, GENERIC_ERROR, kind="server_error")


def _sse(payload: Any) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def build_api(assistant: Any, serve: ServeSettings, login: tuple[str, str] | None) -> Api:
    """The API over `assistant`; `login` is the chat's (user, password), which also opens the API."""
    credentials = Credentials(serve, login)
    failed = FailedLogins(serve.login_max_failures, serve.login_window_s)
    pool = ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="rawi-api")
    max_body = serve.api_max_body_kb * 1024

    async def run(fn: Callable, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    def authorize(request: Request) -> None:
        if not credentials.required:
            return
        address = request.client.host if request.client else "?"
        wait = failed.retry_after(address)
        if wait is not None:
            raise ApiError(429, too_many_message(wait), kind="rate_limit_error", code="too_many_failed_logins",
                           headers={"Retry-After": str(wait)})
        secret = credentials.presented(request.headers.get("authorization"))
        if secret is None:
            raise ApiError(401, "This API needs a key: send the header 'Authorization: Bearer <key>' with one of "
                           "RAWI_API_KEYS (or the login, as user:password).", kind="authentication_error",
                           code="invalid_api_key")
        if not credentials.valid(secret):
            failed.fail(address)
            raise ApiError(401, "The API key is not valid.", kind="authentication_error", code="invalid_api_key")

    async def read_json(request: Request) -> Any:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_body:
            raise _too_large()
        body = bytearray()
        async for piece in request.stream():
            body += piece
            if len(body) > max_body:
                raise _too_large()
        if not body.strip():
            raise ApiError(400, "The request body is empty; send a JSON object.")
        try:
            return json.loads(bytes(body).decode("utf-8"))
        except UnicodeDecodeError:
            raise ApiError(400, "The request body is not UTF-8 text.") from None
        except json.JSONDecodeError as err:
            raise ApiError(400, f"The request body is not valid JSON ({err.msg} at line {err.lineno}, "
                           f"column {err.colno}).") from None

    def _too_large() -> ApiError:
        return ApiError(413, f"The request body is larger than {serve.api_max_body_kb} kB (RAWI_API_MAX_BODY_KB).",
                        code="request_too_large")

    async def answer_of(chat: ChatRequest) -> Answer:
        try:
            assistant.check_question(chat.question)
            return await run(lambda: assistant.ask(chat.question, chat.history))
        except Exception as err:  # noqa: BLE001 - every failure becomes an error body
            raise _engine_error(err) from None

    async def stream(events: Iterator[Any], first: Any) -> AsyncIterator[str]:
        completion_id, created = new_completion_id(), int(time.time())
        event = first
        try:
            yield _sse(chunk(completion_id, created, {"role": "assistant", "content": ""}))
            while event is not _END:
                if isinstance(event, Answer):
                    yield _sse(final_chunk(completion_id, created, event))
                    break
                yield _sse(chunk(completion_id, created, {"content": event}))
                event = await run(next, events, _END)
        except Exception as err:  # noqa: BLE001 - a stream cut by an error says so, in OpenAI's way
            api_err = _engine_error(err)
            yield _sse(error_body(str(api_err), kind=api_err.kind, code=api_err.code))
        finally:
            try:
                events.close()
            except ValueError:  # still running in its thread (the client left): it ends by itself
                pass
        yield "data: [DONE]\n\n"

    router = APIRouter()

    @router.post("/v1/chat/completions", include_in_schema=False)
    async def chat_completions(request: Request) -> Any:
        try:
            authorize(request)
            chat = parse_chat_request(await read_json(request))
            if not chat.stream:
                return JSONResponse(completion(await answer_of(chat)))
            try:
                assistant.check_question(chat.question)
                events = assistant.stream(chat.question, history=chat.history)
                first = await run(next, events, _END)  # a failure before the first word is a plain HTTP error
            except Exception as err:  # noqa: BLE001
                raise _engine_error(err) from None
            return StreamingResponse(stream(events, first), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        except ApiError as err:
            return _error_response(err)

    @router.get("/v1/models", include_in_schema=False)
    async def list_models(request: Request) -> Any:
        try:
            authorize(request)
            return JSONResponse(models())
        except ApiError as err:
            return _error_response(err)

    @router.get("/v1/models/{model_id}", include_in_schema=False)
    async def get_model(model_id: str, request: Request) -> Any:
        try:
            authorize(request)
            if model_id != model()["id"]:
                raise ApiError(404, f"The model '{model_id[:100]}' does not exist; this server has one model, "
                               f"'{model()['id']}'.", code="model_not_found")
            return JSONResponse(model())
        except ApiError as err:
            return _error_response(err)

    @router.post("/api/ask", include_in_schema=False)
    async def ask(request: Request) -> Any:
        try:
            authorize(request)
            answer = await answer_of(parse_ask_request(await read_json(request)))
            return JSONResponse(answer.to_dict())  # the object `rawi ask --json` prints
        except ApiError as err:
            return _error_response(err)

    return Api(list(router.routes), [Middleware(LoginLimit, failed=failed)], failed)
