"""Presenting an evaluation: the terminal table, and the report folder.

`format_table(metrics)` is what `rawi eval` prints. `write_report(folder, evaluation)` writes
`report.md` (the same tables in Markdown), `metrics.json`, `results.jsonl` (one line per
question/turn) and two PNG plots drawn with matplotlib's Agg backend: `hit_at_k.png` (hit@1..10
per retriever) and `latency.png` (distribution of answer latency by stage). It computes no metric.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

_DASH = "–"

LEGEND = (
    "- *hit@k, MRR@10, nDCG@10*: document level; the ranking is the retrieved chunks' files, de-duplicated, in order.",
    "- *correct*: every answer group has a variant in the answer after Arabic normalisation (SQuAD: a gold answer "
    "appears in the answer); an abstention is not correct.",
    "- *EM / F1*: SQuAD exact match and token F1 of the whole answer text, its short answer included (markers "
    "removed, Arabic-normalised, articles and punctuation dropped), max over gold answers; an extractive answer "
    "quotes whole sentences, so its EM is near 0 by construction.",
    "- *short*: share of answerable questions whose answer starts with a short answer (the few words that answer "
    "a question asking for a date, number, amount, person, place or name); *s.EM / s.F1*: SQuAD exact match and token "
    "F1 of the short answer alone, a question without one counting as an empty answer. Every short answer is checked "
    "to be its file's text at its offsets, inside the quote of the citation it names.",
    "- *cit.valid*: share of citations whose quote equals the file's text at its offsets; *cit.prec*: share of "
    "citations in a gold file.",
    "- *abst.P / abst.R*: of the abstentions made, the share that were due / of the abstentions due, the share made; "
    "*false abst.*: share of answerable questions abstained on.",
    "- *n* is the number of questions (turns) in the row; retrieval figures average over those with a gold file.",
)


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return _DASH
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool = False) -> list[str]:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        return lines + ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    fmt = lambda cells: "  ".join(  # noqa: E731
        str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return [fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]


def tables(m: dict[str, Any], markdown: bool = False) -> list[tuple[str, list[str]]]:
    """(title, lines) for each table: retrieval per retriever, results by kind, latency, tokens, faithfulness."""
    meta = m.get("meta", {})
    out: list[tuple[str, list[str]]] = []
    retrieval = m.get("retrieval") or {}
    if retrieval:
        answer_by = meta.get("answer_retriever")
        rows = []
        for name, r in retrieval.items():
            o = r["overall"]
            label = name + (" (answers)" if name == answer_by else "")
            rows.append([label, _num(o["n"]), _num(o["hit@1"]), _num(o["hit@5"]), _num(o["hit@10"]),
                         _num(o["mrr@10"]), _num(o["ndcg@10"])])
        out.append(("Retrieval, document level (questions with a gold file)",
                    _grid(["retriever", "n", "hit@1", "hit@5", "hit@10", "MRR@10", "nDCG@10"], rows, markdown)))
    groups = [("all", m["overall"])] + list(m.get("by_kind", {}).items())
    if m["overall"].get("answered"):
        header = ["kind", "n", "hit@1", "MRR@10", "correct", "EM", "F1", "short", "s.EM", "s.F1", "cit.valid",
                  "cit.prec", "abst.P", "abst.R", "false abst."]
        rows = []
        for kind, g in groups:
            ret = g.get("retrieval") or {}
            rows.append([kind, _num(g["questions"]), _num(ret.get("hit@1")), _num(ret.get("mrr@10")),
                         _num(g["answer_correct"]), _num(g["exact_match"]), _num(g["f1"]),
                         _num(g.get("short_answer_share")), _num(g.get("short_exact_match")), _num(g.get("short_f1")),
                         _num(g["citation_validity"]), _num(g["citation_precision"]),
                         _num(g["abstention_precision"]), _num(g["abstention_recall"]),
                         _num(g["false_abstention_rate"])])
        lines = _grid(header, rows, markdown)
        o = m["overall"]
        if o.get("short_answers") is not None:
            given_f1 = o.get("short_f1_given")
            lines += ["", f"Short answers: {o['short_answers']} given, {o.get('short_answers_invalid', 0)} not a verified "
                          "slice of their file" + (f"; token F1 where one is given {_num(given_f1)}." if given_f1 is not None
                                                   else ".")]
        if o.get("citation_support_recall") is not None:
            lines += ["", f"Citation support (ALCE, judged by rawi's claim checker): recall "
                          f"{_num(o['citation_support_recall'])}, precision {_num(o.get('citation_support_precision'))}; "
                          f"{o.get('unsupported_claims', 0)} claim(s) not held by the source they cite."]
        out.append((f"Answers ({meta.get('mode', '')}, retrieval columns: {m['overall'].get('retrieval', {}).get('retriever', _DASH)})",
                    lines))
    elif retrieval and len(groups) > 2:
        primary = m["overall"].get("retrieval", {}).get("retriever", _DASH)
        rows = [[kind, _num(g["questions"]), _num(g["retrieval"]["hit@1"]), _num(g["retrieval"]["hit@5"]),
                 _num(g["retrieval"]["mrr@10"])] for kind, g in groups if g.get("retrieval")]
        out.append((f"By kind ({primary})", _grid(["kind", "n", "hit@1", "hit@5", "MRR@10"], rows, markdown)))
    latency = m.get("latency_ms") or {}
    if latency:
        rows = [[stage, _num(v["p50"], 1), _num(v["p95"], 1), _num(v["mean"], 1), _num(v["n"])]
                for stage, v in latency.items()]
        out.append(("Answer latency by stage (ms; varies between runs)",
                    _grid(["stage", "p50", "p95", "mean", "n"], rows, markdown)))
    tokens = m.get("tokens")
    if tokens:
        rows = [["prompt", _num(tokens["prompt_tokens"]), _num(tokens["prompt_tokens_mean"], 1)],
                ["completion", _num(tokens["completion_tokens"]), _num(tokens["completion_tokens_mean"], 1)]]
        out.append((f"LLM tokens ({tokens['answers']} answers, counted with tiktoken)",
                    _grid(["tokens", "total", "per answer"], rows, markdown)))
    faith = m.get("faithfulness")
    if faith:
        out.append(("Faithfulness (LLM-judged)", [f"{_num(faith['score'])} over {faith['n']} cited answers. {faith['label']}."]))
    return out


def headline(m: dict[str, Any]) -> str:
    meta = m.get("meta", {})
    source = meta.get("squad_file") or meta.get("questions_file") or "questions"
    parts = [f"rawi eval: {Path(str(source)).name}", f"{meta.get('questions', m['overall']['questions'])} questions",
             f"mode {meta.get('mode', '?')}", f"embedder {meta.get('embedder', '?')}"]
    if meta.get("llm_model"):
        parts.append(f"LLM {meta['llm_model']}")
    return " · ".join(parts)


def format_table(m: dict[str, Any]) -> str:
    """The readable terminal summary."""
    lines = [headline(m)]
    for title, body in tables(m):
        lines += ["", title] + body
    wall = m.get("meta", {}).get("wall_seconds")
    if wall is not None:
        lines += ["", f"wall time {wall:.1f} s"]
    return "\n".join(lines)


def format_markdown(m: dict[str, Any]) -> str:
    """report.md: headline, settings and the tables in Markdown."""
    meta = m.get("meta", {})
    lines = [f"# {headline(m)}", ""]
    settings = meta.get("settings") or {}
    if settings:
        lines.append("Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()) + ".")
        lines.append("")
    corpus = meta.get("corpus")
    if corpus:
        lines.append(f"Corpus: {corpus.get('documents')} documents in `{corpus.get('store')}` "
                     f"(this run: {corpus.get('added')} added, {corpus.get('unchanged')} unchanged, "
                     f"{len(corpus.get('failed') or [])} failed).")
        lines.append("")
    for title, body in tables(m, markdown=True):
        lines += [f"## {title}", ""] + body + [""]
    lines += ["## What the columns mean", "", *LEGEND, ""]
    lines += ["Plots: `hit_at_k.png` (hit@k per retriever), `latency.png` (answer latency by stage). "
              "Per-question results: `results.jsonl`; every figure: `metrics.json`.", ""]
    return "\n".join(lines)


def plot_hit_curves(m: dict[str, Any], path: Path) -> None:
    """hit@k for k = 1..10, one line per retriever."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    ks = list(range(1, 11))
    for name, r in (m.get("retrieval") or {}).items():
        ax.plot(ks, r["hit_curve"], marker="o", label=f"{name} (MRR@10 {_num(r['overall']['mrr@10'])})")
    ax.set_xlabel("k (documents)")
    ax.set_ylabel("hit@k")
    ax.set_xticks(ks)
    ax.set_ylim(top=1.0)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"Document-level hit@k ({m.get('retrieval', {}) and next(iter(m['retrieval'].values()))['overall']['n']} questions)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_latency(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Box plot of answer latency by stage: retrieve (and its parts), generate, total."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, list[float]] = {}
    stages = ("retrieve_embed", "retrieve_dense", "retrieve_lexical", "retrieve_fuse", "retrieve", "generate", "total")
    for stage in stages:
        values = [max(r["timings_ms"][stage], 0.01) for r in rows
                  if (r.get("timings_ms") or {}).get(stage) is not None]
        if values:
            series[stage] = values
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    if series:
        ax.boxplot(list(series.values()), orientation="horizontal", showfliers=True,
                   flierprops={"markersize": 3, "alpha": 0.35})
        ax.set_yticks(range(1, len(series) + 1), list(series.keys()))
        ax.set_xscale("log")
    ax.set_xlabel("milliseconds (log scale)")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(f"Answer latency by stage ({len(rows)} questions)" if series else "No answers were timed")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(folder: Path, metrics: dict[str, Any], rows: Sequence[dict[str, Any]]) -> list[Path]:
    """Write report.md, metrics.json, results.jsonl, hit_at_k.png and latency.png; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / name for name in ("report.md", "metrics.json", "results.jsonl", "hit_at_k.png", "latency.png")}
    paths["metrics.json"].write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with open(paths["results.jsonl"], "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    paths["report.md"].write_text(format_markdown(metrics), encoding="utf-8")
    plot_hit_curves(metrics, paths["hit_at_k.png"])
    plot_latency(rows, paths["latency.png"])
    return list(paths.values())
