"""The Python API of docs/ARCHITECTURE.md: `from rag import Assistant`, `Answer.to_dict()`'s contract, questions
that cannot be answered as given, and a store that is not there.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.errors import BadQuestionError, EmptyStoreError, StoreError
from core.results import Answer
from tests.conftest import env_without_rawi

QUESTION = "من هو السفير الروسي لدى ليبيا الذي دافع عن وجود قوات بلاده في شرق ليبيا وجنوبها؟"  # dev q01

CONTRACT = {"answer", "abstained", "mode", "citations", "sources", "timings_ms"}
CITATION_KEYS = {"n", "file", "start", "end", "quote"}
SOURCE_KEYS = {"file", "chunk_id", "score", "text"}
TIMING_KEYS = {"retrieve", "generate", "total"}


def test_assistant_answer_and_citation_are_importable_from_the_rag_package(repo_root):
    code = "from rag import Assistant, Answer, Citation; print(Assistant.__name__, Answer.__name__, Citation.__name__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=repo_root, env=env_without_rawi(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Assistant", "Answer", "Citation"]


def test_to_dict_has_every_key_of_the_json_contract_with_the_right_types(answer_of):
    data = answer_of(QUESTION).to_dict()
    json.dumps(data, ensure_ascii=False)  # plain JSON
    assert CONTRACT <= set(data)
    assert isinstance(data["answer"], str) and data["answer"]
    assert data["abstained"] is False
    assert data["mode"] == "extractive"
    assert data["citations"] and data["sources"]
    for c in data["citations"]:
        assert CITATION_KEYS <= set(c)
        assert isinstance(c["n"], int) and isinstance(c["start"], int) and isinstance(c["end"], int)
    for s in data["sources"]:
        assert SOURCE_KEYS <= set(s)
        assert isinstance(s["score"], float) and s["text"]
    assert TIMING_KEYS <= set(data["timings_ms"])
    t = data["timings_ms"]
    assert all(isinstance(t[k], float) and t[k] >= 0 for k in TIMING_KEYS)
    assert t["total"] >= t["retrieve"]


def test_the_dict_has_a_short_answer_or_null(answer_of, verify_citations):
    answer = answer_of(QUESTION)
    verify_citations(answer)
    data = answer.to_dict()
    assert "short_answer" in data
    assert data["short_answer"] is None or set(data["short_answer"]) == {"text", "file", "start", "end", "n"}
    abstained = answer_of("كيف أحضّر القهوة التركية في البيت؟")
    assert abstained.abstained and abstained.to_dict()["short_answer"] is None


def test_the_dict_citations_quote_their_files_exactly(answer_of, corpus_texts):
    data = answer_of(QUESTION).to_dict()
    for c in data["citations"]:
        assert c["quote"] == corpus_texts[c["file"]][c["start"] : c["end"]]
        assert data["sources"][c["n"] - 1]["file"] == c["file"]


@pytest.mark.parametrize(
    "question, says",
    [
        ("", "type a question"),
        ("   \n\t  ", "type a question"),
        ("\u200b\u200f\u2066", "type a question"),
        ("سؤال " * 4_000, "too long"),  # 20,000 characters
        ("؟؟؟!!!", "no words"),
    ],
    ids=["empty", "whitespace", "only-invisible-marks", "20000-chars", "only-punctuation"],
)
def test_a_question_that_cannot_be_asked_raises_bad_question_error_with_a_readable_message(
    sample_assistant, question, says
):
    with pytest.raises(BadQuestionError) as raised:
        sample_assistant.ask(question)
    message = str(raised.value)
    assert says in message.lower()
    assert "Traceback" not in message and len(message) < 300


def test_a_too_long_question_is_refused_by_stream_as_well_before_any_work(sample_assistant):
    with pytest.raises(BadQuestionError, match="2000"):
        next(iter(sample_assistant.stream("س" * 20_000)))


@pytest.mark.parametrize(
    "question, says",
    [("", "type a question"), ("\t\n \u200b", "type a question"), ("؟!،.…«»", "no words"), ("😀🇱🇾❓", "no words")],
    ids=["empty", "whitespace-and-zero-width", "only-punctuation", "only-emoji"],
)
def test_stream_refuses_a_question_that_cannot_be_asked_before_yielding_anything(sample_assistant, question, says):
    events = sample_assistant.stream(question)
    with pytest.raises(BadQuestionError, match=says):
        next(events)


@pytest.mark.parametrize("question", [None, 42, ["من هو السفير؟"], {"text": "سؤال"}], ids=["none", "number", "list", "dict"])
def test_a_question_that_is_not_text_raises_bad_question_error(sample_assistant, question):
    with pytest.raises(BadQuestionError, match="text|type a question"):
        sample_assistant.ask(question)


@pytest.mark.parametrize(
    "question",
    ["俄罗斯驻利比亚大使是谁？", "Кто посол России в Ливии?", "من هو السفير الروسي لدى ليبيا؟ 🤔🇷🇺", "ℌ𝔢𝔩𝔩𝔬 ١٢٣"],
    ids=["chinese", "cyrillic", "arabic-with-emoji", "math-letters-and-arabic-digits"],
)
def test_a_question_in_another_script_gets_an_answer_or_an_abstention_never_an_error(
    sample_assistant, verify_citations, question
):
    events = list(sample_assistant.stream(question))
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.answer
    assert all(isinstance(e, str) for e in events[:-1])
    if answer.abstained:
        assert answer.citations == []
    else:
        assert answer.citations
    verify_citations(answer)


def test_markup_in_a_question_is_plain_text_to_the_engine_and_the_question_is_answered(sample_assistant, verify_citations):
    question = "<script>alert('x')</script> " + QUESTION + " <b>عاجل</b>"
    answer = sample_assistant.ask(question)
    assert answer.question == question  # kept as typed, not stripped or interpreted
    assert not answer.abstained and "أغانين" in answer.answer
    verify_citations(answer)
    assert json.loads(json.dumps(answer.to_dict(), ensure_ascii=False))["answer"] == answer.answer


def test_control_characters_and_zero_width_marks_are_stripped_and_the_question_is_still_answered(
    sample_assistant, verify_citations
):
    dirty = "\u200fمن هو السفير\x00 الروسي\u200b لدى\u202e ليبيا\u2066 الذي دافع عن وجود قوات بلاده\x07 في شرق ليبيا وجنوبها؟\ufeff"
    answer = sample_assistant.ask(dirty)
    assert answer.question == QUESTION
    assert not answer.abstained
    assert "أغانين" in answer.answer
    verify_citations(answer)
    clean = sample_assistant.retriever.retrieve(QUESTION, sample_assistant.settings.retrieval.top_k)
    assert [s.chunk_id for s in answer.sources] == [h.chunk.id for h in clean.hits]


def test_opening_a_missing_store_raises_an_error_that_says_to_run_rawi_ingest(tmp_path, sample_store_settings):
    from rawi.compose import open_assistant

    missing = tmp_path / "no-such-store"
    with pytest.raises(EmptyStoreError) as raised:
        open_assistant(missing, sample_store_settings)
    assert isinstance(raised.value, StoreError)
    assert "rawi ingest" in str(raised.value) and str(missing) in str(raised.value)
    assert not missing.exists()  # opening to answer never creates a store


def test_opening_a_store_folder_without_a_collection_says_to_run_rawi_ingest(tmp_path):
    from rawi.compose import build_chroma_client, open_assistant
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    build_chroma_client(settings.chroma, settings.store, create=True)  # a Chroma database with nothing in it
    with pytest.raises(EmptyStoreError, match="rawi ingest"):
        open_assistant(settings.store.path, settings)


def test_a_store_whose_collection_holds_no_chunks_says_to_ingest_instead_of_abstaining(tmp_path):
    from core.settings import Settings
    from rawi.compose import build_embedder, open_assistant, open_store

    settings = Settings(store=tmp_path / "empty", embedder="hashing")
    open_store(settings, build_embedder(settings), create=True)  # the collection exists, with nothing in it
    bot = open_assistant(settings.store.path, settings)
    with pytest.raises(EmptyStoreError, match="rawi ingest"):
        bot.ask("من هو السفير الروسي لدى ليبيا؟")
