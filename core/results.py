"""What an answer is made of: sources, citations and the answer itself, and their JSON shape.

`Answer.to_dict()` is the contract of `rawi ask --json` (docs/ARCHITECTURE.md); extra keys only extend it.
Plain data, no behaviour beyond formatting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Source:
    """A retrieved chunk handed to the answerer, numbered from 1 in `Answer.sources`."""

    file: str
    chunk_id: str
    score: float
    text: str
    start: int
    end: int
    title: str = ""
    date: str = ""
    chunk_index: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "chunk_id": self.chunk_id, "score": round(self.score, 6), "text": self.text,
                "start": self.start, "end": self.end, "title": self.title, "date": self.date}


@dataclass(frozen=True)
class Citation:
    """`[n]` in the answer: source n, and the exact passage `quote == file_text[start:end]`."""

    n: int
    file: str
    start: int
    end: int
    quote: str
    title: str = ""
    date: str = ""
    # Whether the quote holds the key content of the claim that cites it (`rag.claims`). An extractive
    # answer's citations are its own quotes, so always True. When False the quote is only the closest
    # passage of source n (empty, start == end, when nothing in it matched), shown for comparison.
    supported: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "file": self.file, "start": self.start, "end": self.end, "quote": self.quote,
                "title": self.title, "date": self.date, "supported": self.supported}


@dataclass(frozen=True)
class UnsupportedClaim:
    """A sentence of an LLM answer whose cited sources do not hold its key content."""

    claim: str  # the sentence as the answer states it, without its markers
    n: tuple[int, ...]  # the sources it cites
    missing: tuple[str, ...]  # its words and values the closest passage lacks (numbers, months as "month 6")

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "n": list(self.n), "missing": list(self.missing)}


@dataclass(frozen=True)
class ShortAnswer:
    """The few words that answer the question, `text == file_text[start:end]`, inside citation `n`'s quote."""

    text: str
    file: str
    start: int
    end: int
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "file": self.file, "start": self.start, "end": self.end, "n": self.n}


@dataclass
class Answer:
    answer: str
    abstained: bool
    mode: str  # "extractive" | "llm"
    citations: list[Citation] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    question: str = ""
    search_query: str = ""  # the standalone question retrieval used (differs for follow-ups)
    model: str = ""
    warnings: list[str] = field(default_factory=list)
    removed_markers: int = 0  # [n] markers the LLM wrote that pointed at no source
    usage: dict[str, int] = field(default_factory=dict)
    confidence: float | None = None  # extractive: the best sentence's support score
    short_answer: ShortAnswer | None = None  # extractive: the span the answer starts with (rag.short_answer)
    claims_checked: int = 0  # LLM: sentences carrying [n] that were checked against their sources
    unsupported_claims: list[UnsupportedClaim] = field(default_factory=list)  # LLM: those their sources do not hold

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "abstained": self.abstained,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "sources": [s.to_dict() for s in self.sources],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "question": self.question,
            "search_query": self.search_query,
            "model": self.model,
            "warnings": list(self.warnings),
            "removed_markers": self.removed_markers,
            "usage": dict(self.usage),
            "confidence": self.confidence,
            "short_answer": self.short_answer.to_dict() if self.short_answer else None,
            "claims_checked": self.claims_checked,
            "unsupported_claims": [c.to_dict() for c in self.unsupported_claims],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Answer":
        """The Answer `to_dict()` gave (a saved conversation's answers are kept as that JSON); keys this
        version does not know are ignored, missing ones take their defaults."""
        def pick(kind: type, d: dict[str, Any]) -> Any:
            return kind(**{f.name: d[f.name] for f in fields(kind) if f.name in d})

        short = data.get("short_answer")
        return cls(**{
            **{f.name: data[f.name] for f in fields(cls) if f.name in data},
            "citations": [pick(Citation, c) for c in data.get("citations") or []],
            "sources": [pick(Source, s) for s in data.get("sources") or []],
            "short_answer": pick(ShortAnswer, short) if isinstance(short, dict) else None,
            "unsupported_claims": [UnsupportedClaim(c.get("claim", ""), tuple(c.get("n") or ()), tuple(c.get("missing") or ()))
                                   for c in data.get("unsupported_claims") or []],
        })

    def to_text(self) -> str:
        """The human-readable form `rawi ask` prints: the answer (its short answer first), then numbered
        sources with quotes, the short answer's offsets under the source it comes from."""
        lines = [self.answer, ""]
        for warning in self.warnings:
            lines.append(f"! {warning}")
        for claim in self.unsupported_claims:
            marks = "".join(f"[{n}]" for n in claim.n)
            lines.append(f"! unsupported {marks}: «{claim.claim}» (not in the source: {', '.join(claim.missing)})")
        cited = {c.n for c in self.citations}
        for n, source in enumerate(self.sources, start=1):
            if cited and n not in cited:
                continue
            head = f"[{n}] {source.file}"
            if source.title:
                head += f" — {source.title}"
            if source.date:
                head += f" ({source.date})"
            lines.append(head)
            for c in self.citations:
                if c.n == n and c.supported:
                    lines.append(f"    {c.start}-{c.end}: «{c.quote}»")
                elif c.n == n:
                    lines.append(f"    ! not supported by this source; closest passage {c.start}-{c.end}: «{c.quote}»")
            short = self.short_answer
            if short is not None and short.n == n:
                lines.append(f"    {short.start}-{short.end}: «{short.text}» (short answer)")
        return "\n".join(lines).rstrip()
