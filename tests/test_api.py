"""The HTTP API of `rawi serve`: OpenAI-compatible chat completions, `/v1/models` and `/api/ask`.

The real app (chat and API on one port) is served on a free port of 127.0.0.1 over the hashing
sample store and driven by the official `openai` client and by raw HTTP; every server is closed by
its test. Citations are checked against the article files themselves: `file_text[start:end] == quote`.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse

import openai
import pytest
from pydantic import SecretStr

from ingest.load import read_document
from tests.test_ui_app import AMBASSADOR_Q, serve

pytestmark = [
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

FOLLOW_UP = [("متى زار حفتر بيلاروسيا؟", "ومن رافقه؟")]
KEY = "rk-test-KEY-0001"
PASSWORD = "pw-test-0002"


def served_with(corpus_rig, **settings):
    from rawi.compose import Rawi

    changed = corpus_rig.settings.replace(**settings) if settings else corpus_rig.settings
    return serve(Rawi(changed, corpus_rig.embedder, corpus_rig.store, llm=None), changed.store.path)


@pytest.fixture(scope="module")
def open_api(corpus_rig):
    """No keys, no login: the API is open on 127.0.0.1, as the chat is."""
    served = served_with(corpus_rig)
    yield served
    served.app.close()


@pytest.fixture(scope="module")
def keyed_api(corpus_rig):
    """Two API keys and a login; three failed logins per address within a minute are allowed."""
    served = served_with(corpus_rig, api_keys=SecretStr(f"other-key, {KEY}"), auth=SecretStr(f"reader:{PASSWORD}"),
                         login_max_failures=3, login_window_s=60.0)
    yield served
    served.app.close()


def client(served, key: str = "unused", **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url + "v1", api_key=key, max_retries=0, timeout=60, **kwargs)


def request(served, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """(status, headers, parsed JSON body) of one raw HTTP request."""
    url = urllib.parse.urlsplit(served.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        reply = conn.getresponse()
        raw = reply.read()
    finally:
        conn.close()
    return reply.status, reply.headers, json.loads(raw) if raw else None


def post_json(served, path: str, payload, headers: dict | None = None):
    return request(served, "POST", path, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers)


def assert_citations_match_the_files(citations: list[dict], corpus_dir) -> None:
    assert citations
    for c in citations:
        text = read_document(corpus_dir / c["file"]).text
        assert text[c["start"]:c["end"]] == c["quote"], c
        assert c["n"] >= 1 and c["quote"].strip()


def assert_openai_error(status: int, body, expected_status: int, *words: str) -> str:
    assert status == expected_status, body
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["message"], str) and error["message"] and isinstance(error["type"], str)
    for word in words:
        assert word.lower() in error["message"].lower(), error["message"]
    assert "Traceback" not in error["message"]
    return error["message"]


# --- the openai client against the real server -----------------------------------------------------

def test_the_openai_client_gets_an_arabic_answer_with_markers_and_citations_that_match_the_files(open_api, corpus_dir):
    completion = client(open_api).chat.completions.create(
        model="rawi", messages=[{"role": "user", "content": AMBASSADOR_Q}])

    content = completion.choices[0].message.content
    assert completion.model == "rawi" and completion.choices[0].finish_reason == "stop"
    assert re.search(r"[\u0600-\u06FF]", content) and re.search(r"\[\d+\]", content)
    citations = completion.model_extra["citations"]
    assert_citations_match_the_files(citations, corpus_dir)
    assert {f"[{c['n']}]" for c in citations} <= set(re.findall(r"\[\d+\]", content))
    assert completion.model_extra["rawi"]["answer"] == content and completion.model_extra["rawi"]["abstained"] is False


def test_a_streamed_answer_arrives_in_chunks_and_the_last_one_carries_the_citations(open_api, corpus_dir):
    stream = client(open_api).chat.completions.create(
        model="rawi", messages=[{"role": "user", "content": AMBASSADOR_Q}], stream=True)
    chunks = list(stream)

    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and all(ch.choices[0].finish_reason is None for ch in chunks[:-1])
    assert text == last.model_extra["rawi"]["answer"] and re.search(r"\[\d+\]", text)
    assert_citations_match_the_files(last.model_extra["citations"], corpus_dir)
    assert all("citations" not in (ch.model_extra or {}) for ch in chunks[:-1])


def test_citations_carry_every_field_of_the_citation_type(open_api):
    import dataclasses

    from core.results import Citation

    completion = client(open_api).chat.completions.create(
        model="rawi", messages=[{"role": "user", "content": AMBASSADOR_Q}])
    for citation in completion.model_extra["citations"]:
        assert {f.name for f in dataclasses.fields(Citation)} <= set(citation)


def test_the_message_history_makes_a_follow_up_about_the_earlier_question(open_api):
    api = client(open_api)
    first, follow_up = FOLLOW_UP[0]
    answer = api.chat.completions.create(model="rawi", messages=[{"role": "user", "content": first}])
    history = [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": first},
               {"role": "assistant", "content": answer.choices[0].message.content}]
    again = api.chat.completions.create(model="rawi", messages=[*history, {"role": "user", "content": follow_up}])
    alone = api.chat.completions.create(model="rawi", messages=[{"role": "user", "content": follow_up}])

    assert first in again.model_extra["rawi"]["search_query"]  # the follow-up was resolved with the history
    assert alone.model_extra["rawi"]["search_query"] == follow_up


def test_models_lists_the_one_model_rawi(open_api):
    api = client(open_api)
    assert [m.id for m in api.models.list()] == ["rawi"]
    assert api.models.retrieve("rawi").id == "rawi"
    with pytest.raises(openai.NotFoundError):
        api.models.retrieve("gpt-4o")


def test_api_ask_returns_the_json_object_of_rawi_ask_json(open_api, corpus_rig, monkeypatch, capsys):
    from cli.main import main

    status, _, got = post_json(open_api, "/api/ask", {"question": AMBASSADOR_Q})
    monkeypatch.setenv("RAWI_EMBEDDER", "hashing")
    assert main(["ask", AMBASSADOR_Q, "--store", str(corpus_rig.settings.store.path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)

    assert status == 200
    assert got.pop("timings_ms").keys() == printed.pop("timings_ms").keys()
    assert got == printed


def test_api_ask_takes_a_history_for_follow_ups(open_api):
    first, follow_up = FOLLOW_UP[0]
    status, _, got = post_json(open_api, "/api/ask", {"question": follow_up, "history": [
        {"role": "user", "content": first}, {"role": "assistant", "content": "…"}]})
    assert status == 200 and first in got["search_query"]


# --- hostile requests: a 4xx with a message a person understands, and the server keeps serving -------

HOSTILE = [
    pytest.param(b"{not json", 400, ["not valid JSON"], id="bad-json"),
    pytest.param(b"", 400, ["empty"], id="empty-body"),
    pytest.param(b"\xff\xfe{}", 400, ["UTF-8"], id="not-utf8"),
    pytest.param(b"[1, 2]", 400, ["JSON object"], id="array-body"),
    pytest.param({"messages": [{"role": "user", "content": "?"}]}, 400, ["model"], id="no-model"),
    pytest.param({"model": 7, "messages": [{"role": "user", "content": "?"}]}, 400, ["model must be a string"],
                 id="model-not-string"),
    pytest.param({"model": "gpt-4o", "messages": [{"role": "user", "content": AMBASSADOR_Q}]}, 404,
                 ["gpt-4o", "does not exist", "rawi"], id="unknown-model"),
    pytest.param({"model": "rawi", "messages": []}, 400, ["messages", "non-empty"], id="empty-messages"),
    pytest.param({"model": "rawi"}, 400, ["messages"], id="no-messages"),
    pytest.param({"model": "rawi", "messages": "hello"}, 400, ["messages"], id="messages-not-array"),
    pytest.param({"model": "rawi", "messages": ["hello"]}, 400, ["messages[0]"], id="message-not-object"),
    pytest.param({"model": "rawi", "messages": [{"role": "wizard", "content": "?"}]}, 400, ["messages[0].role"],
                 id="unknown-role"),
    pytest.param({"model": "rawi", "messages": [{"role": "user", "content": 42}]}, 400,
                 ["messages[0].content", "int"], id="content-a-number"),
    pytest.param({"model": "rawi", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, 400,
                 ["text"], id="image-part"),
    pytest.param({"model": "rawi", "messages": [{"role": "user", "content": AMBASSADOR_Q}], "stream": "yes"}, 400,
                 ["stream"], id="stream-not-bool"),
    pytest.param({"model": "rawi", "messages": [{"role": "user", "content": AMBASSADOR_Q}], "n": 3}, 400,
                 ["n must be 1"], id="several-choices"),
    pytest.param({"model": "rawi", "messages": [{"role": "user", "content": "?"},
                                                {"role": "assistant", "content": "…"}]}, 400,
                 ["last message"], id="last-message-not-user"),
    pytest.param({"model": "rawi", "messages": [{"role": "user", "content": "   "}]}, 400, ["question"],
                 id="blank-question"),
    pytest.param({"model": "rawi", "messages": [{"role": "user", "content": "؟؟ !!"}]}, 400, ["words"],
                 id="punctuation-only"),
    pytest.param({"model": "rawi", "messages": [{"role": "user", "content": "س" * 5000}]}, 400, ["too long"],
                 id="question-too-long"),
]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize(("body", "status", "words"), HOSTILE)
def test_a_bad_chat_request_gets_an_openai_style_error_naming_the_problem(open_api, body, status, words, stream):
    if isinstance(body, dict):
        body = json.dumps({**body, "stream": body.get("stream", stream)}, ensure_ascii=False).encode("utf-8")
    got_status, _, got = request(open_api, "POST", "/v1/chat/completions", body)
    assert_openai_error(got_status, got, status, *words)


def test_a_huge_body_is_refused_with_413_before_it_is_read_whole(corpus_rig):
    served = served_with(corpus_rig, api_max_body_kb=4)
    try:
        huge = {"model": "rawi", "messages": [{"role": "user", "content": "ا" * 10_000}]}
        status, _, got = post_json(served, "/v1/chat/completions", huge)
        assert_openai_error(status, got, 413, "larger than 4 kB", "RAWI_API_MAX_BODY_KB")
        status, _, got = post_json(served, "/api/ask", {"question": "ا" * 10_000})
        assert_openai_error(status, got, 413)
        # Sent in chunks, without a length: counted as it arrives.
        url = urllib.parse.urlsplit(served.url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        conn.request("POST", "/v1/chat/completions", body=iter([b"{" + b" " * 4000] * 3),
                     headers={"Content-Type": "application/json"}, encode_chunked=True)
        reply = conn.getresponse()
        assert_openai_error(reply.status, json.loads(reply.read()), 413)
        conn.close()
        assert client(served).chat.completions.create(
            model="rawi", messages=[{"role": "user", "content": AMBASSADOR_Q}]).model_extra["citations"]
    finally:
        served.app.close()


@pytest.mark.parametrize(("payload", "words"), [
    ({}, ["question"]), ({"question": 5}, ["question must be a string"]), ({"question": ""}, ["question"]),
    ({"question": AMBASSADOR_Q, "history": "x"}, ["history"]),
    ({"question": AMBASSADOR_Q, "history": [{"role": "system", "content": "x"}]}, ["history[0]"]),
])
def test_a_bad_ask_request_gets_a_400_naming_the_problem(open_api, payload, words):
    status, _, got = post_json(open_api, "/api/ask", payload)
    assert_openai_error(status, got, 400, *words)


def test_the_server_keeps_serving_after_hostile_requests(open_api, corpus_dir):
    for body in (b"{", b"null", b'{"model": "rawi", "messages": [{"role": "user"}]}', b"\x00" * 100):
        assert 400 <= request(open_api, "POST", "/v1/chat/completions", body)[0] < 500
    completion = client(open_api).chat.completions.create(
        model="rawi", messages=[{"role": "user", "content": AMBASSADOR_Q}])
    assert_citations_match_the_files(completion.model_extra["citations"], corpus_dir)


# --- keys and login -------------------------------------------------------------------------------

def test_without_keys_or_login_the_api_is_open_on_localhost(open_api):
    status, _, got = request(open_api, "GET", "/v1/models")
    assert status == 200 and got["data"][0]["id"] == "rawi"


def test_with_keys_a_request_without_a_valid_key_gets_401_in_openai_style(keyed_api):
    ask = {"model": "rawi", "messages": [{"role": "user", "content": AMBASSADOR_Q}]}
    status, _, got = post_json(keyed_api, "/v1/chat/completions", ask)
    message = assert_openai_error(status, got, 401, "Authorization: Bearer")
    assert got["error"]["code"] == "invalid_api_key" and KEY not in message and PASSWORD not in message
    for path, method in (("/v1/models", "GET"), ("/api/ask", "POST")):
        status, _, got = request(keyed_api, method, path, b'{"question": "x"}')
        assert_openai_error(status, got, 401)

    assert client(keyed_api, KEY).chat.completions.create(**ask).model_extra["citations"]
    assert [m.id for m in client(keyed_api, "other-key").models.list()] == ["rawi"]
    status, _, got = post_json(keyed_api, "/api/ask", {"question": AMBASSADOR_Q}, {"Authorization": f"Bearer {KEY}"})
    assert status == 200 and got["citations"]


def test_the_login_opens_the_api_as_a_key_or_as_basic_auth(keyed_api):
    import base64

    assert [m.id for m in client(keyed_api, f"reader:{PASSWORD}").models.list()] == ["rawi"]
    basic = base64.b64encode(f"reader:{PASSWORD}".encode()).decode()
    assert request(keyed_api, "GET", "/v1/models", headers={"Authorization": f"Basic {basic}"})[0] == 200


def test_failed_logins_from_one_address_are_refused_with_429_and_retry_after(corpus_rig):
    served = served_with(corpus_rig, api_keys=SecretStr(KEY), auth=SecretStr(f"reader:{PASSWORD}"),
                         login_max_failures=3, login_window_s=60.0)
    try:
        wrong = {"Authorization": "Bearer not-the-key"}
        for _ in range(2):
            assert request(served, "GET", "/v1/models", headers=wrong)[0] == 401
        assert request(served, "GET", "/v1/models")[0] == 401  # no key at all is no guess: not counted
        form = urllib.parse.urlencode({"username": "reader", "password": "guess"}).encode()
        assert request(served, "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})[0] == 400

        # Three failures (two keys, one password): this address now waits, whatever it sends.
        status, headers, got = request(served, "GET", "/v1/models", headers={"Authorization": f"Bearer {KEY}"})
        assert_openai_error(status, got, 429, "too many failed logins")
        assert 1 <= int(headers["Retry-After"]) <= 60
        with pytest.raises(openai.RateLimitError):
            client(served, KEY).models.list()
        right = urllib.parse.urlencode({"username": "reader", "password": PASSWORD}).encode()
        status, headers, got = request(served, "POST", "/login", right, {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 429 and 1 <= int(headers["Retry-After"]) <= 60 and "try again" in got["detail"]
    finally:
        served.app.close()


def test_a_right_password_and_right_keys_are_never_counted_as_failures(corpus_rig):
    served = served_with(corpus_rig, api_keys=SecretStr(KEY), auth=SecretStr(f"reader:{PASSWORD}"),
                         login_max_failures=2, login_window_s=60.0)
    try:
        right = urllib.parse.urlencode({"username": "reader", "password": PASSWORD}).encode()
        for _ in range(5):
            assert request(served, "POST", "/login", right, {"Content-Type": "application/x-www-form-urlencoded"})[0] == 200
            assert request(served, "GET", "/v1/models", headers={"Authorization": f"Bearer {KEY}"})[0] == 200
    finally:
        served.app.close()


def test_failed_logins_are_counted_per_address_within_the_window():
    from api.guard import FailedLogins

    now = [1000.0]
    failed = FailedLogins(max_failures=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert failed.retry_after("10.0.0.1") is None
        failed.fail("10.0.0.1")
        now[0] += 10
    assert failed.retry_after("10.0.0.1") == 30  # the first failure leaves the window at 1060
    assert failed.retry_after("10.0.0.2") is None  # another address is not held back
    now[0] = 1060.5
    assert failed.retry_after("10.0.0.1") is None  # two failures left in the window
    failed.fail("10.0.0.1")
    assert failed.retry_after("10.0.0.1") == 10


def test_the_keys_setting_is_a_secret_never_shown(monkeypatch):
    from core.settings import Settings

    monkeypatch.setenv("RAWI_API_KEYS", f"{KEY},second")
    settings = Settings()
    assert isinstance(settings.serve.api_keys, SecretStr)
    assert KEY not in repr(settings) and KEY not in str(settings.flat()) and KEY not in settings.model_dump_json()


# --- the README's example -------------------------------------------------------------------------

def test_the_readme_openai_example_runs_against_the_server(open_api, repo_root, capsys):
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    example = re.search(r"<!-- openai-example -->\s*```python\n(.*?)```", readme, re.S)
    assert example, "the README's openai client example is missing"
    code = example.group(1).replace("http://127.0.0.1:7860/", open_api.url)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert re.search(r"\[\d+\]", printed) and ".txt" in printed
