"""`rawi ask` as users and scripts run it: the JSON contract of docs/ARCHITECTURE.md, the readable form, and
the exit status and message when something is wrong.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re

import pytest

from cli.main import main

QUESTION = "من هو السفير الروسي لدى ليبيا الذي دافع عن وجود قوات بلاده في شرق ليبيا وجنوبها؟"  # dev q01

CONTRACT = {"answer", "abstained", "mode", "citations", "sources", "timings_ms"}


@pytest.fixture(scope="module")
def json_run(sample_store_settings):
    """One `rawi ask --json` run (its stdout, stderr and exit status), shared by the JSON tests."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("RAWI_")]:
            mp.delenv(key)
        status = main(["ask", QUESTION, "--store", str(sample_store_settings.store.path), "--json"])
    return status, out.getvalue(), err.getvalue()


def test_ask_json_prints_exactly_one_json_object_with_the_contract_keys(json_run):
    status, out, err = json_run
    assert status == 0, err
    data = json.loads(out)  # the whole of stdout is one object
    assert isinstance(data, dict)
    assert CONTRACT <= set(data)
    assert data["mode"] == "extractive" and data["abstained"] is False
    assert {"retrieve", "generate", "total"} <= set(data["timings_ms"])
    assert all({"file", "chunk_id", "score", "text"} <= set(s) for s in data["sources"])


def test_ask_json_citations_verify_against_the_files_and_the_answer_holds_the_fact(json_run, corpus_texts):
    data = json.loads(json_run[1])
    assert "أغانين" in data["answer"]
    assert data["citations"]
    for c in data["citations"]:
        assert {"n", "file", "start", "end", "quote"} <= set(c)
        assert c["quote"] == corpus_texts[c["file"]][c["start"] : c["end"]]
        assert f"[{c['n']}]" in data["answer"]


def test_ask_json_has_the_short_answer_first_as_a_verified_slice_of_a_cited_quote(json_run, corpus_texts):
    data = json.loads(json_run[1])
    short = data["short_answer"]
    assert set(short) == {"text", "file", "start", "end", "n"}
    assert "أغانين" in short["text"] and len(short["text"].split()) <= 3
    assert short["text"] == corpus_texts[short["file"]][short["start"] : short["end"]]
    assert any(c["n"] == short["n"] and c["file"] == short["file"] and c["start"] <= short["start"] and short["end"] <= c["end"]
               for c in data["citations"])
    assert data["answer"].startswith(f"**{short['text']}** — ")


def test_ask_without_json_prints_the_answer_then_the_cited_sources_numbered(sample_store_settings, capsys, corpus_texts):
    status = main(["ask", QUESTION, "--store", str(sample_store_settings.store.path)])
    out = capsys.readouterr().out
    assert status == 0
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    answer_line = out.split("\n\n")[0]
    assert "أغانين" in answer_line
    cited = [int(n) for n in re.findall(r"\[(\d+)\]", answer_line)]
    assert cited
    for n in set(cited):
        heading = re.search(rf"^\[{n}\] (\S+\.txt)", out, re.M)
        assert heading, f"source [{n}] is not listed:\n{out}"
        assert heading.group(1) in corpus_texts
    for start, end, quote in re.findall(r"^\s+(\d+)-(\d+): «(.*)»$", out, re.M):
        assert any(text[int(start) : int(end)] == quote for text in corpus_texts.values())
    assert re.search(r"^\s+\d+-\d+: «", out, re.M), out


def test_ask_with_a_missing_store_exits_2_with_a_one_line_message(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    status = main(["ask", QUESTION, "--store", str(missing)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err.startswith("rawi: ") and "rawi ingest" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert not missing.exists()


def test_ask_with_a_question_of_only_punctuation_exits_2_with_a_message(sample_store_settings, capsys):
    status = main(["ask", "؟؟؟!!!", "--store", str(sample_store_settings.store.path), "--json"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert "no words" in captured.err


@pytest.mark.parametrize(
    "question, says",
    [("", "type a question"), ("  \t ", "type a question"), ("\u200b\u2066\u200f", "type a question"),
     ("سؤال " * 4_000, "too long"), ("😀🇱🇾❓", "no words")],
    ids=["empty", "whitespace", "only-zero-width-marks", "20000-chars", "only-emoji"],
)
def test_ask_with_a_question_that_cannot_be_asked_exits_2_with_one_readable_line(
    sample_store_settings, capsys, question, says
):
    status = main(["ask", question, "--store", str(sample_store_settings.store.path)])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    assert captured.err.startswith("rawi: ") and says in captured.err.lower()
    assert len(captured.err.strip().splitlines()) == 1 and len(captured.err) < 300
    assert "Traceback" not in captured.err


def test_ask_cleans_control_characters_and_zero_width_marks_and_still_answers(sample_store_settings, capsys, corpus_texts):
    dirty = "\u200f" + QUESTION.replace(" ", "\u200b \x07", 3) + "\ufeff\x00"
    status = main(["ask", dirty, "--store", str(sample_store_settings.store.path), "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    data = json.loads(captured.out)
    assert not data["abstained"] and "أغانين" in data["answer"]
    for c in data["citations"]:
        assert c["quote"] == corpus_texts[c["file"]][c["start"] : c["end"]]


@pytest.mark.parametrize("question", ["俄罗斯驻利比亚大使是谁？", "Кто посол России в Ливии?"], ids=["chinese", "cyrillic"])
def test_ask_in_another_script_prints_an_answer_or_an_abstention_and_exits_0(sample_store_settings, capsys, question):
    status = main(["ask", question, "--store", str(sample_store_settings.store.path), "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    data = json.loads(captured.out)
    assert data["answer"] and (data["abstained"] or data["citations"])


def test_ask_with_markup_in_the_question_still_answers_it(sample_store_settings, capsys):
    status = main(["ask", "<script>alert(1)</script> " + QUESTION, "--store", str(sample_store_settings.store.path)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "أغانين" in captured.out
