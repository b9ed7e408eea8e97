"""Is a claim supported by its source? What the lexical check found, weighed into one decision.

`rag.claims.check` lists what a window of the cited source lacks. Some of that is never forgiven
(`Verdict.hard`): a number, date, weekday, time of day or relative date the window does not hold, a
country or city (also as its adjective), an Arabic name after a title or name cue, a negation it
lacks or reverses, an antonym of its verb, a member of a closed class swapped (`rag.contrasts`), a
claim with nothing checkable. The rest (an English
name, a thing with the article, a word of the claim's own wording that the window lacks) is
evidence, not proof:
a faithful paraphrase rewords freely, and on answers written after the word rules those rules
flagged 10-39 % of correct claims. So the rest is weighed by a logistic model over a few findings
of the check (`FEATURES`): how many names, things and wording words are missing, the share of the
claim's terms found, how much of its information is missing (by word rarity, `rag.common_words`),
whether another source holds more of the claim than the cited one, the claim's length, and the
word rules' own verdict. Its weights are fitted on the scripted claim sets (`eval/claims/`) by
`python -m eval.fit_claims`, which prints them and their leave-one-set-out figures; the README
gives both. A claim is flagged when its fault probability reaches `THRESHOLD`.

The weights were fitted with word rarity read from the default embedder's vocabulary
(`rag.common_words`); without it every word costs `UNKNOWN_COST`, and the weighing is rougher.
This module does not read files or sources; which window is weighed is `rag.citations`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rag.claims import ClaimFacts, Verdict
from rag.common_words import word_cost

FEATURES = ("names_missing", "things_missing", "wording_missing", "found_share", "missing_information",
            "rarest_missing", "elsewhere_lead", "terms_log", "rules_flag")
# Fitted by `python -m eval.fit_claims eval/claims/*.jsonl` (the README's "Claims checked against
# their sources" gives the command's figures); raw-scale weights, so that a claim's score is one sum.
WEIGHTS = (0.558, 0.415, -0.006, -1.614, 1.724, 0.499, 0.648, -0.734, 0.623)
BIAS = 0.539
# A fault probability at or above this flags the claim. Of the thresholds the fitter prints (the sets
# each judged by weights fitted on the others), 0.35 to 0.4 meet both bars on all nineteen sets
# (0.90 of planted faults flagged, at most 0.05 of correct claims); 0.35 keeps the most margin on
# the side blind sets fall short on (faults caught): 0.925 / 0.044.
THRESHOLD = 0.35
UNKNOWN_COST = 20.0  # a word's cost when no subword vocabulary is installed: neither common nor rare
RAREST_SCALE = 40.0  # a cost of 40 (يفكوروف) is about the rarest a word gets
LEAD_SCALE = 5.0  # facts held elsewhere beyond the cited window, in units of five


@dataclass(frozen=True)
class Judgement:
    """The decision on one claim against one window."""

    supported: bool
    missing: tuple[str, ...]  # what the window lacks (empty when supported)
    fault_probability: float  # 1.0 for a hard fault
    features: tuple[float, ...]  # in the order of FEATURES
    hard: bool = False  # flagged by a rule that is never forgiven, whatever the model says


def _cost(word: str) -> float:
    cost = word_cost(word)
    return UNKNOWN_COST if cost is None else cost


def features(facts: ClaimFacts, verdict: Verdict, elsewhere: int) -> tuple[float, ...]:
    """The findings the model weighs. `elsewhere` is the most facts of the claim that any window of
    a source the claim does not cite holds: a true claim cited to the wrong source leads there."""
    absent = verdict.absent
    names = sum(1 for t in absent if t.name)
    things = sum(1 for t in absent if t.definite and not t.name)
    terms = len(facts.terms)
    all_cost = sum(_cost(t.word) for t in facts.terms)
    absent_costs = [_cost(t.word) for t in absent]
    return (
        float(names),
        float(things),
        float(len(absent) - names - things),
        1.0 - len(absent) / terms if terms else 1.0,
        sum(absent_costs) / all_cost if all_cost else 0.0,
        max(absent_costs, default=0.0) / RAREST_SCALE,
        (elsewhere - verdict.matched) / LEAD_SCALE,
        math.log1p(terms),
        0.0 if verdict.supported else 1.0,
    )


def fault_probability(values: tuple[float, ...], weights: tuple[float, ...] = WEIGHTS, bias: float = BIAS) -> float:
    score = bias + sum(w * v for w, v in zip(weights, values))
    return 1.0 / (1.0 + math.exp(-score))


def judge(facts: ClaimFacts, verdict: Verdict, elsewhere: int) -> Judgement:
    """Supported or not: a hard fault always flags; otherwise the model decides (`THRESHOLD`)."""
    values = features(facts, verdict, elsewhere)
    if verdict.hard:
        return Judgement(False, verdict.missing, 1.0, values, hard=True)
    p = fault_probability(values)
    if p < THRESHOLD:
        return Judgement(True, (), p, values)
    # Flagged: say what the window lacks, also where the word rules alone would have let it pass.
    missing = verdict.missing or tuple(t.word for t in verdict.absent) or ("(too little of the claim)",)
    return Judgement(False, missing, p, values)
