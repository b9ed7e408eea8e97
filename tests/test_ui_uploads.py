"""Uploads from the chat page: names sanitised, type and size checked, saved only under
`<store>/uploads/`, ingested into a real store (hashing embedder) and answerable at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ART_000, Rig, make_settings
from ui.uploads import Uploader, UploadRefused, safe_name

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
    from rawi.compose import Rawi
    from ui.uploads import UPLOADS_DIRNAME

    rig = Rig(make_settings(tmp_path))
    assert rig.ingest(corpus_dir / ART_000).ok
    ingester = Rawi(rig.settings, rig.embedder, rig.store, llm=None).ingester()
    return Uploader(ingester, rig.settings.store.path / UPLOADS_DIRNAME, max_mb=0.01)


def assistant_of(uploader):
    """An Assistant over the store the uploader ingests into."""
    from rawi.compose import Rawi

    ingester = uploader.ingester
    settings = make_settings(ingester.folder.parent, ingester.folder.name)
    return Rawi(settings, ingester.embedder, ingester.store).assistant()


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
    assert uploader.folder == (uploader.ingester.folder / "uploads").resolve()
    assert saved.read_text(encoding="utf-8") == ARTICLE
    assert "solar.txt" in uploader.ingester.file_records()
    # Found at once by both retrievers (the lexical index follows the store), no restart.
    for mode in ("dense", "bm25"):
        answer = assistant_of(uploader).ask("ما اسم الشركة التي افتتحت مصنع الألواح الشمسية في غدامس؟", mode=mode)
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
    before = uploader.ingester.file_records()[ART_000]
    clash = write(tmp_path / "t", ART_000, ARTICLE)
    result = uploader.add([clash])[0]
    assert result.ok and result.name == ART_000.replace(".txt", "-2.txt")
    records = uploader.ingester.file_records()
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
    assert set(uploader.ingester.file_records()) == {ART_000}


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

    monkeypatch.setattr(uploader.ingester, "ingest", boom)
    with pytest.raises(RuntimeError):
        uploader.add([write(tmp_path / "t", "solar.txt", ARTICLE)])
    assert not any(uploader.folder.iterdir())


# --- hostile batches ---------------------------------------------------------------------------------

def files_under(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


def test_a_hostile_batch_refuses_each_bad_file_with_a_message_and_still_adds_the_good_ones(uploader, tmp_path):
    incoming = tmp_path / "browser"
    good = write(incoming, "solar.txt", ARTICLE)
    batch = [
        write(incoming, "..\\..\\..\\Windows\\evil.txt", ARTICLE.replace("غدامس", "غات")),  # backslashes: one name
        write(incoming, "..hidden\x01\x1b[31m.md", ARTICLE.replace("غدامس", "سبها")),  # control characters
        Path("/nonexistent/dir/with\x00nul.txt"),  # NUL: no such file can exist; refused, not a crash
        write(incoming, "photo.png", b"\x89PNG\r\n\x1a\n"),
        write(incoming, "run.txt.exe", b"MZ\x90\x00"),
        write(incoming, "fake.txt", bytes(range(256)) * 8),  # right extension, not text
        write(incoming, "big.txt", "ا" * 20_000),  # 40 kB > 0.01 MB
        write(incoming, "empty.md", b""),
        good,
    ]
    store = uploader.ingester.folder
    before_outside = files_under(tmp_path) - {p for p in files_under(tmp_path) if (tmp_path / p).is_relative_to(store)}
    results = uploader.add(batch)

    assert [r.ok for r in results] == [True, True, False, False, False, False, False, False, True]
    assert [r.name for r in results[:2]] == ["evil.txt", "hidden_31m.md"]
    saved = sorted(p.name for p in uploader.folder.iterdir())
    assert saved == sorted([results[0].name, results[1].name, "solar.txt"])
    assert all("/" not in r.name and "\\" not in r.name and "\x00" not in r.name and r.name.isprintable()
               for r in results)
    for r in results[2:8]:
        assert r.message and "Traceback" not in r.message and len(r.message) < 200, r
    assert "ميغابايت" in results[6].message and "فارغ" in results[7].message
    assert "غير مقبول" in results[3].message and "غير مقبول" in results[4].message
    # Nothing was written outside the store; inside it, only the uploads folder and the store's own indexes.
    after = files_under(tmp_path)
    outside = {p for p in after if not (tmp_path / p).is_relative_to(store)}
    assert outside == before_outside
    for p in after:
        inside = (tmp_path / p)
        if inside.is_relative_to(store) and not inside.is_relative_to(uploader.folder):
            assert inside.relative_to(store).parts[0] in ("chroma", "lexical", "ingest.lock"), p
    records = uploader.ingester.file_records()
    assert {results[0].name, results[1].name, "solar.txt"} <= set(records)
    assert len(records) == 4  # the corpus article and the three good uploads


def test_a_batch_over_the_file_limit_adds_the_first_files_and_refuses_the_rest_each_with_a_message(uploader, tmp_path):
    uploader.max_files = 3
    batch = [write(tmp_path / "many", f"article{i}.txt", ARTICLE.replace("غدامس", f"غدامس {i}")) for i in range(6)]
    results = uploader.add(batch)
    assert [r.ok for r in results] == [True, True, True, False, False, False]
    assert all("3" in r.message and "دفعة أخرى" in r.message for r in results[3:])
    assert [r.name for r in results[3:]] == ["article3.txt", "article4.txt", "article5.txt"]
    assert sorted(p.name for p in uploader.folder.iterdir()) == ["article0.txt", "article1.txt", "article2.txt"]


# --- through the served app ----------------------------------------------------------------------------

def post_upload(url: str, filename: str, content: bytes) -> tuple[int, str]:
    import urllib.error
    import urllib.request
    import uuid

    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
            "Content-Type: text/plain\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url + "gradio_api/upload", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated")
@pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")
def test_the_served_app_refuses_oversized_uploads_and_saves_a_traversal_name_inside_the_uploads_folder(tmp_path, corpus_dir):
    import json

    from rawi.compose import Rawi
    from tests.test_ui_app import serve

    rig = Rig(make_settings(tmp_path, max_upload_mb=0.01))
    assert rig.ingest(corpus_dir / ART_000).ok
    served = serve(Rawi(rig.settings, rig.embedder, rig.store, llm=None), rig.settings.store.path)
    try:
        status, text = post_upload(served.url, "big.txt", ("ا" * 20_000).encode())  # 40 kB > RAWI_MAX_UPLOAD_MB
        assert status == 413, text

        status, text = post_upload(served.url, "../../../../etc/passwd.txt", ARTICLE.encode())
        assert status == 200, text
        (received,) = json.loads(text)
        upload = next(f.fn for f in served.app.fns.values() if getattr(f.fn, "__name__", "") == "upload")
        report, _status, cleared = upload([received])
    finally:
        served.app.close()
    assert cleared is None  # the file box is emptied for the next upload
    assert "passwd.txt" in report and "rawi-upload-ok" in report
    assert (rig.settings.store.path / "uploads" / "passwd.txt").read_text(encoding="utf-8") == ARTICLE
    assert "passwd.txt" in rig.store.file_records()
    assert not (tmp_path / "etc").exists()
