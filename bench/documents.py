"""Arabic PDF and Word files made on the spot, the way people make them, for `bench.pdf_bench`
and the tests (tests/test_pdf_and_word.py).

PDFs are printed by headless Chromium from an Arabic HTML page (real shaping, two columns, a
running header and page numbers in the page margins); a scan-like PDF is a picture of text with no
text layer (matplotlib); Word files are written with python-docx, with a header and a footer.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
RUNNING_HEADER = "صحيفة الراوي — أخبار ليبيا"


def article_html(title: str, paragraphs: list[str], columns: int = 2) -> str:
    """An Arabic article page: the headline across the columns, the paragraphs in `columns` columns,
    a running header at the top and the page number at the bottom of every printed page."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
@page {{ size: A5; margin: 20mm 14mm 18mm 14mm;
  @top-center {{ content: "{RUNNING_HEADER}"; font: 9pt 'DejaVu Sans'; }}
  @bottom-center {{ content: counter(page); font: 10pt 'DejaVu Sans'; }} }}
body {{ font: 11pt/1.5 'DejaVu Sans'; column-count: {columns}; column-gap: 8mm; text-align: justify; margin: 0; }}
h1 {{ column-span: all; font-size: 15pt; margin: 0 0 4mm; }}
p {{ margin: 0 0 3mm; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
{body}
</body></html>"""


def print_pdf(page_html: str, out: Path) -> Path:
    """`page_html` printed to `out` by headless Chromium (about 3 s)."""
    if CHROMIUM is None:
        raise RuntimeError("Chromium is not installed")
    with tempfile.TemporaryDirectory(prefix="rawi-print-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(page_html, encoding="utf-8")
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp}/profile",
             f"--print-to-pdf={Path(out).resolve()}", "--no-pdf-header-footer", page.as_uri()],
            check=True, capture_output=True, timeout=120)
    return out


def scanned_pdf(out: Path, text: str = "صورة صفحة ممسوحة ضوئياً") -> Path:
    """A one-page PDF holding only a picture of text, as a scanner makes it: no text layer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig = plt.figure(figsize=(4, 3))
    pixels = np.ones((300, 400))
    pixels[100:110, 40:360] = 0  # lines of "print"
    pixels[140:150, 40:300] = 0
    fig.figimage(pixels, cmap="gray")
    fig.savefig(out, format="pdf", metadata={"Title": text})
    plt.close(fig)
    return out


def word_docx(out: Path, title: str, paragraphs: list[str], header: str = RUNNING_HEADER, footer: str = "صفحة 1") -> Path:
    """A Word file: the title as a heading, the paragraphs, a table row, and a page header and footer."""
    import docx

    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = header
    section.footer.paragraphs[0].text = footer
    document.add_heading(title, level=1)
    for p in paragraphs:
        document.add_paragraph(p)
    document.save(out)
    return out
