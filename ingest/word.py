"""The citable text of a Word file (`.docx`): its paragraphs in document order, one a line.

Read with python-docx: body paragraphs and the paragraphs of table cells, in the order they stand
in the document; a line break inside a paragraph stays a line break. Page headers and footers
live in parts of their own and are left out as page furniture, as are footnotes, comments and
text boxes. Old binary `.doc` files are not read (save them as `.docx`).
"""

from __future__ import annotations

import io
import re
import zipfile

from ingest.load import UnreadableFile


def docx_text(data: bytes) -> str:
    """Paragraphs of a `.docx` file's bytes, one a line; raises `UnreadableFile` with the reason."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        lines = [line for block in document.iter_inner_content() for line in _block_lines(block)]
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as err:
        raise UnreadableFile(f"it is not a Word document that can be read ({type(err).__name__})") from None
    if not lines:
        raise UnreadableFile("the Word document has no text")
    return "\n".join(lines)


def _block_lines(block) -> list[str]:
    """The lines of a paragraph, or of each cell of a table (a merged cell once)."""
    from docx.table import Table

    if isinstance(block, Table):
        lines, seen = [], set()
        for row in block.rows:
            for cell in row.cells:
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
                for inner in cell.iter_inner_content():
                    lines += _block_lines(inner)
        return lines
    text = block.text.replace("\t", " ")
    return [folded for line in text.split("\n") if (folded := re.sub(r"[ \u00a0]+", " ", line).strip())]
