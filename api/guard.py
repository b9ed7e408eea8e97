"""Who may call: API keys checked in constant time, and failed logins counted per client address.

`Credentials` says whether a request's `Authorization` header holds one of `RAWI_API_KEYS` (or, with a
login set, the login itself as `user:password`, bearer or HTTP Basic). `FailedLogins` counts wrong
passwords and keys per client address and refuses an address that made `RAWI_LOGIN_MAX_FAILURES` of
them within `RAWI_LOGIN_WINDOW_S`, until the oldest leaves the window. `LoginLimit` applies it to the
chat page's own login form (Gradio's `POST /login`), which cannot see the address itself.

Hand-written rather than a rate-limit library: the limiters at hand count requests, whereas this
counts failures only (a user who types the right password is never slowed), in memory, in ~40 lines.
It does not look at `X-Forwarded-For`: behind a proxy, limit at the proxy.
"""

from __future__ import annotations

import base64
import hmac
import json
import math
import threading
import time
from collections import OrderedDict, deque
from typing import Any, Callable

from core.settings import ServeSettings

LOGIN_PATHS = ("/login", "/login/")
MAX_ADDRESSES = 10_000  # addresses remembered at once; the oldest are forgotten beyond this


class FailedLogins:
    """Failed logins per client address in a sliding window; thread-safe, bounded in memory."""

    def __init__(self, max_failures: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures, self.window_s, self.clock = max_failures, window_s, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it is not refused."""
        with self._lock:
            times = self._recent(address)
            if len(times) < self.max_failures:
                return None
            return max(1, math.ceil(times[0] + self.window_s - self.clock()))

    def fail(self, address: str) -> None:
        with self._lock:
            times = self._recent(address)
            times.append(self.clock())
            self._failures[address] = times
            self._failures.move_to_end(address)
            while len(self._failures) > MAX_ADDRESSES:
                self._failures.popitem(last=False)

    def _recent(self, address: str) -> deque[float]:
        times = self._failures.get(address, deque())
        cutoff = self.clock() - self.window_s
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            self._failures.pop(address, None)
        return times


class Credentials:
    """The keys a request may carry: `RAWI_API_KEYS`, and the login `user:password` when one is set."""

    def __init__(self, serve: ServeSettings, login: tuple[str, str] | None) -> None:
        keys = [k.strip() for k in serve.api_keys.get_secret_value().split(",") if k.strip()]
        self._keys = [k.encode("utf-8") for k in keys]
        self._login = login
        if login is not None:
            self._keys.append(f"{login[0]}:{login[1]}".encode("utf-8"))

    @property
    def required(self) -> bool:
        """Keys or a login are configured: anonymous requests are refused."""
        return bool(self._keys)

    def presented(self, authorization: str | None) -> str | None:
        """The secret an `Authorization` header carries (bearer token, or Basic `user:password`), or None."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and value:
            return value
        if scheme.lower() == "basic" and value:
            try:
                return base64.b64decode(value, validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return "\0invalid"  # presented, and wrong
        return None

    def valid(self, secret: str) -> bool:
        given = secret.encode("utf-8")
        found = False
        for key in self._keys:  # every key compared, in constant time each
            found |= hmac.compare_digest(given, key)
        return found


def too_many_message(retry_after: int) -> str:
    return (f"Too many failed logins from this address; try again in {retry_after} s. / "
            f"محاولات دخول فاشلة كثيرة من هذا العنوان؛ حاول بعد {retry_after} ثانية.")


class LoginLimit:
    """ASGI middleware: the chat page's login form refused (429, Retry-After) for an address with too many
    failures; each refused password (Gradio answers 400) counts as one."""

    def __init__(self, app: Any, failed: FailedLogins) -> None:
        self.app, self.failed = app, failed

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") not in LOGIN_PATHS:
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("?", 0))[0]
        wait = self.failed.retry_after(address)
        if wait is not None:
            body = json.dumps({"detail": too_many_message(wait)}, ensure_ascii=False).encode("utf-8")
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                    (b"retry-after", str(wait).encode()), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return

        async def watch(message: dict) -> None:
            if message["type"] == "http.response.start" and message["status"] in (400, 401):
                self.failed.fail(address)
            await send(message)

        await self.app(scope, receive, watch)
