"""How fast a real model server answers rawi on this CPU: first-token latency and tokens per second.

    python -m bench.llm_bench [--questions 12] [--max-tokens 128]

Starts llama.cpp's server with Gemma 3 270M (`bench.llama_server`, 127.0.0.1 only), ingests
data/corpus into a temporary store (hashing embedder: the prompt's size, not retrieval, is what
matters here), then asks the first N questions of eval/questions/dev.jsonl through rawi's own LLM
path (`Assistant.stream`, `RAWI_LLM_*` settings, streamed). Per answer it times:
- **first token**: from the request to the first streamed text, retrieval excluded: the time the
  server spends reading rawi's prompt (its sources) before it writes;
- **tokens per second** after the first: llama.cpp streams one token per event;
- the prompt's size (rawi's count, `Answer.usage`).
It also times one follow-up rewrite (a whole, unstreamed reply) and reports what rawi's timeout
(`RAWI_LLM_TIMEOUT_S`, applied between two bytes of a reply) must cover: the slowest first token
of a streamed answer, and the whole of an unstreamed one. The load of the machine is recorded
beside each figure, the server's own CPU taken out of the others'. Writes bench/results/llm.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, SAMPLE_CORPUS, LoadMeter, describe_load, stats, write_result
from bench.llama_server import ALIAS, KEY, SYSTEM_IN_USER, model_file, start_llama_server
from bench.server import stop_server


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) of a running process, from /proc; 0.0 off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _exclude_server(load: dict[str, Any], server_cpu_s: float) -> None:
    """The model server is this benchmark's own work, but `LoadMeter` counts a child that is still
    running among the others: take its CPU out of theirs."""
    load["server_cpu_s"] = round(server_cpu_s, 2)
    if load.get("others_cpu_s") is None:
        return
    others = max(0.0, load["others_cpu_s"] - server_cpu_s)
    share = others / (load["wall_s"] * load["cpus"])
    load.update(others_cpu_s=round(others, 2), others_share=round(share, 3), busy=share > load["busy_above_share"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=12, help="dev-set questions to ask (default 12)")
    parser.add_argument("--max-tokens", type=int, default=128, help="RAWI_LLM_MAX_TOKENS (default 128)")
    args = parser.parse_args(argv)
    if args.questions < 1:
        parser.error("--questions must be at least 1")

    from core.settings import Settings
    from ingest.pipeline import ingest
    from rag.assistant import Answer
    from rag.chat import chat_text
    from rag.prompts import build_condense_messages
    from rawi.compose import build_embedder, open_assistant, open_store

    questions = [json.loads(line)["question"] for line in (REPO / "eval" / "questions" / "dev.jsonl").open(encoding="utf-8")
                 if line.strip() and "question" in json.loads(line)][: args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = (folder / "server.log").open("wb")
        proc, base_url = start_llama_server(model_file(folder), log)
        try:
            settings = Settings(store=folder / "store", embedder="hashing", llm_base_url=base_url, llm_model=ALIAS,
                                llm_api_key=KEY, llm_max_tokens=args.max_tokens, llm_max_retries=0,
                                llm_timeout_s=600, llm_system_in_user=SYSTEM_IN_USER)
            embedder = build_embedder(settings)
            ingest([SAMPLE_CORPUS], open_store(settings, embedder, create=True), embedder, settings.ingest,
                   settings.store.path, progress=False)
            assistant = open_assistant(settings=settings)
            rows: list[dict[str, Any]] = []
            for question in questions:
                server_cpu0 = _cpu_s(proc.pid)
                with LoadMeter() as meter:
                    began = time.perf_counter()
                    first = last = None
                    events = 0
                    answer = None
                    for event in assistant.stream(question):
                        if isinstance(event, Answer):
                            answer = event
                        elif event:
                            now = time.perf_counter()
                            first = first if first is not None else now
                            last = now
                            events += 1
                _exclude_server(meter.load, _cpu_s(proc.pid) - server_cpu0)
                assert answer is not None and first is not None and last is not None
                retrieve_s = answer.timings_ms.get("retrieve", 0.0) / 1000
                rows.append({
                    "question": question, "mode": answer.mode, "prompt_tokens": answer.usage.get("prompt_tokens"),
                    "first_token_s": round(first - began - retrieve_s, 3), "tokens": events,
                    "tokens_per_s": round((events - 1) / (last - first), 1) if events > 1 and last > first else None,
                    "supported_citations": sum(1 for c in answer.citations if c.supported),
                    "citations": len(answer.citations), "load": meter.load,
                })
                r = rows[-1]
                print(f"{r['first_token_s']:6.2f} s first token, {r['tokens_per_s']} tok/s, {r['tokens']} tokens, "
                      f"prompt {r['prompt_tokens']} tokens, {r['supported_citations']}/{r['citations']} citations "
                      f"supported, mode {r['mode']} ({describe_load(meter.load)})")
            history = [{"role": "user", "content": questions[0]}, {"role": "assistant", "content": "…"}]
            server_cpu0 = _cpu_s(proc.pid)
            with LoadMeter() as meter:
                began = time.perf_counter()
                chat_text(assistant.llm, build_condense_messages("ومن رافقه؟", history))  # as `Assistant` asks it
                rewrite_s = time.perf_counter() - began
            _exclude_server(meter.load, _cpu_s(proc.pid) - server_cpu0)
            print(f"follow-up rewrite (unstreamed): {rewrite_s:.2f} s ({describe_load(meter.load)})")
        finally:
            stop_server(proc)
            log.close()
    first_tokens = [r["first_token_s"] for r in rows]
    speeds = [r["tokens_per_s"] for r in rows if r["tokens_per_s"]]
    figures = {
        "model": ALIAS, "max_tokens": args.max_tokens, "answers": rows,
        "first_token_s": stats(first_tokens), "tokens_per_s": stats(speeds),
        "rewrite_s": round(rewrite_s, 2), "rewrite_load": meter.load,
        "answers_with_a_supported_citation": sum(1 for r in rows if r["supported_citations"]),
    }
    print(f"first token: median {figures['first_token_s']['p50']:.2f} s, slowest {max(first_tokens):.2f} s; "
          f"generation: median {figures['tokens_per_s']['p50']:.1f} tok/s; "
          f"{figures['answers_with_a_supported_citation']} of {len(rows)} answers carry a supported citation")
    write_result("llm", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
