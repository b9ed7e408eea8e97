"""Self-test of the scripted OpenAI-shaped server, driven by the real ``openai`` client."""

from __future__ import annotations

import json
import math
import socket
import urllib.error
import urllib.request

import httpx
import openai
import pytest

from tests.support.openai_server import MODEL_ID, Reply, ScriptedOpenAIServer

MESSAGES = [{"role": "user", "content": "What is rawi?"}]


@pytest.fixture
def server():
    with ScriptedOpenAIServer() as srv:
        yield srv


def make_client(server: ScriptedOpenAIServer, *, max_retries: int = 0, timeout: float = 5.0) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.base_url, api_key="test", max_retries=max_retries, timeout=timeout
    )


def chat(client: openai.OpenAI, **kwargs):
    return client.chat.completions.create(model=MODEL_ID, messages=MESSAGES, **kwargs)


def streamed_text(client: openai.OpenAI, **kwargs) -> str:
    stream = chat(client, stream=True, **kwargs)
    return "".join(
        chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices
    )


# ------------------------------------------------------------------ lifecycle


def test_server_listens_only_on_loopback_with_a_v1_base_url(server):
    assert server.base_url.startswith("http://127.0.0.1:")
    assert server.base_url.endswith("/v1")
    assert server.port > 0


def test_stop_releases_the_port_and_is_idempotent():
    srv = ScriptedOpenAIServer().start()
    port = srv.port
    srv.stop()
    srv.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()


def test_stop_closes_kept_alive_client_connections():
    srv = ScriptedOpenAIServer().start()
    client = make_client(srv)
    assert chat(client).choices[0].message.content == "OK"  # leaves a pooled keep-alive socket
    srv.stop()
    with pytest.raises(openai.APIConnectionError):
        chat(client)


# ------------------------------------------------------------------ text replies


def test_non_streamed_reply_returns_the_scripted_text_and_records_the_request(server):
    server.script(Reply.text("answer [1]", prompt_tokens=7, completion_tokens=3))
    completion = chat(make_client(server))

    assert completion.choices[0].message.content == "answer [1]"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 7
    assert completion.usage.completion_tokens == 3
    assert completion.usage.total_tokens == 10
    assert server.request_count == 1
    assert server.requests[0]["messages"] == MESSAGES
    assert server.requests[0]["model"] == MODEL_ID
    assert server.request_headers[0]["Authorization"] == "Bearer test"


def test_streamed_reply_reassembles_to_the_scripted_text(server):
    text = "Rawi answers questions from its corpus [1][2]. Ünïcödé too."
    server.script(Reply.text(text))
    stream = chat(make_client(server), stream=True)
    chunks = list(stream)

    assert "".join(c.choices[0].delta.content or "" for c in chunks) == text
    assert len(chunks) > 3  # really split into several deltas
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    assert server.requests[0]["stream"] is True


def test_streamed_reply_sends_usage_when_asked(server):
    server.script(Reply.text("two words", prompt_tokens=5))
    chunks = list(chat(make_client(server), stream=True, stream_options={"include_usage": True}))

    assert chunks[-1].choices == []
    assert chunks[-1].usage.prompt_tokens == 5
    assert chunks[-1].usage.completion_tokens == 2


def test_replies_are_consumed_in_order_then_the_default_is_used(server):
    server.script(Reply.text("first"), "second")
    server.default = Reply.text("fallback")
    client = make_client(server)

    answers = [chat(client).choices[0].message.content for _ in range(4)]

    assert answers == ["first", "second", "fallback", "fallback"]
    assert server.request_count == 4
    assert server.pending == 0


def test_default_reply_is_ok_when_nothing_is_scripted(server):
    assert chat(make_client(server)).choices[0].message.content == "OK"


def test_legacy_completions_endpoint_shares_the_script(server):
    server.script(Reply.text("legacy"), Reply.text("legacy streamed"))
    client = make_client(server)

    completion = client.completions.create(model=MODEL_ID, prompt="hi")
    streamed = "".join(
        c.choices[0].text for c in client.completions.create(model=MODEL_ID, prompt="hi", stream=True)
    )

    assert completion.choices[0].text == "legacy"
    assert streamed == "legacy streamed"
    assert server.request_paths == ["/completions", "/completions"]


# ------------------------------------------------------------------ errors


def test_rate_limit_then_success_is_retried_once_with_max_retries_one(server):
    server.script(Reply.status(429), Reply.text("ok"))
    completion = chat(make_client(server, max_retries=1))

    assert completion.choices[0].message.content == "ok"
    assert server.request_count == 2


def test_rate_limit_without_retries_raises_rate_limit_error_with_openai_shaped_body(server):
    server.script(Reply.status(429, "slow down"))
    with pytest.raises(openai.RateLimitError) as excinfo:
        chat(make_client(server))

    assert excinfo.value.status_code == 429
    assert excinfo.value.body["message"] == "slow down"
    assert excinfo.value.body["code"] == "rate_limit_exceeded"
    assert excinfo.value.response.headers["retry-after"] == "0"


def test_server_error_raises_internal_server_error(server):
    server.script(Reply.status(500))
    with pytest.raises(openai.InternalServerError) as excinfo:
        chat(make_client(server))
    assert excinfo.value.status_code == 500
    assert server.request_count == 1


def test_auth_error_is_not_retried(server):
    server.script(Reply.status(401, "bad key"))
    with pytest.raises(openai.AuthenticationError):
        chat(make_client(server, max_retries=3))
    assert server.request_count == 1


def test_delay_beyond_client_timeout_raises_timeout_and_server_keeps_answering(server):
    server.script(Reply.text("too late", delay=1.0), Reply.text("on time"))
    client = make_client(server, timeout=0.2)

    with pytest.raises(openai.APITimeoutError):
        chat(client)

    assert chat(client).choices[0].message.content == "on time"
    assert server.request_count == 2


def test_cut_stream_does_not_deliver_the_full_text_and_server_stays_up(server):
    text = "This answer will be interrupted half way through."
    server.script(Reply.cut_stream(text, after_chars=12), Reply.text("still alive"))
    client = make_client(server)

    received = ""
    try:
        for chunk in chat(client, stream=True):
            if chunk.choices:
                received += chunk.choices[0].delta.content or ""
    except (openai.APIError, httpx.HTTPError):  # mid-stream, httpx errors surface unwrapped
        pass

    assert received != text
    assert text.startswith(received)
    assert len(received) <= 12
    assert chat(client).choices[0].message.content == "still alive"


def test_cut_non_streamed_reply_raises_connection_error(server):
    server.script(Reply.cut_stream("a whole answer", after_chars=3))
    with pytest.raises(openai.APIConnectionError):
        chat(make_client(server))


def test_malformed_json_body_raises(server):
    server.script(Reply.malformed())
    with pytest.raises((openai.APIError, json.JSONDecodeError, ValueError)):
        chat(make_client(server))


def test_refused_connection_raises_connection_error(server):
    server.script(Reply.refuse(), Reply.text("after refusal"))
    client = make_client(server)

    with pytest.raises(openai.APIConnectionError):
        chat(client)
    assert chat(client).choices[0].message.content == "after refusal"
    assert server.request_count == 2


# ------------------------------------------------------------------ models & embeddings


def test_models_endpoint_lists_the_test_model(server):
    models = make_client(server).models.list()
    assert [m.id for m in models.data] == [MODEL_ID]


def test_embeddings_are_deterministic_and_normalised(server):
    client = make_client(server)
    first = client.embeddings.create(model=MODEL_ID, input=["alpha", "beta"])
    again = client.embeddings.create(model=MODEL_ID, input="alpha")
    as_floats = client.embeddings.create(model=MODEL_ID, input="alpha", encoding_format="float")

    alpha, beta = first.data[0].embedding, first.data[1].embedding
    assert len(alpha) == server.embedding_dim == 8
    assert alpha != beta
    assert again.data[0].embedding == alpha
    assert as_floats.data[0].embedding == pytest.approx(alpha, abs=1e-6)
    assert as_floats.data[0].embedding == pytest.approx(server.embedding_for("alpha"))
    for vector in (alpha, beta):
        assert math.sqrt(sum(v * v for v in vector)) == pytest.approx(1.0, abs=1e-5)
    assert len(server.embedding_requests) == 3
    assert server.embedding_requests[0]["input"] == ["alpha", "beta"]
    assert server.request_count == 0  # embeddings never consume the chat script


def test_embedding_dimension_is_configurable():
    with ScriptedOpenAIServer(embedding_dim=3) as srv:
        vector = make_client(srv).embeddings.create(model=MODEL_ID, input="x").data[0].embedding
    assert len(vector) == 3


def test_unknown_paths_get_an_openai_shaped_404(server):
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(server.base_url + "/nope", timeout=2)
    assert excinfo.value.code == 404
    assert "error" in json.loads(excinfo.value.read())
