"""Citations: the sentences of a source as spans of its file, a citation made and verified from one,
and an LLM's `[n]` markers mapped onto verified citations.

Every citation is cut from the stored text of its file (`file_text[start:end]`) and checked
again before it is returned, so a quote can always be verified without trusting rawi.
Which sentences the offline answerer cites is `rag.extractive`; what the LLM is asked is
`rag.prompts`; stored chunks become numbered sources in `rag.sources`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from core.results import Citation, Source, UnsupportedClaim
from core.sentences import chunk_sentences
from rag.claims import Evidence, Verdict, best_window, check, claim_facts, evidence_of, rival_support, windows_of
from rag.support import Judgement, judge

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

    text: str  # the answer with only the markers that point at a source with a verifiable text
    citations: list[Citation]  # ordered by source number, then position in the file
    removed: int  # markers dropped: no such source, or no passage that could be verified
    unsupported: list[UnsupportedClaim] = field(default_factory=list)  # claims their sources do not hold
    claims: int = 0  # sentences (or clauses) carrying a marker, each checked against the sources it cites
    claim_support: list[bool] = field(default_factory=list)  # per checked claim, in answer order: supported?
    judgements: list[Judgement] = field(default_factory=list)  # per checked claim: how it was decided (`rag.support`)


def source_sentences(source: Source, n: int) -> list[Sentence]:
    """The sentences of a source chunk as spans of its file (the chunk is `file_text[start:end]`)."""
    # Chunk text is a slice of the file, so offsets inside it shift by `source.start`.
    spans = chunk_sentences(source.text)
    return [Sentence(n, source.file, source.start + s.start, source.start + s.end, source.text[s.start : s.end]) for s in spans]


def make_citation(n: int, sentence: Sentence, source: Source, file_text: str | None) -> Citation | None:
    """A citation whose quote is verified against the file's text; None if it does not match."""
    quote = sentence.text
    if file_text is None or file_text[sentence.start : sentence.end] != quote:
        return None
    return Citation(n, source.file, sentence.start, sentence.end, quote, source.title, source.date)


def cite_llm_answer(text: str, sources: list[Source], file_texts: dict[str, str]) -> CitedAnswer:
    """Check every `[n]` of an answer against source n; drop markers that point at no source.

    Each sentence is a claim (a sentence whose markers stand apart, "X [1] and Y [2].", is one
    claim per marked clause). The claim is checked against the sentences of each source it cites
    (`rag.claims`): the citation quotes the window of one or two adjacent sentences that holds the
    claim's key content (`supported=True`), or, when no window does, the closest one with
    `supported=False` (an empty quote when nothing in the source matched) and the claim is listed
    in `unsupported` with what the source lacks. A claim citing several sources is supported when
    one of them holds it, or their closest windows together do.
    """
    removed = 0
    claims = 0
    judgements: list[Judgement] = []
    unsupported: list[UnsupportedClaim] = []
    citations: dict[tuple[int, int, int, bool], Citation] = {}
    out_parts: list[str] = []
    # What the sources say anywhere: a claim word found there but not in its window was moved from elsewhere.
    # Every window of every source the model was given: a claim word missing from the window it
    # cites but held by a window that supports the claim as well is a fact moved from another place.
    per_source = [source_sentences(s, n) for n, s in enumerate(sources, start=1)]
    windows = [windows_of([s.text for s in sentences_n]) for sentences_n in per_source]
    # Split after an end mark, but never before a marker: "… أغانين. [1]" keeps its [1].
    for sentence in re.split(r"(?<=[.!?؟؛])\s+(?!\[)", text):
        for claim, groups in _marked_clauses(sentence):
            numbers = []
            for match in groups:
                for raw in re.split(r"[,،]", match.group(1)):
                    n = int(raw.strip().translate(_ARABIC_DIGITS))
                    if 1 <= n <= len(sources) and file_texts.get(sources[n - 1].file) is not None:
                        numbers.append(n)
                    else:
                        removed += 1
            numbers = list(dict.fromkeys(numbers))
            if not numbers:
                continue
            claims += 1
            made, judgement = _cite_claim(claim, numbers, sources, file_texts, per_source, windows)
            judgements.append(judgement)
            for citation in made:
                citations.setdefault((citation.n, citation.start, citation.end, citation.supported), citation)
            if not judgement.supported:
                shown = re.sub(r"\s+([.!?؟،,؛])", r"\1", " ".join(claim.split())).strip(" .")
                unsupported.append(UnsupportedClaim(shown, tuple(numbers), judgement.missing))

        def keep(match: re.Match) -> str:
            kept = []
            for raw in re.split(r"[,،]", match.group(1)):
                n = int(raw.strip().translate(_ARABIC_DIGITS))
                if 1 <= n <= len(sources) and file_texts.get(sources[n - 1].file) is not None:
                    kept.append(f"[{n}]")
            return "".join(kept)

        out_parts.append(MARKER.sub(keep, sentence))
    answer = re.sub(r"[ \t]+([.!?؟،,])", r"\1", " ".join(out_parts)).strip()
    ordered = sorted(citations.values(), key=lambda c: (c.n, c.start, not c.supported))
    return CitedAnswer(answer, ordered, removed, unsupported, claims, [j.supported for j in judgements], judgements)


def _marked_clauses(sentence: str) -> list[tuple[str, list[re.Match]]]:
    """(claim text, its marker matches) of a sentence: the whole sentence, unless markers stand
    between words, when each run of markers claims the clause before it."""
    matches = list(MARKER.finditer(sentence))
    if not matches:
        return []
    runs: list[list[re.Match]] = [[matches[0]]]
    for previous, match in zip(matches, matches[1:]):
        if sentence[previous.end() : match.start()].strip(" \t.,،؛;:!?؟"):
            runs.append([match])
        else:
            runs[-1].append(match)
    whole = MARKER.sub(" ", sentence)
    if len(runs) == 1:
        return [(whole, runs[0])]
    out, begin = [], 0
    for run in runs:
        clause = sentence[begin : run[0].start()]
        begin = run[-1].end()
        # A clause too short to state a fact on its own ("X [1] و[2]") is judged as the whole sentence.
        out.append((clause if len(clause.split()) >= 3 else whole, run))
    return out


def _cite_claim(claim: str, numbers: list[int], sources: list[Source], file_texts: dict[str, str],
                per_source: list[list[Sentence]], windows: list[list[tuple[int, int, Evidence]]],
                ) -> tuple[list[Citation], Judgement]:
    """The citations of one claim, and the judgement on it (`rag.support`)."""
    facts = claim_facts(claim)
    rivals = rival_support(facts, [w for source_windows in windows for _, _, w in source_windows])
    # The most of the claim that a source it does not cite holds: a true claim cited to the wrong source.
    elsewhere = max((check(facts, w).matched for k, source_windows in enumerate(windows) if k + 1 not in numbers
                     for _, _, w in source_windows), default=0)
    found: list[tuple[int, list[Sentence], Verdict, Judgement]] = []
    for n in numbers:
        window = best_window(facts, windows[n - 1], rivals)
        sentences, verdict = ([], check(facts, evidence_of(""), rivals)) if window is None else \
            (per_source[n - 1][window[0] : window[1]], window[2])
        found.append((n, sentences, verdict, judge(facts, verdict, elsewhere)))
    alone = [f for f in found if f[3].supported]
    if alone:
        supported_ns = {f[0] for f in alone}
        judgement = alone[0][3]
    else:
        together = judge(facts, check(facts, evidence_of(" ".join(s.text for _, window, _, _ in found for s in window)),
                                      rivals), elsewhere)
        supported_ns = {n for n, _, verdict, _ in found if verdict.matched} if together.supported else set()
        judgement = together if together.supported else min((f[3] for f in found), key=lambda j: len(j.missing))
    made = []
    for n, window, verdict, _ in found:
        source = sources[n - 1]
        citation = _window_citation(n, window if verdict.matched else [], source, file_texts.get(source.file),
                                    n in supported_ns)
        if citation is not None:
            made.append(citation)
    return made, judgement


def _window_citation(n: int, window: list[Sentence], source: Source, file_text: str | None,
                     supported: bool) -> Citation | None:
    """A citation of adjacent sentences as one span of the file, verified; an empty one for no window."""
    if file_text is None:
        return None
    if not window:
        return Citation(n, source.file, source.start, source.start, "", source.title, source.date, supported=False)
    span = Sentence(n, source.file, window[0].start, window[-1].end,
                    source.text[window[0].start - source.start : window[-1].end - source.start])
    citation = make_citation(n, span, source, file_text)
    if citation is None:
        return None
    return replace(citation, supported=supported)
