"""Forget the session state of one-shot calls to the page's API once their result has been read.

Gradio keeps a session's state (a copy of every component's configuration, tens of kB for rawi's page)
for each session it meets, up to `RAWI_MAX_SESSIONS`. A program that calls `POST /gradio_api/call/ask`
without a session makes a new session per call, and Gradio names it after the call's event id. Nothing
will ever read that state again, yet it would stay until a thousand newer sessions pushed it out: under
load the server's memory crept up by that much (bench/load.py). `ForgetOneShotSessions` drops it when the
caller has read the result (`GET /gradio_api/call/<api>/<event id>`).

It touches only sessions named after the event id being read, which a browser tab or `gradio_client`
never has (they bring their own session hash), so chat sessions keep their state as before.
"""

from __future__ import annotations

import re
from typing import Any, Callable

# GET /gradio_api/call/<api>/<event id> and its v2 form: the result of one call, read once.
RESULT_PATH = re.compile(r"^/gradio_api/call/(?:v2/)?[^/]+/([0-9a-f]{32})/?$")


class ForgetOneShotSessions:
    """ASGI middleware: after a call's result is read, the session Gradio named after its event id is dropped."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        match = RESULT_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        try:
            await self.app(scope, receive, send)
        finally:
            if match and scope.get("method") == "GET":
                forget_session(scope.get("app"), match.group(1))


def forget_session(server: Any, session_hash: str) -> None:
    """Drop `session_hash`'s state from Gradio's session store (`server.state_holder`), if it holds any."""
    holder = getattr(server, "state_holder", None)
    if holder is None:
        return
    with holder.lock:
        holder.session_data.pop(session_hash, None)
        holder.time_last_used.pop(session_hash, None)
