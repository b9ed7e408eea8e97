"""Which PDF text extractor reads Arabic right: word order and speed on PDFs printed by Chromium.

    .venv/bin/python -m bench.pdf_bench [--out bench/results/pdf.json]

Prints each article of the sample corpus (data/corpus) as an Arabic PDF with headless Chromium,
in one and in two columns, with a running header and page numbers (`bench.documents`), then
reads every PDF with each extractor that is installed (pypdf, pdfminer.six, pdfplumber, PyMuPDF,
pypdfium2; only pypdf is a dependency of rawi, so install the others into the venv to compare
them) and with rawi's own reading (`ingest.pdf.pdf_text`, pypdf plus reading order). For each it
reports:

- words in order: the share of the source's words that the extracted text has in the source's
  order (longest common subsequence of the word sequences, Arabic presentation forms folded
  with NFKC first), over all PDFs;
- paragraphs verbatim: how many source paragraphs appear word for word;
- extra words: words that are not the source's (running headers, page numbers, misreadings);
- milliseconds per page (median over the PDFs, each read 3 times).

It measures; it asserts nothing. Needs Chromium; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Callable

from bench.common import SAMPLE_CORPUS, LoadMeter, machine, write_result
from bench.documents import CHROMIUM, article_html, print_pdf

LICENCES = {
    "rawi (pypdf + reading order)": "BSD-3-Clause (pypdf)",
    "pypdf": "BSD-3-Clause",
    "pdfminer.six": "MIT",
    "pdfplumber": "MIT",
    "PyMuPDF": "AGPL-3.0 (or commercial)",
    "pypdfium2": "Apache-2.0 / BSD-3-Clause",
}


def _rawi(path: Path) -> str:
    from ingest.pdf import pdf_text

    return pdf_text(path.read_bytes())


def _pypdf(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _pdfminer(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return extract_text(path)


def _pdfplumber(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _pymupdf(path: Path) -> str:
    import pymupdf

    with pymupdf.open(path) as pdf:
        return "\n".join(page.get_text() for page in pdf)


def _pypdfium2(path: Path) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(path)
    try:
        return "\n".join(page.get_textpage().get_text_bounded() for page in pdf)
    finally:
        pdf.close()


EXTRACTORS: dict[str, Callable[[Path], str]] = {
    "rawi (pypdf + reading order)": _rawi, "pypdf": _pypdf, "pdfminer.six": _pdfminer,
    "pdfplumber": _pdfplumber, "PyMuPDF": _pymupdf, "pypdfium2": _pypdfium2,
}


def words(text: str) -> list[str]:
    return re.findall(r"\S+", unicodedata.normalize("NFKC", text))


def common_in_order(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two word lists."""
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def _pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="pdf", help="result name under bench/results/ (default: pdf)")
    args = parser.parse_args()
    if CHROMIUM is None:
        raise SystemExit("bench.pdf_bench needs Chromium to print the test PDFs (apt-get install chromium)")
    articles = sorted(p for p in SAMPLE_CORPUS.iterdir() if p.suffix == ".txt")
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="rawi-pdf-bench-") as tmp:
        docs = []
        for article in articles:
            paragraphs = [line for line in article.read_text(encoding="utf-8").strip().split("\n") if line.strip()]
            for columns in (1, 2):
                pdf = print_pdf(article_html(paragraphs[0], paragraphs[1:], columns=columns),
                                Path(tmp) / f"{article.stem}-{columns}col.pdf")
                docs.append((pdf, paragraphs, _pages(pdf)))
        print(f"{len(docs)} PDFs ({sum(d[2] for d in docs)} pages) from {len(articles)} articles, 1 and 2 columns")
        for name, extract in EXTRACTORS.items():
            try:
                extract(docs[0][0])
            except ImportError:
                print(f"{name:30s} not installed")
                continue
            in_order = total = verbatim = n_paragraphs = extra = 0
            ms_per_page = []
            with LoadMeter() as meter:
                for pdf, paragraphs, pages in docs:
                    began = time.perf_counter()
                    for _ in range(3):
                        text = extract(pdf)
                    ms_per_page.append((time.perf_counter() - began) / 3 / pages * 1000)
                    truth, got = [w for p in paragraphs for w in words(p)], words(text)
                    common = common_in_order(truth, got)
                    in_order += common
                    total += len(truth)
                    extra += len(got) - common
                    flat = " ".join(got)
                    verbatim += sum(" ".join(words(p)) in flat for p in paragraphs)
                    n_paragraphs += len(paragraphs)
            figures[name] = {
                "words_in_order": round(in_order / total, 4), "paragraphs_verbatim": verbatim,
                "paragraphs": n_paragraphs, "extra_words": extra,
                "ms_per_page_median": round(statistics.median(ms_per_page), 1),
                "licence": LICENCES[name], "load": meter.load,
            }
            f = figures[name]
            print(f"{name:30s} words in order {f['words_in_order']:6.1%}  paragraphs verbatim "
                  f"{verbatim:3d}/{n_paragraphs}  extra words {extra:5d}  {f['ms_per_page_median']:7.1f} ms/page  "
                  f"{f['licence']}  (load {meter.load['load_avg_1m_start']})")
    path = write_result(args.out, {"extractors": figures, "machine": machine(),
                                   "command": "python -m bench.pdf_bench"})


if __name__ == "__main__":
    main()
