"""The ingest lock: one writer per store at a time, waited for up to `ingest_lock_wait_s`.

The lock is an OS file lock (`filelock`, i.e. flock) on `<store>/ingest.lock`. The kernel drops
it when its process ends, SIGKILL included, so a crashed ingest never leaves a stale lock behind;
the next ingest finishes what the crashed one left (`rag.store` marks writes in progress). Who
holds the lock is written to `<store>/ingest.lock.json`, only to say so to whoever waits.

With a Chroma server the lock file is in the local store folder too: it serialises ingests run
from the same machine and folder, not ingests from other machines (run those from one place).
This module locks; it neither reads nor writes the store.
"""

from __future__ import annotations

import json
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rag.errors import StoreError

LOCK_NAME = "ingest.lock"
OWNER_NAME = "ingest.lock.json"


@contextmanager
def ingest_lock(folder: Path, label: str, wait_s: float) -> Iterator[None]:
    """Hold the store's ingest lock for the `with` block, or raise `StoreError` after `wait_s` seconds."""
    from filelock import FileLock, Timeout

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(folder / LOCK_NAME), timeout=wait_s, is_singleton=False)
        lock.acquire()
    except Timeout:
        raise StoreError(
            f"Another ingest is writing to the store {label}{_holder(folder)}; waited {wait_s:g} s. "
            "Run this ingest again when it has finished (or set RAWI_INGEST_LOCK_WAIT_S to wait longer)."
        ) from None
    except PermissionError:
        raise StoreError(f"Cannot write to the store folder {folder}: permission denied.") from None
    except OSError as err:
        raise StoreError(f"Cannot lock the store folder {folder}: {err.strerror or err}.") from None
    owner = folder / OWNER_NAME
    try:
        _write_owner(owner)
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


def _write_owner(path: Path) -> None:
    info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps(info), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # only informative


def _holder(folder: Path) -> str:
    try:
        info = json.loads((folder / OWNER_NAME).read_text(encoding="utf-8"))
        return f" (process {info['pid']} on {info['host']}, since {info['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""
