"""Read one article file into the text rawi cites: decoded, and for HTML, PDF and Word, its main text.

The returned `text` is what every chunk offset and citation refers to: for `.txt` and `.md`
it is the file's bytes decoded (BOM dropped, line endings untouched); for `.html` it is the
page's main text with markup dropped, one block a line; for `.pdf` the text of a PDF's text
layer in reading order, one paragraph a line, without running headers and page numbers
(`ingest.pdf`); for `.docx` the document's paragraphs, one a line (`ingest.word`).
`read_document(path)` is the public way to get it, so anyone can check a citation. Cleaning and
chunking are elsewhere.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import RawiError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_ARABIC = re.compile("[\u0621-\u064a]")


class UnreadableFile(RawiError):
    """This file cannot become text; the message says why in words a person understands."""


@dataclass(frozen=True)
class Document:
    """An article's citable text and what the page itself said about it."""

    text: str
    encoding: str
    html_title: str = ""
    html_date: str = ""
    extra: dict = field(default_factory=dict)


def decode(data: bytes) -> tuple[str, str]:
    """Bytes to text by detection: BOMs, then strict UTF-8, then charset-normalizer (windows-1256 …)."""
    if not data.strip():
        raise UnreadableFile("the file is empty")
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return _strict(data, name), name
    if _looks_utf16(data):
        name = "utf-16-le" if data[1::2].count(0) > data[0::2].count(0) else "utf-16-be"
        return _strict(data, name), name
    name = _arabic_utf16(data)
    if name:
        return data.decode(name), name
    if b"\x00" in data:
        raise UnreadableFile("it is a binary file, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise UnreadableFile("its encoding could not be recognised (tried UTF-8, UTF-16, windows-1256 and others)")
    text = str(best)
    if len(_CONTROL.findall(text)) > max(3, len(text) // 100):
        raise UnreadableFile("it is a binary file, not text")
    return text, best.encoding


def _looks_utf16(data: bytes) -> bool:
    # Text in UTF-16 without a BOM has a zero byte in nearly every other position.
    sample = data[:4096]
    if len(sample) < 4:
        return False
    zeros_even, zeros_odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    return max(zeros_even, zeros_odd) > 0.3 * half and min(zeros_even, zeros_odd) < 0.05 * half


def _arabic_utf16(data: bytes) -> str | None:
    # Arabic letters (U+06xx) have no zero byte: UTF-16 Arabic without a BOM has zeros only where
    # its spaces, digits and punctuation are, and always in the same one of the two positions.
    sample = data[:4096]
    zeros_even, zeros_odd = sample[0::2].count(0), sample[1::2].count(0)
    if len(data) % 2 or min(zeros_even, zeros_odd) or max(zeros_even, zeros_odd) < max(2, len(sample) // 100):
        return None
    name = "utf-16-le" if zeros_odd else "utf-16-be"
    try:
        text = data.decode(name)
    except UnicodeDecodeError:
        return None
    return name if not _CONTROL.search(text) and _ARABIC.search(text) else None


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise UnreadableFile(f"it claims {encoding} but is not valid {encoding}") from None


def read_document(path: Path, max_bytes: int | None = None) -> Document:
    """The citable text of one supported file; raises `UnreadableFile` with the reason."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(f"{suffix or 'no extension'} is not a supported type ({', '.join(SUPPORTED_SUFFIXES)})")
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise UnreadableFile(f"it is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit")
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile("it does not exist") from None
    except PermissionError:
        raise UnreadableFile("permission denied") from None
    except IsADirectoryError:
        raise UnreadableFile("it is a folder") from None
    except OSError as err:
        raise UnreadableFile(f"it could not be read ({err.strerror or err})") from None
    if suffix == ".pdf":
        from ingest.pdf import pdf_text

        return Document(text=pdf_text(data), encoding="pdf")
    if suffix == ".docx":
        from ingest.word import docx_text

        return Document(text=docx_text(data), encoding="docx")
    text, encoding = decode(data)
    if _CONTROL.search(text[:2000]) and len(_CONTROL.findall(text)) > max(3, len(text) // 100):
        raise UnreadableFile("it is a binary file, not text")
    if suffix in (".html", ".htm"):
        from ingest.html import html_main_text

        body, title, date = html_main_text(text)
        if not body.strip():
            raise UnreadableFile("the page has no main text")
        return Document(text=body, encoding=encoding, html_title=title, html_date=date)
    if not text.strip():
        raise UnreadableFile("the file is empty")
    return Document(text=text, encoding=encoding)
