"""`rawi feedback export`: rated answers become a question file that `rawi eval --questions` runs and scores."""

from __future__ import annotations

import json

from cli.main import main
from eval.feedback import KIND_DOWN, KIND_UP
from eval.questions_io import load_questions
from rag.conversations import ANONYMOUS

AMBASSADOR_Q = "من هو السفير الروسي لدى ليبيا؟"
VISIT_Q = "متى زار حفتر بيلاروسيا؟"
FOLLOW_Q = "ومن رافقه في تلك الزيارة؟"
AMBASSADOR = "إيفان مولوتكوف"
AMBASSADOR_FILE = "002_00195396159b75ad.txt"


def test_rated_turns_export_as_a_question_file_that_rawi_eval_runs_and_scores(corpus_rig, tmp_path, monkeypatch, capsys):
    from rawi.compose import Rawi, open_conversations

    monkeypatch.setenv("RAWI_EMBEDDER", "hashing")
    monkeypatch.setenv("RAWI_CHATS_DB", str(tmp_path / "chats.sqlite3"))
    settings = corpus_rig.settings.replace(chats_db=tmp_path / "chats.sqlite3")
    bot = Rawi(settings, corpus_rig.embedder, corpus_rig.store, llm=None).assistant()
    chats = open_conversations(settings)

    # A thumbs-down with the expected answer, a conversation whose follow-up got a thumbs-up,
    # a thumbs-down with no expected answer (nothing to test against) and an unrated turn.
    first = chats.create(ANONYMOUS)
    down = chats.append_turn(ANONYMOUS, first.id, AMBASSADOR_Q, bot.ask(AMBASSADOR_Q))
    chats.record_feedback(ANONYMOUS, down.id, "down", comment="the full name please", expected_answer=AMBASSADOR)
    second = chats.create(ANONYMOUS)
    visit = bot.ask(VISIT_Q)
    chats.append_turn(ANONYMOUS, second.id, VISIT_Q, visit)
    follow_answer = bot.ask(FOLLOW_Q, [{"role": "user", "content": VISIT_Q}, {"role": "assistant", "content": visit.answer}])
    follow = chats.append_turn(ANONYMOUS, second.id, FOLLOW_Q, follow_answer)
    chats.record_feedback(ANONYMOUS, follow.id, "up")
    vague = chats.append_turn(ANONYMOUS, chats.create(ANONYMOUS).id, "ما عاصمة اليابان؟", bot.ask("ما عاصمة اليابان؟"))
    chats.record_feedback(ANONYMOUS, vague.id, "down", comment="wrong")
    chats.append_turn(ANONYMOUS, first.id, "سؤال بلا تقييم", bot.ask("سؤال بلا تقييم"))

    out = tmp_path / "feedback.jsonl"
    store = str(settings.store.path)
    assert main(["feedback", "export", "--store", store, "--output", str(out)]) == 0
    said = capsys.readouterr().err
    assert "2 case(s): 1 from thumbs-down, 1 from thumbs-up" in said and "1 thumbs-down without an expected answer" in said

    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_kind = {line["kind"]: line for line in lines}
    assert set(by_kind) == {KIND_DOWN, KIND_UP}
    wrong = by_kind[KIND_DOWN]
    assert wrong["question"] == AMBASSADOR_Q and wrong["answer_groups"] == [[AMBASSADOR]]
    assert wrong["gold_files"] == [AMBASSADOR_FILE]  # the article that contains the expected answer
    assert wrong["feedback"]["comment"] == "the full name please"
    good = by_kind[KIND_UP]
    assert [t["q"] for t in good["turns"]] == [VISIT_Q, FOLLOW_Q]  # the follow-up keeps its history
    assert good["turns"][1]["gold_files"] == list(dict.fromkeys(c.file for c in follow_answer.citations))
    assert len(load_questions(out)) == 2

    # The real command reads and scores it.
    assert main(["eval", "--questions", str(out), "--store", store, "--json", "--quiet"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["meta"]["questions"] == 3 and metrics["meta"]["cases"] == 2
    kinds = metrics["by_kind"]
    assert set(kinds) == {KIND_DOWN, KIND_UP}
    assert kinds[KIND_DOWN]["answer_correct_n"] == 1 and kinds[KIND_DOWN]["answer_correct"] in (0.0, 1.0)


def test_feedback_export_with_nothing_rated_writes_nothing_and_without_a_database_says_so(corpus_rig, tmp_path,
                                                                                          monkeypatch, capsys):
    from rawi.compose import open_conversations

    db = tmp_path / "chats.sqlite3"
    monkeypatch.setenv("RAWI_CHATS_DB", str(db))
    store = str(corpus_rig.settings.store.path)
    assert main(["feedback", "export", "--store", store]) == 2
    assert "No saved chats" in capsys.readouterr().err and not db.exists()

    open_conversations(corpus_rig.settings.replace(chats_db=db)).create("someone")
    assert main(["feedback", "export", "--store", store]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "0 case(s)" in captured.err
