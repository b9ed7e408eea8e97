"""Hybrid retrieval on the sample corpus: spelling variants, Egyptian spelling, English questions,
the three modes, top-k, and the lexical index cached in the store.

Ranking is read straight from `Assistant.retriever` (no answer is composed), so these tests are cheap.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.arabic import lexical_terms
from tests.conftest import (
    ART_000,
    ART_001,
    ART_002,
    ART_003,
    ART_004,
    Rig,
    make_settings,
)


def files_of(retrieval) -> list[str]:
    return [h.chunk.meta["file"] for h in retrieval.hits]


def hits_where(retrieval, word: str) -> list[str]:
    """Files of the hits whose chunk text contains `word` written exactly so."""
    return [h.chunk.meta["file"] for h in retrieval.hits if word in h.chunk.text]


@pytest.fixture(scope="module")
def retriever(sample_assistant):
    return sample_assistant.retriever


# --- names spelled differently across articles ---------------------------------------------------------

def test_a_question_spelled_shuweiju_finds_the_articles_that_write_shoigu(retriever, corpus_texts):
    # Only 004 writes شويجو; 001, 002 and 003 write شويغو.
    assert "شويجو" not in corpus_texts[ART_002] + corpus_texts[ART_003]
    for mode in ("bm25", "hybrid"):
        found = hits_where(retriever.retrieve("متى التقى حفتر شويجو؟", 5, mode=mode), "شويغو")
        assert {ART_002, ART_003} <= set(found), (mode, found)


def test_a_question_spelled_shoigu_finds_the_article_that_writes_shuweiju(retriever):
    for mode in ("bm25", "hybrid"):
        found = hits_where(retriever.retrieve("متى التقى حفتر شويغو؟", 5, mode=mode), "شويجو")
        assert ART_004 in found, (mode, found)


@pytest.mark.parametrize("spelling", ["يفكوروف", "يوفقورف", "يفكيروف"])
def test_each_spelling_of_yevkurov_finds_all_three_articles_that_name_him(retriever, spelling):
    # 000 writes يفكوروف, 001 يوفقورف, 003 يفكيروف: whichever the user types, all three must come back.
    written = {ART_000: "يفكوروف", ART_001: "يوفقورف", ART_003: "يفكيروف"}
    for mode in ("bm25", "hybrid"):
        retrieval = retriever.retrieve(f"من هو {spelling}؟", 5, mode=mode)
        for article, word in written.items():
            assert article in hits_where(retrieval, word), (mode, spelling, article, files_of(retrieval))


def test_lexical_terms_give_the_transliterations_of_a_name_a_shared_key():
    keys = [{t for t in lexical_terms(w) if t.startswith("~")} for w in ("يفكوروف", "يوفقورف", "يفكيروف")]
    assert keys[0] & keys[1] & keys[2]
    assert {t for t in lexical_terms("شويغو") if t.startswith("~")} & {t for t in lexical_terms("شويجو") if t.startswith("~")}


# --- Egyptian spelling ---------------------------------------------------------------------------

@pytest.mark.parametrize("egyptian, standard", [("فى موسكو", "في موسكو"), ("الجيش الليبى", "الجيش الليبي"),
                                                ("وزير الدفاع الروسى", "وزير الدفاع الروسي")])
def test_egyptian_final_ya_gives_the_same_search_terms_as_standard_spelling(egyptian, standard):
    assert lexical_terms(egyptian) == lexical_terms(standard)
    assert lexical_terms(egyptian)  # not everything is a stop word


def test_standard_spelling_finds_the_article_written_in_egyptian_spelling(retriever, corpus_texts):
    # "النفطي" is written only as "النفطى" (004); "القذافي" as "القذافى" in 004.
    assert "النفطي" not in "".join(corpus_texts.values())
    assert ART_004 in hits_where(retriever.retrieve("الهلال النفطي", 5, mode="bm25"), "النفطى")
    assert ART_004 in hits_where(retriever.retrieve("القذافي", 5, mode="bm25"), "القذافى")


def test_egyptian_spelling_finds_articles_written_in_standard_spelling(retriever, corpus_texts):
    # "الروسى" appears only in 004; the others write "الروسي".
    assert all("الروسى" not in corpus_texts[a] for a in (ART_000, ART_001, ART_002, ART_003))
    found = hits_where(retriever.retrieve("الروسى", 5, mode="bm25"), "الروسي")
    assert set(found) & {ART_000, ART_001, ART_002, ART_003}, found


def test_an_egyptian_question_ranks_the_passage_that_answers_it_first(retriever):
    retrieval = retriever.retrieve("إيه المدينة اللى لسه فيها جيوب خارج سيطرة الجيش الليبى فى الشرق؟", 5)
    assert files_of(retrieval)[0] == ART_004
    assert "درنة" in retrieval.hits[0].chunk.text


# --- English questions over Arabic text ----------------------------------------------------------

def test_an_english_question_about_the_russian_ambassador_finds_the_arabic_passage(retriever):
    retrieval = retriever.retrieve("Who is the Russian ambassador to Libya?", 5)
    assert any("السفير الروسي" in h.chunk.text for h in retrieval.hits), files_of(retrieval)


def test_an_english_question_about_belarus_finds_the_arabic_belarus_passage(retriever):
    retrieval = retriever.retrieve("Did Haftar meet Lukashenko in Belarus?", 5)
    assert ART_003 in hits_where(retrieval, "بيلاروسيا"), files_of(retrieval)


# --- modes and settings --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_retrieval_mode_returns_scored_chunks_best_first(retriever, mode):
    retrieval = retriever.retrieve("زيارة الوفد العسكري الروسي إلى بنغازي", 5, mode=mode)
    assert len(retrieval.hits) == 5
    scores = [h.score for h in retrieval.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert len({h.chunk.id for h in retrieval.hits}) == 5
    if mode == "bm25":
        assert all(h.lexical is not None and h.dense is None for h in retrieval.hits)
        assert retrieval.query_vector is None
    if mode == "dense":
        assert all(h.dense is not None and h.lexical is None for h in retrieval.hits)


def test_hybrid_mode_fuses_both_rankings(retriever):
    hits = retriever.retrieve("زيارة الوفد العسكري الروسي إلى بنغازي", 5).hits
    assert any(h.dense is not None for h in hits) and any(h.lexical is not None for h in hits)


def test_the_top_k_setting_decides_how_many_sources_an_answer_lists(sample_store_settings):
    from rawi.compose import open_assistant

    # rerank_sentences=0 keeps this fast; it does not touch retrieval.
    settings = sample_store_settings.replace(top_k=2, rerank_sentences=0)
    bot = open_assistant(settings.store.path, settings)
    answer = bot.ask("من هو السفير الروسي لدى ليبيا؟")
    retrieved = bot.search("من هو السفير الروسي لدى ليبيا؟")["hybrid"].hits
    assert len(retrieved) == 2
    assert [s.chunk_id for s in answer.sources[:2]] == [h.chunk.id for h in retrieved]
    # Beyond the top-k, a source is listed only as the neighbouring chunk holding a cited sentence.
    assert all(any(c.n == n for c in answer.citations) for n in range(3, len(answer.sources) + 1))


# --- the lexical index: derived from Chroma, cached in the store, rebuilt when the collection moves --

@pytest.fixture
def private_store(tmp_path: Path, small_corpus: Path) -> Rig:
    """A hashing-embedder store of three articles that a test may write to (never the shared one)."""
    rig = Rig(make_settings(tmp_path))
    assert rig.ingest(small_corpus).ok
    return rig


def write_article(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


GINGER = "مقال عن الزنجبيل\n\nتحدث التقرير عن زراعة الزنجبيل في الواحات الليبية وعن أسعاره في الأسواق المحلية.\n"


def saved_lexical_indexes(store: Path) -> list[Path]:
    """The meta.json of every lexical index saved in the store (one folder per collection and generation)."""
    return sorted((store / "lexical").glob("*/meta.json"))


def lexical_meta(store: Path) -> dict:
    saved = saved_lexical_indexes(store)
    assert len(saved) == 1, f"expected one saved lexical index, found {saved}"
    return json.loads(saved[0].read_text(encoding="utf-8"))


def test_the_lexical_index_is_saved_in_the_store_at_the_collection_generation(private_store):
    from rawi.compose import open_assistant

    store = private_store.settings.store.path
    bot = open_assistant(store, private_store.settings)
    assert bot.retriever.retrieve("حفتر", 5, mode="bm25").hits
    meta = lexical_meta(store)
    assert meta["generation"] == private_store.store.generation >= 1
    assert sorted(meta["ids"]) == sorted(c.id for c in private_store.chunks())


def test_a_second_assistant_loads_the_cached_lexical_index_instead_of_rebuilding(private_store, monkeypatch):
    from rawi.compose import open_assistant
    from vendors import lexical

    settings = private_store.settings
    open_assistant(settings.store.path, settings).retriever.retrieve("حفتر", 5, mode="bm25")
    assert saved_lexical_indexes(settings.store.path)

    def no_rebuild(store):
        raise AssertionError("the lexical index was rebuilt although the cached one is current")

    monkeypatch.setattr(lexical, "build", no_rebuild)
    hits = open_assistant(settings.store.path, settings).retriever.retrieve("حفتر", 5, mode="bm25").hits
    assert hits


def test_an_ingest_into_the_store_makes_the_next_assistant_rebuild_the_lexical_index(private_store, tmp_path):
    from rawi.compose import open_assistant

    settings = private_store.settings
    before = open_assistant(settings.store.path, settings)
    assert before.retriever.retrieve("الزنجبيل", 5, mode="bm25").hits == []
    old_generation = lexical_meta(settings.store.path)["generation"]

    report = private_store.ingest(write_article(tmp_path, "ginger.txt", GINGER))
    assert report.ok and private_store.store.generation > old_generation

    after = open_assistant(settings.store.path, settings)
    assert "ginger.txt" in files_of(after.retriever.retrieve("الزنجبيل", 5, mode="bm25"))
    assert lexical_meta(settings.store.path)["generation"] == private_store.store.generation


def test_a_running_assistant_sees_an_ingest_made_through_another_client(private_store, tmp_path):
    """What a long-running app needs when another instance (or `rawi ingest`) writes to the same Chroma."""
    from rawi.compose import open_assistant

    settings = private_store.settings
    running = open_assistant(settings.store.path, settings)
    assert running.retriever.retrieve("الزنجبيل", 5, mode="bm25").hits == []

    assert private_store.ingest(write_article(tmp_path, "ginger.txt", GINGER)).ok  # another client, same store

    assert "ginger.txt" in files_of(running.retriever.retrieve("الزنجبيل", 5, mode="bm25"))
    assert lexical_meta(settings.store.path)["generation"] == private_store.store.generation


def test_a_deleted_lexical_folder_is_rebuilt_from_chroma(private_store):
    from rawi.compose import open_assistant

    settings = private_store.settings
    first = files_of(open_assistant(settings.store.path, settings).retriever.retrieve("بيلاروسيا", 5, mode="bm25"))
    shutil.rmtree(settings.store.path / "lexical")
    again = files_of(open_assistant(settings.store.path, settings).retriever.retrieve("بيلاروسيا", 5, mode="bm25"))
    assert again == first and ART_003 in again
    assert saved_lexical_indexes(settings.store.path)


def test_after_an_ingest_only_the_new_chunks_are_read_and_tokenised(private_store, tmp_path, monkeypatch):
    from rawi.compose import open_assistant
    from vendors.store import ChunkStore

    settings = private_store.settings
    running = open_assistant(settings.store.path, settings)
    before = running.retriever.retrieve("حفتر", 5, mode="bm25").hits
    assert before
    assert private_store.ingest(write_article(tmp_path, "ginger.txt", GINGER)).ok

    read: list = []
    real = ChunkStore.chunk_texts

    def spy(self, ids=None, batch=20_000):
        read.append(ids)
        return real(self, ids, batch)

    monkeypatch.setattr(ChunkStore, "chunk_texts", spy)
    assert "ginger.txt" in files_of(running.retriever.retrieve("الزنجبيل", 5, mode="bm25"))
    new_ids = [c.id for c in private_store.chunks() if c.file == "ginger.txt"]
    assert read == [new_ids]
    # and the result is the index a rebuild from scratch gives
    from vendors import lexical

    scratch = lexical.build(private_store.store)
    for query in ("الزنجبيل", "حفتر بيلاروسيا", "شويغو"):
        terms = lexical_terms(query)
        assert dict(running.retriever.lexical.current().search(terms, 100)) == pytest.approx(dict(scratch.search(terms, 100)))


def test_chunks_gone_from_the_store_leave_the_lexical_index_and_its_vocabulary(private_store, tmp_path):
    from rawi.compose import open_assistant

    settings = private_store.settings
    ginger = write_article(tmp_path, "ginger.txt", GINGER)
    assert private_store.ingest(ginger).ok
    running = open_assistant(settings.store.path, settings)
    assert "ginger.txt" in files_of(running.retriever.retrieve("الزنجبيل", 5, mode="bm25"))
    private_store.store.delete_file("ginger.txt")
    private_store.store.bump_generation()

    assert running.retriever.retrieve("الزنجبيل", 5, mode="bm25").hits == []
    index = running.retriever.lexical.current()
    assert not index.knows(lexical_terms("الزنجبيل")[0])
    assert len(index.ids) == private_store.store.count()


def test_lexical_scores_are_the_bm25_scores_bm25s_gives(sample_store_settings):
    """rawi's own index must rank exactly like the library it replaced (Lucene BM25, k1 1.5, b 0.75)."""
    import bm25s

    from rawi.compose import build_embedder, open_store
    from vendors import lexical

    store = open_store(sample_store_settings, build_embedder(sample_store_settings), create=False)
    ours = lexical.build(store)
    texts = dict(store.chunk_texts())
    reference = bm25s.BM25()
    reference.index([lexical_terms(texts[cid]) for cid in ours.ids], show_progress=False)
    for question in ("من هو السفير الروسي لدى ليبيا؟", "زيارة حفتر الى مينسك", "يفكوروف في بنغازي"):
        terms = lexical_terms(question)
        docs, scores = reference.retrieve([terms], k=len(ours.ids), show_progress=False)
        expected = {ours.ids[int(d)]: float(s) for d, s in zip(docs[0], scores[0]) if s > 0}
        assert dict(ours.search(terms, len(ours.ids))) == pytest.approx(expected, rel=1e-5)


def test_a_damaged_lexical_cache_is_rebuilt_not_trusted(private_store):
    from rawi.compose import open_assistant
    from vendors import lexical

    settings = private_store.settings
    first = files_of(open_assistant(settings.store.path, settings).retriever.retrieve("بيلاروسيا", 5, mode="bm25"))
    saved = saved_lexical_indexes(settings.store.path)[0].parent
    (saved / "rows.npy").write_bytes(b"not an array")
    store = private_store.store
    assert lexical.load(settings.store.path / "lexical", store.generation, store.identity) is None
    again = files_of(open_assistant(settings.store.path, settings).retriever.retrieve("بيلاروسيا", 5, mode="bm25"))
    assert again == first
