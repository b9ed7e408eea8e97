"""The claim checker measured on scripted LLM answers with planted faults (`eval/claims/*.jsonl`).

Each line is one answer as an LLM would write it, with the sources it was given:

    {"id": "dev01", "lang": "ar", "answer": "… [1]. … [2].",
     "sources": [{"file": "003_….txt", "start": 3044, "end": 3628}, …],   # chunks of data/corpus, by offsets
     "labels": ["ok", "name", …]}                                           # one per sentence carrying a marker

A label is `ok` (a claim its source holds, usually paraphrased) or the fault planted in it:
`name` (a person, place or body swapped), `number`, `date`, `no_source` (a claim no source makes)
or `wrong_source` (a true claim cited to a source that does not hold it). The answer goes
through `rag.citations.cite_llm_answer`, the same code as the assistant's LLM path, and each
claim's verdict is compared with its label:
- **fault catch rate**: planted faults flagged unsupported / planted faults;
- **false-flag rate**: correct claims flagged unsupported / correct claims.
`rawi eval --claims FILE` prints them, by fault kind, with every miss and false flag.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.results import Source
from eval.questions_io import EvalInputError
from rag.citations import cite_llm_answer

FAULTS = ("name", "number", "date", "no_source", "wrong_source")
LABELS = ("ok", *FAULTS)
DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


@dataclass
class ClaimResult:
    id: str
    claim: int  # its position among the answer's marked sentences
    label: str
    flagged: bool
    text: str = ""
    missing: tuple[str, ...] = ()
    hard: bool = False  # flagged by a rule that is never forgiven (`rag.support`)
    features: tuple[float, ...] = ()  # what `rag.support` weighed (`rag.support.FEATURES`)


@dataclass
class ClaimEvaluation:
    results: list[ClaimResult] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        faults = [r for r in self.results if r.label != "ok"]
        correct = [r for r in self.results if r.label == "ok"]
        by_kind = {}
        for kind in FAULTS:
            rows = [r for r in faults if r.label == kind]
            by_kind[kind] = {"n": len(rows), "caught": sum(r.flagged for r in rows)}
        return {
            "answers": len({r.id for r in self.results}),
            "claims": len(self.results),
            "faults": len(faults),
            "faults_caught": sum(r.flagged for r in faults),
            "fault_catch_rate": _rate(sum(r.flagged for r in faults), len(faults)),
            "correct": len(correct),
            "correct_flagged": sum(r.flagged for r in correct),
            "false_flag_rate": _rate(sum(r.flagged for r in correct), len(correct)),
            "by_fault": by_kind,
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def load_claim_set(path: Path) -> list[dict[str, Any]]:
    """The answers of a claim file, checked for the fields and labels this module needs."""
    rows = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise EvalInputError(f"Cannot read the claim file {path}: {err.strerror or err}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise EvalInputError(f"{path}:{number}: not JSON ({err.msg})") from None
        missing = [k for k in ("id", "answer", "sources", "labels") if k not in row]
        bad = [label for label in row.get("labels", []) if label not in LABELS]
        if missing or bad:
            raise EvalInputError(f"{path}:{number}: " + (f"missing {', '.join(missing)}" if missing
                                                         else f"unknown label {bad[0]!r}; use one of {', '.join(LABELS)}"))
        rows.append(row)
    return rows


def evaluate_claims(path: Path, corpus: Path = DEFAULT_CORPUS) -> ClaimEvaluation:
    """Every claim of the file checked against its cited source, as the assistant would."""
    from ingest.load import read_document  # a face may read files; the checker itself never does

    texts: dict[str, str] = {}
    evaluation = ClaimEvaluation()
    for row in load_claim_set(path):
        sources = []
        for i, s in enumerate(row["sources"]):
            if s["file"] not in texts:
                texts[s["file"]] = read_document(corpus / s["file"]).text
            text = texts[s["file"]]
            sources.append(Source(file=s["file"], chunk_id=f"{row['id']}-{i + 1}", score=1.0,
                                  text=text[s["start"] : s["end"]], start=s["start"], end=s["end"]))
        cited = cite_llm_answer(row["answer"], sources, texts)
        if len(cited.claim_support) != len(row["labels"]):
            raise EvalInputError(f"{row['id']}: {len(row['labels'])} labels for {len(cited.claim_support)} marked claims")
        unsupported = iter(cited.unsupported)
        for k, (label, judgement) in enumerate(zip(row["labels"], cited.judgements)):
            flag = next(unsupported) if not judgement.supported else None
            evaluation.results.append(ClaimResult(row["id"], k + 1, label, not judgement.supported,
                                                  flag.claim if flag else "", flag.missing if flag else (),
                                                  judgement.hard, judgement.features))
    return evaluation


def format_claim_figures(evaluation: ClaimEvaluation, name: str = "") -> str:
    """The figures as a few lines of text, then the false flags (with what was missing)."""
    f = evaluation.figures()
    lines = [f"claim checker{f' on {name}' if name else ''}: {f['answers']} answers, {f['claims']} claims",
             f"  planted faults flagged: {f['faults_caught']}/{f['faults']} = {_pct(f['faults_caught'], f['faults'])}",
             f"  correct claims flagged: {f['correct_flagged']}/{f['correct']} = {_pct(f['correct_flagged'], f['correct'])}"]
    for kind, k in f["by_fault"].items():
        lines.append(f"    {kind:<13} {k['caught']}/{k['n']}")
    for r in evaluation.results:
        if r.label == "ok" and r.flagged:
            lines.append(f"  false flag {r.id}#{r.claim}: «{r.text}» lacks {', '.join(r.missing)}")
        elif r.label != "ok" and not r.flagged:
            lines.append(f"  missed {r.label} {r.id}#{r.claim}")
    return "\n".join(lines)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"
