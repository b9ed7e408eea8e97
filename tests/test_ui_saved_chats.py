"""Saved chats and feedback in the real page (headless Chromium): a reload, a killed server and a restart lose nothing.

Reuses the browser and helpers of tests/test_ui_app.py. The in-process app serves the sample
corpus (hashing embedder) with its own chats database; the restart test runs `rawi serve` as a
real process over the same store and database, against a scripted LLM on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request

import pytest

from rag.conversations import ANONYMOUS, ConversationStore
from tests.conftest import env_without_rawi, free_port
from tests.test_ui_app import AMBASSADOR_Q, answer_element, ask, browser, open_page, squash, wait  # noqa: F401
from vendors.chatdb import ChatDB

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

VISIT_Q = "متى زار حفتر بيلاروسيا؟"
FOLLOW_Q = "ومن رافقه في تلك الزيارة؟"


@pytest.fixture
def saving_app(corpus_rig, tmp_path):
    from rawi.compose import Rawi
    from ui.app import launch

    settings = corpus_rig.settings.replace(chats_db=tmp_path / "chats.sqlite3")
    parts = Rawi(settings, corpus_rig.embedder, corpus_rig.store, llm=None)
    port = free_port()
    app = launch(parts.assistant(), None, settings.serve, host="127.0.0.1", port=port, prevent_thread_lock=True,
                 quiet=True, conversations=parts.conversations())
    yield f"http://127.0.0.1:{port}/", parts.conversations()
    app.close()


def test_with_a_login_each_user_saves_and_reopens_only_their_own_chats(corpus_rig, tmp_path):
    from types import SimpleNamespace

    from rawi.compose import Rawi
    from ui.app import build_app

    settings = corpus_rig.settings.replace(chats_db=tmp_path / "chats.sqlite3")
    parts = Rawi(settings, corpus_rig.embedder, corpus_rig.store, llm=None)
    chats = parts.conversations()
    app = build_app(parts.assistant(), None, settings.serve, parts.conversations())
    handler = {f.fn.__name__: f.fn for f in app.fns.values() if getattr(f.fn, "__name__", "")}
    amal, badr = SimpleNamespace(username="amal"), SimpleNamespace(username="badr")

    first, *_, last = handler["respond"](VISIT_Q, [], None, amal)  # as Gradio calls it for the logged-in amal
    [conv] = chats.list("amal")
    assert chats.list("badr") == [] and chats.list(ANONYMOUS) == []
    assert first[5] == first[6] == conv.id  # the page's conversation, and the browser's copy of it
    assert [c[1] for c in last[7].choices] == [conv.id]

    mine = handler["restore"](conv.id, amal)  # amal's browser reopens her chat
    assert len(mine[0].value) == 2 and mine[3] == conv.id
    theirs = handler["restore"](conv.id, badr)  # the same id from badr's browser shows nothing of it
    unchanged = {"__type__": "update"}  # gr.skip(): the page keeps what it has
    assert theirs[0] == theirs[3] == unchanged and theirs[5].choices == []
    with pytest.warns(UserWarning, match="not found"):  # a toast (a Python warning outside a running server)
        assert handler["pick"](conv.id, badr)[5].choices == []


def saved_labels(driver) -> list[str]:
    return [squash(t) for t in driver.execute_script(
        "return Array.from(document.querySelectorAll('#rawi-saved label')).map(e => e.innerText);")]


def click_saved(driver, title_part: str) -> None:
    from selenium.webdriver.common.by import By

    label = wait(driver, lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, "#rawi-saved label")
                                         if title_part in e.text), None))
    label.click()


def thumb(driver, turn: int, which: str):
    """The Like/Dislike button under answer `turn`."""
    from selenium.webdriver.common.by import By

    def find(d):  # the first such button after the answer (Gradio puts a message's buttons under it)
        found = d.find_elements(By.XPATH, f"//*[@id='rawi-answer-{turn}']/following::button[@aria-label='{which}'][1]")
        return found[0] if found else None

    return wait(driver, find, 15)


@pytest.mark.browser
def test_a_chat_survives_a_reload_and_is_continued_rated_renamed_exported_and_deleted(saving_app, browser):
    from selenium.webdriver.common.by import By

    url, chats = saving_app
    open_page(browser, url)
    ask(browser, VISIT_Q)
    answer_element(browser, 1)
    [conv] = chats.list(ANONYMOUS)
    assert conv.title == VISIT_Q and chats.get(ANONYMOUS, conv.id).turns[0].state == "answered"

    # Thumbs down, then a comment and the expected answer: stored with the turn.
    thumb(browser, 1, "Dislike").click()
    wait(browser, lambda d: d.find_element(By.ID, "rawi-feedback-box").is_displayed())
    wait(browser, lambda d: chats.get(ANONYMOUS, conv.id).turns[0].feedback is not None)
    browser.find_element(By.CSS_SELECTOR, "#rawi-feedback-comment textarea").send_keys("أريد الشهر بالتحديد")
    browser.find_element(By.CSS_SELECTOR, "#rawi-feedback-expected textarea").send_keys("فبراير")
    browser.find_element(By.ID, "rawi-feedback-save").click()
    wait(browser, lambda d: chats.get(ANONYMOUS, conv.id).turns[0].feedback.expected_answer == "فبراير")
    fb = chats.get(ANONYMOUS, conv.id).turns[0].feedback
    assert (fb.rating, fb.comment) == ("down", "أريد الشهر بالتحديد")

    ask(browser, FOLLOW_Q)
    answer_element(browser, 2)

    # A reload brings the open chat back, answers, sources and all, and lists it in the sidebar.
    browser.refresh()
    open_page(browser, url)
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rawi-chat .rawi-question")) == 2)
    answer_element(browser, 2)
    assert [squash(q.text) for q in browser.find_elements(By.CSS_SELECTOR, "#rawi-chat .rawi-question")] == [VISIT_Q, FOLLOW_Q]
    assert browser.find_elements(By.CSS_SELECTOR, "#rawi-sources .rawi-turn")
    wait(browser, lambda d: saved_labels(d) == [f"{VISIT_Q} · 2"])

    # A new chat, then the saved one continued from the list: the follow-up carries its history.
    browser.find_element(By.ID, "rawi-new-chat").click()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "#rawi-chat .rawi-msg"))
    click_saved(browser, VISIT_Q)
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rawi-chat .rawi-question")) == 2)
    ask(browser, "وماذا بحث هناك؟")
    answer_element(browser, 3)
    turns = chats.get(ANONYMOUS, conv.id).turns
    assert [t.position for t in turns] == [1, 2, 3] and len(chats.list(ANONYMOUS)) == 1
    assert turns[2].answer.search_query != turns[2].question  # asked as a follow-up of the saved turns

    # Rename, export as Markdown (quotes with file offsets), delete.
    title = browser.find_element(By.CSS_SELECTOR, "#rawi-title-box input, #rawi-title-box textarea")
    title.clear()
    title.send_keys("زيارة حفتر")
    browser.find_element(By.ID, "rawi-rename").click()
    wait(browser, lambda d: saved_labels(d) == ["زيارة حفتر · 3"])
    assert chats.get(ANONYMOUS, conv.id).title == "زيارة حفتر"
    browser.find_element(By.ID, "rawi-export").click()
    link = wait(browser, lambda d: next((a for a in d.find_elements(By.CSS_SELECTOR, "#rawi-export-file a")
                                         if ".md" in (a.get_attribute("href") or "")), None))
    with urllib.request.urlopen(link.get_attribute("href"), timeout=10) as reply:
        markdown = reply.read().decode("utf-8")
    assert markdown == chats.export_markdown(ANONYMOUS, conv.id)
    cited = [c for t in turns if t.answer for c in t.answer.citations]
    assert cited and all(f"`{c.file}` characters {c.start}–{c.end}" in markdown for c in cited)
    browser.find_element(By.ID, "rawi-delete").click()
    wait(browser, lambda d: saved_labels(d) == [] and not d.find_elements(By.CSS_SELECTOR, "#rawi-chat .rawi-msg"))
    assert chats.list(ANONYMOUS) == []


@pytest.mark.browser
def test_a_server_killed_mid_answer_keeps_what_it_acknowledged_and_a_restarted_one_shows_it(corpus_rig, browser,
                                                                                             tmp_path):
    from selenium.webdriver.common.by import By

    from bench.server import start_server, stop_server, wait_until_up
    from tests.support.openai_server import Reply, ScriptedOpenAIServer

    db = tmp_path / "chats.sqlite3"
    reply = "زار حفتر بيلاروسيا في فبراير الماضي [1]."
    slow = Reply.text("رافقه ابناه صدام وخالد " * 40 + "[1].", chunk_size=2, chunk_delay=0.25)
    with ScriptedOpenAIServer(default=slow) as llm:
        llm.script(Reply.text(reply))
        env = {**env_without_rawi(), "RAWI_EMBEDDER": "hashing", "RAWI_CHATS_DB": str(db),
               "RAWI_LLM_BASE_URL": llm.base_url, "RAWI_LLM_MODEL": "test-model", "RAWI_LLM_MAX_RETRIES": "0"}
        store = corpus_rig.settings.store.path
        log = open(tmp_path / "serve.log", "wb")

        def serve_and_open_page():
            """A `rawi serve` over the store and database, up, with its page open in the browser."""
            port = free_port()
            server = start_server(store, port, env, output=log)
            try:
                wait_until_up(server, port, 120, lambda: (tmp_path / "serve.log").read_text(errors="replace"))
                open_page(browser, f"http://127.0.0.1:{port}/")
            except BaseException:
                stop_server(server)
                raise
            return server

        server = serve_and_open_page()
        try:
            ask(browser, VISIT_Q)
            assert "فبراير" in answer_element(browser, 1).text
            thumb(browser, 1, "Like").click()
            wait(browser, lambda d: d.find_element(By.ID, "rawi-feedback-box").is_displayed())

            requests = llm.request_count
            ask(browser, FOLLOW_Q)  # answered slowly: the server is killed while it is being answered
            wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rawi-chat .rawi-question")) == 2)
            wait(browser, lambda d: llm.request_count > requests)
            time.sleep(1.0)
            assert not browser.find_elements(By.CSS_SELECTOR, "#rawi-answer-2:not(.rawi-streaming)")
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        finally:
            stop_server(server)

        chats = ConversationStore(ChatDB(db))
        assert chats.db.integrity() == "ok"
        [conv] = chats.list(ANONYMOUS)
        first, second = chats.get(ANONYMOUS, conv.id).turns
        assert first.state == "answered" and first.answer.answer == reply and first.feedback.rating == "up"
        assert (second.question, second.state) == (FOLLOW_Q, "pending")
        chats.db.close()

        # A new server over the same store and database: the conversation is listed and opens.
        server = serve_and_open_page()
        try:
            click_saved(browser, VISIT_Q)
            wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rawi-chat .rawi-question")) == 2)
            assert "فبراير" in answer_element(browser, 1).text
            assert "not finished" in browser.find_element(By.ID, "rawi-answer-2").text
        finally:
            stop_server(server)
            log.close()
