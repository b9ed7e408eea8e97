"""Feedback from the chat as evaluation cases: the lines `rawi feedback export` writes for `rawi eval --questions`.

A marked turn becomes one case (kind `feedback-down` or `feedback-up`):
- thumbs down with an expected answer: the question, `answer_groups` = the expected answer, and as
  gold files the articles whose text contains it (the same normalised match that scores answers),
  else the files the answer cited;
- thumbs up: what rawi answered is the expectation: the files it cited as gold (none when it
  abstained: abstaining again is right), and the expected answer, else its short answer, as
  `answer_groups` when there is one;
- thumbs down without an expected answer says something is wrong but not what is right: left out
  (and counted).
A turn after the first of its conversation becomes a conversation case: its earlier answered turns
come first, as the history the follow-up needs, each expecting what rawi answered then (its cited
files) unless it has feedback of its own. Every line keeps where it came from under `feedback`
(ignored by the loader). This module builds lines; it opens no database and asks nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from eval.metrics import contains_variant

KIND_DOWN, KIND_UP = "feedback-down", "feedback-up"


@dataclass
class FeedbackExport:
    lines: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> turns left out

    def summary(self) -> str:
        down = sum(1 for line in self.lines if line["kind"] == KIND_DOWN)
        text = f"{len(self.lines)} case(s): {down} from thumbs-down, {len(self.lines) - down} from thumbs-up"
        if self.skipped:
            text += "; left out: " + ", ".join(f"{n} {why}" for why, n in self.skipped.items())
        return text


def files_containing(answer: str, texts: Iterable[tuple[str, str]]) -> list[str]:
    """The files whose text contains `answer` (normalised, as answers are scored)."""
    return sorted(name for name, text in texts if contains_variant(text, answer))


def _cited(turn: Any) -> list[str]:
    a = turn.answer
    files = list(dict.fromkeys(c.file for c in a.citations)) or list(dict.fromkeys(s.file for s in a.sources))
    return files


def _expectation(turn: Any, find_files: Callable[[str], list[str]]) -> tuple[dict[str, Any] | None, str]:
    """(the turn's gold as question-file keys, '') or (None, why it cannot be a test)."""
    fb, a = turn.feedback, turn.answer
    if fb is None or fb.rating == "up":
        if a.abstained:
            return {"gold_files": [], "answer_groups": []}, ""
        files = _cited(turn)
        if not files:
            return None, "answers with no source to expect"
        expected = fb.expected_answer if fb is not None and fb.expected_answer else (
            a.short_answer.text if a.short_answer is not None else "")
        return {"gold_files": files, "answer_groups": [[expected]] if expected else []}, ""
    if not fb.expected_answer:
        return None, "thumbs-down without an expected answer"
    files = find_files(fb.expected_answer) or [c.file for c in a.citations]
    if not files:
        return None, "thumbs-down whose expected answer no article contains"
    return {"gold_files": list(dict.fromkeys(files)), "answer_groups": [[fb.expected_answer]]}, ""


def feedback_cases(marked: Iterable[tuple[Any, Any]], file_texts: Callable[[], Iterable[tuple[str, str]]]) -> FeedbackExport:
    """Question-file lines from `ConversationStore.marked_turns()`; `file_texts()` yields (file, citable text)
    of the store, read once and only if an expected answer needs its gold files found."""
    texts: list[tuple[str, str]] | None = None

    def find_files(answer: str) -> list[str]:
        nonlocal texts
        if texts is None:
            texts = list(file_texts())
        return files_containing(answer, texts)

    out = FeedbackExport()
    for conv, turn in marked:
        if turn.answer is None:
            continue
        gold, why = _expectation(turn, find_files)
        if gold is None:
            out.skipped[why] = out.skipped.get(why, 0) + 1
            continue
        fb = turn.feedback
        origin = {"conversation": conv.id, "turn": turn.id, "position": turn.position, "rating": fb.rating,
                  "comment": fb.comment, "expected_answer": fb.expected_answer, "rawi_answer": turn.answer.answer}
        kind = KIND_DOWN if fb.rating == "down" else KIND_UP
        case_id = f"fb-{turn.id[:12]}"
        earlier = [t for t in conv.turns if t.position < turn.position and t.state == "answered" and t.answer is not None]
        if not earlier:
            out.lines.append({"id": case_id, "question": turn.question, **gold, "kind": kind, "feedback": origin})
            continue
        turns = []
        for t in earlier:
            before, _ = _expectation(t, find_files)
            # An earlier turn that cannot be scored still has to be asked: the follow-up refers to it.
            turns.append({"q": t.question, **(before or {"gold_files": _cited(t) or [], "answer_groups": []})})
        turns.append({"q": turn.question, **gold})
        out.lines.append({"id": case_id, "kind": kind, "turns": turns, "feedback": origin})
    return out


def write_lines(lines: list[dict[str, Any]], path: Path | None) -> str:
    """The lines as JSON lines, written to `path` (its folder made) when given; returns the text."""
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return text
