"""Access: the optional login of the chat page and its API, and secrets that never leak.

Login is off by default. With `RAWI_AUTH=user:password` every route of the real app (served on
127.0.0.1, closed by the test) refuses an anonymous request: the page's config, the API, the
queue and the upload route; a wrong password is refused and the right one opens the API. API
keys and the password never appear in `repr(settings)`, error messages, the CLI's output, the
log or the page, even when a server echoes the key back in its error reply.
"""

from __future__ import annotations

import http.cookiejar
import http.server
import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from pydantic import SecretStr

from core.errors import LLMError
from tests.support.openai_server import Reply, ScriptedOpenAIServer
from tests.test_ui_app import AMBASSADOR_Q, serve

LLM_KEY = "sk-llm-KEY-0001"
EMBED_KEY = "sk-embed-KEY-0002"
PASSWORD = "pw-SECRET-0003"
SECRETS = (LLM_KEY, EMBED_KEY, PASSWORD)

pytestmark = [
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        leaked = [s for s in SECRETS if s in text]
        assert not leaked, f"{leaked} shown in: {text[:300]!r}"


def secret_settings(base, **overrides):
    update = {"llm_api_key": SecretStr(LLM_KEY), "embed_api_key": SecretStr(EMBED_KEY),
              "auth": SecretStr(f"reader:{PASSWORD}")}
    update.update(overrides)
    return base.replace(**update)


# --- settings --------------------------------------------------------------------------------------

def test_login_is_off_by_default_and_documented(repo_root):
    from core.settings import Settings
    from ui.app import auth_pair

    settings = Settings()
    assert settings.serve.auth.get_secret_value() == "" and auth_pair(settings.serve) is None
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    assert "RAWI_AUTH=user:password" in readme and "off by default" in readme.lower()


def test_secret_settings_are_secret_strings_never_shown_by_repr_str_or_dumps(monkeypatch):
    from core.settings import Settings

    monkeypatch.setenv("RAWI_LLM_API_KEY", LLM_KEY)
    monkeypatch.setenv("RAWI_EMBED_API_KEY", EMBED_KEY)
    monkeypatch.setenv("RAWI_AUTH", f"reader:{PASSWORD}")
    settings = Settings()
    for secret in (settings.llm.api_key, settings.embedder.api_key, settings.serve.auth, settings.chroma.token):
        assert isinstance(secret, SecretStr), secret
    assert settings.llm.api_key.get_secret_value() == LLM_KEY  # still usable where it is needed
    assert settings.embedder.api_key.get_secret_value() == EMBED_KEY
    assert_no_secret(repr(settings), str(settings), str(settings.model_dump()), settings.model_dump_json(),
                     repr(settings.replace(top_k=3)), repr(settings.llm), str(settings.serve),
                     str(settings.flat()), str(Settings(llm_api_key=LLM_KEY).model_dump()))


# --- login over real HTTP -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def locked(corpus_rig):
    """The real app over the hashing sample store with a login, on a free port of 127.0.0.1."""
    from rawi.compose import Rawi

    settings = secret_settings(corpus_rig.settings)
    served = serve(Rawi(settings, corpus_rig.embedder, corpus_rig.store, llm=None), settings.store.path)
    yield served
    served.app.close()


def status_of(request: urllib.request.Request | str, opener=None) -> int:
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=15) as reply:
            return reply.status
    except urllib.error.HTTPError as err:
        return err.code


def multipart(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.slow
def test_with_a_login_every_route_refuses_an_anonymous_request(locked):
    from gradio_client import Client

    base = locked.url
    ask = urllib.request.Request(base + "gradio_api/call/ask", data=json.dumps({"data": [AMBASSADOR_Q]}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    body, kind = multipart("files", "evil.txt", "مقال".encode())
    upload = urllib.request.Request(base + "gradio_api/upload", data=body, headers={"Content-Type": kind}, method="POST")
    join = urllib.request.Request(base + "gradio_api/queue/join", data=b"{}",
                                  headers={"Content-Type": "application/json"}, method="POST")
    for request in (base + "config", base + "gradio_api/info", ask, upload, join,
                    base + "gradio_api/queue/data?session_hash=x"):
        where = request if isinstance(request, str) else request.full_url
        assert status_of(request) in (401, 403), where
    assert not (locked.store / "uploads").exists()
    with pytest.raises(Exception):
        Client(base, verbose=False, analytics_enabled=False, download_files=False)

    with urllib.request.urlopen(base, timeout=15) as page:  # the login page itself is served
        html = page.read().decode("utf-8")
    assert_no_secret(html)


@pytest.mark.slow
def test_a_wrong_password_is_refused_and_the_right_one_opens_the_api(locked):
    from gradio_client import Client

    def login(user: str, password: str, opener) -> int:
        form = urllib.parse.urlencode({"username": user, "password": password}).encode()
        return status_of(urllib.request.Request(locked.url + "login", data=form, method="POST"), opener)

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    assert login("reader", "not-the-password", opener) == 400
    assert login("someone", PASSWORD, opener) == 400
    assert status_of(locked.url + "config", opener) == 401
    with pytest.raises(Exception):
        Client(locked.url, auth=("reader", "wrong"), verbose=False, analytics_enabled=False, download_files=False)

    assert login("reader", PASSWORD, opener) == 200
    assert status_of(locked.url + "config", opener) == 200
    ask = urllib.request.Request(locked.url + "gradio_api/call/ask", data=json.dumps({"data": [AMBASSADOR_Q]}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with opener.open(ask, timeout=15) as reply:
        event_id = json.loads(reply.read())["event_id"]
    with opener.open(locked.url + f"gradio_api/call/ask/{event_id}", timeout=60) as events:
        stream = events.read().decode("utf-8")
    assert "event: complete" in stream and "citations" in stream

    client = Client(locked.url, auth=("reader", PASSWORD), verbose=False, analytics_enabled=False, download_files=False)
    got = client.predict(AMBASSADOR_Q, api_name="/ask")
    assert "citations" in (got if isinstance(got, dict) else json.loads(got))


# --- secrets in errors, the CLI, the log and the page ----------------------------------------------

class EchoingServer(http.server.ThreadingHTTPServer):
    """Answers every request 401 with an OpenAI-shaped error that echoes the Authorization header back."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                body = json.dumps({"error": {"message": f"Incorrect API key provided: {key}",
                                             "type": "invalid_request_error", "code": "invalid_api_key"}}).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> "EchoingServer":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


def assert_clean_error(err: LLMError) -> None:
    assert_no_secret(str(err), repr(err), repr(err.args))
    assert err.__suppress_context__ or err.__context__ is None  # no chained traceback carrying the reply


def test_an_embeddings_server_echoing_the_key_gives_an_error_without_it(caplog):
    from vendors.embedders import OpenAICompatibleEmbedding

    caplog.set_level(logging.DEBUG)
    with EchoingServer() as server:
        embedder = OpenAICompatibleEmbedding("text-embedding-3-small", base_url=server.url, api_key=EMBED_KEY,
                                             max_retries=0, timeout_s=10)
        with pytest.raises(LLMError) as raised:
            embedder.get_query_embedding("من هو السفير؟")
    assert "refused the API key (401)" in str(raised.value) and "embeddings" in str(raised.value)
    assert_clean_error(raised.value)
    assert_no_secret(repr(embedder), caplog.text)


def test_an_llm_server_echoing_the_key_gives_an_error_without_it(caplog):
    from llama_index.core.llms import ChatMessage

    from vendors.llm import OpenAICompatibleLLM

    caplog.set_level(logging.DEBUG)
    with EchoingServer() as server:
        llm = OpenAICompatibleLLM(server.url, "test-model", LLM_KEY, timeout_s=10, max_retries=0, max_tokens=32, temperature=0)
        with pytest.raises(LLMError) as raised:
            llm.chat([ChatMessage(role="user", content="hi")])
        with pytest.raises(LLMError) as streamed:
            list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
    for err in (raised.value, streamed.value):
        assert "refused the API key (401)" in str(err)
        assert_clean_error(err)
    assert_no_secret(caplog.text)


def test_an_llm_error_names_the_server_without_the_credentials_of_its_url():
    from vendors.llm import OpenAICompatibleLLM

    with ScriptedOpenAIServer() as server:
        plain = server.base_url
        with_credentials = plain.replace("http://", f"http://reader:{PASSWORD}@")
        llm = OpenAICompatibleLLM(with_credentials, "test-model", "", timeout_s=10, max_retries=0, max_tokens=32, temperature=0)
        server.script(Reply.status(500))
        with pytest.raises(LLMError) as raised:
            llm.complete("hi")
    assert str(raised.value) == f"The language model at {plain} failed with HTTP 500."
    assert_clean_error(raised.value)


@pytest.mark.slow
def test_rawi_ask_with_a_server_echoing_the_key_falls_back_and_prints_no_secret(corpus_rig, monkeypatch, capfd, caplog):
    from cli.main import main

    caplog.set_level(logging.DEBUG)
    with EchoingServer() as server:
        for name, value in {"RAWI_LLM_BASE_URL": server.url, "RAWI_LLM_MODEL": "test-model", "RAWI_LLM_API_KEY": LLM_KEY,
                            "RAWI_EMBED_API_KEY": EMBED_KEY, "RAWI_AUTH": f"reader:{PASSWORD}",
                            "RAWI_EMBEDDER": "hashing", "RAWI_LLM_MAX_RETRIES": "0"}.items():
            monkeypatch.setenv(name, value)
        status = main(["ask", AMBASSADOR_Q, "--store", str(corpus_rig.settings.store.path)])
        json_status = main(["ask", AMBASSADOR_Q, "--store", str(corpus_rig.settings.store.path), "--json"])
    out, err = capfd.readouterr()
    assert status == 0 and json_status == 0, err
    assert "refused the API key (401)" in out and "extractive" in out
    assert_no_secret(out, err, caplog.text)


@pytest.mark.slow
def test_the_served_app_shows_no_secret_in_its_page_config_answers_or_log(corpus_rig, capfd, caplog):
    from gradio_client import Client

    from rawi.compose import Rawi, build_llm

    caplog.set_level(logging.DEBUG)
    with EchoingServer() as server:
        settings = secret_settings(corpus_rig.settings, llm_base_url=server.url, llm_model="test-model",
                                   llm_max_retries=0, llm_timeout_s=10.0)
        served = serve(Rawi(settings, corpus_rig.embedder, corpus_rig.store, llm=build_llm(settings)), settings.store.path)
        try:
            client = Client(served.url, auth=("reader", PASSWORD), verbose=False, analytics_enabled=False,
                            download_files=False)
            got = client.predict(AMBASSADOR_Q, api_name="/ask")
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            form = urllib.parse.urlencode({"username": "reader", "password": PASSWORD}).encode()
            assert status_of(urllib.request.Request(served.url + "login", data=form, method="POST"), opener) == 200
            pages = []
            for path in ("", "config", "gradio_api/info"):
                with opener.open(served.url + path, timeout=15) as reply:
                    pages.append(reply.read().decode("utf-8"))
        finally:
            served.app.close()
    answer = json.dumps(got, ensure_ascii=False)
    assert "refused the API key (401)" in answer and '"mode": "extractive"' in answer
    assert "status" in pages[1] or "components" in pages[1]  # the real config, seen after logging in
    out, err = capfd.readouterr()
    assert_no_secret(answer, *pages, out, err, caplog.text)


# --- settings a person got wrong -------------------------------------------------------------------

def test_a_malformed_login_setting_stops_rawi_serve_with_a_message_that_does_not_echo_it(corpus_rig, monkeypatch, capsys):
    from cli.main import main

    monkeypatch.setenv("RAWI_EMBEDDER", "hashing")
    monkeypatch.setenv("RAWI_AUTH", PASSWORD)  # the password alone, without "user:"
    assert main(["serve", "--store", str(corpus_rig.settings.store.path), "--port", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("rawi: ") and "user:password" in captured.err
    assert_no_secret(captured.out, captured.err)


def test_an_invalid_setting_is_named_in_one_line_without_its_value_or_a_traceback(monkeypatch, capsys):
    from cli.main import main

    monkeypatch.setenv("RAWI_TOP_K", "many")
    monkeypatch.setenv("RAWI_LLM_TIMEOUT_S", "-1")
    monkeypatch.setenv("RAWI_LLM_API_KEY", LLM_KEY)
    assert main(["ask", "من هو السفير الروسي لدى ليبيا؟"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "RAWI_TOP_K" in captured.err and "RAWI_LLM_TIMEOUT_S" in captured.err
    assert "many" not in captured.err and "Traceback" not in captured.err
    assert_no_secret(captured.err)
