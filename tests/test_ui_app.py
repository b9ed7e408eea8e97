"""The real chat app, launched in-process on 127.0.0.1, driven in headless Chromium and by gradio_client.

Browser tests need Debian's `chromium` and `chromium-driver` (`make test` installs them); without
them they skip and say so. The API and login tests need no browser. The app serves a private copy
of the session's sample store (`sample_store_settings`), because one test uploads into it.
Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests.conftest import REPO_ROOT, free_port

ARTIFACTS = REPO_ROOT / "test-artifacts"
AMBASSADOR_Q = "من هو السفير الروسي لدى ليبيا؟"
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
CHROMEDRIVER = shutil.which("chromedriver")
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000")

pytestmark = [
    pytest.mark.slow,
    # Gradio's queue trips pandas deprecation warnings that are none of rawi's business.
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@dataclass
class Served:
    app: Any
    assistant: Any
    ingester: Any
    url: str
    store: Path


def serve(parts: Any, store: Path) -> Served:
    """The real app over `parts` (a `rawi.compose.Rawi`), uploads on, on a free port of 127.0.0.1."""
    from ui.app import launch

    port = free_port()
    assistant, ingester = parts.assistant(), parts.ingester()
    app = launch(assistant, ingester, parts.settings.serve, host="127.0.0.1", port=port, prevent_thread_lock=True,
                 quiet=True)
    return Served(app, assistant, ingester, f"http://127.0.0.1:{port}/", store)


@pytest.fixture(scope="module")
def store_copy(sample_store_settings, tmp_path_factory) -> Any:
    """Settings of a private copy of the sample store (the session store itself is never written)."""
    store = tmp_path_factory.mktemp("ui_store") / "store"
    shutil.copytree(sample_store_settings.store.path, store)
    return sample_store_settings.replace(store=store)


@pytest.fixture(scope="module")
def served(store_copy):
    from rawi.compose import Rawi

    s = serve(Rawi.open(store_copy.store.path, store_copy), store_copy.store.path)
    yield s
    s.app.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("browser tests need Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver; `make test` installs them as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="rawi-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


# --- browser helpers ------------------------------------------------------------------------------

def wait(driver, condition, timeout: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def open_page(driver, url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url)
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#rawi-question textarea"))
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#rawi-status .rawi-status"))


def ask(driver, question: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.CSS_SELECTOR, "#rawi-question textarea")
    box.clear()
    box.send_keys(question)
    box.send_keys(Keys.ENTER)


def answer_element(driver, turn: int, timeout: float = 60):
    """The finished answer of `turn` in the chat."""
    from selenium.webdriver.common.by import By

    sel = f"#rawi-chat #rawi-answer-{turn}:not(.rawi-streaming)"
    seen: dict[str, Any] = {}

    def settled(d):
        # Gradio may render the finished chat once more after the last streamed event; an element
        # taken before that goes stale. So the answer counts as finished once the same element has
        # stood for half a second (a re-render later than that would still make it stale; none was seen).
        found = (d.find_elements(By.CSS_SELECTOR, sel) or [None])[0]
        now = time.monotonic()
        if found is None or seen.get("element") != found:
            seen.update(element=found, since=now)
            return None
        return found if now - seen["since"] >= 0.5 else None

    return wait(driver, settled, timeout)


def record_streamed_texts(driver) -> None:
    """From now on, record every text the answer being streamed shows, as the page changes."""
    driver.execute_script("""
        window.__rawiPartials = [];
        new MutationObserver(() => {
          const el = document.querySelector('#rawi-chat .rawi-streaming .rawi-answer-text');
          if (el && el.innerText.trim() && el.innerText.trim() !== '…') window.__rawiPartials.push(el.innerText);
        }).observe(document.getElementById('rawi-chat'), {subtree: true, childList: true, characterData: true});
    """)


def streamed_texts(driver) -> set[str]:
    """The distinct texts recorded since `record_streamed_texts`."""
    return set(driver.execute_script("return window.__rawiPartials"))


def char_lefts(driver, element) -> list[float]:
    """Screen x of the first and the last character of the element's first text node."""
    return driver.execute_script(
        """
        const walker = document.createTreeWalker(arguments[0], NodeFilter.SHOW_TEXT);
        let node = walker.nextNode();
        while (node && !node.data.trim()) node = walker.nextNode();
        const r = document.createRange(), n = node.data.length;
        r.setStart(node, 0); r.setEnd(node, 1); const first = r.getBoundingClientRect().left;
        r.setStart(node, n - 1); r.setEnd(node, n); const last = r.getBoundingClientRect().left;
        return [first, last];
        """,
        element,
    )


def style(driver, element, prop: str) -> str:
    return driver.execute_script("return getComputedStyle(arguments[0]).getPropertyValue(arguments[1]);", element, prop)


def squash(text: str) -> str:
    return " ".join(text.split())


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


def no_alert(driver) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def file_text(corpus_or_store: Path, name: str) -> str:
    from ingest.load import read_document

    return read_document(corpus_or_store / name).text


# --- browser tests -------------------------------------------------------------------------------

@pytest.mark.browser
def test_arabic_question_gets_a_cited_answer_whose_passage_opens_highlighted(served, browser, corpus_dir):
    from selenium.webdriver.common.by import By

    expected = served.assistant.ask(AMBASSADOR_Q)
    assert not expected.abstained and expected.citations
    open_page(browser, served.url)
    status = browser.find_element(By.CSS_SELECTOR, "#rawi-status").text
    assert "extractive" in status and "5" in status and str(served.assistant.status()["chunks"]) in status

    ask(browser, AMBASSADOR_Q)
    answer = answer_element(browser, 1)
    question = browser.find_element(By.CSS_SELECTOR, "#rawi-chat .rawi-question")
    assert question.get_attribute("dir") == "rtl" and style(browser, question, "direction") == "rtl"
    first, last = char_lefts(browser, question)
    assert first > last, "Arabic question is not laid out right to left"
    assert style(browser, answer, "direction") == "rtl"
    assert squash(expected.answer.replace("**", "").split("[")[0]) in squash(answer.text)

    # The cited file name reads left to right inside the Arabic answer (isolated, not reversed).
    cited = answer.find_element(By.CSS_SELECTOR, ".rawi-cited .rawi-file")
    assert cited.text == expected.citations[0].file
    assert style(browser, cited, "unicode-bidi") == "isolate" and style(browser, cited, "direction") == "ltr"
    first, last = char_lefts(browser, cited)
    assert first < last, "file name is displayed reversed"

    # The short answer comes first, in bold.
    if expected.short_answer is not None:
        short = answer.find_element(By.CSS_SELECTOR, ".rawi-answer-text a.rawi-short strong")
        assert squash(short.text) == squash(expected.short_answer.text)
        assert answer.find_element(By.CSS_SELECTOR, ".rawi-answer-text").text.startswith(short.text)
        assert style(browser, short, "font-weight") == "700"

    # Click the first [n]: its source shows title, file, date and the quoted span highlighted.
    link = answer.find_element(By.CSS_SELECTOR, ".rawi-answer-text a.rawi-cite:not(.rawi-short)")
    n = int(link.text.strip("[]"))
    link.click()
    source = wait(browser, lambda d: d.find_element(By.ID, f"rawi-src-1-{n}"))
    wait(browser, lambda d: source.is_displayed() and "rawi-selected" in source.get_attribute("class"))
    citations = [c for c in expected.citations if c.n == n]
    head = source.find_element(By.CSS_SELECTOR, "summary").text
    assert citations[0].title and squash(citations[0].title) in squash(head)
    assert source.find_element(By.CSS_SELECTOR, ".rawi-file").text == citations[0].file
    if citations[0].date:
        assert citations[0].date in source.find_element(By.CSS_SELECTOR, ".rawi-meta").text
    marks = [squash(m.text) for m in source.find_elements(By.CSS_SELECTOR, "mark.rawi-quote")]
    text = file_text(corpus_dir, citations[0].file)
    for c in citations:
        assert text[c.start : c.end] == c.quote
        assert squash(c.quote) in " ".join(marks)
    passage = squash(source.find_element(By.CSS_SELECTOR, ".rawi-passage").text)
    assert len(passage) > len(squash(citations[0].quote)), "the passage is shown without its surrounding text"
    if expected.short_answer is not None and expected.short_answer.n == n:
        bold = source.find_element(By.CSS_SELECTOR, "mark.rawi-quote strong.rawi-short-quote")
        assert squash(bold.text) == squash(expected.short_answer.text)
    path = screenshot(browser, "ui_arabic_answer_citation.png")
    assert path.stat().st_size > 10_000


@pytest.mark.browser
def test_english_is_left_to_right_abstention_looks_different_history_copy_and_clear(served, browser, monkeypatch):
    from selenium.webdriver.common.by import By

    calls: list[tuple[str, list, Any]] = []
    real_stream = served.assistant.stream

    def spy(question, history=None, **kwargs):
        record = [question, history, None]
        calls.append(record)
        for event in real_stream(question, history, **kwargs):
            record[2] = event
            yield event

    monkeypatch.setattr(served.assistant, "stream", spy)
    open_page(browser, served.url)

    # An empty question is refused with a friendly message; nothing is added to the chat.
    browser.find_element(By.ID, "rawi-send").click()
    wait(browser, lambda d: any("اكتب سؤالاً" in t.text for t in d.find_elements(By.CSS_SELECTOR, "[data-testid=toast-text]")), 10)
    assert not browser.find_elements(By.CSS_SELECTOR, "#rawi-chat .rawi-question") and not calls

    ask(browser, "What is the capital of Japan?")
    answer = answer_element(browser, 1)
    question = browser.find_element(By.CSS_SELECTOR, "#rawi-chat .rawi-question")
    assert style(browser, question, "direction") == "ltr"
    first, last = char_lefts(browser, question)
    assert first < last
    assert "rawi-abstained" in answer.get_attribute("class") and style(browser, answer, "direction") == "ltr"
    assert answer.find_element(By.CSS_SELECTOR, ".rawi-badge").is_displayed()
    assert calls[-1][2].abstained
    screenshot(browser, "ui_english_abstention.png")

    ask(browser, "متى زار حفتر بيلاروسيا؟")
    second = answer_element(browser, 2)
    visit = calls[-1][2]
    assert not visit.abstained and second.find_elements(By.CSS_SELECTOR, "a.rawi-cite")
    assert "rawi-abstained" not in second.get_attribute("class")
    assert calls[-1][1] == [{"role": "user", "content": "What is the capital of Japan?"},
                            {"role": "assistant", "content": calls[0][2].answer}]

    # Copy answer puts the latest answer's plain text (with its [n] markers, its short answer without the
    # Markdown asterisks) on the clipboard.
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": served.url.rstrip("/"), "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    browser.find_element(By.ID, "rawi-copy").click()
    wait(browser, lambda d: "نُسخت" in d.find_element(By.ID, "rawi-copy").text, 5)
    copied = browser.execute_async_script("navigator.clipboard.readText().then(arguments[0], () => arguments[0](null));")
    assert copied is not None and squash(copied) == squash(visit.answer.replace("**", ""))

    # A follow-up carries the conversation, as plain text, to the engine.
    ask(browser, "ومن رافقه في تلك الزيارة؟")
    answer_element(browser, 3)
    history = calls[-1][1]
    assert [t["role"] for t in history] == ["user", "assistant", "user", "assistant"]
    assert history[2] == {"role": "user", "content": "متى زار حفتر بيلاروسيا؟"}
    assert history[3]["content"] == visit.answer and "<" not in history[3]["content"]

    # A [n] of an older answer opens that answer's own sources. (The sources panel is re-rendered with
    # the chat's last update, a moment after the answer shows: wait for it, or it undoes the click.)
    wait(browser, lambda d: d.find_element(By.ID, "rawi-turn-3").is_displayed())
    browser.find_element(By.CSS_SELECTOR, "#rawi-answer-2 .rawi-answer-text a.rawi-cite").click()
    wait(browser, lambda d: d.find_element(By.ID, "rawi-turn-2").is_displayed())
    assert not browser.find_element(By.ID, "rawi-turn-3").is_displayed()
    screenshot(browser, "ui_english_abstention_multiturn.png")

    # An over-long question gets a message, and the app stays usable.
    limit = served.assistant.settings.answer.max_question_chars
    box = browser.find_element(By.CSS_SELECTOR, "#rawi-question textarea")
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        box, "س" * (limit + 5))
    browser.find_element(By.ID, "rawi-send").click()
    wait(browser, lambda d: any("طويل" in t.text for t in d.find_elements(By.CSS_SELECTOR, "[data-testid=toast-text]")), 10)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#rawi-chat .rawi-question")) == 3

    # Clear chat empties the conversation and its sources; the next question starts afresh.
    browser.find_element(By.ID, "rawi-clear").click()
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "#rawi-chat .rawi-msg"))
    assert browser.find_elements(By.CSS_SELECTOR, "#rawi-sources .rawi-sources-empty")
    ask(browser, AMBASSADOR_Q)
    answer_element(browser, 1)
    assert calls[-1][1] == []


@pytest.mark.browser
def test_uploaded_article_is_answerable_without_restart(served, browser, tmp_path):
    from selenium.webdriver.common.by import By

    article = tmp_path / "Solar plant (Ghadames).txt"
    article.write_text(
        "افتتاح مصنع للألواح الشمسية في غدامس\n\n"
        "أعلنت شركة النخيل الزرقاء الليبية افتتاح أول مصنع للألواح الشمسية في مدينة غدامس بتكلفة بلغت أربعين مليون دينار.\n"
        "وقال مدير الشركة سالم الورفلي إن المصنع سينتج ألفي لوح شمسي كل شهر لتزويد القرى الصحراوية بالكهرباء.\n",
        encoding="utf-8",
    )
    before = served.assistant.status()["articles"]
    open_page(browser, served.url)
    browser.find_element(By.CSS_SELECTOR, "#rawi-upload-box button, #rawi-upload-box .label-wrap").click()
    file_input = wait(browser, lambda d: (d.find_elements(By.CSS_SELECTOR, "#rawi-upload input[type=file]") or [None])[0])
    file_input.send_keys(str(article))
    ok = wait(browser, lambda d: (d.find_elements(By.CSS_SELECTOR, "#rawi-upload-report .rawi-upload-ok") or [None])[0], 60)
    saved_as = ok.find_element(By.CSS_SELECTOR, ".rawi-file").text
    assert saved_as == "Solar_plant_(Ghadames).txt"
    assert (served.store / "uploads" / saved_as).read_text(encoding="utf-8") == article.read_text(encoding="utf-8")
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#rawi-status .rawi-articles").text == str(before + 1))

    ask(browser, "كم لوحاً شمسياً سينتج مصنع شركة النخيل الزرقاء كل شهر؟")
    answer = answer_element(browser, 1)
    assert "ألفي لوح" in answer.text
    assert saved_as in [e.text for e in answer.find_elements(By.CSS_SELECTOR, ".rawi-cited .rawi-file")]
    screenshot(browser, "ui_upload_answer.png")


@pytest.mark.browser
def test_markup_in_documents_and_questions_is_shown_as_text(served, browser, tmp_path):
    from selenium.webdriver.common.by import By

    doc = tmp_path / "xss_probe.txt"
    doc.write_text(
        "بيان بلدية مصراتة\n\n"
        "أعلن مجلس بلدية مصراتة <script>window.__rawiPwned = 1; alert('xss')</script> خطة جديدة لتحلية مياه البحر "
        "<img src=x onerror=\"window.__rawiPwned = 2; alert(2)\"> بتكلفة اثني عشر مليون دينار ${7*7} {{value}}.\n",
        encoding="utf-8",
    )
    report = served.ingester.ingest([doc], progress=False)
    assert report.ok, report.summary()
    open_page(browser, served.url)
    ask(browser, "ما خطة مجلس بلدية مصراتة لتحلية مياه البحر؟ <b>عاجل</b> <img src=y onerror=alert(3)>")
    answer = answer_element(browser, 1)
    assert no_alert(browser)
    assert browser.execute_script("return window.__rawiPwned === undefined")
    question = browser.find_element(By.CSS_SELECTOR, "#rawi-chat .rawi-question")
    assert "<b>عاجل</b> <img src=y onerror=alert(3)>" in question.text
    assert "<script>" in answer.text and "onerror" in answer.text
    sources = browser.find_element(By.ID, "rawi-sources")
    assert "<script>window.__rawiPwned = 1; alert('xss')</script>" in sources.text
    assert "${7*7}" in sources.text and "{{value}}" in sources.text
    for root in ("#rawi-chat", "#rawi-sources"):
        assert not browser.find_elements(By.CSS_SELECTOR, f"{root} img, {root} script, {root} b"), root
    screenshot(browser, "ui_markup_as_text.png")


# --- the API -------------------------------------------------------------------------------------

def test_ask_endpoint_returns_the_cli_json_with_citations_that_verify(served, corpus_dir):
    from gradio_client import Client

    client = Client(served.url, verbose=False, analytics_enabled=False, download_files=False)
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/ask"}
    got = client.predict(AMBASSADOR_Q, api_name="/ask")
    if isinstance(got, str):
        got = json.loads(got)
    expected = served.assistant.ask(AMBASSADOR_Q).to_dict()
    assert set(got) == set(expected)
    assert {k: v for k, v in got.items() if k != "timings_ms"} == {k: v for k, v in expected.items() if k != "timings_ms"}
    assert got["mode"] == "extractive" and not got["abstained"] and got["citations"]
    for c in got["citations"]:
        assert file_text(corpus_dir, c["file"])[c["start"] : c["end"]] == c["quote"]
    assert set(got["timings_ms"]) >= {"retrieve", "generate", "total"}
    json.dumps(got)

    with pytest.raises(Exception) as err:
        client.predict("   ", api_name="/ask")
    assert "question" in str(err.value).lower() or "سؤال" in str(err.value)
    with pytest.raises(Exception) as err:
        client.predict("س" * 3000, api_name="/ask")
    assert "too long" in str(err.value) or "طويل" in str(err.value)


@pytest.mark.parametrize("value, says", [(42, "must be text"), (["سؤال"], "must be text"), (None, "type a question"),
                                         ("\u200b\x00 ", "type a question"), ("؟!" * 20, "no words")],
                         ids=["number", "list", "null", "invisible", "only-punctuation"])
def test_ask_endpoint_answers_a_hostile_request_with_a_message_and_keeps_serving(served, value, says):
    def call(data: list) -> str:
        request = urllib.request.Request(served.url + "gradio_api/call/ask", data=json.dumps({"data": data}).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=15) as reply:
            event_id = json.loads(reply.read())["event_id"]
        with urllib.request.urlopen(served.url + f"gradio_api/call/ask/{event_id}", timeout=60) as events:
            return events.read().decode("utf-8")

    refused = call([value])
    assert "event: error" in refused
    message = json.loads(refused.split("data:", 1)[1].strip().splitlines()[0])["error"]
    assert says in message and "Traceback" not in message
    assert "event: complete" in call([AMBASSADOR_Q])  # the next request is answered


def test_one_shot_ask_calls_leave_no_session_state_but_a_client_session_keeps_its_own(served):
    from gradio_client import Client

    def call_without_session(question: str) -> str:
        request = urllib.request.Request(served.url + "gradio_api/call/ask", data=json.dumps({"data": [question]}).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=15) as reply:
            event_id = json.loads(reply.read())["event_id"]
        with urllib.request.urlopen(served.url + f"gradio_api/call/ask/{event_id}", timeout=60) as events:
            assert "event: complete" in events.read().decode("utf-8")
        return event_id

    sessions = served.app.state_holder.session_data
    before = set(sessions)
    event_ids = [call_without_session(AMBASSADOR_Q) for _ in range(5)]
    # The server forgets a session just after the last byte of its result has gone out: give it a moment.
    deadline = time.monotonic() + 10
    while set(event_ids) & set(sessions) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(event_ids) & set(sessions)
    assert set(sessions) - before == set()

    client = Client(served.url, verbose=False, analytics_enabled=False, download_files=False)
    client.predict(AMBASSADOR_Q, api_name="/ask")
    assert client.session_hash in sessions  # a session that brought its own hash is left alone


def test_login_is_required_when_set_and_the_password_never_shows(corpus_rig):
    from gradio_client import Client

    from rawi.compose import Rawi

    settings = corpus_rig.settings.replace(auth=SecretStr("reader:s3cret-pass"))
    s = serve(Rawi(settings, corpus_rig.embedder, corpus_rig.store, llm=None), settings.store.path)
    try:
        with urllib.request.urlopen(s.url, timeout=10) as page:
            html = page.read().decode("utf-8")
        assert "s3cret-pass" not in html
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(s.url + "config", timeout=10)
        assert denied.value.code in (401, 403)
        with pytest.raises(Exception):
            Client(s.url, verbose=False, analytics_enabled=False, download_files=False)
        client = Client(s.url, auth=("reader", "s3cret-pass"), verbose=False, analytics_enabled=False,
                        download_files=False)
        got = client.predict(AMBASSADOR_Q, api_name="/ask")
        assert "citations" in (got if isinstance(got, dict) else json.loads(got))
    finally:
        s.app.close()


def test_login_setting_must_be_user_colon_password(corpus_rig):
    from core.errors import ConfigError
    from ui.app import auth_pair

    assert auth_pair(corpus_rig.settings.serve) is None
    assert auth_pair(corpus_rig.settings.replace(auth=SecretStr("a:b:c")).serve) == ("a", "b:c")
    with pytest.raises(ConfigError):
        auth_pair(corpus_rig.settings.replace(auth=SecretStr("no-colon")).serve)


# --- LLM mode: streaming, the model in the status line, falling back, keys kept secret -------------

SECRET = "sk-rawi-test-SECRET-4242"


@pytest.fixture(scope="module")
def llm_served(store_copy):
    from rawi.compose import Rawi
    from tests.support.openai_server import ScriptedOpenAIServer

    with ScriptedOpenAIServer() as server:
        settings = store_copy.replace(
            llm_base_url=server.base_url, llm_model="test-model", llm_api_key=SecretStr(SECRET),
            llm_max_retries=0, llm_timeout_s=10.0,
        )
        s = serve(Rawi.open(settings.store.path, settings), settings.store.path)
        try:
            yield s, server
        finally:
            s.app.close()


@pytest.mark.browser
def test_llm_answer_streams_into_the_page_and_falls_back_when_the_llm_is_down(llm_served, browser, capfd, caplog):
    from selenium.webdriver.common.by import By

    from tests.support.openai_server import Reply

    served, server = llm_served
    reply = "السفير الروسي لدى ليبيا هو إيفان مولوتكوف، وقد التقى حفتر بوزير الدفاع الروسي في موسكو [1]."
    server.script(Reply.text(reply, chunk_size=4, chunk_delay=0.06))
    open_page(browser, served.url)
    assert "LLM: test-model" in browser.find_element(By.ID, "rawi-status").text

    record_streamed_texts(browser)
    ask(browser, AMBASSADOR_Q)
    answer = answer_element(browser, 1)
    partials = streamed_texts(browser)
    assert len([p for p in partials if len(p) < len(reply)]) >= 3, partials  # it grew piece by piece
    assert "مولوتكوف" in answer.text and answer.find_elements(By.CSS_SELECTOR, "a.rawi-cite")
    assert server.request_headers[-1].get("Authorization", server.request_headers[-1].get("authorization")) == f"Bearer {SECRET}"
    screenshot(browser, "ui_llm_streamed.png")

    # The LLM fails: the extractive answer is shown, with a warning, and the page keeps working.
    server.script(Reply.status(500))
    ask(browser, "ما اسم القاعدة الجوية التي تستخدمها روسيا قرب الكفرة؟")
    answer = answer_element(browser, 2)
    warning = answer.find_element(By.CSS_SELECTOR, ".rawi-warning")
    assert "language model" in warning.text and "extractive" in warning.text
    assert answer.find_elements(By.CSS_SELECTOR, "a.rawi-cite")

    # The API key is in no page, config, answer or log line.
    with urllib.request.urlopen(served.url + "config", timeout=10) as config:
        assert SECRET not in config.read().decode("utf-8")
    assert SECRET not in browser.page_source
    out, errs = capfd.readouterr()
    assert SECRET not in out and SECRET not in errs and SECRET not in caplog.text


@pytest.fixture(scope="module")
def real_llm_served(store_copy, llama_server):
    from bench.llama_server import ALIAS, KEY, SYSTEM_IN_USER
    from rawi.compose import Rawi

    settings = store_copy.replace(llm_base_url=llama_server, llm_model=ALIAS, llm_api_key=SecretStr(KEY), top_k=2,
                                  llm_max_tokens=48, llm_max_retries=0, llm_timeout_s=240.0,
                                  llm_system_in_user=SYSTEM_IN_USER)
    s = serve(Rawi.open(settings.store.path, settings), settings.store.path)
    try:
        yield s
    finally:
        s.app.close()


@pytest.mark.browser
@pytest.mark.slow
def test_a_real_models_answer_streams_into_the_page_with_every_citation_judged(real_llm_served, browser):
    from selenium.webdriver.common.by import By

    open_page(browser, real_llm_served.url)
    assert "LLM: gemma3-270m" in browser.find_element(By.ID, "rawi-status").text
    record_streamed_texts(browser)
    ask(browser, AMBASSADOR_Q)
    answer = answer_element(browser, 1, timeout=240)
    partials = streamed_texts(browser)
    assert len(partials) >= 2, partials  # the page showed the reply as it was written, not only at the end
    # The weak model cites or it does not: each kept citation is a link to its passage, and an
    # answer without one says so.
    assert answer.find_elements(By.CSS_SELECTOR, "a.rawi-cite") or answer.find_elements(By.CSS_SELECTOR, ".rawi-warning")
    screenshot(browser, "ui_real_llm_streamed.png")


def test_rawi_serve_launches_the_app_and_warns_about_an_open_address_without_login(corpus_rig, monkeypatch, capsys,
                                                                                   tmp_path):
    import ui.app
    from cli.main import main
    from ui.app import auth_pair

    launched = {}
    monkeypatch.setenv("RAWI_EMBEDDER", "hashing")
    monkeypatch.setenv("RAWI_CHATS_DB", str(tmp_path / "chats.sqlite3"))
    monkeypatch.setattr(ui.app, "launch", lambda assistant, ingester, serve, *, host, port, conversations: launched.update(
        host=host, port=port, mode=assistant.mode, uploads=ingester is not None, auth=auth_pair(serve),
        chats=str(conversations.db.path)))
    assert main(["serve", "--store", str(corpus_rig.settings.store.path), "--host", "0.0.0.0", "--port", "7999"]) == 0
    assert launched == {"host": "0.0.0.0", "port": 7999, "mode": "extractive", "uploads": True, "auth": None,
                        "chats": str(tmp_path / "chats.sqlite3")}
    assert "RAWI_AUTH" in capsys.readouterr().err
    monkeypatch.setenv("RAWI_AUTH", "reader:pw")
    assert main(["serve", "--store", str(corpus_rig.settings.store.path)]) == 0
    assert launched["host"] == "127.0.0.1" and launched["port"] == 7860 and launched["auth"] == ("reader", "pw")
    assert capsys.readouterr().err == ""
