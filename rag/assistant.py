"""`Assistant`: the one engine every front end calls (CLI, Python, Gradio, eval).

    bot = rawi.open_assistant(".rawi")
    ans = bot.ask("من هو السفير الروسي لدى ليبيا؟", history=[{"role": "user", "content": "..."}, ...])
    for event in bot.stream("..."): ...   # str deltas, then the final Answer

It checks the question, resolves follow-ups, retrieves, answers (LLM when configured, else the
offline extractive answerer; extractive again if the LLM fails, and the answer says so) and
returns citations verified against the stored file text. Its parts (store, retriever, answerer,
LLM) are built by the composition root, `rawi.compose`, and handed in. The LLM is any llama-index
`LLM` (rawi's OpenAI-compatible one is `vendors.llm`), called through `rag.chat`; `as_retriever()`
hands the retrieval to llama-index engines. This module imports no llama-index itself.
"""

from __future__ import annotations

import re
import time
import unicodedata
from typing import Any, Iterator

from core.arabic import (
    INVISIBLE,
    is_mostly_arabic,
    reply_in_arabic,
    tokenize,
)
from core.errors import BadQuestionError, EmptyStoreError, LLMError
from core.results import Answer, Citation, Source
from core.settings import Settings
from core.timing import ms_since as _ms
from core.tokens import tiktoken_counter
from rag.abstention import abstention_message, looks_like_abstention
from rag.chat import chat_text, model_name, stream_text
from rag.citations import cite_llm_answer
from rag.extractive import ExtractiveAnswerer
from rag.prompts import build_condense_messages, build_messages, usage_of
from rag.question import opens_with_and
from rag.retrieve import HybridRetriever, Mode, Retrieval
from rag.short_answer import find_short_answer, lead_with, verified
from rag.sources import sources_from_chunks, sources_from_hits
from vendors.store import ChunkStore

__all__ = ["Answer", "Assistant", "Citation", "Source"]

_REFERRING = set(
    "تلك ذلك هذه هذا هؤلاء هناك هنالك حينها وقتها عندها نفسه نفسها هو هي هم هما ايضا كذلك "
    "he she they it its his her their them him there that those this these then also".split()
)
NEIGHBOR_SOURCES = 5  # retrieved sources whose neighbouring chunks also offer sentences
QUOTES_LEAD_IN_EN = "The articles say (quoted in Arabic):"  # before the quotes of an offline answer to a question not in Arabic
TOPIC_TURNS = 3  # earlier questions a follow-up may carry into retrieval (`_topic_of`)


def clean_question(question: str, max_chars: int) -> str:
    """The question as retrieval sees it, or a `BadQuestionError` a person understands."""
    if question is not None and not isinstance(question, str):  # e.g. a number or a list sent to the API
        raise BadQuestionError("السؤال يجب أن يكون نصاً. / The question must be text.")
    text = INVISIBLE.sub("", question or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = re.sub(r"\s+", " ", text).strip()
    arabic = reply_in_arabic(text)
    if not text:
        raise BadQuestionError("اكتب سؤالاً أولاً. / Please type a question." if arabic else "Please type a question.")
    if len(text) > max_chars:
        raise BadQuestionError(
            f"السؤال طويل جداً ({len(text)} حرفاً)؛ الحد الأقصى {max_chars}. / The question is too long "
            f"({len(text)} characters); the limit is {max_chars}."
        )
    if not tokenize(text):
        raise BadQuestionError("السؤال لا يحتوي على كلمات. / The question has no words in it.")
    return text


# A label a model may put before the question it was asked to write ("Question:", "السؤال:"), and
# the labels of the conversation it was shown (`rag.prompts.build_condense_messages`): a reply that
# opens with one of those echoes the conversation instead of rewriting it.
_QUESTION_LABEL = re.compile(r"^(?:standalone question|rewritten question|question|السؤال المستقل|السؤال)\s*[:：]\s*",
                             re.IGNORECASE)
_ECHO_LABEL = re.compile(r"^(?:conversation|user|assistant|last message)\s*[:：]", re.IGNORECASE)
_DECORATION = "*_#\"'«»“”` "


def standalone_line(reply: str) -> str:
    """The question in an LLM's rewrite of a follow-up: its first line with text, without a label,
    quotes or emphasis; empty when the reply echoes the conversation (a weak model does), so that
    the offline way of carrying the topic is used instead."""
    for line in reply.splitlines():
        line = line.strip(_DECORATION)
        if not line:
            continue
        if _ECHO_LABEL.match(line):
            return ""
        return _QUESTION_LABEL.sub("", line).strip(_DECORATION)
    return ""


def is_follow_up(question: str, history: list[dict[str, Any]]) -> bool:
    """A question that leans on the previous turn: short, referring back with a pronoun or
    demonstrative, or opening with "and" (`opens_with_and`: «وما اسم الشخص الذي أطلق الرصاصة؟»)."""
    if not any(turn.get("role") == "user" for turn in history):
        return False
    words = tokenize(question)
    return len(words) <= 5 or bool(_REFERRING & set(words)) or opens_with_and(question)


def _topic_of(turns: list[dict[str, str]]) -> str:
    """The user's earlier questions a follow-up leans on: the previous one and, while that one was a
    follow-up too, the ones before it, back to the question that opened the topic (a third turn
    «وما اسم الشخص الذي أطلق الرصاصة؟» after «وفي أي مستشفى عولجت؟» is still about the girl the
    first question named)."""
    asked = [t["content"] for t in turns if t["role"] == "user"]
    chain = [asked.pop()]
    # At most TOPIC_TURNS questions: a long run of short follow-ups would otherwise dilute retrieval.
    while asked and len(chain) < TOPIC_TURNS and is_follow_up(chain[0], [{"role": "user", "content": q} for q in asked]):
        chain.insert(0, asked.pop())
    return " ".join(chain)


def _text_of(content: Any) -> str:
    # Gradio 6 history messages carry content as a list of parts, not a string.
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text_of(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return ""


class Assistant:
    """Question in, cited answer out. Its parts are handed in; `rawi.open_assistant(store)` builds them."""

    def __init__(self, settings: Settings, store: ChunkStore, retriever: HybridRetriever,
                 answerer: ExtractiveAnswerer, llm: Any | None = None, *, embedder_name: str = "") -> None:
        self.settings = settings
        self.store = store
        self.retriever = retriever
        self.extractive = answerer
        self.llm = llm
        self.embedder_name = embedder_name

    # --- public surface -------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "extractive"

    def status(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "model": model_name(self.llm) if self.llm is not None else "",
            "embedder": self.embedder_name, "articles": self.store.files.count(), "chunks": self.store.count(),
        }

    def check_question(self, question: str) -> str:
        """The question as it will be answered, or the `BadQuestionError` `ask` would raise."""
        return clean_question(question, self.settings.answer.max_question_chars)

    def file_texts(self, files: list[str]) -> dict[str, str]:
        """The citable text of stored files, by file name (what every quote is a slice of)."""
        return self.store.file_texts(files) if files else {}

    def as_retriever(self, k: int | None = None, *, mode: Mode = "hybrid") -> Any:
        """This assistant's retrieval as a llama-index `BaseRetriever` (see `rag.llama_retriever`):
        `k` nodes per query (default `top_k`), each a chunk with its file, title, date and offsets."""
        from rag.llama_retriever import RawiRetriever

        return RawiRetriever(self, k=k, mode=mode)

    def ask(self, question: str, history: list[dict[str, Any]] | None = None, *, mode: Mode = "hybrid") -> Answer:
        answer = None
        for event in self.stream(question, history, mode=mode):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def search(self, question: str, history: list[dict[str, Any]] | None = None, *, k: int | None = None,
               modes: tuple[Mode, ...] = ("hybrid",)) -> dict[str, Retrieval]:
        """The chunks each retrieval mode ranks for this question, follow-ups resolved as `ask` does; no answer.

        For evaluation and inspection: `k` chunks per mode (default `top_k`). In LLM mode a
        follow-up is rewritten by the LLM once per call, as `ask` does.
        """
        text = clean_question(question, self.settings.answer.max_question_chars)
        turns = [{"role": t.get("role", ""), "content": _text_of(t.get("content"))} for t in (history or [])]
        search_query, carried = self._standalone(text, turns, [])
        # A follow-up's search_query already holds the carried turn; BM25 must not see it twice.
        return {mode: self.retriever.retrieve(search_query, k or self.settings.retrieval.top_k, mode=mode) for mode in modes}

    def stream(self, question: str, history: list[dict[str, Any]] | None = None, *,
               mode: Mode = "hybrid") -> Iterator[str | Answer]:
        """Yields text deltas as the answer is written, then the final `Answer`."""
        began = time.perf_counter()
        text = clean_question(question, self.settings.answer.max_question_chars)
        turns = [{"role": t.get("role", ""), "content": _text_of(t.get("content"))} for t in (history or [])]
        warnings: list[str] = []
        search_query, carried = self._standalone(text, turns, warnings)
        t = time.perf_counter()
        retrieval = self.retriever.retrieve(search_query, self.settings.retrieval.top_k, mode=mode)
        if not retrieval.hits and self.store.count() == 0:  # counted only then: a round trip per question otherwise
            raise EmptyStoreError(
                f"The store {self.store.label} holds no articles yet. Run: rawi ingest data/corpus --store {self.store.label}"
            )
        timings = {"retrieve": _ms(t), **{f"retrieve_{k}": v for k, v in retrieval.timings_ms.items()}}
        sources = sources_from_hits(retrieval.hits)
        file_texts = self.store.file_texts([s.file for s in sources])
        t = time.perf_counter()
        answer: Answer | None = None
        if self.llm is not None and sources:
            try:
                answer = yield from self._llm_answer(text, search_query, sources, file_texts)
            except LLMError as err:
                warnings.append(f"{err} Showing the offline extractive answer instead.")
        if answer is None:
            answer = self._extractive_answer(text, search_query, carried, sources, retrieval, file_texts)
            if warnings:
                note = ("تعذر الوصول إلى نموذج اللغة؛ هذه إجابة مستخرجة من المصادر مباشرة. "
                        if is_mostly_arabic(text) else "The language model is unavailable; this answer is extracted from the sources. ")
                answer.answer = note + answer.answer
            yield answer.answer
        answer.warnings = warnings + answer.warnings
        answer.timings_ms = {**timings, "generate": _ms(t), "total": _ms(began)}
        yield answer

    # --- steps ----------------------------------------------------------------------------------
    def _standalone(self, question: str, turns: list[dict[str, str]], warnings: list[str]) -> tuple[str, str]:
        """(what to search for, extra terms carried from earlier turns) for a possible follow-up."""
        if not is_follow_up(question, turns):
            return question, ""
        previous = _topic_of(turns)
        if self.llm is not None:
            try:
                rewritten = standalone_line(chat_text(self.llm, build_condense_messages(question, turns)))
                if rewritten and len(rewritten) <= self.settings.answer.max_question_chars:
                    return rewritten, ""
            except LLMError as err:
                warnings.append(f"Could not rewrite the follow-up with the language model: {err}")
        # Extractive mode: carry the earlier questions' entities and topic into retrieval.
        return f"{previous} {question}", previous

    def _count_tokens(self, text: str) -> int:
        # Loading the BPE file costs ~1 s; only the LLM path counts tokens, so load it on first use.
        return tiktoken_counter(self.settings.ingest.token_encoding)(text)

    def _extractive_answer(self, question: str, search_query: str, carried: str, sources: list[Source],
                           retrieval: Any, file_texts: dict[str, str]) -> Answer:
        if not sources:
            return Answer(abstention_message(question), True, "extractive", [], [], question=question,
                          search_query=search_query)
        q_terms = self.extractive.answer_terms(question)
        c_terms = [t for t in self.extractive.answer_terms(carried) if t not in q_terms]
        extra_sources = [
            (neighbor, n)
            for n, found in enumerate(self.store.neighbors_of([h.chunk for h in retrieval.hits[:NEIGHBOR_SOURCES]]), start=1)
            for neighbor in sources_from_chunks(found)
        ]
        result = self.extractive.answer(
            question, q_terms, c_terms, sources, [h.score for h in retrieval.hits], retrieval.query_vector, file_texts,
            extra_sources,
        )
        short = None
        if not result.abstained:
            found = find_short_answer(question, result.citations, q_terms, self.extractive.idf, c_terms)
            short = verified(found[0] if found else None, file_texts)
        text = result.text
        if not result.abstained and not is_mostly_arabic(question):
            text = f"{QUOTES_LEAD_IN_EN} {text}"  # the quotes stay Arabic; the framing follows the question
        text = lead_with(short, text) if short is not None else text
        return Answer(text, result.abstained, "extractive", result.citations, result.sources, question=question,
                      search_query=search_query, confidence=round(result.confidence, 4), short_answer=short)

    def _llm_answer(self, question: str, search_query: str, sources: list[Source],
                    file_texts: dict[str, str]) -> Iterator[str]:
        # The answer request carries no history: a follow-up must be asked in its standalone form.
        messages = build_messages(search_query or question, sources)
        pieces: list[str] = []
        for delta in stream_text(self.llm, messages):
            pieces.append(delta)
            yield delta
        raw = "".join(pieces).strip()
        cited = cite_llm_answer(raw, sources, file_texts)
        text = cited.text
        warnings = []
        abstained = not cited.citations and looks_like_abstention(raw)
        if abstained:
            text = abstention_message(question)
        elif not cited.citations:
            warnings.append("The answer cites no source that could be verified; treat it with caution.")
        if cited.removed:
            warnings.append(f"Removed {cited.removed} citation marker(s) that pointed at no source.")
        if cited.unsupported and not abstained:
            warnings.append(f"{len(cited.unsupported)} of {cited.claims} claim(s) are not supported by the source "
                            "they cite; they are marked.")
        return Answer(text, abstained, "llm", cited.citations, sources, question=question, search_query=search_query,
                      model=model_name(self.llm), warnings=warnings, removed_markers=cited.removed,
                      usage=usage_of(messages, raw, self._count_tokens),
                      claims_checked=0 if abstained else cited.claims,
                      unsupported_claims=[] if abstained else cited.unsupported)
