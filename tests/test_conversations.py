"""Saved conversations and feedback: a real SQLite file, reopened, shared by processes, killed mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.results import Answer
from rag.conversations import ANONYMOUS, BadFeedbackError, ConversationNotFound, ConversationStore
from tests.conftest import REPO_ROOT
from vendors.chatdb import ChatDB

AMBASSADOR_Q = "من هو السفير الروسي لدى ليبيا؟"


@pytest.fixture(scope="module")
def answers(corpus_rig):
    """Real answers with verified citations from the sample corpus (hashing embedder, extractive)."""
    from rawi.compose import Rawi

    bot = Rawi(corpus_rig.settings, corpus_rig.embedder, corpus_rig.store, llm=None).assistant()
    first = bot.ask(AMBASSADOR_Q)
    follow = bot.ask("ومتى زار حفتر بيلاروسيا؟", [{"role": "user", "content": AMBASSADOR_Q},
                                                   {"role": "assistant", "content": first.answer}])
    return first, follow


def open_store(path: Path) -> ConversationStore:
    return ConversationStore(ChatDB(path))


def test_a_conversation_is_listed_continued_renamed_and_deleted_across_reopenings(tmp_path, answers):
    db = tmp_path / "chats.sqlite3"
    chats = open_store(db)
    conv = chats.create(ANONYMOUS, "")
    turn = chats.start_turn(ANONYMOUS, conv.id, AMBASSADOR_Q)
    chats.finish_turn(ANONYMOUS, turn.id, answers[0])
    chats.db.close()

    again = open_store(db)  # a new process would see the same: nothing is kept in memory
    [listed] = again.list(ANONYMOUS)
    assert listed.id == conv.id and listed.turn_count == 1
    got = again.get(ANONYMOUS, conv.id)
    assert [t.question for t in got.turns] == [AMBASSADOR_Q]
    assert got.turns[0].answer.to_dict() == answers[0].to_dict()  # citations, offsets, short answer: all of it
    assert got.history() == [{"role": "user", "content": AMBASSADOR_Q}, {"role": "assistant", "content": answers[0].answer}]

    again.append_turn(ANONYMOUS, conv.id, "ومتى زار حفتر بيلاروسيا؟", answers[1])
    assert [t.position for t in again.get(ANONYMOUS, conv.id).turns] == [1, 2]
    assert again.rename(ANONYMOUS, conv.id, "  السفير \n الروسي ").title == "السفير الروسي"
    with pytest.raises(BadFeedbackError):
        again.rename(ANONYMOUS, conv.id, "   ")
    again.delete(ANONYMOUS, conv.id)
    assert again.list(ANONYMOUS) == []
    with pytest.raises(ConversationNotFound):
        again.get(ANONYMOUS, conv.id)
    rows = sqlite3.connect(db).execute("SELECT (SELECT COUNT(*) FROM turns), (SELECT COUNT(*) FROM feedback)").fetchone()
    assert rows == (0, 0)


def test_a_user_never_sees_or_changes_another_users_conversation(tmp_path, answers):
    chats = open_store(tmp_path / "chats.sqlite3")
    mine = chats.create("amal", "mine")
    turn = chats.append_turn("amal", mine.id, AMBASSADOR_Q, answers[0])
    chats.create("badr", "his")
    assert [c.title for c in chats.list("amal")] == ["mine"]
    for call in (lambda: chats.get("badr", mine.id), lambda: chats.rename("badr", mine.id, "x"),
                 lambda: chats.delete("badr", mine.id), lambda: chats.start_turn("badr", mine.id, "q"),
                 lambda: chats.record_feedback("badr", turn.id, "down"), lambda: chats.export_markdown("badr", mine.id)):
        with pytest.raises(ConversationNotFound):
            call()
    assert chats.get("amal", mine.id).title == "mine" and chats.get("amal", mine.id).turns[0].feedback is None


def test_feedback_is_stored_with_its_turn_and_a_second_verdict_replaces_the_first(tmp_path, answers):
    chats = open_store(tmp_path / "chats.sqlite3")
    conv = chats.create(ANONYMOUS)
    turn = chats.append_turn(ANONYMOUS, conv.id, AMBASSADOR_Q, answers[0])
    chats.record_feedback(ANONYMOUS, turn.id, "up")
    chats.record_feedback(ANONYMOUS, turn.id, "down", comment=" ناقص ", expected_answer="إيفان مولوتكوف")
    [(found_conv, found)] = chats.marked_turns()
    assert found_conv.id == conv.id and found.id == turn.id
    assert (found.feedback.rating, found.feedback.comment, found.feedback.expected_answer) == ("down", "ناقص", "إيفان مولوتكوف")
    with pytest.raises(BadFeedbackError):
        chats.record_feedback(ANONYMOUS, turn.id, "meh")
    pending = chats.start_turn(ANONYMOUS, conv.id, "سؤال لم يُجب")
    with pytest.raises(BadFeedbackError):
        chats.record_feedback(ANONYMOUS, pending.id, "down")
    assert chats.marked_turns("someone-else") == []


def test_markdown_export_carries_every_quote_with_its_file_and_offsets(tmp_path, answers, corpus_dir):
    from ingest.load import read_document

    chats = open_store(tmp_path / "chats.sqlite3")
    conv = chats.create(ANONYMOUS, "السفير")
    first = chats.append_turn(ANONYMOUS, conv.id, AMBASSADOR_Q, answers[0])
    chats.append_turn(ANONYMOUS, conv.id, "ومتى زار حفتر بيلاروسيا؟", answers[1])
    chats.record_feedback(ANONYMOUS, first.id, "down", comment="أريد الاسم كاملاً", expected_answer="إيفان مولوتكوف")
    failed = chats.start_turn(ANONYMOUS, conv.id, "سؤال ثالث")
    chats.finish_turn(ANONYMOUS, failed.id, error="the model timed out")
    chats.start_turn(ANONYMOUS, conv.id, "سؤال رابع")

    md = chats.export_markdown(ANONYMOUS, conv.id)
    assert md.startswith("# السفير\n")
    assert f"## 1. {AMBASSADOR_Q}" in md and "## 2. ومتى زار حفتر بيلاروسيا؟" in md
    cited = [c for a in answers for c in a.citations]
    assert cited
    for c in cited:
        text = read_document(corpus_dir / c.file).text
        assert text[c.start:c.end] == c.quote
        assert f"[{c.n}] `{c.file}` characters {c.start}–{c.end}" in md
        assert "\n".join("> " + line if line.strip() else ">" for line in c.quote.splitlines()) in md
    assert "Feedback: 👎 down" in md and "Expected answer: إيفان مولوتكوف" in md and "Comment: أريد الاسم كاملاً" in md
    assert "error: the model timed out" in md and "the server stopped while answering" in md


def test_the_database_is_in_wal_mode_with_a_busy_timeout_and_its_path_is_a_setting(tmp_path, monkeypatch):
    from core.settings import Settings
    from rawi.compose import open_conversations

    assert Settings(store=tmp_path / "s").store.chats_path == tmp_path / "s" / "chats.sqlite3"
    monkeypatch.setenv("RAWI_CHATS_DB", str(tmp_path / "elsewhere" / "mine.db"))
    chats = open_conversations(Settings(store=tmp_path / "s"))
    assert chats.db.path == tmp_path / "elsewhere" / "mine.db" and chats.db.path.exists()
    conn = sqlite3.connect(chats.db.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert chats.db._conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000


def writer(db: Path, user: str, count: int, conv_id: str | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "tests.support.chat_writer", str(db), user, str(count)] + ([conv_id] if conv_id else [])
    return subprocess.Popen(args, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_writing_at_once_lose_nothing_and_never_corrupt_the_file(tmp_path):
    db = tmp_path / "chats.sqlite3"
    shared = open_store(db).create("both", "shared")
    count = 60
    # Two writers into the same conversation (they race for positions) and one into its own.
    procs = [writer(db, "both", count, shared.id), writer(db, "both", count, shared.id), writer(db, "solo", count)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1] for o in outs]
    chats = open_store(db)
    assert chats.db.integrity() == "ok"
    turns = chats.get("both", shared.id).turns
    assert len(turns) == 2 * count and [t.position for t in turns] == list(range(1, 2 * count + 1))
    assert all(t.state == "answered" and t.answer.citations for t in turns)
    acknowledged = {line.split()[1] for out, _ in outs for line in out.splitlines() if line.startswith("turn ")}
    assert len(acknowledged) == 3 * count
    marked = {t.id for _, t in chats.marked_turns()}
    assert {line.split()[1] for out, _ in outs for line in out.splitlines() if line.startswith("feedback ")} == marked
    assert len(marked) == 3 * len(range(0, count, 3))


def test_a_writer_killed_with_sigkill_loses_no_write_it_acknowledged(tmp_path):
    db = tmp_path / "chats.sqlite3"
    proc = writer(db, "solo", 100_000)
    acked: list[str] = []
    feedback: list[str] = []
    deadline = time.monotonic() + 60
    while len(acked) < 40 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        kind, _, ident = line.strip().partition(" ")
        (acked if kind == "turn" else feedback if kind == "feedback" else []).append(ident)
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of its next writes
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    assert len(acked) == 40, "the writer did not get going"

    chats = open_store(db)
    assert chats.db.integrity() == "ok"
    [conv] = chats.list("solo")
    saved = {t.id: t for t in chats.get("solo", conv.id).turns}
    assert set(acked) <= set(saved)
    assert all(saved[i].state == "answered" and saved[i].answer is not None for i in acked)
    assert set(feedback) <= {t.id for t in saved.values() if t.feedback is not None}


def test_exporting_a_conversation_again_overwrites_its_file_instead_of_adding_folders(tmp_path, monkeypatch):
    from ui.saved_chats import export_file

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    chats = open_store(tmp_path / "chats.sqlite3")
    conv = chats.create(ANONYMOUS, "السفير")
    first = export_file(chats, ANONYMOUS, conv.id)
    chats.rename(ANONYMOUS, conv.id, "سفير روسيا")
    second = export_file(chats, ANONYMOUS, conv.id)
    assert first.parent == second.parent and not first.exists() and second.exists()
    assert second.read_text(encoding="utf-8") == chats.export_markdown(ANONYMOUS, conv.id)
    other = export_file(chats, ANONYMOUS, chats.create(ANONYMOUS, "آخر").id)
    assert sorted(p.name for p in (tmp_path / "rawi-exports").iterdir()) == sorted({second.parent.name, other.parent.name})
