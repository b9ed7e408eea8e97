"""Sentence vectors kept with their chunks: ingest embeds every sentence of a new chunk once and
stores it; answering looks them up instead of embedding; stores made before still answer.

The hashing embedder stands in for the model (real Chroma on disk, the real pipeline); a counting
subclass of it records what gets embedded.
"""

from __future__ import annotations

from core.results import Source
from core.sentences import chunk_sentences
from rag.citations import source_sentences
from tests.conftest import ART_003, SMALL_CORPUS, Rig, counting_embedder, make_settings


def sentence_texts(chunk) -> list[str]:
    return [chunk.text[s.start : s.end] for s in chunk_sentences(chunk.text)]


def test_the_sentences_ingest_stores_are_the_ones_answering_quotes(corpus_rig):
    for chunk in corpus_rig.chunks()[:20]:
        source = Source(file=chunk.file, chunk_id=chunk.id, score=0.0, text=chunk.text,
                        start=int(chunk.meta["start"]), end=int(chunk.meta["end"]))
        assert [s.text for s in source_sentences(source, 1)] == sentence_texts(chunk)


def test_ingest_stores_the_vector_of_every_sentence_of_every_chunk(corpus_rig):
    embedder = corpus_rig.embedder
    for chunk in corpus_rig.chunks():
        texts = sentence_texts(chunk)
        stored = corpus_rig.store.sentence_vectors([chunk.id])[chunk.id]
        assert len(stored) == len(texts), chunk.id
        for text, vector in zip(texts, stored):
            expected = embedder.get_text_embedding(text)
            assert max(abs(a - b) for a, b in zip(vector, expected)) < 1e-3  # kept as float16


def test_a_sentence_shared_by_overlapping_chunks_is_embedded_once(tmp_path, small_corpus):
    embedder = counting_embedder()
    rig = Rig(make_settings(tmp_path), embedder=embedder)
    rig.ingest(small_corpus)
    assert len(embedder.embedded) == len(set(embedder.embedded))
    every_sentence = {t for c in rig.chunks() for t in sentence_texts(c)}
    assert every_sentence <= set(embedder.embedded)


def test_answering_embeds_no_sentence_of_a_retrieved_chunk(tmp_path, small_corpus):
    from rawi.compose import Rawi

    settings = make_settings(tmp_path)
    Rig(settings).ingest(small_corpus)
    embedder = counting_embedder()
    app = Rawi(settings, embedder, Rig(settings, embedder=embedder).store, llm=None)
    answer = app.assistant().ask("متى التقى حفتر شويغو؟")

    assert not answer.abstained
    retrieved = app.assistant().search("متى التقى حفتر شويغو؟")["hybrid"].hits
    held = {t for h in retrieved for t in sentence_texts(h.chunk)}
    assert held and not held & set(embedder.embedded)


def test_a_store_made_before_sentence_vectors_still_answers_by_embedding_them(tmp_path, small_corpus):
    from rawi.compose import Rawi

    settings = make_settings(tmp_path)
    rig = Rig(settings)
    rig.ingest(small_corpus)
    rig.store.client.delete_collection(rig.store.sentences.name)  # as a store from before the change

    embedder = counting_embedder()
    app = Rawi(settings, embedder, Rig(settings, embedder=embedder).store, llm=None)
    answer = app.assistant().ask("متى التقى حفتر شويغو؟")

    assert not answer.abstained and answer.citations
    assert embedder.embedded  # the candidate sentences were embedded at question time


def test_deleting_or_changing_a_file_drops_the_sentence_vectors_of_its_gone_chunks(rig, small_corpus):
    rig.ingest(small_corpus)
    first = {c.id: len(sentence_texts(c)) for c in rig.chunks(ART_003)}
    assert sorted(rig.store.sentence_vectors(sorted(first))) == sorted(first)
    target = small_corpus / ART_003
    target.write_text("وقال مراقبون إن الزيارة فتحت صفحة جديدة.\n" + target.read_text(encoding="utf-8"), encoding="utf-8")
    rig.ingest(small_corpus)
    gone = set(first) - {c.id for c in rig.chunks(ART_003)}
    assert gone
    assert rig.store.sentence_vectors(sorted(gone)) == {}

    kept = {c.id: len(sentence_texts(c)) for c in rig.chunks(SMALL_CORPUS[0])}
    assert sorted(rig.store.sentence_vectors(sorted(kept))) == sorted(kept)
    (small_corpus / SMALL_CORPUS[0]).unlink()
    rig.ingest(small_corpus)
    assert rig.store.sentence_vectors(sorted(kept)) == {}


def test_sentence_vectors_are_kept_outside_chromas_vector_index(rig, small_corpus):
    # Chroma loads a collection's whole vector index on its first read: at 100k chunks the
    # sentences' index alone took about 1 GB of the server's memory. Nothing searches them.
    rig.ingest(small_corpus)
    got = rig.store.sentences.get(limit=5, include=["embeddings", "metadatas"])
    assert got["ids"] and all(len(v) == 1 for v in got["embeddings"])
    assert all(meta["count"] >= 1 and meta["vectors"] for meta in got["metadatas"])


def test_the_next_ingest_drops_the_old_one_vector_per_sentence_index(tmp_path, small_corpus):
    settings = make_settings(tmp_path)
    rig = Rig(settings)
    rig.ingest(small_corpus)
    old = rig.store.client.get_or_create_collection(f"{rig.store.chunks.name}_sentences", embedding_function=None)
    old.add(ids=["x/0"], embeddings=[[0.1, 0.2]])

    again = Rig(settings)
    again.ingest(small_corpus)
    names = {c.name for c in again.store.client.list_collections()}
    assert f"{rig.store.chunks.name}_sentences" not in names
    assert f"{rig.store.chunks.name}_sentence_vectors" in names
