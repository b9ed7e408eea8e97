"""Words of a closed class that an answer may swap for one another: north for south, the navy for the
air force, the interior ministry for defence, Reuters for AFP.

Each class (`CONTRAST_SETS`) lists its members, each as the forms it takes in Arabic and English. A
claim word of one member that a window of its source lacks, where the window holds another member
of the same class, is a swap: the claim says "the navy" where the source says "the air force". The
rule is the many-sided form of the antonym pairs in `rag.claims`; it fires only when the rival is
there, so a paraphrase that merely adds a direction ("eastern Libya") to a window that names none
is left to the other checks.

Members are matched by light stem (`core.arabic.light_stem`): الشرقية، شرقي and شرق are one
member. English forms of a class of proper names (papers, agencies) count only when the claim
capitalises them (The Times, not "three times"). This module knows words, not sources: `rag.claims`
gives it a claim's words and a window's stems.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from core.arabic import light_stem, normalize, tokenize


@dataclass(frozen=True)
class ContrastSet:
    """A closed class of mutually exclusive members; `proper`: English forms are names (capitalised)."""

    name: str
    members: tuple[str, ...]
    proper: bool = False


CONTRAST_SETS = (
    ContrastSet("direction", (
        "شمال الشمال شمالي الشمالي الشمالية شمالا north northern northward",
        "جنوب الجنوب جنوبي الجنوبي الجنوبية جنوبا south southern southward",
        "شرق الشرق شرقي الشرقي الشرقية شرقا east eastern eastward",
        "غرب الغرب غربي الغربي الغربية غربا west western westward",
    )),
    ContrastSet("armed service", (
        "البحرية البحري بحرية navy naval",
        "الجوية الجوي جوية air",
        "البرية البري برية ground",
    )),
    ContrastSet("ministry", (
        "الدفاع defence defense",
        "الداخلية interior",
        "الخارجية foreign",
        "المالية finance",
        "العدل justice",
    )),
    ContrastSet("assembly", (
        "النواب البرلمان parliament parliamentary representatives",
        "الرئاسي presidential",
        "الشيوخ senate",
    )),
    ContrastSet("continent", (
        "أوروبا الأوروبية الأوروبي أوروبية أوروبي europe european",
        "آسيا الآسيوية الآسيوي آسيوية asia asian",
        "أفريقيا إفريقيا الأفريقية الأفريقي الإفريقية africa african",
    )),
    ContrastSet("sea", (
        "الأحمر red",
        "المتوسط mediterranean",
        "الأسود black",
    )),
    ContrastSet("news outlet", (
        "رويترز reuters",
        "فرانس الفرنسية afp",
        "تاس tass",
        "نوفوستي novosti",
        "سبوتنيك sputnik",
        "تايمز times",
        "الغارديان غارديان guardian",
        "تلغراف التلغراف telegraph",
        "صن sun",
        "أسوشيتد associated",
        "بلومبرغ bloomberg",
    ), proper=True),
)


@dataclass(frozen=True)
class Contrast:
    """A claim word that belongs to a member of a contrast set."""

    word: str
    set_index: int
    member: int


@lru_cache(maxsize=1)
def _stems() -> tuple[tuple[frozenset[str], ...], ...]:
    """Per set, per member: the light stems of its Arabic forms (what a window may hold)."""
    return tuple(
        tuple(frozenset(light_stem(w) for w in tokenize(normalize(forms)) if not w.isascii()) for forms in s.members)
        for s in CONTRAST_SETS
    )


@lru_cache(maxsize=1)
def _claim_forms() -> dict[str, list[tuple[int, int, bool]]]:
    """A claim word's stem (Arabic) or lower-case form (English) -> (set, member, English) it belongs to."""
    forms: dict[str, list[tuple[int, int, bool]]] = {}
    for i, contrast in enumerate(CONTRAST_SETS):
        for m, words in enumerate(contrast.members):
            for word in tokenize(normalize(words)):
                english = word.isascii()
                key = word if english else light_stem(word)
                if (i, m, english) not in forms.setdefault(key, []):
                    forms[key].append((i, m, english))
    return forms


def claim_contrasts(words: Iterable[str], capitalised: set[str]) -> tuple[Contrast, ...]:
    """The claim's words (normalised, as `core.arabic.tokenize` gives them) that belong to a contrast set."""
    found = []
    table = _claim_forms()
    for word in words:
        if word.isascii():
            keys = [word]
        else:
            keys = [light_stem(word)] + ([light_stem(word[1:])] if len(word) >= 4 and word[0] in "وفبل" else [])
        for key in keys:
            for set_index, member, english in table.get(key, ()):
                if english and CONTRAST_SETS[set_index].proper and word not in capitalised:
                    continue
                found.append(Contrast(word, set_index, member))
    return tuple(dict.fromkeys(found))


def swapped(contrasts: Iterable[Contrast], window_stems: frozenset[str]) -> tuple[str, str] | None:
    """(claim word, the rival member the window holds) for the first claim word whose member the window
    lacks while it holds another member of the same set; None when there is none."""
    stems = _stems()
    contrasts = tuple(contrasts)
    claimed = {(c.set_index, c.member) for c in contrasts}
    for c in contrasts:
        members = stems[c.set_index]
        if members[c.member] & window_stems:
            continue
        for m, rival in enumerate(members):
            # A member the claim names itself is no rival: "south-east" where the source says "east"
            # adds a direction, which the other checks weigh.
            if (c.set_index, m) not in claimed and rival & window_stems:
                held = CONTRAST_SETS[c.set_index].members[m].split()[0]
                return c.word, held
    return None
