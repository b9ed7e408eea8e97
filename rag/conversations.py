"""Saved conversations and the feedback on their answers, per user: what every face keeps of a chat.

    chats = ConversationStore(ChatDB(settings.store.chats_path))     # rawi.compose builds it: Rawi.conversations()
    conv = chats.create(user)                                        # or continue one from chats.list(user)
    turn = chats.start_turn(user, conv.id, question)                 # saved before answering
    chats.finish_turn(user, turn.id, answer)                         # committed before it is shown
    chats.record_feedback(user, turn.id, "down", comment="…", expected_answer="…")
    chats.export_markdown(user, conv.id)                             # the chat, its quotes and file offsets

Every call is committed to the database before it returns, so whatever a face has acknowledged
survives a killed server. A user sees and changes only their own conversations; a conversation of
another user is reported as not found. The anonymous user (login off) is `ANONYMOUS`.

It keeps conversations; it answers nothing (that is `rag.assistant`) and renders no page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from core.errors import RawiError
from core.results import Answer
from vendors.chatdb import ChatDB

ANONYMOUS = "local"
TITLE_CHARS = 60
MAX_TITLE_CHARS = 200
MAX_FEEDBACK_CHARS = 4000
Rating = Literal["up", "down"]


class ConversationNotFound(RawiError):
    """No such conversation or turn for this user (deleted, never existed, or someone else's)."""


class BadFeedbackError(RawiError):
    """Feedback that cannot be recorded as given."""


@dataclass(frozen=True)
class Feedback:
    rating: Rating
    comment: str = ""
    expected_answer: str = ""


@dataclass(frozen=True)
class Turn:
    """One question of a conversation and what became of it: `pending` (asked, no answer saved: the
    server stopped mid-answer), `answered` (with the `Answer`) or `failed` (with the error shown)."""

    id: str
    conversation_id: str
    position: int
    question: str
    state: str
    answer: Answer | None = None
    error: str = ""
    feedback: Feedback | None = None
    created: float = 0.0


@dataclass(frozen=True)
class Conversation:
    id: str
    user: str
    title: str
    created: float
    updated: float
    turn_count: int = 0
    turns: tuple[Turn, ...] = field(default_factory=tuple)

    def history(self) -> list[dict[str, str]]:
        """The conversation as `Assistant.ask/stream` take it: answered turns only, as plain text."""
        history: list[dict[str, str]] = []
        for t in self.turns:
            if t.state == "answered" and t.answer is not None:
                history += [{"role": "user", "content": t.question}, {"role": "assistant", "content": t.answer.answer}]
        return history


def title_from(question: str) -> str:
    """A conversation's first title: its first question, on one line, cut at a word near `TITLE_CHARS`."""
    text = " ".join(question.split())
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[:TITLE_CHARS].rsplit(" ", 1)[0] or text[:TITLE_CHARS]
    return cut + "…"


class ConversationStore:
    """Conversations of every user in one `ChatDB`; each method takes the user it acts for."""

    def __init__(self, db: ChatDB) -> None:
        self.db = db

    # --- conversations -------------------------------------------------------------------------------

    def list(self, user: str) -> list[Conversation]:
        """The user's conversations, latest first (without their turns; `turn_count` says how many)."""
        return [_conversation(row) for row in self.db.conversations(user)]

    def create(self, user: str, title: str = "") -> Conversation:
        return _conversation(self.db.insert_conversation(user, _clean_title(title) or "محادثة جديدة"))

    def get(self, user: str, conversation_id: str) -> Conversation:
        """The conversation with its turns, or `ConversationNotFound`."""
        row = self._own(user, conversation_id)
        turns = tuple(_turn(t) for t in self.db.turns(conversation_id))
        return _conversation(row, turns)

    def rename(self, user: str, conversation_id: str, title: str) -> Conversation:
        self._own(user, conversation_id)
        clean = _clean_title(title)
        if not clean:
            raise BadFeedbackError("اكتب عنواناً للمحادثة. / Type a title for the conversation.")
        self.db.set_title(conversation_id, clean)
        return self.get(user, conversation_id)

    def delete(self, user: str, conversation_id: str) -> None:
        """The conversation, its turns and their feedback, for good."""
        self._own(user, conversation_id)
        self.db.delete_conversation(conversation_id)

    # --- turns ---------------------------------------------------------------------------------------

    def start_turn(self, user: str, conversation_id: str, question: str) -> Turn:
        """Save a question before it is answered (a server killed mid-answer still has it)."""
        self._own(user, conversation_id)
        return _turn(self.db.insert_turn(conversation_id, question))

    def finish_turn(self, user: str, turn_id: str, answer: Answer | None = None, *, error: str = "") -> Turn:
        """Save the answer (or the error shown instead) of a started turn."""
        self._own_turn(user, turn_id)
        if answer is not None:
            self.db.finish_turn(turn_id, state="answered", answer=answer.answer,
                                answer_json=json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            self.db.finish_turn(turn_id, state="failed", error=error)
        return self._get_turn(turn_id)

    def append_turn(self, user: str, conversation_id: str, question: str, answer: Answer) -> Turn:
        """A whole turn at once (a face that does not stream)."""
        self._own(user, conversation_id)
        return _turn(self.db.insert_turn(conversation_id, question, state="answered", answer=answer.answer,
                                         answer_json=json.dumps(answer.to_dict(), ensure_ascii=False)))

    # --- feedback ------------------------------------------------------------------------------------

    def record_feedback(self, user: str, turn_id: str, rating: Rating, comment: str = "",
                        expected_answer: str = "") -> Feedback:
        """Thumbs up or down on an answer, with an optional comment and the answer the user expected;
        a second call on the same turn replaces the first."""
        if rating not in ("up", "down"):
            raise BadFeedbackError("Feedback is 'up' or 'down'.")
        comment, expected_answer = (comment or "").strip(), (expected_answer or "").strip()
        if len(comment) > MAX_FEEDBACK_CHARS or len(expected_answer) > MAX_FEEDBACK_CHARS:
            raise BadFeedbackError(f"الملاحظة طويلة جداً (الحد {MAX_FEEDBACK_CHARS} حرف). / "
                                   f"The note is too long (at most {MAX_FEEDBACK_CHARS} characters).")
        turn = self._own_turn(user, turn_id)
        if turn["state"] != "answered":
            raise BadFeedbackError("لا يمكن تقييم سؤال لم يُجب عنه. / Only an answer can be rated.")
        self.db.upsert_feedback(turn_id, rating, comment, expected_answer)
        return Feedback(rating, comment, expected_answer)

    def marked_turns(self, user: str | None = None) -> list[tuple[Conversation, Turn]]:
        """Every turn with feedback (of `user`, or of everyone), oldest first, each with its whole
        conversation (the turns before it are its history)."""
        found: list[tuple[Conversation, Turn]] = []
        conversations: dict[str, Conversation] = {}
        for turn_id in self.db.marked_turn_ids(user):
            row = self.db.turn(turn_id)
            if row is None:  # deleted meanwhile
                continue
            conv_id = row["conversation_id"]
            if conv_id not in conversations:
                try:
                    conversations[conv_id] = self.get(row["user"], conv_id)
                except ConversationNotFound:
                    continue
            conv = conversations[conv_id]
            found.append((conv, next(t for t in conv.turns if t.id == turn_id)))
        return found

    # --- export ----------------------------------------------------------------------------------------

    def export_markdown(self, user: str, conversation_id: str) -> str:
        """The conversation as Markdown: each question, the answer, and under it every quote with its
        file and character offsets (`quote == text[start:end]`), and the feedback given."""
        return conversation_markdown(self.get(user, conversation_id))

    # --- ownership -------------------------------------------------------------------------------------

    def _own(self, user: str, conversation_id: str) -> dict[str, Any]:
        row = self.db.conversation(conversation_id) if conversation_id else None
        if row is None or row["user"] != user:
            raise ConversationNotFound("لم يُعثر على هذه المحادثة (ربما حُذفت). / This conversation was not found "
                                       "(it may have been deleted).")
        return row

    def _own_turn(self, user: str, turn_id: str) -> dict[str, Any]:
        row = self.db.turn(turn_id) if turn_id else None
        if row is None or row["user"] != user:
            raise ConversationNotFound("لم يُعثر على هذا السؤال في محادثاتك. / This turn was not found in your conversations.")
        return row

    def _get_turn(self, turn_id: str) -> Turn:
        row = self.db.turn(turn_id)
        assert row is not None
        fb = self.db.feedback(turn_id)
        return _turn({**row, **({k: fb[k] for k in ("rating", "comment", "expected_answer")} if fb else {})})


def _clean_title(title: str) -> str:
    return " ".join((title or "").split())[:MAX_TITLE_CHARS]


def _conversation(row: dict[str, Any], turns: tuple[Turn, ...] = ()) -> Conversation:
    return Conversation(row["id"], row["user"], row["title"], row["created"], row["updated"],
                        int(row.get("turns", len(turns)) or len(turns)), turns)


def _turn(row: dict[str, Any]) -> Turn:
    answer = Answer.from_dict(json.loads(row["answer_json"])) if row.get("answer_json") else None
    feedback = Feedback(row["rating"], row.get("comment") or "", row.get("expected_answer") or "") \
        if row.get("rating") else None
    return Turn(row["id"], row["conversation_id"], row["position"], row["question"], row["state"], answer,
                row.get("error") or "", feedback, row.get("created") or 0.0)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _quote_block(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines() or [""])


def conversation_markdown(conv: Conversation) -> str:
    """See `ConversationStore.export_markdown`."""
    lines = [f"# {conv.title}", "", f"rawi · {_when(conv.created)} · {len(conv.turns)} turn(s)", ""]
    for t in conv.turns:
        lines += [f"## {t.position}. {' '.join(t.question.split())}", ""]
        if t.state == "pending":
            lines += ["_(no answer was saved: the server stopped while answering)_", ""]
            continue
        if t.state == "failed" or t.answer is None:
            lines += [f"_(error: {t.error})_", ""]
            continue
        a = t.answer
        if a.abstained:
            lines += ["_(rawi found no answer in the articles)_", ""]
        lines += [a.answer.strip(), ""]
        for c in a.citations:
            head = f"[{c.n}] `{c.file}` characters {c.start}–{c.end}"
            if c.title:
                head += f" — {c.title}"
            if c.date:
                head += f" ({c.date})"
            lines += [head, "", _quote_block(c.quote), ""]
        if a.short_answer is not None:
            s = a.short_answer
            lines += [f"Short answer: «{s.text}» — `{s.file}` characters {s.start}–{s.end} [{s.n}]", ""]
        if t.feedback is not None:
            fb = t.feedback
            lines.append(f"Feedback: {'👍 up' if fb.rating == 'up' else '👎 down'}")
            if fb.comment:
                lines.append(f"Comment: {fb.comment}")
            if fb.expected_answer:
                lines.append(f"Expected answer: {fb.expected_answer}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
