"""Loading: encodings by detection, .md and .html main text, and every kind of bad file."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from ingest.load import UnreadableFile, decode, read_document
from tests.conftest import (
    ART_000,
    ART_001,
    ART_002,
    ART_003,
    ART_004,
    Rig,
    make_settings,
)

# Every article but 001, whose weather widget "℃" has no windows-1256 code.
CP1256_ARTICLES = (ART_000, ART_002, ART_003, ART_004)


def chunk_rows(rig: Rig) -> list[tuple[str, str, int, int]]:
    return sorted((c.id, c.text, c.meta["start"], c.meta["end"]) for c in rig.chunks())


def ingest_bytes(tmp_path: Path, name: str, filename: str, data: bytes) -> Rig:
    folder = tmp_path / f"{name}_files"
    folder.mkdir()
    (folder / filename).write_bytes(data)
    rig = Rig(make_settings(tmp_path, f"{name}_store"))
    report = rig.ingest(folder)
    assert report.ok and report.added == [filename], report.summary()
    return rig


# --- encodings ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def utf8_reference(tmp_path_factory, corpus_dir) -> list[tuple[str, str, int, int]]:
    """Chunk rows of the UTF-8 original of article 004 (Egyptian spelling: فى, الليبى), ingested once."""
    rig = ingest_bytes(tmp_path_factory.mktemp("utf8"), "utf8", ART_004, (corpus_dir / ART_004).read_bytes())
    rows = chunk_rows(rig)
    assert len(rows) >= 3
    return rows


@pytest.mark.parametrize(
    "encoding", ["cp1256", "utf-16", "utf-8-sig", "utf-16-le", "utf-16-be"],
    ids=["windows-1256", "utf-16-with-bom", "utf-8-with-bom", "utf-16-le-no-bom", "utf-16-be-no-bom"],
)
def test_encoded_copy_yields_the_same_chunks_as_the_utf8_original(tmp_path, corpus_dir, utf8_reference, encoding):
    text = (corpus_dir / ART_004).read_text(encoding="utf-8")
    copy = ingest_bytes(tmp_path, encoding, ART_004, text.encode(encoding))
    assert chunk_rows(copy) == utf8_reference  # same ids, texts and offsets


@pytest.mark.parametrize("article", CP1256_ARTICLES)
def test_windows_1256_copy_of_each_article_decodes_to_the_original_text(tmp_path, corpus_dir, article):
    text = (corpus_dir / article).read_text(encoding="utf-8")
    path = tmp_path / article
    path.write_bytes(text.encode("cp1256"))
    doc = read_document(path)
    assert doc.text == text
    assert doc.encoding.replace("_", "-").lower() in {"cp1256", "windows-1256"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-8"])
def test_unicode_encodings_of_every_article_decode_to_the_original_text(tmp_path, corpus_dir, encoding):
    for article in (ART_000, ART_001, ART_002, ART_003, ART_004):
        text = (corpus_dir / article).read_text(encoding="utf-8")
        path = tmp_path / article
        path.write_bytes(text.encode(encoding))
        assert read_document(path).text == text, (article, encoding)


def test_bom_is_dropped_and_line_endings_are_kept(tmp_path):
    text = "عنوان الخبر\r\nالفقرة الأولى من الخبر.\r\n"
    path = tmp_path / "crlf.txt"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    doc = read_document(path)
    assert doc.text == text  # offsets are into exactly this text
    rig = Rig(make_settings(tmp_path))
    rig.ingest(path)
    for c in rig.chunks():
        assert c.text == doc.text[c.meta["start"] : c.meta["end"]]
        assert c.text == c.text.strip()  # a chunk never starts or ends on a line ending


# --- bad files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\n\t ", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, " \n".encode("utf-16")],
                         ids=["zero-bytes", "blanks", "utf8-bom-only", "utf16-bom-only", "utf16-blanks"])
def test_empty_file_is_refused_as_empty(tmp_path, data):
    path = tmp_path / "empty.txt"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile, match="empty"):
        read_document(path)


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
     bytes.fromhex("1f8b08000000000000ff") + bytes((i * 37 + 11) % 256 for i in range(2000)),
     bytes((i * 7) % 32 for i in range(2000))],
    ids=["png", "gzip", "control-bytes"],
)
def test_binary_file_named_txt_is_refused_as_binary(tmp_path, data):
    path = tmp_path / "photo.txt"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile, match="binary"):
        read_document(path)


def test_bytes_that_break_the_encoding_their_bom_claims_are_refused(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "نص".encode("utf-16-le") + b"\x00\xd8")  # a lone surrogate
    with pytest.raises(UnreadableFile, match="utf-16"):
        read_document(path)
    path.write_bytes(codecs.BOM_UTF8 + b"abc \xff\xfe\xfa")
    with pytest.raises(UnreadableFile, match="utf-8"):
        read_document(path)


def test_undecodable_bytes_are_refused_with_a_reason(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes((i * 131 + 7) % 255 + 1 for i in range(3000)))  # no NULs, not any text encoding
    with pytest.raises(UnreadableFile) as err:
        read_document(path)
    assert "encoding" in str(err.value) or "binary" in str(err.value)


def test_unsupported_extension_is_refused(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00\x01")
    with pytest.raises(UnreadableFile, match="not a supported type"):
        read_document(path)
    with pytest.raises(UnreadableFile, match="no extension"):
        read_document(tmp_path / "README")


def test_missing_file_and_folder_are_refused(tmp_path):
    with pytest.raises(UnreadableFile, match="does not exist"):
        read_document(tmp_path / "gone.txt")
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(UnreadableFile, match="folder"):
        read_document(tmp_path / "folder.txt")


def test_file_over_the_size_limit_is_refused(tmp_path, corpus_dir):
    rig = Rig(make_settings(tmp_path, max_file_mb=0.001))
    report = rig.ingest(corpus_dir / ART_000)
    assert len(report.failed) == 1 and "limit" in report.failed[0][1]
    assert rig.store.count() == 0


def test_decode_accepts_plain_utf8():
    assert decode("نص عربي".encode("utf-8")) == ("نص عربي", "utf-8")


# --- markdown and html ----------------------------------------------------------------------------

HTML_PAGE = """<!doctype html>
<html lang="ar" dir="rtl"><head>
<meta charset="utf-8">
<title>زيارة حفتر إلى موسكو | موقع الأخبار</title>
<meta property="article:modified_time" content="2024-05-01T09:00:00+02:00">
<meta property="article:published_time" content="2024-03-05T10:00:00+02:00">
<style>.share { color: red; } body::after { content: "نمط مخفي"; }</style>
<script>var tracking = "نص برمجي سري"; document.write("<p>لا تظهر</p>");</script>
</head><body>
<nav><a href="/">الرئيسية</a> | <a href="/news">قائمة التنقل</a></nav>
<header><div class="logo">شعار الموقع</div></header>
<article>
  <h1>وصول حفتر إلى موسكو</h1>
  <p>وصل المشير خليفة حفتر إلى موسكو يوم الثلاثاء في زيارة رسمية &amp; مباحثات &quot;مهمة&quot;.</p>
  <p>والتقى&nbsp;وزير الدفاع الروسي سيرغي شويغو، وبحثا التعاون العسكري بين البلدين.</p>
  <script>console.log("سكربت داخل المقال");</script>
  <div class="share">مشاركة :</div>
  <p>وقال مصدر إن الزيارة تأتي في إطار تعزيز العلاقات&#46; وأضاف أن الجانبين اتفقا على لقاء آخر.</p>
</article>
<aside>الأكثر قراءة: خبر جانبي</aside>
<footer>جميع الحقوق محفوظة</footer>
</body></html>
"""

HIDDEN = ("نص برمجي سري", "لا تظهر", "سكربت داخل المقال", "نمط مخفي", "color: red", "قائمة التنقل",
          "شعار الموقع", "خبر جانبي", "الحقوق محفوظة", "<", ">", "&amp;", "&quot;", "&nbsp;", "&#46;")


@pytest.fixture(scope="module")
def html_rig(tmp_path_factory) -> tuple[Rig, Path]:
    """A page ingested once for this module's read-only checks."""
    tmp_path = tmp_path_factory.mktemp("html")
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "visit.html").write_text(HTML_PAGE, encoding="utf-8")
    rig = Rig(make_settings(tmp_path))
    report = rig.ingest(folder)
    assert report.ok and report.added == ["visit.html"], report.summary()
    return rig, folder / "visit.html"


def test_html_chunks_hold_the_main_text_only(html_rig):
    rig, _ = html_rig
    text = " ".join(c.text for c in rig.chunks())
    for hidden in HIDDEN:
        assert hidden not in text, hidden
    assert "مشاركة :" not in text  # furniture inside the article is skipped too
    for kept in ("وصل المشير خليفة حفتر إلى موسكو", "وزير الدفاع الروسي سيرغي شويغو", "اتفقا على لقاء آخر."):
        assert kept in text


def test_html_entities_are_decoded(html_rig):
    rig, _ = html_rig
    text = "\n".join(c.text for c in rig.chunks())
    assert 'رسمية & مباحثات "مهمة".' in text
    assert "والتقى وزير" in text  # &nbsp; became a plain space
    assert "العلاقات. وأضاف" in text


def test_html_chunks_are_slices_of_the_pages_main_text(html_rig):
    rig, path = html_rig
    doc = read_document(path)
    assert "<" not in doc.text and "نص برمجي سري" not in doc.text
    for c in rig.chunks():
        assert c.text == doc.text[c.meta["start"] : c.meta["end"]]


def test_html_title_and_published_date_come_from_the_page(html_rig):
    rig, _ = html_rig
    chunks = rig.chunks()
    assert {c.meta["title"] for c in chunks} == {"وصول حفتر إلى موسكو"}  # the <h1>
    assert {c.meta.get("date") for c in chunks} == {"2024-03-05"}  # published, not modified


def test_html_without_h1_takes_its_title_from_the_title_tag(tmp_path):
    page = tmp_path / "plain.htm"
    page.write_text(
        "<html><head><title>عنوان من وسم العنوان</title>"
        '<meta name="pubdate" content="2019-04-04"></head>'
        "<body><p>فقرة أولى من الخبر عن زيارة الوفد.</p><p>فقرة ثانية.</p></body></html>",
        encoding="utf-8",
    )
    rig = Rig(make_settings(tmp_path))
    assert rig.ingest(page).ok
    chunks = rig.chunks()
    assert chunks and {c.meta["title"] for c in chunks} == {"عنوان من وسم العنوان"}
    assert {c.meta.get("date") for c in chunks} == {"2019-04-04"}


def test_html_with_no_main_text_is_refused(tmp_path):
    page = tmp_path / "empty.html"
    page.write_text("<html><head><script>var a = 'نص';</script></head><body><nav>قائمة</nav></body></html>",
                    encoding="utf-8")
    with pytest.raises(UnreadableFile, match="no main text"):
        read_document(page)


def test_html_in_windows_1256_is_decoded(tmp_path):
    page = tmp_path / "legacy.html"
    page.write_bytes(HTML_PAGE.replace('charset="utf-8"', 'charset="windows-1256"').encode("cp1256"))
    doc = read_document(page)
    assert "وزير الدفاع الروسي سيرغي شويغو" in doc.text
    assert doc.html_title == "وصول حفتر إلى موسكو"


def test_markdown_is_ingested_with_its_heading_as_title_and_exact_offsets(tmp_path):
    md = tmp_path / "note.md"
    md.write_text(
        "# زيارة الوفد الروسي إلى بنغازي\n\n"
        "وصل وفد عسكري روسي إلى بنغازي. والتقى الوفد قيادات عسكرية ليبية.\n\n"
        "## التفاصيل\n\n"
        "- بحث الجانبان التعاون في مكافحة الإرهاب.\n"
        "- واتفقا على لقاءات أخرى.\n",
        encoding="utf-8",
    )
    rig = Rig(make_settings(tmp_path))
    report = rig.ingest(md)
    assert report.added == ["note.md"]
    text = read_document(md).text
    chunks = rig.chunks()
    assert {c.meta["title"] for c in chunks} == {"زيارة الوفد الروسي إلى بنغازي"}
    joined = "\n".join(c.text for c in chunks)
    assert "وصل وفد عسكري روسي إلى بنغازي." in joined and "واتفقا على لقاءات أخرى." in joined
    for c in chunks:
        assert c.text == text[c.meta["start"] : c.meta["end"]]
        assert not c.text.startswith(("#", "-"))
