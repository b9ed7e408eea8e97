"""`rawi eval --squad` end to end: a tiny SQuAD v2.0 file through the CLI into a cached store.

Uses the fast hashing embedder; checks the report files, the metrics' keys, that a rerun embeds
nothing, and that two runs give the same figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from eval.questions_io import document_name, load_squad

CONTEXTS = [
    "زار المشير خليفة حفتر العاصمة البيلاروسية مينسك في فبراير 2023 برفقة نجليه صدام وخالد، "
    "وبحث مع المسؤولين هناك تطوير القوات الجوية وصيانة طائرات ميغ.",
    "قال السفير الروسي لدى ليبيا إيفان مولوتكوف إن بلاده ستعيد فتح سفارتها في طرابلس قريباً، "
    "وإن قنصلية روسية ستفتح في مدينة بنغازي في وقت لاحق.",
    "تقع واحة الكفرة في جنوب شرق ليبيا قرب الحدود مع السودان وتشاد ومصر، "
    "وتشتهر بزراعة القمح في مشاريع ري واسعة وسط الصحراء الكبرى.",
]

QUESTIONS = [
    (0, "q1", "متى زار حفتر مينسك؟", ["فبراير 2023"], False),
    (0, "q2", "من رافق حفتر في زيارته إلى بيلاروسيا؟", ["صدام وخالد", "صدام"], False),
    (1, "q3", "أين ستفتح روسيا قنصلية في ليبيا؟", ["بنغازي", "مدينة بنغازي"], False),
    (2, "q4", "بماذا تشتهر واحة الكفرة؟", ["زراعة القمح"], False),
    (2, "q5", "كم عدد سكان واحة الكفرة؟", [], True),
]

REPORT_FILES = ("report.md", "metrics.json", "results.jsonl", "hit_at_k.png", "latency.png")


def tiny_squad(path: Path) -> Path:
    paragraphs = []
    for i, context in enumerate(CONTEXTS):
        qas = []
        for ctx, qid, question, answers, impossible in QUESTIONS:
            if ctx != i:
                continue
            qas.append({"id": qid, "question": question, "is_impossible": impossible,
                        "answers": [{"text": a, "answer_start": context.find(a)} for a in answers]})
        paragraphs.append({"context": context, "qas": qas})
    data = {"version": "v2.0", "data": [{"title": "ليبيا", "paragraphs": paragraphs}]}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def hashing_embedder(monkeypatch):
    monkeypatch.setenv("RAWI_EMBEDDER", "hashing")


def _figures(metrics: dict) -> dict:
    """Everything but what may change between runs: latency and the run's own bookkeeping."""
    return {k: v for k, v in metrics.items() if k not in ("latency_ms", "meta")}


def test_squad_file_reads_contexts_as_documents_and_impossible_as_abstention(tmp_path):
    squad = load_squad(tiny_squad(tmp_path / "tiny.json"))
    assert squad.version == "v2.0"
    assert sorted(squad.documents) == sorted(document_name(c) for c in CONTEXTS)
    by_id = {c.id: c for c in squad.cases}
    assert by_id["q3"].turns[0].gold_files == (document_name(CONTEXTS[1]),)
    assert by_id["q3"].turns[0].gold_answers == ("بنغازي", "مدينة بنغازي")
    assert by_id["q5"].kind == "unanswerable" and by_id["q5"].turns[0].expects_abstention
    assert by_id["q1"].kind == "answerable" and not by_id["q1"].turns[0].expects_abstention


def test_eval_squad_cli_writes_report_and_rerun_embeds_nothing(tmp_path, capsys):
    dataset = tiny_squad(tmp_path / "tiny.json")
    store, report = tmp_path / "store", tmp_path / "report"
    args = ["eval", "--squad", str(dataset), "--store", str(store), "--retrievers", "bm25,dense,hybrid",
            "--quiet", "--json"]

    assert main(args + ["--report", str(report)]) == 0
    first = json.loads(capsys.readouterr().out)  # --json: exactly one JSON object on stdout
    for name in REPORT_FILES:
        assert (report / name).is_file() and (report / name).stat().st_size > 0, name
    assert (report / "hit_at_k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # The cache lives under <store>/eval-cache/<dataset hash>/ by default, one document per context.
    cache = next((store / "eval-cache").iterdir())
    assert sorted(p.name for p in (cache / "docs").iterdir()) == sorted(document_name(c) for c in CONTEXTS)
    assert first["meta"]["corpus"]["added"] == 3 and first["meta"]["corpus"]["chunks_written"] >= 3

    metrics = json.loads((report / "metrics.json").read_text(encoding="utf-8"))
    assert metrics == first
    assert set(metrics) >= {"meta", "overall", "by_kind", "retrieval", "latency_ms", "tokens", "faithfulness"}
    assert set(metrics["retrieval"]) == {"bm25", "dense", "hybrid"}
    for name in ("bm25", "dense", "hybrid"):
        overall = metrics["retrieval"][name]["overall"]
        assert overall["n"] == 4  # the impossible question has no gold document
        assert set(overall) >= {"hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10"}
        assert len(metrics["retrieval"][name]["hit_curve"]) == 10
    overall = metrics["overall"]
    for key in ("answer_correct", "exact_match", "f1", "citation_validity", "citation_precision",
                "abstention_precision", "abstention_recall", "false_abstention_rate"):
        assert key in overall
    assert overall["questions"] == 5 and overall["squad_n"] == 4 and overall["abstention_expected"] == 1
    assert overall["citations"] == 0 or overall["citation_validity"] == 1.0
    assert set(metrics["by_kind"]) == {"answerable", "unanswerable"}
    assert {"total", "retrieve", "generate"} <= set(metrics["latency_ms"])
    assert metrics["tokens"] is None and metrics["faithfulness"] is None  # extractive mode: no LLM

    rows = [json.loads(line) for line in (report / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["q1", "q2", "q3", "q4", "q5"]
    assert rows[4]["expects_abstention"] and rows[4]["gold_files"] == []
    assert set(rows[0]["retrieval"]) == {"bm25", "dense", "hybrid"}
    assert "# rawi eval" in (report / "report.md").read_text(encoding="utf-8")

    # Rerun: the cached store is reused, nothing is embedded again, and the figures are the same.
    assert main(args) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["meta"]["corpus"]["added"] == 0 and second["meta"]["corpus"]["updated"] == 0
    assert second["meta"]["corpus"]["unchanged"] == 3 and second["meta"]["corpus"]["chunks_written"] == 0
    assert _figures(second) == _figures(first)


def test_eval_squad_table_with_cache_folder_and_limit(tmp_path, capsys):
    dataset = tiny_squad(tmp_path / "tiny.json")
    cache = tmp_path / "cache"
    assert main(["eval", "--squad", str(dataset), "--cache", str(cache), "--limit", "2", "--retrieval-only",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "hybrid" in out and "MRR@10" in out and "2 questions" in out
    assert len(list(cache.glob("*/docs/*.txt"))) == 3  # the corpus is every context, whatever the limit
    assert not (Path.cwd() / ".rawi" / "eval-cache" / next(cache.iterdir()).name).exists()


def test_eval_rejects_an_unknown_retriever_and_a_missing_file(tmp_path, capsys):
    assert main(["eval", "--squad", str(tiny_squad(tmp_path / "t.json")), "--retrievers", "bm25,colbert",
                 "--cache", str(tmp_path / "c")]) == 2
    assert "colbert" in capsys.readouterr().err
    assert main(["eval", "--squad", str(tmp_path / "missing.json"), "--cache", str(tmp_path / "c")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_eval_in_llm_mode_counts_tokens_and_labels_the_judged_faithfulness(tmp_path, monkeypatch, capsys):
    from rag.abstention import ABSTAIN_AR
    from tests.support.openai_server import MODEL_ID, Reply, ScriptedOpenAIServer

    dataset = tiny_squad(tmp_path / "tiny.json")
    with ScriptedOpenAIServer() as server:
        server.script(
            Reply.text("زار حفتر مينسك في فبراير 2023 [1]."), Reply.text("yes"),  # q1: answer, then the judge
            Reply.text("رافقه نجلاه صدام وخالد [1]."), Reply.text("no"),  # q2
            Reply.text(ABSTAIN_AR),  # q3: an abstention is not judged
        )
        monkeypatch.setenv("RAWI_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("RAWI_LLM_MODEL", MODEL_ID)
        assert main(["eval", "--squad", str(dataset), "--cache", str(tmp_path / "cache"), "--limit", "3",
                     "--quiet", "--json"]) == 0
        assert server.pending == 0 and len(server.requests) == 5
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["meta"]["mode"] == "llm" and metrics["meta"]["llm_model"] == MODEL_ID
    tokens = metrics["tokens"]
    assert tokens["answers"] == 3 and tokens["prompt_tokens"] > 0 and tokens["completion_tokens"] > 0
    faith = metrics["faithfulness"]
    assert faith["score"] == 0.5 and faith["n"] == 2 and "LLM-judged" in faith["label"]
    assert metrics["overall"]["abstained"] == 1 and metrics["overall"]["answer_correct"] == 0.6667
