"""The citable text of a PDF with a text layer: Arabic in logical order, one paragraph a line,
running headers, footers and page numbers left out.

Text comes from pypdf, which reads the page's text operators in the order they are drawn: the
writers of PDFs (browsers, word processors) draw each run of text in its logical (reading) order
and columns one after the other, which is how pypdf read the Arabic test pages word for word where
pdfminer.six, pdfplumber and pypdfium2 read them reversed (they sort characters by position) and
PyMuPDF reordered part of them (README, "PDF and Word files", has the measurement). What this module adds:

- a line whose runs have different directions (Arabic with a number or a Latin word) is drawn one
  run at a time in visual order; its runs are put back in reading order by their position;
- Arabic presentation forms (U+FB50-U+FDFF, U+FE70-U+FEFE, the shaped glyphs some PDFs map their
  glyphs to) become the letters they show (NFKC on those characters only), so search and quotes
  see ordinary Arabic;
- lines are joined into paragraphs by the vertical gaps between them, across a column or a page
  when a sentence runs on;
- a line at the top or bottom of most pages (a running header or footer, numbers masked) and a
  bare page number at the top or bottom of a page are page furniture and left out.

It does not do OCR: a PDF with no text (a scan) is refused with `NoTextLayer`. Nor does it read
visually ordered PDFs (each line's letters stored right to left as drawn), tables or footnotes
as such, or two columns drawn line by line across each other.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ingest.load import UnreadableFile


class NoTextLayer(UnreadableFile):
    """The PDF has pages but no text on them: a scan, or text drawn as pictures."""


_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefe]")
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9\u00c0-\u024f\u0660-\u0669\u06f0-\u06f9]")
_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufefe]+")
_LETTER = re.compile(r"[^\W\d_]")
_DIGITS = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]+")
# A page number standing alone: "3", "٣", "- 3 -", "صفحة 3", "Page 3 of 10", "3 / 10".
_PAGE_NUMBER = re.compile(
    r"^[\s\-–—|.]*(?:(?:page|p\.|صفحة|الصفحة|ص)\s*)?#(?:\s*(?:/|of|من)\s*#)?[\s\-–—|.]*$", re.I)
_RUNS_ON = re.compile(r"[^.!?؟…:\"”»]\s*$")  # a line that does not end a sentence
# How many lines at each end of a page can be a running header or footer.
_EDGE_LINES = 2


@dataclass
class _Piece:
    text: str
    x: float  # where its drawing starts
    right: float  # its right edge as far as the page's operators tell


@dataclass
class _Line:
    y: float
    size: float
    pieces: list[_Piece] = field(default_factory=list)
    text: str = ""


def pdf_text(data: bytes) -> str:
    """The citable text of a PDF file's bytes; raises `UnreadableFile` (or `NoTextLayer`) with the reason."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile("the PDF is protected by a password")
        pages = [_page_lines(page) for page in reader.pages]
        rtl = _is_rtl("".join(p.text for lines in pages for line in lines for p in line.pieces))
        for lines in pages:
            for line in lines:
                line.text = _line_text(line.pieces, rtl)
            lines[:] = [line for line in lines if line.text]
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, NotImplementedError) as err:
        # pypdf reports damaged files through all of these (and encryption it cannot undo as
        # NotImplementedError or a missing `cryptography`).
        raise UnreadableFile(f"it is not a PDF that can be read ({type(err).__name__}: {err})"[:300]) from None
    if not pages:
        raise UnreadableFile("the PDF has no pages")
    if not any(_LETTER.search(line.text) for lines in pages for line in lines):
        raise NoTextLayer(
            "the PDF has no text layer (its pages are images, as in a scan); rawi reads PDFs with "
            "text only: run it through OCR first")
    _drop_furniture(pages)
    text = _paragraphs(pages)
    if not text.strip():
        raise UnreadableFile("the PDF has no text besides page headers and numbers")
    return text


def _page_lines(page) -> list[_Line]:
    """The page's lines in drawing order, each with its vertical position and its text."""
    lines: list[_Line] = []
    calls: list[tuple[str, float, float, float]] = []

    def visit(text, cm, tm, _font, size):
        if text == "\n" and tm[4] == 0 and tm[5] == 0:
            return  # pypdf's own line break, at no position
        # Text space to page space: the text matrix times the current transformation matrix.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
        calls.append((text, x, y, (size or 10.0) * scale))

    page.extract_text(visitor_text=visit)
    # pypdf calls back with empty text where a run ends and where the next one starts: the first
    # empty call after a run is its right edge (the next run's own start comes last, at its x).
    ends: list[float] = []
    for text, x, y, size in calls:
        if not text:
            ends.append(x)
            continue
        line = lines[-1] if lines else None
        if line is not None and line.pieces and ends:
            line.pieces[-1].right = max(line.pieces[-1].right, ends[0])
        ends = []
        if line is None or abs(y - line.y) > 0.4 * max(size, line.size):
            if not text.strip():
                continue
            line = _Line(y, size)
            lines.append(line)
        for part in text.split("\n"):
            if part:
                line.pieces.append(_Piece(part, x, x))
    if lines and lines[-1].pieces and ends:
        lines[-1].pieces[-1].right = max(lines[-1].pieces[-1].right, ends[0])
    return lines


def _is_rtl(text: str) -> bool:
    return len(_ARABIC.findall(text)) >= len(_LATIN_OR_DIGIT.findall(text))


def _line_text(pieces: list[_Piece], rtl: bool = True) -> str:
    """One line's text in reading order; presentation forms as letters, spaces folded.

    `rtl`: the document is mostly Arabic, so a line's runs read from the right (a line of only
    numbers and dates too, as the page lays it out).
    """
    whole = "".join(_unmirrored(p.text) for p in pieces) if rtl else "".join(p.text for p in pieces)
    if len(pieces) > 1 and rtl:
        # Runs of an Arabic line are drawn left to right on the page: read them from the right,
        # then put any run of left-to-right pieces (a number, an English word) back in its order.
        ordered = sorted(pieces, key=lambda p: -max(p.x, p.right))
        out: list[_Piece] = []
        ltr: list[_Piece] = []
        for piece in ordered:
            if not _ARABIC.search(piece.text) and _LATIN_OR_DIGIT.search(piece.text):
                ltr.append(piece)
                continue
            out.extend(reversed(ltr))
            ltr = []
            out.append(piece)
        out.extend(reversed(ltr))
        whole = "".join(_unmirrored(p.text) for p in out)
    whole = _PRESENTATION_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), whole)
    whole = whole.replace("\ufeff", "").replace("\u00ad", "")
    return re.sub(r"\s+", " ", whole).strip()


_MIRRORED = str.maketrans("()[]{}<>«»", ")(][}{><»«")


def _unmirrored(text: str) -> str:
    """Brackets of a right-to-left run as typed: drawn mirrored, they are stored as their mirror image."""
    if _LATIN_OR_DIGIT.search(text) and not _ARABIC.search(text) and re.search("[A-Za-z]", text):
        return text  # a left-to-right run: its brackets are drawn as typed
    return text.translate(_MIRRORED)


def _mask(text: str) -> str:
    return _DIGITS.sub("#", re.sub(r"\s+", " ", text).strip())


def _drop_furniture(pages: list[list[_Line]]) -> None:
    """Remove running headers and footers and bare page numbers, in place."""
    edges = [_edge_lines(lines) for lines in pages]
    seen = Counter(key for page_edges in edges for key in {_mask(line.text) for line in page_edges})
    repeated = {key for key, n in seen.items() if len(pages) >= 2 and n >= max(2, (len(pages) + 1) // 2)}
    for lines, page_edges in zip(pages, edges):
        furniture = {id(line) for line in page_edges
                     if _mask(line.text) in repeated or _PAGE_NUMBER.match(_mask(line.text))}
        lines[:] = [line for line in lines if id(line) not in furniture]


def _edge_lines(lines: list[_Line]) -> list[_Line]:
    """The lines nearest the top and the bottom of a page."""
    by_height = sorted(lines, key=lambda line: -line.y)
    if len(by_height) <= 2 * _EDGE_LINES:
        return by_height
    return by_height[:_EDGE_LINES] + by_height[-_EDGE_LINES:]


def _paragraphs(pages: list[list[_Line]]) -> str:
    """Lines joined into paragraphs, one a line.

    A paragraph starts where the gap to the line above is wider than the page's line spacing
    (as a share of the font size: a headline's lines are wider apart, and still one paragraph),
    where the font size changes, or after a short line that ends a sentence. At a jump up (the
    next column or page) a line as long as most lines of its page runs on unless it ends a
    sentence; a short one (a heading, a paragraph's last line) ends its paragraph. Lengths are in
    characters: the page does not say where every run ends.
    """
    paragraphs: list[list[str]] = []
    last_short = True
    for lines in pages:
        ratios = sorted((a.y - b.y) / a.size for a, b in zip(lines, lines[1:]) if 0 < a.y - b.y < 4 * a.size)
        spacing = ratios[len(ratios) // 10] if ratios else None  # the tightest common spacing: lines of one paragraph
        lengths = sorted(len(line.text) for line in lines)
        typical = lengths[len(lengths) // 2] if lengths else 0
        for i, line in enumerate(lines):
            previous = lines[i - 1] if i else None
            if not paragraphs:
                starts = True
            elif previous is not None and 0 < previous.y - line.y and spacing is not None:
                starts = ((previous.y - line.y) / previous.size > 1.25 * spacing
                          or abs(line.size - previous.size) > 0.15 * line.size
                          or (last_short and not _RUNS_ON.search(previous.text)))
            else:  # the first line of a page, or the top of the next column
                starts = last_short or not _RUNS_ON.search(paragraphs[-1][-1])
            if starts:
                paragraphs.append([line.text])
            else:
                paragraphs[-1].append(line.text)
            last_short = len(line.text) < 0.75 * typical
    return "\n".join(" ".join(lines) for lines in paragraphs)
