"""Opening Chroma: an embedded database in the store folder or a Chroma server, with errors a person understands.

Also the watch that notices when another process wrote to an embedded database, so a running
app reopens its client and sees the new vectors. Which collection and what it holds is
`vendors.store`; deciding to open one is the composition root's (`rawi.compose`).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from core.errors import EmptyStoreError, StoreError
from core.offline import go_offline
from core.settings import ChromaSettings, StoreSettings


def build_chroma_client(chroma: ChromaSettings, store: StoreSettings, *, create: bool) -> Any:
    """An embedded PersistentClient in `<store>/chroma`, or an HttpClient when `chroma` names a server."""
    go_offline()
    import chromadb
    from chromadb.config import Settings as ClientSettings

    chroma_settings = ClientSettings(anonymized_telemetry=False)
    if chroma.host:
        where = f"{'https' if chroma.ssl else 'http'}://{chroma.host}:{chroma.port}"
        try:
            client = chromadb.HttpClient(
                host=chroma.host, port=chroma.port, ssl=chroma.ssl,
                headers=chroma.headers, settings=chroma_settings,
            )
            client.heartbeat()
            client.list_collections(limit=1)  # the heartbeat needs no credentials; this does
            return client
        except Exception as err:
            raise StoreError(f"Cannot use the Chroma server at {where}: {_server_reason(err)}") from None
    path, folder = store.chroma_path, store.path
    if not create and not path.exists():
        raise EmptyStoreError(
            f"There is no store at {folder}. Run: rawi ingest data/corpus --store {folder}"
        )
    denied = StoreError(
        f"Cannot write to the store folder {folder}: permission denied. The embedded Chroma database "
        "needs write access even to answer: give this user write permission, or use another --store."
    )
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except PermissionError:
        raise denied from None
    except OSError as err:
        raise StoreError(f"Cannot open the store folder {folder}: {err.strerror or err}.") from None
    except Exception as err:  # chromadb's own errors, e.g. InternalError from its Rust core
        if "readonly" in str(err) or "read-only" in str(err) or "ermission" in str(err):
            raise denied from None
        raise StoreError(f"Cannot open the Chroma database in {folder}: {err}") from None


def _server_reason(err: Exception) -> str:
    text = str(err)
    status = getattr(getattr(err, "response", None), "status_code", None)
    if status in (401, 403) or "401" in text or "403" in text or "nauthori" in text or "orbidden" in text:
        return "it refused the credentials. Set RAWI_CHROMA_TOKEN (and RAWI_CHROMA_AUTH_HEADER) to what it expects."
    if "onnect" in text or "refused" in text or "timed out" in text.lower():
        return "nothing answers there. Start it (e.g. `chroma run --path DIR --port PORT`) or check RAWI_CHROMA_HOST/PORT."
    return f"{type(err).__name__}: {text[:200]}"


class EmbeddedWatch:
    """Tells when another process wrote to an embedded Chroma, and opens a fresh client then.

    A PersistentClient keeps serving the vectors it loaded; rows another process added appear
    only in a new client. Whether the database changed is one stat of `chroma.sqlite3` (and its
    write-ahead log). Opening a client writes to that file itself (chromadb 1.5 touches it on every
    open), so the stamp is taken again once the new client is ready (`seen`): stamped before the
    open, the next request would see the open's own write and reopen, and so would every request
    after it. A client this watch opened and later replaced is stopped a minute after, when no
    request still uses it; the first client may be shared in the process and is left alone.
    """

    RETIRE_AFTER_S = 60.0

    def __init__(self, path: Path, chroma_settings: Any) -> None:
        self.path = Path(path)
        self.chroma_settings = chroma_settings
        self._stamp = self._now()
        self._lock = threading.Lock()
        self._retired: list[tuple[float, Any]] = []
        self._own: Any = None  # the System of the client this watch opened last

    def _now(self) -> tuple:
        stamp = []
        for name in ("chroma.sqlite3", "chroma.sqlite3-wal"):
            try:
                st = os.stat(self.path / name)
                stamp.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                stamp.append(None)
        return tuple(stamp)

    def changed(self) -> bool:
        return self._now() != self._stamp

    def reopen(self) -> Any:
        import chromadb
        from chromadb.api.shared_system_client import SharedSystemClient

        with self._lock:
            old = SharedSystemClient._identifier_to_system.pop(self.chroma_settings.persist_directory, None)
            now = time.monotonic()
            for _, system in [r for r in self._retired if now - r[0] > self.RETIRE_AFTER_S]:
                system.stop()
            self._retired = [r for r in self._retired if now - r[0] <= self.RETIRE_AFTER_S]
            if old is not None and old is self._own:
                self._retired.append((now, old))
            client = chromadb.PersistentClient(path=str(self.path), settings=self.chroma_settings)
            self._own = client._system
            self._stamp = self._now()
            return client

    def seen(self) -> None:
        """Take the database as it is now as seen (after the caller's own writes of a reopen)."""
        with self._lock:
            self._stamp = self._now()
