"""Reading evaluation questions: rawi question files (JSON lines) and SQuAD v1.1/v2.0 JSON.

Both become a list of `Case`s: a case is one question, or one multi-turn conversation whose
turns are asked in order with the earlier turns as history. A `Turn` with no gold files expects
the assistant to abstain. For SQuAD, every distinct context becomes a document named by its
content hash (`<sha1[:16]>.txt`); `squad_documents` gives their texts and `write_documents`
puts them on disk. This module reads and validates; it asks nothing and scores nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import RawiError


class EvalInputError(RawiError):
    """A question file or SQuAD file that cannot be used, with the place and the reason."""


@dataclass(frozen=True)
class Turn:
    """One question to ask, and what a good reply looks like."""

    question: str
    gold_files: tuple[str, ...] = ()
    answer_groups: tuple[tuple[str, ...], ...] = ()  # every group must be matched by one of its variants
    gold_answers: tuple[str, ...] = ()  # SQuAD answer strings (exact match / token F1); empty otherwise

    @property
    def expects_abstention(self) -> bool:
        return not self.gold_files


@dataclass(frozen=True)
class Case:
    """A single question (one turn) or a conversation (several turns asked in order)."""

    id: str
    kind: str
    turns: tuple[Turn, ...]
    conversation: bool = False


@dataclass
class SquadSet:
    """A SQuAD file read as an evaluation set: its documents and its cases."""

    version: str
    documents: dict[str, str] = field(default_factory=dict)  # file name -> context text
    cases: list[Case] = field(default_factory=list)


# --- rawi question files ----------------------------------------------------------------------------

def _strings(value: Any, where: str, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EvalInputError(f"{where}: {what} must be a list of strings.")
    return tuple(value)


def _groups(value: Any, where: str) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise EvalInputError(f"{where}: answer_groups must be a list of lists of strings.")
    groups = []
    for group in value:
        if isinstance(group, str):  # a lone string is a group of one variant
            group = [group]
        variants = _strings(group, where, "each answer group")
        if variants:
            groups.append(variants)
    return tuple(groups)


def _turn(obj: dict[str, Any], where: str, key: str) -> Turn:
    question = obj.get(key)
    if not isinstance(question, str) or not question.strip():
        raise EvalInputError(f"{where}: {key!r} must be a non-empty string.")
    return Turn(question, _strings(obj.get("gold_files"), where, "gold_files"), _groups(obj.get("answer_groups"), where))


def parse_question_line(obj: Any, where: str) -> Case:
    """One JSON line of a question file as a `Case` (the format is in docs/ARCHITECTURE.md)."""
    if not isinstance(obj, dict):
        raise EvalInputError(f"{where}: each line must be a JSON object.")
    cid = str(obj.get("id") or "").strip()
    if not cid:
        raise EvalInputError(f"{where}: every question needs an \"id\".")
    if "turns" in obj:
        turns = obj["turns"]
        if not isinstance(turns, list) or not turns or not all(isinstance(t, dict) for t in turns):
            raise EvalInputError(f"{where}: \"turns\" must be a non-empty list of objects.")
        parsed = tuple(_turn(t, f"{where}, turn {i}", "q" if "q" in t else "question") for i, t in enumerate(turns, 1))
        return Case(cid, str(obj.get("kind") or "conversation"), parsed, conversation=True)
    return Case(cid, str(obj.get("kind") or "single"), (_turn(obj, where, "question"),))


def load_questions(path: Path) -> list[Case]:
    """Every case of a JSON-lines question file, in file order; blank lines are skipped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise EvalInputError(f"The question file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise EvalInputError(f"The question file {path} cannot be read: {err}.") from None
    cases: list[Case] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise EvalInputError(f"{where}: not valid JSON ({err.msg}).") from None
        case = parse_question_line(obj, where)
        if case.id in seen:
            raise EvalInputError(f"{where}: the id {case.id!r} is used twice.")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise EvalInputError(f"The question file {path} holds no questions.")
    return cases


# --- SQuAD ------------------------------------------------------------------------------------------

def document_name(context: str) -> str:
    """The file name of a context: its content hash, so the same text is always the same document."""
    return hashlib.sha1(context.encode("utf-8")).hexdigest()[:16] + ".txt"


def parse_squad(data: Any, where: str = "the SQuAD file") -> SquadSet:
    """SQuAD v1.1 or v2.0 JSON (already parsed) as documents and single-question cases.

    v2.0 `is_impossible` questions (or questions with no answers) expect abstention and have no
    gold file; the others have their context's document as gold file and their answer texts as
    gold answers (also one answer group, so "the answer contains a gold answer" is scored too).
    """
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise EvalInputError(f"{where} is not SQuAD JSON: it needs a top-level \"data\" list.")
    out = SquadSet(version=str(data.get("version", "")))
    seen: set[str] = set()
    for a_index, article in enumerate(data["data"]):
        for p_index, paragraph in enumerate(article.get("paragraphs") or []):
            context = paragraph.get("context")
            if not isinstance(context, str) or not context.strip():
                raise EvalInputError(f"{where}: data[{a_index}].paragraphs[{p_index}] has no context.")
            name = document_name(context)
            out.documents.setdefault(name, context)
            for q_index, qa in enumerate(paragraph.get("qas") or []):
                question = qa.get("question")
                if not isinstance(question, str) or not question.strip():
                    continue  # SQuAD files in the wild have the odd empty question; nothing to ask
                qid = str(qa.get("id") or f"{a_index}-{p_index}-{q_index}")
                if qid in seen:
                    qid = f"{qid}-{a_index}-{p_index}-{q_index}"
                seen.add(qid)
                answers = tuple(dict.fromkeys(
                    a["text"] for a in (qa.get("answers") or []) if isinstance(a, dict) and str(a.get("text", "")).strip()
                ))
                impossible = bool(qa.get("is_impossible")) or not answers
                if impossible:
                    turn = Turn(question)
                else:
                    turn = Turn(question, (name,), (answers,), answers)
                out.cases.append(Case(qid, "unanswerable" if impossible else "answerable", (turn,)))
    if not out.documents:
        raise EvalInputError(f"{where} holds no contexts.")
    return out


def load_squad(path: Path) -> SquadSet:
    """Read a SQuAD v1.1/v2.0 file from disk (see `parse_squad`)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise EvalInputError(f"The SQuAD file {path} does not exist.") from None
    except json.JSONDecodeError as err:
        raise EvalInputError(f"The SQuAD file {path} is not valid JSON ({err.msg} at line {err.lineno}).") from None
    except (OSError, UnicodeDecodeError) as err:
        raise EvalInputError(f"The SQuAD file {path} cannot be read: {err}.") from None
    return parse_squad(data, str(path))


def write_documents(documents: dict[str, str], folder: Path) -> int:
    """Write each document as UTF-8 text into `folder`, leaving identical files untouched; returns files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, text in documents.items():
        target = folder / name
        data = text.encode("utf-8")
        if target.exists() and target.read_bytes() == data:
            continue
        target.write_bytes(data)
        written += 1
    return written
