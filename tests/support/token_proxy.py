"""A token-checking reverse proxy on 127.0.0.1, as deployments put in front of a Chroma server.

Chroma 1.x's server has no authentication of its own; its documentation puts a proxy (Envoy,
nginx) in front that wants `Authorization: Bearer <token>` or `X-Chroma-Token: <token>`. This
is that proxy, for tests: requests without the token get 401, the others go to the upstream
server unchanged. It records the headers it saw. It is no production proxy (no TLS, no streaming).
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "host",
        "content-length"}


class TokenProxy:
    """`TokenProxy(upstream_port, token, header)`; `.port` to connect to; `.close()` when done."""

    def __init__(self, upstream_port: int, token: str, header: str = "Authorization") -> None:
        self.upstream_port = upstream_port
        self.expected = f"Bearer {token}" if header == "Authorization" else token
        self.header = header
        self.seen: list[dict[str, str]] = []
        self.refused = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                proxy.seen.append(dict(self.headers))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get(proxy.header) != proxy.expected:
                    proxy.refused += 1
                    self._reply(401, {"Content-Type": "application/json"}, b'{"error":"Unauthorized"}')
                    return
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    self._reply(resp.status, {k: v for k, v in resp.getheaders() if k.lower() not in _HOP}, data)
                finally:
                    conn.close()

            def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)
