"""PDF and Word articles: their citable text reads as the source did (Arabic in logical order,
column by column, one paragraph a line), page headers and numbers are furniture, answers cite
exact slices of it, and a scan with no text layer is refused with the reason.

The PDFs are printed by headless Chromium at test time (`bench/documents.py`; without
Chromium these tests skip), the Word files written with python-docx.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from core.errors import RawiError
from ingest.load import UnreadableFile, read_document
from ingest.pdf import NoTextLayer, _line_text, _Piece
from tests.conftest import ART_000, Rig, make_settings
from bench.documents import CHROMIUM, RUNNING_HEADER, article_html, print_pdf, scanned_pdf, word_docx

TITLE = "وفد عسكري روسي يصل إلى ليبيا"
QUESTION = "من هو نائب وزير الدفاع الروسي الذي وصل إلى ليبيا؟"
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="printing the test PDFs needs Chromium (`make test` installs it)")


@pytest.fixture(scope="session")
def paragraphs(corpus_dir: Path) -> list[str]:
    """The HTML source's paragraphs: article 000, which has a line mixing Arabic and a number."""
    lines = (corpus_dir / ART_000).read_text(encoding="utf-8").strip().split("\n")
    assert any("الجيش-2023" in line for line in lines)
    return lines


@pytest.fixture(scope="session")
def arabic_pdf(tmp_path_factory, paragraphs) -> Path:
    if CHROMIUM is None:
        pytest.skip("printing the test PDFs needs Chromium (`make test` installs it)")
    return print_pdf(article_html(TITLE, paragraphs, columns=2), tmp_path_factory.mktemp("pdf") / "wafd.pdf")


def _raw_lines(pdf: Path) -> list[tuple[int, str]]:
    """(page, line) as pypdf alone reads them: what the page holds before rawi's reading order."""
    from pypdf import PdfReader

    return [(i, line) for i, page in enumerate(PdfReader(pdf).pages) for line in page.extract_text().split("\n")]


def nfkc(line: str) -> str:
    """pypdf's raw lines hold Arabic presentation forms: as letters, to compare."""
    return unicodedata.normalize("NFKC", line)


def _assistant(rig: Rig):
    from rawi.compose import Rawi

    return Rawi(rig.settings, rig.embedder, rig.store).assistant()


# --- reading order ---------------------------------------------------------------------------------


@needs_chromium
def test_pdf_text_is_the_html_source_paragraph_by_paragraph_in_logical_order(arabic_pdf, paragraphs):
    text = read_document(arabic_pdf).text
    assert text.split("\n") == [TITLE, *paragraphs]
    assert not re.search("[\ufb50-\ufdff\ufe70-\ufeff]", text), "presentation forms left in the text"


@needs_chromium
def test_a_paragraph_running_over_a_column_and_a_page_stays_one_paragraph(arabic_pdf, paragraphs):
    raw = _raw_lines(arabic_pdf)
    assert max(page for page, _ in raw) >= 1, "the article should fill more than one page"
    text = read_document(arabic_pdf).text
    # The page break falls inside a paragraph: its last line on page 1 and first on page 2 are one line here.
    first_on_page_2 = next(line for page, line in raw
                           if page == 1 and len(line.split()) > 3 and RUNNING_HEADER not in nfkc(line))
    words = nfkc(first_on_page_2).split()
    holder = next(p for p in paragraphs if " ".join(words) in p)
    assert not holder.startswith(" ".join(words)), "pick a page break inside a paragraph"
    assert holder in text.split("\n")


@needs_chromium
def test_two_columns_come_out_column_by_column(arabic_pdf, paragraphs):
    from pypdf import PdfReader

    starts: set[int] = set()

    def visit(text, cm, tm, _font, _size):
        if text.strip() and len(text) > 20:
            starts.add(round(tm[4] * cm[0] + cm[4], -1))

    PdfReader(arabic_pdf).pages[0].extract_text(visitor_text=visit)
    assert len(starts) >= 2, "the page should have two columns"
    text = read_document(arabic_pdf).text
    positions = [text.index(p) for p in paragraphs]
    assert positions == sorted(positions), "paragraphs out of the source's order"


def test_a_line_mixing_arabic_and_a_number_is_put_back_in_reading_order():
    # How a browser draws "“الجيش-2023” اللذين عقدا": the runs left to right, each in its own order.
    drawn = [_Piece("” اللذين عقدا ", 242.1, 347.1), _Piece("2023", 354.7, 382.7),
             _Piece("-", 397.3, 397.3), _Piece("“الجيش", 392.0, 438.4)]
    assert _line_text(drawn) == "“الجيش-2023” اللذين عقدا"
    # An English line keeps its order; presentation forms become letters (lam-alef in logical order).
    assert _line_text([_Piece("Page ", 10, 40), _Piece("two", 41, 60)]) == "Page two"
    assert _line_text([_Piece("ﻟﻸﻣﻦ", 10, 40)]) == "للأمن"
    # A number at the right end of an Arabic line is read first; brackets drawn mirrored are stored mirrored.
    assert _line_text([_Piece(" من كبار العسكريين، ", 242.1, 432.4), _Piece("9", 444.7, 444.7)]) == "9 من كبار العسكريين،"
    assert _line_text([_Piece("في مدينة بنغازي )شرق(، وفق", 10, 200)]) == "في مدينة بنغازي (شرق)، وفق"
    assert _line_text([_Piece("(see p. 3)", 10, 60)], rtl=False) == "(see p. 3)"


# --- page furniture ---------------------------------------------------------------------------------


@needs_chromium
def test_running_header_and_page_numbers_are_not_in_the_text_or_the_chunks(arabic_pdf, tmp_path):
    raw = _raw_lines(arabic_pdf)
    assert sum(RUNNING_HEADER in nfkc(line) for _, line in raw) >= 2, "the header should be on every page"
    assert {"1", "2"} <= {line.strip() for _, line in raw}, "the page numbers should be printed"
    text = read_document(arabic_pdf).text
    assert RUNNING_HEADER not in text
    assert not any(re.fullmatch(r"\s*\d+\s*", line) for line in text.split("\n"))
    rig = Rig(make_settings(tmp_path))
    report = rig.ingest(arabic_pdf)
    assert report.ok, report.summary()
    chunks = rig.chunks(arabic_pdf.name)
    assert chunks
    for chunk in chunks:
        assert RUNNING_HEADER not in chunk.text
        assert chunk.text == text[chunk.meta["start"] : chunk.meta["end"]]
        assert not re.search(r"(^|\n)\s*\d+\s*($|\n)", chunk.text)


# --- answers cite the PDF and the Word file ---------------------------------------------------------


@needs_chromium
def test_a_cited_quote_from_a_pdf_is_its_exact_text_slice_in_reading_order(arabic_pdf, paragraphs, tmp_path):
    rig = Rig(make_settings(tmp_path))
    assert rig.ingest(arabic_pdf).ok
    answer = _assistant(rig).ask(QUESTION)
    assert not answer.abstained and answer.citations
    text = read_document(arabic_pdf).text
    for c in answer.citations:
        assert c.file == arabic_pdf.name
        assert c.quote == text[c.start : c.end]
        assert any(c.quote in p for p in [TITLE, *paragraphs]), f"not as the source reads: {c.quote}"
    assert any("يفكوروف" in c.quote for c in answer.citations)


def test_a_word_file_ingests_and_cites_with_its_header_and_footer_left_out(tmp_path, paragraphs):
    doc = word_docx(tmp_path / "wafd.docx", TITLE, paragraphs, footer="صفحة 1 من 3")
    text = read_document(doc).text
    assert text.split("\n") == [TITLE, *paragraphs]
    assert RUNNING_HEADER not in text and "صفحة 1" not in text
    rig = Rig(make_settings(tmp_path))
    assert rig.ingest(doc).ok
    answer = _assistant(rig).ask(QUESTION)
    assert not answer.abstained and answer.citations
    for c in answer.citations:
        assert c.file == "wafd.docx" and c.quote == text[c.start : c.end]
    assert rig.store.file_records()["wafd.docx"].title == TITLE


def test_a_word_file_reads_table_cells_in_order(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("قبل الجدول.")
    row = document.add_table(rows=1, cols=2).rows[0]
    row.cells[0].text, row.cells[1].text = "الخلية الأولى", "الخلية الثانية"
    document.add_paragraph("بعد الجدول.")
    document.save(tmp_path / "t.docx")
    assert read_document(tmp_path / "t.docx").text.split("\n") == ["قبل الجدول.", "الخلية الأولى", "الخلية الثانية", "بعد الجدول."]


# --- refusals ----------------------------------------------------------------------------------------


def test_a_scanned_pdf_is_refused_with_the_reason_and_ingest_goes_on(tmp_path, corpus_dir):
    folder = tmp_path / "mixed"
    folder.mkdir()
    scan = scanned_pdf(folder / "scan.pdf")
    (folder / ART_000).write_bytes((corpus_dir / ART_000).read_bytes())
    with pytest.raises(NoTextLayer, match="no text layer.*OCR") as err:
        read_document(scan)
    assert isinstance(err.value, RawiError)
    rig = Rig(make_settings(tmp_path))
    report = rig.ingest(folder)
    assert [(Path(p).name, "no text layer" in why) for p, why in report.failed] == [("scan.pdf", True)]
    assert set(rig.store.file_records()) == {ART_000}


@pytest.mark.parametrize("name, data, reason", [
    ("broken.pdf", b"%PDF-1.7\nnot really a pdf", "not a PDF that can be read|no pages"),
    ("broken.docx", b"PK\x03\x04 not a zip", "not a Word document"),
    ("text.docx", "نص عادي".encode(), "not a Word document"),
])
def test_damaged_pdf_and_word_files_are_refused_with_a_reason(tmp_path, name, data, reason):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(UnreadableFile, match=reason):
        read_document(tmp_path / name)


# --- uploads and the sources panel -------------------------------------------------------------------


@needs_chromium
def test_pdf_and_word_uploads_are_added_and_a_scan_is_refused_with_the_reason(arabic_pdf, paragraphs, tmp_path):
    from rawi.compose import Rawi
    from ui.uploads import UPLOADS_DIRNAME, Uploader

    rig = Rig(make_settings(tmp_path))
    uploader = Uploader(Rawi(rig.settings, rig.embedder, rig.store).ingester(), rig.settings.store.path / UPLOADS_DIRNAME, max_mb=5)
    doc = word_docx(tmp_path / "wafd.docx", TITLE, paragraphs)
    scan = scanned_pdf(tmp_path / "scan.pdf")
    results = uploader.add([arabic_pdf, doc, scan])
    assert [r.ok for r in results] == [True, True, False], results
    assert "OCR" in results[2].message
    assert {"wafd.pdf", "wafd.docx"} == set(rig.store.file_records())


@needs_chromium
def test_the_sources_panel_shows_the_cited_pdf_passage_highlighted(arabic_pdf, tmp_path):
    from tests.support.html import parse
    from ui.render import sources_section_html

    rig = Rig(make_settings(tmp_path))
    assert rig.ingest(arabic_pdf).ok
    answer = _assistant(rig).ask(QUESTION)
    stored = rig.store.file_text(arabic_pdf.name)  # what the chat page shows the passage from
    assert stored == read_document(arabic_pdf).text
    out = sources_section_html(answer, {arabic_pdf.name: stored}, turn=1)
    marked = re.findall(r'<mark class="rawi-quote">(.*?)</mark>', out)
    assert marked, out
    shown = parse(out).text
    assert answer.citations[0].quote in shown and arabic_pdf.name in shown
    assert RUNNING_HEADER not in shown
    assert rig.store.file_records()[arabic_pdf.name].title == TITLE
