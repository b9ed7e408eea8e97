"""The chat handler of the real Gradio app, called the way Gradio calls it, without a browser.

`build_app(assistant)` is built for real and its `respond` event handler is run as a generator,
turn after turn, with the conversation state it returns: hostile questions (refused with a toast,
the chat and its history kept), questions holding markup (shown as text), LLM faults (the
extractive answer, saying so) and an engine that crashes (a message). After each, the next
question is answered. The browser tests in tests/test_ui_app.py check the same page in Chromium.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from tests.support.html import parse
from tests.support.openai_server import Reply, ScriptedOpenAIServer

AMBASSADOR_Q = "من هو السفير الروسي لدى ليبيا؟"
VISIT_Q = "متى زار حفتر بيلاروسيا؟"
BASE_Q = "ما اسم القاعدة الجوية التي تستخدمها روسيا قرب الكفرة؟"  # long, no pronoun: never treated as a follow-up
UPDATE = {"__type__": "update"}  # what gr.skip() returns: leave that output as it is
OUTPUTS = ("chat", "sources", "box", "turns", "status", "conversation", "browser_conversation", "saved_list")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


class Chat:
    """One browser tab's worth of state, driving the app's own `respond` handler."""

    def __init__(self, assistant: Any) -> None:
        from ui.app import build_app

        self.app = build_app(assistant)
        self.respond = next(f.fn for f in self.app.fns.values() if getattr(f.fn, "__name__", "") == "respond")
        self.turns: list[dict[str, Any]] = []
        self.chat: list[dict[str, str]] = []
        self.box = ""

    def send(self, message: str) -> list[tuple]:
        """Submit `message` as the page does; the page's outputs are updated from every yield."""
        self.box = message
        yields = list(self.respond(message, self.turns))
        for values in yields:
            got = dict(zip(OUTPUTS, values))
            if got["chat"] != UPDATE:
                self.chat = got["chat"]
            if got["box"] != UPDATE:
                self.box = got["box"]
            if got["turns"] != UPDATE:
                self.turns = got["turns"]
        return yields

    @property
    def last_answer_html(self) -> str:
        return self.chat[-1]["content"]

    def history(self) -> list[dict[str, str]]:
        from ui.app import _history

        return _history(self.turns)


BAD_QUESTIONS = [
    ("", "اكتب سؤالاً"),
    ("   \n\t ", "اكتب سؤالاً"),
    ("\u200b\u200f\u2066\x00", "اكتب سؤالاً"),
    ("سؤال " * 4_000, "طويل"),  # 20,000 characters
    ("؟؟؟ !!! ...", "لا يحتوي على كلمات"),
    ("😀🇱🇾❓", "لا يحتوي على كلمات"),
]
BAD_IDS = ["empty", "whitespace", "only-invisible-and-control", "20000-chars", "only-punctuation", "only-emoji"]


@pytest.mark.parametrize("question, says", BAD_QUESTIONS, ids=BAD_IDS)
def test_a_question_that_cannot_be_asked_is_refused_with_a_toast_and_the_conversation_is_kept(
    sample_assistant, question, says
):
    chat = Chat(sample_assistant)
    chat.send(AMBASSADOR_Q)
    before_chat, before_turns = list(chat.chat), [dict(t) for t in chat.turns]
    assert len(before_chat) == 2 and not before_turns[0].get("failed")

    with pytest.warns(UserWarning, match=says):  # gr.Warning outside a running server is a Python warning
        yields = chat.send(question)
    assert yields == [(UPDATE,) * len(OUTPUTS)]  # nothing on the page changes: chat, sources, typed text, state
    assert chat.chat == before_chat and chat.turns == before_turns
    assert chat.box == question  # the typed text stays in the box to be corrected

    chat.send(VISIT_Q)
    assert len(chat.chat) == 4
    assert "rawi-cite" in chat.last_answer_html and "rawi-error" not in chat.last_answer_html
    assert [t["content"] for t in chat.history()][::2] == [AMBASSADOR_Q, VISIT_Q]


@pytest.mark.parametrize("question", [
    "俄罗斯驻利比亚大使是谁？", "Кто посол России в Ливии?", "من هو السفير الروسي لدى ليبيا؟ 🤔",
], ids=["chinese", "cyrillic", "arabic-with-emoji"])
def test_questions_in_other_scripts_get_an_answer_or_an_abstention_never_an_error(sample_assistant, question):
    chat = Chat(sample_assistant)
    chat.send(question)
    html = chat.last_answer_html
    assert "rawi-error" not in html and 'class="rawi-answer' in html
    assert chat.turns[-1]["answer"] and not chat.turns[-1].get("failed")
    assert question in parse(chat.chat[-2]["content"]).text


def test_markup_in_a_question_is_shown_as_text_and_the_question_is_still_answered(sample_assistant):
    question = '<script>alert("x")</script><img src=x onerror=alert(1)> ' + AMBASSADOR_Q + " <b>عاجل</b>"
    chat = Chat(sample_assistant)
    chat.send(question)
    user = parse(chat.chat[-2]["content"])
    assert not user.names & {"script", "img", "b"}
    assert user.text == question
    answer = parse(chat.last_answer_html)
    assert not answer.names & {"script", "img", "b"}
    assert "rawi-cite" in chat.last_answer_html
    assert chat.history()[0] == {"role": "user", "content": question}  # the engine sees the text as typed


# --- LLM faults: the extractive answer, saying so, then the next question works -----------------------

@pytest.fixture(scope="module")
def llm_server():
    with ScriptedOpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def llm_assistant(sample_store_settings, llm_server):
    from rawi.compose import open_assistant

    settings = sample_store_settings.replace(
        llm_base_url=llm_server.base_url, llm_model="test-model", llm_api_key=SecretStr("sk-chat-key-777"),
        llm_max_retries=0, llm_timeout_s=10.0, rerank_sentences=0,
    )
    return open_assistant(settings.store.path, settings)


def with_timeout(assistant: Any, seconds: float) -> Any:
    """The same store and embedder, with an LLM client that gives up after `seconds`."""
    from rawi.compose import open_assistant

    settings = assistant.settings.replace(llm_timeout_s=seconds)
    return open_assistant(settings.store.path, settings)


FAULTS = [
    (Reply.refuse(), "cannot be reached"),
    (Reply.text("late [1].", delay=2.5), "did not answer in time"),
    (Reply.status(429), "429"),
    (Reply.status(500), "HTTP 500"),
    (Reply.malformed(), "not a valid chat-completion stream"),
    (Reply.cut_stream("السفير الروسي لدى ليبيا هو", after_chars=8), "cut off"),
]


@pytest.mark.parametrize("fault, says", FAULTS, ids=["refused", "slow", "429", "500", "malformed-json", "cut-stream"])
def test_an_llm_fault_shows_the_extractive_answer_saying_so_and_the_next_question_uses_the_llm(
    llm_assistant, llm_server, fault, says
):
    llm_server.reset()
    # Only the slow case gets a short timeout: a loaded machine must not time out the others.
    chat = Chat(with_timeout(llm_assistant, 1.0) if fault.delay else llm_assistant)
    llm_server.script(fault)
    chat.send(AMBASSADOR_Q)  # never raises: the fault is handled inside the app
    html = chat.last_answer_html
    assert "rawi-error" not in html and "rawi-warning" in html
    shown = parse(html).text
    assert "تعذر الوصول إلى نموذج اللغة" in shown  # the answer says it is the extractive fallback
    assert says in shown and "extractive" in shown
    assert "rawi-cite" in html
    assert chat.turns[-1]["answer"] and not chat.turns[-1].get("failed")

    llm_server.script(Reply.text("تستخدم روسيا قاعدة معطن السارة الجوية [1]."))
    chat.send(BASE_Q)
    html = chat.last_answer_html
    assert "معطن السارة" in html and "rawi-warning" not in html and "rawi-cite" in html
    assert len(chat.turns) == 2 and chat.history()[0]["content"] == AMBASSADOR_Q


def test_an_engine_that_crashes_shows_a_message_and_the_next_question_works(sample_assistant, monkeypatch, caplog):
    chat = Chat(sample_assistant)
    real_stream = sample_assistant.stream
    calls = []

    def crash_once(question, history=None, **kwargs):
        calls.append(question)
        if len(calls) == 1:
            raise RuntimeError("chroma exploded at /secret/path")
        yield from real_stream(question, history, **kwargs)

    monkeypatch.setattr(sample_assistant, "stream", crash_once)
    chat.send(AMBASSADOR_Q)
    html = chat.last_answer_html
    assert "rawi-error" in html and "/secret/path" not in html and "حدث خطأ غير متوقع" in html
    assert "RuntimeError" in caplog.text  # the operator's log has the traceback; the page does not
    chat.send(VISIT_Q)
    assert "rawi-cite" in chat.last_answer_html and "rawi-error" not in chat.last_answer_html
    assert len(chat.chat) == 4
    assert chat.history() == [{"role": "user", "content": VISIT_Q},
                              {"role": "assistant", "content": chat.turns[-1]["answer"]}]  # the failed turn is left out
