"""The ingest lock: one writer per store at a time, waited for up to `ingest_lock_wait_s`.

The lock is an OS file lock (`filelock`, i.e. flock) on `<store>/ingest.lock`. The kernel drops
it when its process ends, SIGKILL included, so a crashed ingest never leaves a stale lock behind;
the next ingest finishes what the crashed one left (`vendors.store` marks writes in progress). Who
holds the lock is written to `<store>/ingest.lock.json`, only to say so to whoever waits.

With a Chroma server, ingests may run on several machines, so the writer also takes a lease in
the chunk collection's metadata (`lease_owner`, `lease_until`): it writes its name if nobody
else holds an unexpired lease, waits a moment, reads it back, and proceeds only if its name is
still there; a thread renews it every third of `ingest_lease_s` and the writer clears it at the
end. A killed ingest's lease expires after `ingest_lease_s`. The lock file (local folder) and
the lease (server) are taken in that order. This module locks; it writes nothing but the lease.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from core.errors import StoreError

LOCK_NAME = "ingest.lock"
OWNER_NAME = "ingest.lock.json"
SETTLE_S = 0.5  # between writing a lease and reading it back: longer than any competitor's read-then-write


@contextmanager
def writer_lock(folder: Path, store: Any, wait_s: float, *, lease_s: float | None) -> Iterator[None]:
    """The ingest lock of the store folder, and with `lease_s` (a Chroma server) the collection's lease too."""
    began = time.monotonic()
    with ingest_lock(folder, store.label, wait_s):
        if lease_s is None:
            yield
        else:
            with collection_lease(store, max(0.0, wait_s - (time.monotonic() - began)), lease_s):
                yield


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


@contextmanager
def collection_lease(store: Any, wait_s: float, lease_s: float) -> Iterator[None]:
    """Hold the chunk collection's writer lease (see the module docstring), or raise `StoreError` after `wait_s`."""
    me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + wait_s
    while True:
        meta = store.meta
        holder, until = str(meta.get("lease_owner") or ""), float(meta.get("lease_until") or 0)
        if not holder or until < time.time():
            store.update_meta(lease_owner=me, lease_until=time.time() + lease_s)
            time.sleep(SETTLE_S)
            if store.meta.get("lease_owner") == me:
                break
            continue
        if time.monotonic() >= deadline:
            host, pid = (holder.split(":") + ["?", "?"])[:2]
            raise StoreError(
                f"Another ingest is writing to the store {store.label} (process {pid} on {host}, its lease runs "
                f"{max(0, until - time.time()):.0f} s more); waited {wait_s:g} s. Run this ingest again when it has "
                "finished (or set RAWI_INGEST_LOCK_WAIT_S to wait longer)."
            )
        time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease_s / 3):
            try:
                if store.meta.get("lease_owner") == me:
                    store.update_meta(lease_until=time.time() + lease_s)
            except Exception:  # the server is away; the ingest itself will say so
                pass

    renewer = threading.Thread(target=renew, name="rawi-lease", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join(timeout=30)
        try:
            if store.meta.get("lease_owner") == me:
                store.update_meta(lease_owner="", lease_until=0.0)
        except Exception:  # gone with the server: the lease expires by itself
            pass
