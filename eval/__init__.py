"""rawi's offline evaluation harness (`rawi eval`).

Modules, each doing one thing:

- `eval.questions_io`: reads question files (JSON lines, see docs/ARCHITECTURE.md) and SQuAD v1.1/v2.0 JSON
  into `Case`s; writes a SQuAD set's contexts out as documents.
- `eval.squad`: builds (or reuses) the cached store of a SQuAD set's contexts.
- `eval.metrics`: the metrics, as pure functions of plain values (no I/O, no engine).
- `eval.judge`: the optional LLM-judged faithfulness check (only when an LLM is configured).
- `eval.runner`: asks the `Assistant` every question and records one result row per question/turn;
  `evaluate_question_file` / `evaluate_squad_file` are what `rawi eval` calls.
- `eval.aggregate`: rows to the metrics dict, overall, by `kind` and per retriever.
- `eval.report`: the terminal table, `report.md`, `metrics.json`, `results.jsonl` and the PNG plots.

Importing this package loads nothing heavy.
"""
