"""The saved-chats database: SQLite (stdlib `sqlite3`) holding conversations, their turns and feedback.

One file, by default `<store>/chats.sqlite3`, shared safely by every process that opens it: WAL
journal (readers never block the writer), every write one `BEGIN IMMEDIATE` transaction committed
before the call returns, a busy timeout so a second writer waits instead of failing, and
`synchronous=FULL` so a committed write survives a killed process (and a power cut). Nothing is
cached in memory: each call reads what is on disk, so two app instances see each other's writes.

This module only stores and fetches rows (plain dicts); what a conversation is, who may see it and
how an answer is kept is `rag.conversations`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from core.errors import StoreError

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0  # how long a write waits for another process's write before giving up

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id       TEXT PRIMARY KEY,
    user     TEXT NOT NULL,
    title    TEXT NOT NULL,
    created  REAL NOT NULL,
    updated  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_user ON conversations (user, updated DESC);
CREATE TABLE IF NOT EXISTS turns (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    question         TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'answered', 'failed')),
    answer           TEXT,
    answer_json      TEXT,
    error            TEXT,
    created          REAL NOT NULL,
    finished         REAL,
    UNIQUE (conversation_id, position)
);
CREATE TABLE IF NOT EXISTS feedback (
    turn_id          TEXT PRIMARY KEY REFERENCES turns (id) ON DELETE CASCADE,
    rating           TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment          TEXT NOT NULL DEFAULT '',
    expected_answer  TEXT NOT NULL DEFAULT '',
    updated          REAL NOT NULL
);
"""


def new_id() -> str:
    return uuid.uuid4().hex


class ChatDB:
    """The database file at `path`, opened (and created with its tables) on construction.

    Safe to share between threads (one connection, used under a lock) and between processes
    (SQLite's own locking; see the module docstring)."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: no implicit transactions; every write says BEGIN IMMEDIATE itself.
            self._conn = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None,
                                         check_same_thread=False)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"The chats database {self.path} cannot be opened: {err}.") from None
        self._lock = threading.RLock()
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            c = self._conn
            c.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            if c.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                raise StoreError(f"The chats database {self.path} cannot use a write-ahead log "
                                 "(is it on a network file system?).")
            c.execute("PRAGMA synchronous = FULL")
            c.execute("PRAGMA foreign_keys = ON")
            with self.write() as w:
                version = w.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise StoreError(f"The chats database {self.path} was written by a newer rawi "
                                     f"(schema {version}); upgrade rawi to open it.")
                w.executescript_in_transaction(_SCHEMA)
                w.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def write(self) -> Iterator["_Tx"]:
        """One write transaction, taken at once (BEGIN IMMEDIATE), committed on leaving, rolled back on error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator["_Tx"]:
        """A consistent snapshot for several reads."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield _Tx(self._conn)
            finally:
                self._conn.execute("COMMIT")

    # --- conversations -----------------------------------------------------------------------------

    def insert_conversation(self, user: str, title: str) -> dict[str, Any]:
        now = time.time()
        row = {"id": new_id(), "user": user, "title": title, "created": now, "updated": now}
        with self.write() as w:
            w.execute("INSERT INTO conversations (id, user, title, created, updated) "
                      "VALUES (:id, :user, :title, :created, :updated)", row)
        return row

    def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        with self.read() as r:
            return r.one("SELECT * FROM conversations WHERE id = ?", (conversation_id,))

    def conversations(self, user: str) -> list[dict[str, Any]]:
        """The user's conversations, latest first, with their number of turns."""
        with self.read() as r:
            return r.all("SELECT c.*, (SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id) AS turns "
                         "FROM conversations c WHERE c.user = ? ORDER BY c.updated DESC, c.created DESC", (user,))

    def set_title(self, conversation_id: str, title: str) -> bool:
        with self.write() as w:
            return w.execute("UPDATE conversations SET title = ?, updated = ? WHERE id = ?",
                             (title, time.time(), conversation_id)).rowcount == 1

    def delete_conversation(self, conversation_id: str) -> bool:
        """The conversation, its turns and their feedback."""
        with self.write() as w:
            return w.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,)).rowcount == 1

    # --- turns ---------------------------------------------------------------------------------------

    def insert_turn(self, conversation_id: str, question: str, *, state: str = "pending", answer: str | None = None,
                    answer_json: str | None = None, error: str | None = None) -> dict[str, Any]:
        """A turn at the end of the conversation (its position taken inside the transaction, so two
        writers never collide)."""
        now = time.time()
        with self.write() as w:
            position = w.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM turns WHERE conversation_id = ?",
                                 (conversation_id,)).fetchone()[0]
            row = {"id": new_id(), "conversation_id": conversation_id, "position": position, "question": question,
                   "state": state, "answer": answer, "answer_json": answer_json, "error": error, "created": now,
                   "finished": None if state == "pending" else now}
            w.execute("INSERT INTO turns (id, conversation_id, position, question, state, answer, answer_json, error, "
                      "created, finished) VALUES (:id, :conversation_id, :position, :question, :state, :answer, "
                      ":answer_json, :error, :created, :finished)", row)
            w.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))
        return row

    def finish_turn(self, turn_id: str, *, state: str, answer: str | None = None, answer_json: str | None = None,
                    error: str | None = None) -> bool:
        now = time.time()
        with self.write() as w:
            done = w.execute("UPDATE turns SET state = ?, answer = ?, answer_json = ?, error = ?, finished = ? "
                             "WHERE id = ?", (state, answer, answer_json, error, now, turn_id)).rowcount == 1
            w.execute("UPDATE conversations SET updated = ? WHERE id = (SELECT conversation_id FROM turns WHERE id = ?)",
                      (now, turn_id))
        return done

    def turn(self, turn_id: str) -> dict[str, Any] | None:
        with self.read() as r:
            return r.one("SELECT t.*, c.user AS user FROM turns t JOIN conversations c ON c.id = t.conversation_id "
                         "WHERE t.id = ?", (turn_id,))

    def turns(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's turns in order, each with its feedback (`rating` None when there is none)."""
        with self.read() as r:
            return r.all("SELECT t.*, f.rating, f.comment, f.expected_answer FROM turns t "
                         "LEFT JOIN feedback f ON f.turn_id = t.id WHERE t.conversation_id = ? ORDER BY t.position",
                         (conversation_id,))

    # --- feedback ------------------------------------------------------------------------------------

    def upsert_feedback(self, turn_id: str, rating: str, comment: str, expected_answer: str) -> None:
        with self.write() as w:
            w.execute("INSERT INTO feedback (turn_id, rating, comment, expected_answer, updated) VALUES (?, ?, ?, ?, ?) "
                      "ON CONFLICT (turn_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, "
                      "expected_answer = excluded.expected_answer, updated = excluded.updated",
                      (turn_id, rating, comment, expected_answer, time.time()))

    def feedback(self, turn_id: str) -> dict[str, Any] | None:
        with self.read() as r:
            return r.one("SELECT * FROM feedback WHERE turn_id = ?", (turn_id,))

    def marked_turn_ids(self, user: str | None = None) -> list[str]:
        """Ids of the turns that have feedback (of `user`'s conversations, or everyone's), oldest first."""
        sql = ("SELECT t.id FROM feedback f JOIN turns t ON t.id = f.turn_id JOIN conversations c ON c.id = t.conversation_id"
               + (" WHERE c.user = ?" if user is not None else "") + " ORDER BY t.created, t.position")
        with self.read() as r:
            return [row["id"] for row in r.all(sql, (user,) if user is not None else ())]

    def integrity(self) -> str:
        """SQLite's own check of the file: 'ok' when it is sound."""
        with self._lock:
            return self._conn.execute("PRAGMA integrity_check").fetchone()[0]


class _Tx:
    """The connection inside one transaction, with row-as-dict helpers."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    def executescript_in_transaction(self, script: str) -> None:
        # executescript() would COMMIT first; run the statements one by one inside ours.
        for statement in script.split(";"):
            if statement.strip():
                self._conn.execute(statement)

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        row = self._conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self._conn.execute(sql, params).fetchall()]
