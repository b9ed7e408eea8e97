"""A real `rawi serve` for the benchmarks: a free port of 127.0.0.1, start, wait until it answers, stop.

Used by the start-up benchmark and the load test. The server runs in its own process group so
stopping it also stops anything it started. Nothing here sends traffic beyond 127.0.0.1.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Callable

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rawi_command() -> list[str]:
    """The installed `rawi` console script beside this Python, else its entry point."""
    rawi = Path(sys.executable).parent / "rawi"
    return [str(rawi)] if rawi.exists() else [sys.executable, "-m", "cli.main"]


def start_server(store: Path, port: int, env: dict[str, str], output: IO[bytes] | int = subprocess.DEVNULL,
                 errors: IO[bytes] | int = subprocess.STDOUT) -> subprocess.Popen:
    """`rawi serve --store STORE` on 127.0.0.1:PORT, in a new process group."""
    return subprocess.Popen([*rawi_command(), "serve", "--store", str(store), "--host", "127.0.0.1", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=output, stderr=errors, start_new_session=True)


def wait_until_up(proc: subprocess.Popen, port: int, timeout: float, why: Callable[[], str] = lambda: "") -> None:
    """Return once the page answers 200; SystemExit if the server exits or `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"rawi serve exited ({proc.returncode}):\n{why()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"rawi serve did not answer within {timeout:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM to its process group, SIGKILL if it has not exited 15 s later."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
