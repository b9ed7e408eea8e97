"""The chat page's saved conversations: who is asking, the sidebar's list, a saved chat back on the page, its export.

`ui.app` wires these to the page; the conversations themselves are `rag.conversations.ConversationStore`
(handed in by the composition root). Everything shown is built by `ui.render` from escaped text,
like a live answer. Nothing here answers a question or writes to the database except through the store.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from rag.conversations import ANONYMOUS, Conversation, ConversationStore
from ui.render import answer_message_html, error_message_html, sources_section_html, user_message_html

INTERRUPTED = ("لم تكتمل هذه الإجابة: توقّف الخادم أثناء الإجابة. اسأل مرة أخرى. / "
               "This answer was not finished: the server stopped while answering. Ask again.")
RATING_OF = {"up": "Like", "down": "Dislike"}  # the Chatbot's thumbs


def user_of(request: Any) -> str:
    """The logged-in user (`RAWI_AUTH`), or the one anonymous user when login is off."""
    return str(getattr(request, "username", None) or ANONYMOUS)


def choices(chats: ConversationStore, user: str) -> list[tuple[str, str]]:
    """The sidebar's list: (title · turns, conversation id), latest first."""
    return [(f"{c.title} · {c.turn_count}", c.id) for c in chats.list(user)]


def page_turns(conv: Conversation, file_texts: Any) -> list[dict[str, Any]]:
    """A saved conversation as the page's turn records (see `ui.app`): the same HTML a live answer gets."""
    cited = sorted({c.file for t in conv.turns if t.answer is not None for c in t.answer.citations})
    texts = file_texts(cited) if cited else {}
    turns: list[dict[str, Any]] = []
    for number, t in enumerate(conv.turns, start=1):
        record: dict[str, Any] = {"question": t.question, "answer": None, "user_html": user_message_html(t.question),
                                  "sources_html": None, "turn_id": t.id,
                                  "rating": t.feedback.rating if t.feedback is not None else None}
        if t.state == "answered" and t.answer is not None:
            record.update(answer=t.answer.answer, bot_html=answer_message_html(t.answer, number),
                          sources_html=sources_section_html(t.answer, texts, number, active=False))
        else:
            record.update(failed=True, bot_html=error_message_html(t.error or INTERRUPTED, number))
        turns.append(record)
    return turns


def feedback_values(turns: list[dict[str, Any]]) -> list[str | None]:
    """The thumbs each answer already has, in the Chatbot's terms."""
    return [RATING_OF.get(t.get("rating") or "") for t in turns]


def export_file(chats: ConversationStore, user: str, conversation_id: str) -> Path:
    """The conversation's Markdown in a file under the temporary folder, for download.

    One folder per conversation (named by a hash of user and id), written over on each export, so
    that exporting again and again does not pile up folders; Gradio serves a copy of its own.
    """
    conv = chats.get(user, conversation_id)
    key = hashlib.sha256(f"{user}\0{conversation_id}".encode("utf-8")).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "rawi-exports" / key
    shutil.rmtree(folder, ignore_errors=True)  # a renamed conversation leaves no file under its old title
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w\-]+", "_", conv.title, flags=re.UNICODE).strip("_")[:60] or "conversation"
    path = folder / f"{name}.md"
    path.write_text(chats.export_markdown(user, conversation_id), encoding="utf-8")
    return path
