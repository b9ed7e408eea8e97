"""Articles uploaded from the chat page: checked, saved under `<store>/uploads/`, ingested.

The upload folder lives inside the store, next to the database its chunks go into, so the
corpus folder (often a checked-out repository) is never written to and `rawi ingest data/corpus`
never prunes or duplicates an upload. A file name is reduced to one safe path component (no
folders, no `..`, no hidden or control characters, a supported extension) and the file is written
only inside that folder. A name already used by an article from elsewhere in the store gets a
numbered suffix instead of replacing it; uploading the same name again updates that upload.
Every file of a batch gets its own verdict (at most `MAX_FILES_PER_UPLOAD` are taken), so one bad
file never stops the good ones. It does not enforce the size limit of the HTTP upload itself:
Gradio does, with the same `RAWI_MAX_UPLOAD_MB` (`ui.app.launch`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.arabic import INVISIBLE
from core.errors import RawiError

UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
UPLOADS_DIRNAME = "uploads"
MAX_FILES_PER_UPLOAD = 50  # one batch; the files past it are refused, each with a message
_MAX_NAME = 100
_UNSAFE = re.compile(r"[^\w\-.() ]+", re.UNICODE)


class UploadRefused(Exception):
    """This upload cannot be accepted; the message says why in words a person understands."""


def safe_name(original: str) -> str:
    """One safe file name from whatever the browser sent (`../../etc/passwd.txt` → `passwd.txt`).

    Raises `UploadRefused` when nothing usable is left or the type is not supported.
    """
    name = unicodedata.normalize("NFC", str(original or ""))
    name = re.split(r"[\\/]", name)[-1]  # last path component, whichever separator was used
    name = INVISIBLE.sub("", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        raise UploadRefused("الملف بلا امتداد؛ المقبول: .txt و.md و.html و.pdf و.docx")
    suffix = "." + suffix.lower().strip()
    if suffix not in UPLOAD_SUFFIXES:
        raise UploadRefused(f"نوع الملف {suffix} غير مقبول؛ المقبول: .txt و.md و.html و.pdf و.docx")
    stem = _UNSAFE.sub("_", stem).strip(" ._")
    stem = re.sub(r"\s+", "_", stem)
    stem = re.sub(r"_+", "_", stem)
    if not stem or set(stem) <= {"."}:
        stem = "upload"
    stem = stem[: _MAX_NAME - len(suffix)]
    return stem + suffix


def _shown_name(raw: str) -> str:
    """A name fit to show in a message about a refused file: printable, short, never a path."""
    name = re.split(r"[\\/]", str(raw))[-1]
    name = "".join(ch for ch in INVISIBLE.sub("", name) if unicodedata.category(ch)[0] != "C")
    return name[:_MAX_NAME] or "(بلا اسم)"


@dataclass
class UploadResult:
    ok: bool
    name: str  # the name the file was saved (or offered) under
    message: str


class Uploader:
    """Saves uploads into `folder` and ingests them with `ingester` (`ingest.pipeline.Ingester`); one upload at a time."""

    def __init__(self, ingester: Any, folder: Path, max_mb: float, max_files: int = MAX_FILES_PER_UPLOAD) -> None:
        self.ingester = ingester
        self.max_files = max_files
        self.max_bytes = int(max_mb * 1_000_000)
        self.max_mb = max_mb
        self.folder = Path(folder).resolve()
        self._lock = threading.Lock()

    def _target(self, name: str, records: dict[str, Any]) -> Path:
        """Where `name` goes: itself, unless another article of the store already owns that name."""
        stem, suffix = name[: -len(Path(name).suffix)], Path(name).suffix
        candidate, i = name, 1
        while True:
            record = records.get(candidate)
            if record is None or record.root == str(self.folder):
                path = self.folder / candidate
                if path.parent != self.folder or candidate in (".", ".."):  # safe_name prevents it; check anyway
                    raise UploadRefused("اسم الملف غير مسموح به.")
                if not path.is_symlink() and (not path.exists() or path.is_file()):
                    return path
            i += 1
            candidate = f"{stem}-{i}{suffix}"

    def add(self, paths: list[str | Path]) -> list[UploadResult]:
        """Check, save and ingest each file; every file gets its own verdict.

        At most `max_files` files of one batch are taken; each file past them is refused with a
        message saying so, and the files before them are still added.
        """
        results = []
        with self._lock:
            for i, path in enumerate(paths):
                if i >= self.max_files:
                    results.append(UploadResult(False, _shown_name(Path(path).name), (
                        f"عدد الملفات أكبر من الحد ({self.max_files} ملفاً في المرة الواحدة)؛ "
                        "لم يُضف هذا الملف، فارفعه في دفعة أخرى.")))
                    continue
                results.append(self._add_one(Path(path)))
        return results

    @staticmethod
    def _restore(target: Path, previous: bytes | None) -> None:
        """Put the upload folder back as it was before a failed upload."""
        if previous is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(previous)

    def _add_one(self, temp: Path) -> UploadResult:
        shown = _shown_name(temp.name)
        try:
            if "\x00" in str(temp):  # no file can have such a path; stat() would raise ValueError
                raise UploadRefused("اسم الملف يحتوي على محارف غير مسموح بها.")
            name = safe_name(temp.name)
            shown = name
            size = temp.stat().st_size
            if size == 0:
                raise UploadRefused("الملف فارغ.")
            if size > self.max_bytes:
                raise UploadRefused(f"حجمه {size / 1e6:.1f} ميغابايت، والحد الأقصى {self.max_mb:g} ميغابايت.")
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self._target(name, self.ingester.file_records())
            shown = target.name
            previous = target.read_bytes() if target.exists() else None
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out, open(temp, "rb") as src:
                    shutil.copyfileobj(src, out)
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            try:
                report = self.ingester.ingest([target], progress=False)
            except Exception:
                self._restore(target, previous)
                raise
            if report.failed:
                self._restore(target, previous)
                raise UploadRefused(f"تعذّرت قراءته كمقال ({report.failed[0][1]}).")
            if target.name in report.unchanged:
                return UploadResult(True, target.name, "موجود في المكتبة من قبل دون تغيير.")
            verb = "حُدِّث" if target.name in report.updated else "أُضيف"
            return UploadResult(True, target.name, f"{verb}: {report.chunks_written} مقطعاً مفهرساً؛ يمكنك السؤال عنه الآن.")
        except UploadRefused as why:
            return UploadResult(False, shown, str(why))
        except RawiError as err:  # e.g. the embeddings server is down: this file fails, the batch goes on
            return UploadResult(False, shown, str(err))
        except OSError as err:
            return UploadResult(False, shown, f"تعذّر حفظه ({err.strerror or type(err).__name__}).")
