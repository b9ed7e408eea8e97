"""Citations: the sentences of a source as spans of its file, a citation made and verified from one,
and an LLM's `[n]` markers mapped onto verified citations.

Every citation is cut from the stored text of its file (`file_text[start:end]`) and checked
again before it is returned, so a quote can always be verified without trusting rawi.
Which sentences the offline answerer cites is `rag.extractive`; what the LLM is asked is
`rag.prompts`; stored chunks become numbered sources in `rag.sources`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.arabic import lexical_terms
from core.results import Citation, Source
from core.sentences import Block, sentences

# `[1]`, `[٢]`, `[1, 3]`, `[1، 3]`: the source numbers an answer cites.
MARKER = re.compile(r"\[\s*([0-9٠-٩]+(?:\s*[,،]\s*[0-9٠-٩]+)*)\s*\]")
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


@dataclass(frozen=True)
class Sentence:
    source_n: int  # 1-based index into the sources
    file: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class CitedAnswer:
    """An LLM's answer with its markers checked: what `cite_llm_answer` returns."""

    text: str  # the answer with only the markers that point at a verified passage
    citations: list[Citation]  # ordered by source number, then position in the file
    removed: int  # markers dropped: no such source, or no passage that could be verified


def source_sentences(source: Source, n: int) -> list[Sentence]:
    """The sentences of a source chunk as spans of its file (the chunk is `file_text[start:end]`)."""
    # Chunk text is a slice of the file, so offsets inside it shift by `source.start`.
    spans = sentences(source.text, Block(0, len(source.text)))
    return [Sentence(n, source.file, source.start + s.start, source.start + s.end, source.text[s.start : s.end]) for s in spans]


def make_citation(n: int, sentence: Sentence, source: Source, file_text: str | None) -> Citation | None:
    """A citation whose quote is verified against the file's text; None if it does not match."""
    quote = sentence.text
    if file_text is None or file_text[sentence.start : sentence.end] != quote:
        return None
    return Citation(n, source.file, sentence.start, sentence.end, quote, source.title, source.date)


def cite_llm_answer(text: str, sources: list[Source], file_texts: dict[str, str]) -> CitedAnswer:
    """Map every `[n]` to a verified passage of source n; drop markers that point at no source.

    For each marked sentence of the answer, the cited passage is the sentence of source n that
    shares the most terms with it (the claim's support), or the source's first sentence when none does.
    """
    removed = 0
    citations: dict[tuple[int, int, int], Citation] = {}
    out_parts: list[str] = []
    for claim in re.split(r"(?<=[.!?؟؛])\s+", text):
        claim_terms = set(lexical_terms(MARKER.sub(" ", claim)))

        def replace(match: re.Match) -> str:
            nonlocal removed
            kept = []
            for raw in re.split(r"[,،]", match.group(1)):
                n = int(raw.strip().translate(_ARABIC_DIGITS))
                if not 1 <= n <= len(sources):
                    removed += 1
                    continue
                source = sources[n - 1]
                support = _best_support(claim_terms, source_sentences(source, n))
                citation = make_citation(n, support, source, file_texts.get(source.file)) if support else None
                if citation is None:
                    removed += 1
                    continue
                citations.setdefault((n, citation.start, citation.end), citation)
                kept.append(f"[{n}]")
            return "".join(kept)

        out_parts.append(MARKER.sub(replace, claim))
    answer = re.sub(r"[ \t]+([.!?؟،,])", r"\1", " ".join(out_parts)).strip()
    ordered = sorted(citations.values(), key=lambda c: (c.n, c.start))
    return CitedAnswer(answer, ordered, removed)


def _best_support(claim_terms: set[str], candidates: list[Sentence]) -> Sentence | None:
    if not candidates:
        return None
    best = max(candidates, key=lambda s: len(claim_terms & set(lexical_terms(s.text))))
    if not claim_terms & set(lexical_terms(best.text)):
        return candidates[0]
    return best
