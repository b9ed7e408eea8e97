"""From per-question result rows (`eval.runner`) to the metrics dict of `metrics.json` and `--json`.

Pure: rows in, nested dict out, figures rounded to 4 places. Which questions each metric is
averaged over:
- retrieval (hit@k, MRR@10, nDCG@10): questions with at least one gold file;
- answer correctness: answered questions with answer groups (an abstention counts as wrong);
- exact match / token F1: questions with SQuAD gold answers (an abstention is an empty answer);
  the same on the short answer alone (no short answer, or an abstention, is an empty one);
- short-answer share: answered questions that expect no abstention and got a short answer;
  short answers that are not a verified slice of their file inside their citation are counted;
- citation validity: every citation that claims support (an unsupported one quotes only the closest
  passage); citation precision: citations of questions with gold files;
- citation support recall / precision (ALCE, `eval.metrics.citation_support`): the mean over
  answered, non-abstained questions of each answer's share of statements its citations hold, and of
  citations that hold their claim (the claim checker `rag.claims` judging); extractive answers
  quote their citations, so both are 1 for them unless a sentence carries no marker;
- abstention precision / recall: every answered question;
- faithfulness: cited answers the LLM judged (LLM mode only, labelled as LLM-judged).
Latency and wall time are the only figures that change between two runs.
"""

from __future__ import annotations

from typing import Any, Sequence

from eval import metrics
from eval.judge import LABEL as FAITHFULNESS_LABEL

RETRIEVAL_KEYS = ("hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10")


def retrieval_summary(rows: Sequence[dict[str, Any]], retriever: str) -> dict[str, Any]:
    """Mean document-level retrieval metrics of one retriever over the rows with gold files."""
    scored = [r["retrieval"][retriever] for r in rows
              if r.get("gold_files") and retriever in (r.get("retrieval") or {})]
    out: dict[str, Any] = {"n": len(scored)}
    for key in RETRIEVAL_KEYS:
        out[key] = metrics.mean(s[key] for s in scored)
    return out


def answer_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Answer, citation and abstention metrics over the answered rows."""
    answered = [r for r in rows if r.get("abstained") is not None]
    citations = [c for r in answered for c in r.get("citations", [])]
    gold_citations = [c for c in citations if c.get("in_gold") is not None]
    correct = [r["answer_correct"] for r in answered if r.get("answer_correct") is not None]
    squad = [r for r in answered if r.get("exact_match") is not None]
    faithful = [r["faithful"] for r in answered if r.get("faithful") is not None]
    answerable = [r for r in answered if not r.get("expects_abstention")]
    shorts = [r["short_answer"] for r in answered if r.get("short_answer")]
    short_squad = [r for r in squad if r.get("short_f1") is not None]
    abst = metrics.abstention_scores([r["expects_abstention"] for r in answered], [r["abstained"] for r in answered])
    return {
        "answered": len(answered),
        "answer_correct": metrics.mean(correct),
        "answer_correct_n": len(correct),
        "exact_match": metrics.mean(r["exact_match"] for r in squad),
        "f1": metrics.mean(r["f1"] for r in squad),
        "squad_n": len(squad),
        "short_exact_match": metrics.mean(r["short_exact_match"] for r in short_squad),
        "short_f1": metrics.mean(r["short_f1"] for r in short_squad),
        "short_f1_given": metrics.mean(r["short_f1"] for r in short_squad if r.get("short_answer")),
        "short_answer_share": metrics.share([bool(r.get("short_answer")) for r in answerable]),
        "short_answers": len(shorts),
        "short_answers_invalid": sum(1 for s in shorts if not s.get("valid")),
        "citations": len(citations),
        "citation_validity": metrics.share([c["valid"] for c in citations if c.get("valid") is not None]),
        "citation_support_recall": metrics.mean(r.get("citation_support_recall") for r in answered),
        "citation_support_precision": metrics.mean(r.get("citation_support_precision") for r in answered),
        "unsupported_claims": sum(len(r.get("unsupported_claims") or []) for r in answered),
        "citation_precision": metrics.share([c["in_gold"] for c in gold_citations]),
        "abstention_precision": abst["precision"],
        "abstention_recall": abst["recall"],
        "false_abstention_rate": abst["false_abstention_rate"],
        "abstained": abst["abstained"],
        "abstention_expected": abst["expected"],
        "faithfulness_llm_judged": metrics.mean(faithful),
        "faithfulness_n": len(faithful),
    }


def group_summary(rows: Sequence[dict[str, Any]], retriever: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"questions": len(rows), "errors": sum(1 for r in rows if r.get("error"))}
    if retriever is not None:
        out["retrieval"] = {"retriever": retriever, **retrieval_summary(rows, retriever)}
    out.update(answer_summary(rows))
    return out


def by_kind(rows: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows grouped by `kind`, kinds in order of first appearance."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["kind"], []).append(r)
    return groups


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def summarize(rows: Sequence[dict[str, Any]], retrievers: Sequence[str], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole metrics dict: overall, by kind, per retriever (with hit@1..10 curves), latency, tokens."""
    primary = "hybrid" if "hybrid" in retrievers else (retrievers[0] if retrievers else None)
    kinds = by_kind(rows)
    answered = [r for r in rows if r.get("abstained") is not None]
    retrieval = {}
    for name in retrievers:
        ranks = [r["retrieval"][name]["first_gold_rank"] for r in rows
                 if r.get("gold_files") and name in (r.get("retrieval") or {})]
        retrieval[name] = {
            "overall": retrieval_summary(rows, name),
            "by_kind": {kind: retrieval_summary(group, name) for kind, group in kinds.items()},
            "hit_curve": metrics.hit_curve(ranks, 10),
        }
    faithful_n = sum(1 for r in answered if r.get("faithful") is not None)
    result = {
        "meta": dict(meta or {}),
        "overall": group_summary(rows, primary),
        "by_kind": {kind: group_summary(group, primary) for kind, group in kinds.items()},
        "retrieval": retrieval,
        "tokens": metrics.token_usage([r.get("usage") or {} for r in answered]),
        "faithfulness": ({"label": f"{FAITHFULNESS_LABEL}: share of cited answers the configured LLM judged "
                                   "supported by their quotes (a model's opinion, not a measurement)",
                          "score": metrics.mean(r["faithful"] for r in answered if r.get("faithful") is not None),
                          "n": faithful_n} if faithful_n else None),
        "latency_ms": metrics.latency_by_stage([r["timings_ms"] for r in answered if r.get("timings_ms")]),
    }
    return _round(result)
