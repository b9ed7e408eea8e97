"""Evaluation metrics as pure functions of plain values: no I/O, no engine, no randomness.

Retrieval is scored at document level: a ranking is the list of source files in retrieval
order, de-duplicated (`ranked_files`). Answers are scored after Arabic normalisation
(`core.arabic.normalize`: diacritics and tatweel dropped, alef/ya/ta-marbuta forms folded, Latin
lower-cased) with punctuation removed. Functions return None where a metric is undefined for
the input (no gold document, no citation, nothing abstained), and `mean` skips those.
This module does not decide which questions a metric is averaged over: `eval.aggregate` does.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from typing import Iterable, Sequence

from core.arabic import normalize

# --- retrieval --------------------------------------------------------------------------------------


def ranked_files(files: Iterable[str]) -> list[str]:
    """Source files in order of first appearance: the document ranking of a chunk ranking."""
    return list(dict.fromkeys(files))


def first_gold_rank(ranked: Sequence[str], gold: Iterable[str], depth: int | None = None) -> int | None:
    """1-based rank of the first gold document within `depth` (all when None); None if absent."""
    gold = set(gold)
    for rank, file in enumerate(ranked[:depth] if depth else ranked, start=1):
        if file in gold:
            return rank
    return None


def hit_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """1.0 when a gold document is among the first k, else 0.0; None without gold documents."""
    gold = set(gold)
    if not gold:
        return None
    return 1.0 if first_gold_rank(ranked, gold, k) is not None else 0.0


def reciprocal_rank(ranked: Sequence[str], gold: Iterable[str], k: int = 10) -> float | None:
    """1/rank of the first gold document within the first k (MRR@k per question); None without gold."""
    gold = set(gold)
    if not gold:
        return None
    rank = first_gold_rank(ranked, gold, k)
    return 0.0 if rank is None else 1.0 / rank


def ndcg_at_k(ranked: Sequence[str], gold: Iterable[str], k: int = 10) -> float | None:
    """Binary-relevance nDCG@k: sum of 1/log2(rank+1) over gold documents in the first k, over the ideal."""
    gold = set(gold)
    if not gold:
        return None
    dcg = sum(1.0 / math.log2(rank + 1) for rank, file in enumerate(ranked[:k], start=1) if file in gold)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def hit_curve(first_ranks: Sequence[int | None], max_k: int = 10) -> list[float]:
    """hit@1..hit@max_k over questions, from each question's first gold rank (None: not found)."""
    if not first_ranks:
        return [0.0] * max_k
    return [sum(1 for r in first_ranks if r is not None and r <= k) / len(first_ranks) for k in range(1, max_k + 1)]


# --- citations --------------------------------------------------------------------------------------


def citation_is_valid(quote: str, file_text: str | None, start: int, end: int) -> bool:
    """The citation's quote is exactly `file_text[start:end]` (offsets in bounds, text non-empty)."""
    if file_text is None or not (0 <= start < end <= len(file_text)):
        return False
    return file_text[start:end] == quote


def short_answer_is_valid(text: str, file_text: str | None, start: int, end: int,
                          quotes: Sequence[tuple[int, int]]) -> bool:
    """A short answer is `file_text[start:end]` (as a citation is) and lies inside one of `quotes`,
    the (start, end) of the quotes of the citation it names in that file."""
    return citation_is_valid(text, file_text, start, end) and any(s <= start and end <= e for s, e in quotes)


def share(flags: Sequence[bool]) -> float | None:
    """Share of true flags; None for an empty list."""
    return sum(1 for f in flags if f) / len(flags) if flags else None


def citation_precision(cited_files: Sequence[str], gold: Iterable[str]) -> float | None:
    """Share of citations pointing into a gold file; None without citations or without gold files."""
    gold = set(gold)
    if not cited_files or not gold:
        return None
    return sum(1 for f in cited_files if f in gold) / len(cited_files)


_STATEMENT_END = re.compile(r"(?<=[.!?؟؛])\s+(?!\[)")
_WORD_LETTER = re.compile(r"[^\W\d_]")


def statements(text: str) -> tuple[int, int]:
    """(sentences carrying a `[n]` marker, sentences with words but none), split as `rag.citations` splits."""
    marked = unmarked = 0
    for sentence in _STATEMENT_END.split(text or ""):
        if _MARKER_ANY.search(sentence):
            marked += 1
        elif _WORD_LETTER.search(sentence):
            unmarked += 1
    return marked, unmarked


def citation_support(claims: int, unsupported_claims: int, uncited: int, citations: Sequence[bool]) -> dict[str, float | None]:
    """ALCE's citation recall and precision for one answer, with rawi's claim checker as the judge
    (`rag.claims`, lexical entailment, where ALCE uses an NLI model):
    - recall: statements whose citations hold them / all statements, a statement being a sentence
      of the answer; an uncited sentence counts as not held (`uncited`);
    - precision: citations that hold the claim citing them / all citations (`citations[i]` is
      `Citation.supported`). None where there is nothing to divide by."""
    statements_n = claims + uncited
    return {
        "recall": (claims - unsupported_claims) / statements_n if statements_n else None,
        "precision": share(list(citations)),
    }


# --- answers ----------------------------------------------------------------------------------------

_MARKER = re.compile(r"\[\s*[0-9٠-٩]+(?:\s*[,،]\s*[0-9٠-٩]+)*\s*\]")
_MARKER_ANY = _MARKER
_ENGLISH_ARTICLES = {"a", "an", "the"}


def strip_markers(text: str) -> str:
    """The answer without its `[n]` citation markers."""
    return _MARKER.sub(" ", text or "")


def _unpunct(text: str) -> str:
    return "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text)


def normalize_answer(text: str) -> str:
    """Arabic-normalised, punctuation-free, single-spaced text (markers removed)."""
    return " ".join(_unpunct(normalize(strip_markers(text))).split())


def _boundary_ok(text: str, start: int, end: int, variant: str) -> bool:
    # Numbers and Latin words must stand alone ("9" is not in "2019", "sun" not in "sunday");
    # Arabic may carry proclitics (و، ب، ال …), so an Arabic edge matches inside a word.
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    for edge, neighbour in ((variant[0], before), (variant[-1], after)):
        if edge.isdigit() and neighbour.isdigit():
            return False
        if edge.isascii() and edge.isalpha() and neighbour.isascii() and neighbour.isalnum():
            return False
    return True


def contains_variant(answer: str, variant: str) -> bool:
    """The normalised answer contains the normalised variant (see `_boundary_ok` for word edges)."""
    text, needle = normalize_answer(answer), normalize_answer(variant)
    if not needle:
        return False
    start = text.find(needle)
    while start != -1:
        if _boundary_ok(text, start, start + len(needle), needle):
            return True
        start = text.find(needle, start + 1)
    return False


def answer_matches(answer: str, groups: Sequence[Sequence[str]]) -> bool | None:
    """Every answer group has a variant in the answer (the question-file rule); None when there are no groups."""
    if not groups:
        return None
    return all(any(contains_variant(answer, v) for v in group) for group in groups)


def _strip_article(token: str) -> str:
    return token[2:] if token.startswith("ال") and len(token) >= 4 else token


def squad_tokens(text: str) -> list[str]:
    """SQuAD-style answer tokens: normalised, punctuation removed, articles (ال، a/an/the) dropped."""
    tokens = []
    for token in normalize_answer(text).split():
        if token in _ENGLISH_ARTICLES:
            continue
        token = _strip_article(token)
        if token:
            tokens.append(token)
    return tokens


def exact_match(prediction: str, golds: Sequence[str]) -> float | None:
    """1.0 when the prediction's tokens equal some gold answer's tokens; None without gold answers."""
    if not golds:
        return None
    pred = squad_tokens(prediction)
    return 1.0 if any(pred == squad_tokens(g) for g in golds) else 0.0


def _f1(pred: list[str], gold: list[str]) -> float:
    if not pred or not gold:
        return float(pred == gold)
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: Sequence[str]) -> float | None:
    """SQuAD token F1, the maximum over gold answers; None without gold answers."""
    if not golds:
        return None
    pred = squad_tokens(prediction)
    return max(_f1(pred, squad_tokens(g)) for g in golds)


# --- abstention -------------------------------------------------------------------------------------


def abstention_scores(expected: Sequence[bool], abstained: Sequence[bool]) -> dict[str, float | int | None]:
    """Precision (abstentions that were right), recall (due abstentions made) and the false-abstention rate.

    `expected[i]`: question i should be abstained on; `abstained[i]`: the assistant did.
    """
    pairs = list(zip(expected, abstained))
    made = sum(1 for _, a in pairs if a)
    due = sum(1 for e, _ in pairs if e)
    right = sum(1 for e, a in pairs if e and a)
    answerable = len(pairs) - due
    wrong = sum(1 for e, a in pairs if a and not e)
    return {
        "precision": right / made if made else None,
        "recall": right / due if due else None,
        "false_abstention_rate": wrong / answerable if answerable else None,
        "abstained": made,
        "expected": due,
    }


# --- latency, tokens, averages ----------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between ranks; None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency_by_stage(timings: Sequence[dict[str, float]]) -> dict[str, dict[str, float | int | None]]:
    """p50, p95, mean and count of every stage named in the `timings_ms` dicts, stages sorted by name."""
    stages: dict[str, list[float]] = {}
    for row in timings:
        for stage, ms in row.items():
            if isinstance(ms, (int, float)):
                stages.setdefault(stage, []).append(float(ms))
    return {
        stage: {"p50": percentile(v, 50), "p95": percentile(v, 95), "mean": sum(v) / len(v), "n": len(v)}
        for stage, v in sorted(stages.items())
    }


def token_usage(usages: Sequence[dict[str, int]]) -> dict[str, float | int] | None:
    """Totals and per-answer means of prompt and completion tokens; None when no answer reports usage."""
    used = [u for u in usages if u]
    if not used:
        return None
    prompt = sum(int(u.get("prompt_tokens", 0)) for u in used)
    completion = sum(int(u.get("completion_tokens", 0)) for u in used)
    return {"answers": len(used), "prompt_tokens": prompt, "completion_tokens": completion,
            "prompt_tokens_mean": prompt / len(used), "completion_tokens_mean": completion / len(used)}


def mean(values: Iterable[float | bool | None]) -> float | None:
    """Mean of the values that are not None (booleans count as 0/1); None when there are none."""
    xs = [float(v) for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None
