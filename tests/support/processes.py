"""Real processes the tests start and stop: `rawi` commands whose stderr is watched as it comes, and `chroma run`.

Both only ever listen on or talk to 127.0.0.1, and are killed by whoever started them (fixture teardown).
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port, rawi_command

CHROMA = Path(sys.executable).parent / "chroma"


class RawiProcess:
    """A `rawi` subprocess whose stderr lines are collected, with the time each arrived, as they come."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen([*rawi_command(), *args], env=env, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[tuple[float, str]] = []
        self._new: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append((time.time(), line.rstrip("\n")))
            self._new.put(line)

    def wait_for_line(self, predicate, count: int = 1, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while sum(1 for _, line in self.lines if predicate(line)) < count:
            if self.proc.poll() is not None and self._new.empty() and not self._reader.is_alive():
                raise AssertionError(f"rawi exited ({self.proc.returncode}) first:\n{self.stderr}")
            assert time.monotonic() < deadline, f"timed out waiting; stderr so far:\n{self.stderr}"
            try:
                self._new.get(timeout=0.2)
            except queue.Empty:
                pass

    def finish(self, timeout: float = 180) -> int:
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self.kill()
        self._reader.join(timeout=10)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    @property
    def stderr(self) -> str:
        return "\n".join(line for _, line in self.lines)

    @property
    def stdout(self) -> str:
        return self.proc.stdout.read() if self.proc.stdout else ""


class ChromaServer:
    """`chroma run` on a free port of 127.0.0.1, stopped by `stop()`."""

    def __init__(self, path: Path) -> None:
        self.port = free_port()
        self.log = open(path.parent / f"chroma-{self.port}.log", "wb")
        self.proc = subprocess.Popen([str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=self.log, stderr=subprocess.STDOUT)
        # A loaded machine has been seen to need more than a minute to start it (its first start compiles).
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=2):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"chroma run did not start: {(path.parent / self.log.name).read_text()}")
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
