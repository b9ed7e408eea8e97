"""Fit the weights of `rag.support` on scripted claim sets, and say how well they hold on sets left out.

    python -m eval.fit_claims eval/claims/*.jsonl

Every claim of the sets goes through the assistant's own code (`eval.claims.evaluate_claims`), which
records what the lexical check found (`rag.support.FEATURES`). Claims a hard rule flags (a number or
date changed, a negation) are flagged whatever the weights say, so the model is fitted on the others
only: L2-regularised logistic regression on standardised features, by plain gradient descent
(numpy; the whole fit is a few hundred claims and nine weights, and a deterministic fit needs no
library). It prints:
- leave-one-set-out figures for a few thresholds: each set judged by weights fitted on the other
  sets, an estimate of how the checker does on answers it was not fitted on (optimistic once a
  threshold is chosen from these same figures, and once rules were written after reading the sets);
- the weights fitted on all the sets, as the lines to paste into `rag/support.py`.

It does not write any file.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.claims import evaluate_claims
from rag.support import FEATURES

L2 = 0.1
STEPS = 3000
RATE = 0.1
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.36, 0.375, 0.4, 0.45)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """(raw-scale weights, bias) of a logistic regression of y on x."""
    mean, scale = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(STEPS):
        gradient = probabilities(z, w, b) - y
        w -= RATE * (z.T @ gradient / len(y) + L2 * w)
        b -= RATE * gradient.mean()
    return w / scale, float(b - (w / scale) @ mean)


def probabilities(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ w + b)))


@dataclass
class ClaimTable:
    """Every claim of the sets: its set, features, whether it is a planted fault, whether a hard rule flags it."""

    sets: np.ndarray
    x: np.ndarray
    fault: np.ndarray
    hard: np.ndarray


def collect(paths: list[Path]) -> ClaimTable:
    sets, x, fault, hard = [], [], [], []
    for path in paths:
        for r in evaluate_claims(path).results:
            sets.append(path.stem)
            x.append(r.features)
            fault.append(r.label != "ok")
            hard.append(r.hard)
    return ClaimTable(np.array(sets), np.array(x, float), np.array(fault), np.array(hard))


def fitted(table: ClaimTable) -> tuple[np.ndarray, float]:
    """The weights fitted on every claim no hard rule flags."""
    return fit(table.x[~table.hard], table.fault[~table.hard])


def left_out(table: ClaimTable, threshold: float) -> dict[str, tuple[int, int, int, int]]:
    """Per set, judged by weights fitted on the other sets: (faults flagged, faults, correct flagged, correct)."""
    out = {}
    for name in dict.fromkeys(table.sets.tolist()):
        train = (table.sets != name) & ~table.hard
        test = table.sets == name
        w, b = fit(table.x[train], table.fault[train])
        flag = table.hard[test] | (probabilities(table.x[test], w, b) >= threshold)
        truth = table.fault[test]
        out[name] = (int((flag & truth).sum()), int(truth.sum()), int((flag & ~truth).sum()), int((~truth).sum()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="+", type=Path, help="claim sets (eval/claims/*.jsonl)")
    args = parser.parse_args(argv)
    table = collect(args.sets)
    if len(set(table.sets.tolist())) < 2 or table.fault.all() or not table.fault.any():
        parser.error("give at least two claim sets, with planted faults and correct claims")
    print("leave one set out: planted faults flagged / correct claims flagged")
    for threshold in THRESHOLDS:
        cells = left_out(table, threshold)
        caught, faults, flagged, correct = (sum(c[i] for c in cells.values()) for i in range(4))
        print(f"  threshold {threshold}: {caught / max(faults, 1):.3f} / {flagged / max(correct, 1):.3f}   "
              + ", ".join(f"{name} {c[0]}/{c[1]} {c[2]}/{c[3]}" for name, c in cells.items()))
    w, b = fitted(table)
    print(f"fitted on all {len(set(table.sets.tolist()))} sets ({int((~table.hard).sum())} claims without a hard fault):")
    print("WEIGHTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")  # " + ", ".join(FEATURES))
    print(f"BIAS = {b:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
