"""What saving a chat costs: database write latency per turn and per feedback, and reading chats back.

    python -m bench.chats_bench [--turns 300] [--dir DIR]

Into a fresh chats database (`vendors.chatdb`, WAL, `synchronous=FULL`, on the disk of `--dir`,
default `.rawi/bench/`): N turns, each saved the way the chat page saves it (the question before
answering, then the answer: two committed transactions), with answers the size of real ones
(5 sources of ~900 characters of the sample articles, 3 citations, as `Answer.to_dict()` JSON);
a thumbs-down with comment and expected answer on every third; then listing the conversations
and reading one of 20 turns back. Prints p50/p95/max in ms with the machine's load and writes
`bench/results/chats.json`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from bench.common import SAMPLE_CORPUS, WORK, LoadMeter, Timer, describe_load, stats, write_result


def sample_answer(texts: list[str], i: int):
    from core.results import Answer, Citation, Source

    sources = []
    for n in range(5):
        text = texts[(i + n) % len(texts)]
        start = (i * 97 + n * 131) % max(1, len(text) - 900)
        sources.append(Source(f"{n:03d}_article.txt", f"c{i}-{n}", 0.5, text[start:start + 900], start, start + 900))
    citations = [Citation(n + 1, s.file, s.start + 10, s.start + 160, s.text[10:160]) for n, s in enumerate(sources[:3])]
    return Answer(" ".join(c.quote for c in citations) + " [1] [2] [3]", False, "extractive", citations, sources,
                  {"retrieve": 12.0, "generate": 30.0, "total": 45.0}, question=f"سؤال {i}")


def run(turns: int, folder: Path) -> dict:
    from rag.conversations import ConversationStore
    from vendors.chatdb import ChatDB

    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CORPUS.glob("*.txt"))]
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="chats-", dir=folder))
    try:
        chats = ConversationStore(ChatDB(work / "chats.sqlite3"))
        user = "bench"
        question_ms, answer_ms, feedback_ms = [], [], []
        sizes = []
        with LoadMeter() as meter:
            conv = None
            for i in range(turns):
                if conv is None or i % 20 == 0:
                    conv = chats.create(user, f"bench {i}")
                answer = sample_answer(texts, i)
                sizes.append(len(json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")))
                with Timer() as t:
                    turn = chats.start_turn(user, conv.id, f"سؤال رقم {i}")
                question_ms.append(t.ms)
                with Timer() as t:
                    chats.finish_turn(user, turn.id, answer)
                answer_ms.append(t.ms)
                if i % 3 == 0:
                    with Timer() as t:
                        chats.record_feedback(user, turn.id, "down", "ناقص", "الإجابة الصحيحة")
                    feedback_ms.append(t.ms)
        list_ms, get_ms = [], []
        full = next(c for c in chats.list(user) if c.turn_count == min(20, turns))
        with LoadMeter() as read_meter:
            for _ in range(50):
                with Timer() as t:
                    listed = chats.list(user)
                list_ms.append(t.ms)
                with Timer() as t:
                    chats.get(user, full.id)
                get_ms.append(t.ms)
        db_bytes = sum(p.stat().st_size for p in work.iterdir())
        chats.db.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    per_turn = [q + a for q, a in zip(question_ms, answer_ms)]
    return {
        "turns": turns, "answer_json_bytes_mean": round(sum(sizes) / len(sizes)),
        "save_question_ms": stats(question_ms), "save_answer_ms": stats(answer_ms), "per_turn_ms": stats(per_turn),
        "feedback_ms": stats(feedback_ms), "list_conversations_ms": stats(list_ms),
        "open_20_turn_conversation_ms": stats(get_ms), "conversations": len(listed), "database_bytes": db_bytes,
        "load": {"writes": meter.load, "reads": read_meter.load},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--dir", type=Path, default=WORK)
    args = parser.parse_args(argv)
    figures = run(args.turns, args.dir)
    for name in ("save_question_ms", "save_answer_ms", "per_turn_ms", "feedback_ms", "list_conversations_ms",
                 "open_20_turn_conversation_ms"):
        s = figures[name]
        print(f"{name:30s} p50 {s['p50']:.2f}  p95 {s['p95']:.2f}  max {s['max']:.2f}")
    print(f"answer JSON {figures['answer_json_bytes_mean']} bytes; database {figures['database_bytes'] / 1e6:.1f} MB "
          f"for {figures['turns']} turns")
    print(f"writes: {describe_load(figures['load']['writes'])}; reads: {describe_load(figures['load']['reads'])}")
    write_result("chats", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
