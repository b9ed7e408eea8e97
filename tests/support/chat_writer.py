"""A process that writes turns into a chats database and prints each turn's id once its write returned.

    python -m tests.support.chat_writer DB USER COUNT [CONVERSATION_ID]

Used by the tests of two writers at once and of a writer killed mid-way: a printed id is a write
the database acknowledged. With no conversation id it makes its own conversation first.
"""

from __future__ import annotations

import sys

from core.results import Answer, Citation
from rag.conversations import ConversationStore
from vendors.chatdb import ChatDB


def main(argv: list[str]) -> int:
    db_path, user, count = argv[0], argv[1], int(argv[2])
    chats = ConversationStore(ChatDB(db_path))
    conv_id = argv[3] if len(argv) > 3 else chats.create(user, f"writer {user}").id
    print(f"conversation {conv_id}", flush=True)
    for i in range(count):
        turn = chats.start_turn(user, conv_id, f"{user} question {i}")
        answer = Answer(f"{user} answer {i} [1]", False, "extractive",
                        citations=[Citation(1, "a.txt", i, i + 5, "x" * 5)], question=f"{user} question {i}")
        chats.finish_turn(user, turn.id, answer)
        if i % 3 == 0:
            chats.record_feedback(user, turn.id, "down", comment=f"c{i}", expected_answer=f"e{i}")
            print(f"feedback {turn.id}", flush=True)
        print(f"turn {turn.id}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
