"""rawi inside llama-index, and llama-index LLMs inside rawi.

rawi's retrieval as a `BaseRetriever` in llama-index's own query and chat engines (with its
`MockLLM`), rawi's chunker as a `NodeParser` in a real `IngestionPipeline`, any llama-index `LLM`
handed to `rawi.Assistant.open` with its answers verified, the retry bound of rawi's own LLM
measured against the scripted server, and a cold extractive `rawi ask` that never imports
llama-index. Stores are real Chroma in temporary folders (tests/conftest.py).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.llms import (
    ChatMessage,
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
    MockLLM,
)
from llama_index.core.llms.callbacks import llm_completion_callback

from core.errors import ConfigError, LLMError
from tests.conftest import ART_001, env_without_rawi, rawi_command
from tests.support.openai_server import Reply, ScriptedOpenAIServer

QUESTION = "من هو السفير الروسي لدى ليبيا الذي دافع عن وجود قوات بلاده في شرق ليبيا وجنوبها؟"  # q01 of dev.jsonl


def assert_nodes_slice_their_files(nodes, corpus_texts: dict[str, str]) -> None:
    assert nodes, "no source nodes"
    for scored in nodes:
        node = scored.node
        file = node.metadata["file"]
        assert file in corpus_texts, file
        assert corpus_texts[file][node.start_char_idx : node.end_char_idx] == node.text, (file, node.start_char_idx)
        assert node.ref_doc_id == file


@pytest.fixture(scope="module")
def bot(sample_store_settings):
    import rawi

    return rawi.Assistant.open(sample_store_settings.store.path, sample_store_settings, llm=None)


# --- the retriever ---------------------------------------------------------------------------------

def test_the_retriever_returns_rawis_top_k_chunks_as_nodes_with_exact_offsets_title_and_date(bot, corpus_texts):
    from llama_index.core.base.base_retriever import BaseRetriever

    retriever = bot.as_retriever()
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve(QUESTION)
    hits = bot.retriever.retrieve(QUESTION, bot.settings.retrieval.top_k).hits
    assert [n.node.node_id for n in nodes] == [h.chunk.id for h in hits]
    assert [n.score for n in nodes] == [h.score for h in hits]
    assert_nodes_slice_their_files(nodes, corpus_texts)
    for scored, hit in zip(nodes, hits):
        assert scored.node.metadata["title"] == hit.chunk.meta["title"] and scored.node.metadata["title"]
        assert scored.node.metadata["date"] == hit.chunk.meta.get("date", "")
    assert any(n.node.metadata["date"] for n in nodes)
    assert any("أغانين" in n.node.text for n in nodes)  # the chunk naming the ambassador


def test_the_retriever_takes_k_and_a_mode_and_returns_nothing_for_a_query_without_words(bot):
    assert len(bot.as_retriever(k=2).retrieve(QUESTION)) == 2
    bm25 = bot.as_retriever(k=3, mode="bm25").retrieve(QUESTION)
    assert [n.node.node_id for n in bm25] == [h.chunk.id for h in bot.retriever.retrieve(QUESTION, 3, mode="bm25").hits]
    assert bot.as_retriever().retrieve("؟ ! ...") == []


def test_a_stock_retriever_query_engine_answers_from_rawis_nodes(bot, corpus_texts):
    from llama_index.core.query_engine import RetrieverQueryEngine

    engine = RetrieverQueryEngine.from_args(bot.as_retriever(), llm=MockLLM(max_tokens=8))
    response = engine.query(QUESTION)
    assert str(response).strip()
    assert len(response.source_nodes) == bot.settings.retrieval.top_k
    assert_nodes_slice_their_files(response.source_nodes, corpus_texts)


def test_a_stock_condense_plus_context_chat_engine_cites_rawis_nodes_across_turns(bot, corpus_texts):
    from llama_index.core.chat_engine import CondensePlusContextChatEngine

    engine = CondensePlusContextChatEngine.from_defaults(bot.as_retriever(), llm=MockLLM(max_tokens=8))
    first = engine.chat(QUESTION)
    assert_nodes_slice_their_files(first.source_nodes, corpus_texts)
    follow_up = engine.chat("ومتى زار المشير حفتر بيلاروسيا؟")  # condensed by the (mock) LLM, then retrieved
    assert_nodes_slice_their_files(follow_up.source_nodes, corpus_texts)
    streamed = engine.stream_chat("ومن رافقه في تلك الزيارة؟")
    assert "".join(streamed.response_gen).strip()
    assert_nodes_slice_their_files(streamed.source_nodes, corpus_texts)


# --- the node parser ---------------------------------------------------------------------------------

def test_the_node_parser_in_an_ingestion_pipeline_cuts_the_spans_rawi_ingest_stores(corpus_rig, corpus_dir, corpus_texts):
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.schema import TextNode

    from ingest.llama_parser import RawiNodeParser, read_documents

    documents = read_documents([corpus_dir])
    assert {d.doc_id: d.text for d in documents} == corpus_texts  # rawi's citable text, keyed as rawi keys it
    parser = RawiNodeParser.from_settings(corpus_rig.settings.ingest)
    nodes = IngestionPipeline(transformations=[parser]).run(documents=documents)
    assert nodes and all(isinstance(n, TextNode) for n in nodes)
    for node in nodes:
        file = node.metadata["file"]
        assert corpus_texts[file][node.start_char_idx : node.end_char_idx] == node.text
        assert node.ref_doc_id == file
    stored = {(c.file, c.meta["start"], c.meta["end"]) for c in corpus_rig.chunks()}
    assert {(n.metadata["file"], n.start_char_idx, n.end_char_idx) for n in nodes} == stored
    by_file = {(c.file, c.meta["chunk_index"]): c.meta for c in corpus_rig.chunks()}
    for node in nodes:
        meta = by_file[(node.metadata["file"], node.metadata["chunk_index"])]
        assert node.metadata["title"] == meta["title"] and node.metadata.get("date", "") == meta.get("date", "")


def test_the_node_parser_leaves_page_furniture_out_and_keeps_offsets_of_repeated_passages(corpus_texts):
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.schema import Document

    from ingest.chunk import chunk_blocks, tiktoken_counter
    from ingest.clean import clean
    from ingest.llama_parser import RawiNodeParser

    text = corpus_texts[ART_001]
    furniture = ["تم نسخ عنوان المقال إلى الحافظة", "℃ 11 تركيا", "23 أغسطس 2023, 8:04:24 ص"]
    assert all(f in text for f in furniture)
    # The second chunk is the repeated sentence alone; its text is found earlier in the first chunk.
    said = "وقال إن الوفد الروسي سيعود إلى بنغازي قريبا."
    repeated = ("أعلن المتحدث باسم الجيش الليبي أن الاجتماع بحث التعاون العسكري. " + said + " " + said +
                " وأضاف المتحدث أن الطرفين اتفقا على مواصلة التنسيق في مجالات التدريب والتسليح وتبادل الخبرات.\n")
    documents = [Document(id_=ART_001, text=text, metadata={"file": ART_001}),
                 Document(id_="twice.txt", text=repeated, metadata={"file": "twice.txt"})]
    parser = RawiNodeParser(chunk_tokens=40, chunk_overlap_tokens=0)
    nodes = IngestionPipeline(transformations=[parser]).run(documents=documents)
    article = [n for n in nodes if n.ref_doc_id == ART_001]
    assert article and not [f for f in furniture for n in article if f in n.text]
    assert article[0].metadata["date"] == "2023-08-23"
    twice = [n for n in nodes if n.ref_doc_id == "twice.txt"]
    spans = chunk_blocks(repeated, clean(repeated).blocks, 40, 0, tiktoken_counter("o200k_base"))
    assert [(n.start_char_idx, n.end_char_idx) for n in twice] == [(s.start, s.end) for s in spans]
    assert twice[1].text == said and twice[1].start_char_idx == repeated.rindex(said) != repeated.index(said)
    for node in nodes:
        source = text if node.ref_doc_id == ART_001 else repeated
        assert source[node.start_char_idx : node.end_char_idx] == node.text


# --- llama-index LLMs answering in rawi -----------------------------------------------------------------

class CitingLLM(CustomLLM):
    """A llama-index LLM with a fixed reply, written word by word: a fake of the real interface."""

    reply: str = ""
    seen: list = []

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="citing-fake")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.seen.append(prompt)
        return CompletionResponse(text=self.reply)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        self.seen.append(prompt)
        words = self.reply.split(" ")

        def pieces() -> CompletionResponseGen:
            text = ""
            for i, word in enumerate(words):
                delta = word if i == 0 else " " + word
                text += delta
                yield CompletionResponse(text=text, delta=delta)

        return pieces()


class BrokenLLM(CitingLLM):
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        raise RuntimeError("upstream said: Incorrect API key provided: sk-foreign-999")


def source_number(bot, word: str) -> int:
    hits = bot.retriever.retrieve(QUESTION, bot.settings.retrieval.top_k).hits
    return next(n for n, h in enumerate(hits, start=1) if word in h.chunk.text)


def test_assistant_open_takes_any_llama_index_llm_and_verifies_its_citations(sample_store_settings, bot, verify_citations):
    import rawi
    from rag.assistant import Assistant as Engine

    n = source_number(bot, "أغانين")
    llm = CitingLLM(reply=f"السفير الروسي لدى ليبيا هو أيدار أغانين [{n}]. وهو سفير منذ عام 2090 [7].", seen=[])
    cited = rawi.Assistant.open(sample_store_settings.store.path, sample_store_settings, llm=llm)
    assert isinstance(cited, Engine) and cited.mode == "llm" and cited.status()["model"] == "citing-fake"
    events = list(cited.stream(QUESTION))
    answer = events[-1]
    assert len(events) > 3 and "".join(events[:-1]) == llm.reply  # streamed as written, then checked
    assert answer.mode == "llm" and answer.model == "citing-fake"
    assert [c.n for c in answer.citations] == [n] and "أغانين" in answer.citations[0].quote
    assert answer.removed_markers == 1 and "[7]" not in answer.answer
    verify_citations(answer)
    assert "<source " in llm.seen[-1] and QUESTION in llm.seen[-1]  # rawi's prompt, sources as data


def test_a_mock_llm_answer_without_markers_is_kept_and_flagged(sample_store_settings):
    from rawi.compose import open_assistant

    answer = open_assistant(sample_store_settings.store.path, sample_store_settings, llm=MockLLM(max_tokens=5)).ask(QUESTION)
    assert answer.mode == "llm" and answer.answer == "text text text text text"
    assert answer.citations == [] and any("no source" in w for w in answer.warnings)


def test_a_failing_llama_index_llm_falls_back_to_the_extractive_answer_without_its_error_text(
    sample_store_settings, verify_citations
):
    import rawi

    answer = rawi.Assistant.open(sample_store_settings.store.path, sample_store_settings, llm=BrokenLLM()).ask(QUESTION)
    assert answer.mode == "extractive" and answer.citations
    verify_citations(answer)
    assert any("RuntimeError" in w for w in answer.warnings), answer.warnings
    assert "sk-foreign-999" not in str(answer.to_dict())


def test_an_llm_that_is_not_a_llama_index_llm_is_a_config_error(sample_store_settings):
    import rawi

    with pytest.raises(ConfigError, match="llama-index LLM"):
        rawi.Assistant.open(sample_store_settings.store.path, sample_store_settings, llm="gpt-4o")


# --- rawi's own LLM: bounded retries, measured ---------------------------------------------------------

@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_rawis_llm_makes_at_most_max_retries_plus_one_requests_per_call(max_retries):
    from llama_index.core.llms import LLM

    from vendors.llm import OpenAICompatibleLLM

    with ScriptedOpenAIServer() as server:
        llm = OpenAICompatibleLLM(server.base_url, "test-model", "", timeout_s=10, max_retries=max_retries,
                                  max_tokens=16, temperature=0)
        assert isinstance(llm, LLM)
        calls = {
            "chat": lambda: llm.chat([ChatMessage(role="user", content="hi")]),
            "stream_chat": lambda: list(llm.stream_chat([ChatMessage(role="user", content="hi")])),
            "complete": lambda: llm.complete("hi"),
        }
        for name, call in calls.items():
            server.reset()
            server.script(*[Reply.status(500)] * (max_retries + 3))
            with pytest.raises(LLMError, match="HTTP 500"):
                call()
            assert server.request_count == max_retries + 1, name


def test_rawis_llm_streams_deltas_and_reports_the_whole_reply():
    from vendors.llm import OpenAICompatibleLLM

    with ScriptedOpenAIServer() as server:
        llm = OpenAICompatibleLLM(server.base_url, "test-model", "", timeout_s=10, max_retries=0,
                                  max_tokens=16, temperature=0)
        server.script(Reply.text("مرحبا بكم في راوي", chunk_size=3))
        responses = list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
        assert len(responses) > 2 and "".join(r.delta for r in responses) == responses[-1].message.content
        assert responses[-1].message.content == "مرحبا بكم في راوي"
        server.script(Reply.text("نعم"))
        assert llm.complete("hi").text == "نعم" and llm.metadata.model_name == "test-model"


# --- start-up cost ----------------------------------------------------------------------------------------

def imported_modules(store: Path, repo_root: Path, **env: str) -> set[str]:
    """The modules a cold `rawi ask` process imports (from `python -X importtime`'s report)."""
    run = subprocess.run(
        [*rawi_command(), "ask", QUESTION, "--store", str(store)], capture_output=True, text=True, timeout=600,
        cwd=repo_root, env={**env_without_rawi(), "RAWI_EMBEDDER": "hashing", "PYTHONPROFILEIMPORTTIME": "1", **env},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.slow
def test_a_cold_extractive_rawi_ask_does_not_import_llama_index_and_llm_mode_does(corpus_rig, repo_root):
    extractive = imported_modules(corpus_rig.settings.store.path, repo_root)
    assert "rag.assistant" in extractive and "llama_index.core" not in extractive
    # Finding llama-index's bundled tiktoken files (core.offline) touches only the empty namespace package.
    assert not [m for m in extractive if m.startswith("llama_index.")]
    with ScriptedOpenAIServer() as server:
        server.script(Reply.text("أيدار أغانين [1]."))
        llm = imported_modules(corpus_rig.settings.store.path, repo_root,
                               RAWI_LLM_BASE_URL=server.base_url, RAWI_LLM_MODEL="test-model")
        assert server.request_count == 1
    assert "llama_index.core" in llm
