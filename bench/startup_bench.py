"""Cold start of `rawi ask` and `rawi serve` (seconds to the first answer) and `rawi serve`'s memory.

    python -m bench.startup_bench [--sizes 1000,10000,100000] [--questions 20]

`rawi ask` runs three times as a fresh process on the sample corpus store (the first run also
meets cold OS file caches). `rawi serve` starts as a fresh process on the sample store and on
each synthetic store (`bench.synthetic`; real Arabic text, stand-in vectors); the clock runs
from starting the process to the first answer received through the chat's `/ask` API, then
more questions follow and the process's peak resident memory (VmHWM) is read from /proc.
Servers listen on 127.0.0.1 only and are stopped at the end. The machine's load over each run
(`bench.common.LoadMeter`) is stored beside its figures under `load`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import (
    SAMPLE_CORPUS,
    WORK,
    LoadMeter,
    Timer,
    describe_load,
    rss_mb,
    stats,
    write_result,
)
from bench.query_bench import _questions
from bench.server import free_port, rawi_command, start_server, stop_server
from bench.synthetic import synthetic_store

SAMPLE_QUESTION = "من هو السفير الروسي لدى ليبيا؟"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAWI_")}  # defaults, as a user gets them
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    return env


def sample_store() -> Path:
    store = WORK / "startup-sample"
    subprocess.run([*rawi_command(), "ingest", str(SAMPLE_CORPUS), "--store", str(store), "--quiet"], check=True,
                   capture_output=True, env=_env(), timeout=900)
    return store


def ask_cold(store: Path, runs: int = 3) -> dict[str, Any]:
    walls, loads = [], []
    for _ in range(runs):
        with LoadMeter() as meter, Timer() as t:
            subprocess.run([*rawi_command(), "ask", SAMPLE_QUESTION, "--store", str(store)], check=True, capture_output=True,
                           env=_env(), timeout=300)
        walls.append(round(t.seconds, 2))
        loads.append(meter.load)
    median = sorted(range(runs), key=lambda i: walls[i])[runs // 2]
    return {"runs_s": walls, "first_s": walls[0], "median_s": walls[median],
            "loads": loads, "load": loads[median]}  # each run's load, in order; the median run's


def serve_run(store: Path, questions: list[str]) -> dict[str, Any]:
    """Start `rawi serve`, time the first answer, ask the rest, read peak memory, stop it."""
    from gradio_client import Client

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with LoadMeter() as meter:  # closed once the server has been waited for: its CPU counts as our own
        began = time.perf_counter()
        server = start_server(store, port, _env(), errors=subprocess.PIPE)
        try:
            client = None
            while client is None:
                if server.poll() is not None:
                    raise RuntimeError(f"rawi serve exited: {server.stderr.read().decode()[-2000:]}")
                if time.perf_counter() - began > 300:
                    raise TimeoutError("rawi serve did not answer within 300 s")
                try:
                    client = Client(url, verbose=False)
                except Exception:  # not listening yet
                    time.sleep(0.2)
            first = client.predict(questions[0], api_name="/ask")
            to_first_answer = time.perf_counter() - began
            assert first.get("citations") is not None
            latencies = []
            for q in questions[1:]:
                with Timer() as t:
                    client.predict(q, api_name="/ask")
                latencies.append(t.ms)
            rss, peak = rss_mb(server.pid)
        finally:
            stop_server(server)
    return {"to_first_answer_s": round(to_first_answer, 2), "answers_after_first_ms": stats(latencies),
            "rss_mb_at_end": rss, "peak_rss_mb": peak, "questions": len(questions), "load": meter.load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="synthetic store sizes for `rawi serve`")
    parser.add_argument("--questions", type=int, default=20, help="questions asked of each server")
    args = parser.parse_args()

    store = sample_store()
    figures: dict[str, Any] = {"rawi_ask_sample": ask_cold(store)}
    a = figures["rawi_ask_sample"]
    print(f"rawi ask, cold, sample corpus: {a['runs_s']} s (first, then warm OS caches); load: "
          + "; ".join(describe_load(load) for load in a["loads"]))
    figures["rawi_serve"] = {}
    runs = {"sample": (store, [SAMPLE_QUESTION, *_questions(args.questions - 1)])}
    for size in [int(s) for s in args.sizes.split(",") if s]:
        runs[str(size)] = (synthetic_store(size)[0], _questions(args.questions))
    for name, (folder, questions) in runs.items():
        figures["rawi_serve"][name] = r = serve_run(folder, questions)
        print(f"rawi serve, {name}: first answer after {r['to_first_answer_s']} s; peak RSS {r['peak_rss_mb']} MB "
              f"after {r['questions']} questions; answers p50 {r['answers_after_first_ms'].get('p50')} ms; "
              f"{describe_load(r['load'])}")
    write_result("startup", figures)


if __name__ == "__main__":
    main()
