"""Uploads from the chat page: names sanitised, type and size checked, saved only under
`<store>/uploads/`, ingested into a real store (hashing embedder) and answerable at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ART_000, Rig, make_settings
from ui.uploads import UploadRefused, Uploader, safe_name

ARTICLE = (
    "مصنع جديد في غدامس\n\n"
    "أعلنت شركة النخيل الزرقاء افتتاح مصنع للألواح الشمسية في مدينة غدامس بتكلفة أربعين مليون دينار.\n"
)


@pytest.mark.parametrize("raw, expected", [
    ("article.txt", "article.txt"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\Windows\\evil.md", "evil.md"),
    ("/abs/path/x.HTML", "x.html"),
    (".hidden.txt", "hidden.txt"),
    ("...txt", "upload.txt"),
    ("مقال جديد (2).txt", "مقال_جديد_(2).txt"),
    ("a\u202egnp.txt", "agnp.txt"),  # right-to-left override removed
    ("a\x00b\x1f;rm -rf $HOME|x.txt", "ab_rm_-rf_HOME_x.txt"),
    ("x" * 300 + ".txt", "x" * 96 + ".txt"),
])
def test_safe_name(raw, expected):
    assert safe_name(raw) == expected


@pytest.mark.parametrize("raw", ["photo.png", "script.py", "archive.tar.gz", "noextension", "", "dir/"])
def test_unsupported_types_are_refused(raw):
    with pytest.raises(UploadRefused):
        safe_name(raw)


@pytest.fixture
def uploader(tmp_path: Path, corpus_dir: Path):
    from rag.assistant import Assistant

    rig = Rig(make_settings(tmp_path))
    assert rig.ingest(corpus_dir / ART_000).ok
    assistant = Assistant(rig.settings, rig.store, rig.embedder, None)
    return Uploader(assistant, max_mb=0.01)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_upload_is_saved_under_the_store_and_answerable(uploader, tmp_path):
    incoming = write(tmp_path / "gradio_tmp", "solar.txt", ARTICLE)
    (result,) = uploader.add([incoming])
    assert result.ok, result.message
    saved = uploader.folder / "solar.txt"
    assert uploader.folder == (uploader.assistant.settings.store / "uploads").resolve()
    assert saved.read_text(encoding="utf-8") == ARTICLE
    assert "solar.txt" in uploader.assistant.store.file_records()
    # Found at once by both retrievers (the lexical index follows the store), no restart.
    for mode in ("dense", "bm25"):
        answer = uploader.assistant.ask("ما اسم الشركة التي افتتحت مصنع الألواح الشمسية في غدامس؟", mode=mode)
        assert answer.sources[0].file == "solar.txt", mode


def test_reupload_updates_the_same_upload_and_unchanged_is_a_no_op(uploader, tmp_path):
    first = write(tmp_path / "t1", "solar.txt", ARTICLE)
    assert uploader.add([first])[0].ok
    again = uploader.add([first])[0]
    assert again.ok and "دون تغيير" in again.message
    changed = write(tmp_path / "t2", "solar.txt", ARTICLE + "وأضاف المدير أن الإنتاج يبدأ في الربيع.\n")
    result = uploader.add([changed])[0]
    assert result.ok and result.name == "solar.txt" and "حُدِّث" in result.message
    assert sorted(p.name for p in uploader.folder.iterdir()) == ["solar.txt"]


def test_a_name_owned_by_another_article_gets_a_suffix_instead_of_replacing_it(uploader, tmp_path):
    before = uploader.assistant.store.file_records()[ART_000]
    clash = write(tmp_path / "t", ART_000, ARTICLE)
    result = uploader.add([clash])[0]
    assert result.ok and result.name == ART_000.replace(".txt", "-2.txt")
    records = uploader.assistant.store.file_records()
    assert records[ART_000] == before  # the corpus article is untouched
    assert records[result.name].root == str(uploader.folder)


def test_too_big_empty_and_binary_files_are_refused_and_leave_nothing_behind(uploader, tmp_path):
    big = write(tmp_path / "t", "big.txt", "ا" * 20_000)  # 40 kB > 0.01 MB
    empty = write(tmp_path / "t", "empty.txt", b"")
    binary = write(tmp_path / "t", "binary.txt", bytes(range(256)) * 20)
    image = write(tmp_path / "t", "image.png", b"\x89PNG\r\n")
    results = uploader.add([big, empty, binary, image])
    assert [r.ok for r in results] == [False, False, False, False]
    assert "ميغابايت" in results[0].message
    assert not uploader.folder.exists() or not any(uploader.folder.iterdir())
    assert set(uploader.assistant.store.file_records()) == {ART_000}


def test_a_symlink_in_the_upload_folder_is_never_written_through(uploader, tmp_path):
    outside = write(tmp_path / "outside", "victim.txt", "لا تلمسني")
    uploader.folder.mkdir(parents=True)
    (uploader.folder / "victim.txt").symlink_to(outside)
    result = uploader.add([write(tmp_path / "t", "victim.txt", ARTICLE)])[0]
    assert result.ok and result.name == "victim-2.txt"
    assert outside.read_text(encoding="utf-8") == "لا تلمسني"


def test_an_ingest_that_blows_up_leaves_no_file_behind(uploader, tmp_path, monkeypatch):
    def boom(paths, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(uploader.assistant, "ingest", boom)
    with pytest.raises(RuntimeError):
        uploader.add([write(tmp_path / "t", "solar.txt", ARTICLE)])
    assert not any(uploader.folder.iterdir())
