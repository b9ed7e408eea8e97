"""English words as Arabic words: the FreeDict English-Arabic dictionary, read where Debian installs it.

An English claim about Arabic sources can only be checked word by word if its words have Arabic
equivalents. `core.glossary` knows a few hundred news words, written for this project; this module
reads a general dictionary of 87,000 English headwords (Arabeyes' word list as published by
FreeDict, GPL-2.0-or-later), installed by the Debian package `dict-freedict-eng-ara`
(`make install` and `make test` install it). Nothing is downloaded and nothing of the dictionary
is kept in the repository: without the package `arabic_senses` answers () and English words the
glossary does not know stay unchecked, as they were before.

The dictionary's entries are dictd's plain text (a headword, then numbered senses); inflected
forms are mostly headwords of their own (Abandons, Abandoning), and a few endings are undone
where they are not. Only short senses are kept (`MAX_SENSE_WORDS`): the long ones are definitions
(«وحدة تيار تساوي عشرة أمبير»), whose words would let any passage match.
This module does not judge claims (`rag.claims` does) nor weigh question words (`core.glossary`).
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from pathlib import Path

DICTIONARY = Path("/usr/share/dictd/freedict-eng-ara")  # .index and .dict.dz, where Debian puts them
MAX_SENSES = 4  # the first senses are the common ones
MAX_SENSE_WORDS = 3  # longer senses are definitions, not equivalents
_BASE64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
# Endings undone, in order, when a word is not a headword itself: (ending, what replaces it).
_ENDINGS = (("'s", ""), ("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"),
            ("ing", ""), ("ing", "e"))
# English words that relate or qualify, not facts: the dictionary gives them Arabic senses (between:
# بينهما) that an Arabic text about the same thing has no reason to use. Not looked up.
FUNCTION_WORDS = frozenset("""
    about above across after against along among around before behind below beneath beside besides between
    beyond despite during except inside into near onto outside over since through throughout toward towards
    under unlike until upon via within without although though whereas while however also still even just
    only very quite rather almost already else something anything nothing everything someone anyone
    entirely whether either neither many much i me my we us our you your he him his she her it its they
    them their this that these those""".split())
_SENSE = re.compile(r"^\s*(?:\d+\.\s*)?(.+?)[\s،,.;]*$")


def _number(code: str) -> int:
    """dictd's base-64 offsets and lengths."""
    n = 0
    for c in code:
        n = n * 64 + _BASE64[c]
    return n


@lru_cache(maxsize=1)
def _dictionary() -> tuple[dict[str, tuple[int, int]], bytes]:
    """(headword in lower case -> (offset, length) of its entry, the entries' text); empty when the
    dictionary is not installed or cannot be read."""
    try:
        index_lines = DICTIONARY.with_suffix(".index").read_text(encoding="utf-8").splitlines()
        with gzip.open(DICTIONARY.with_suffix(".dict.dz")) as f:  # dictzip is gzip with an index of its own
            text = f.read()
    except (OSError, EOFError, UnicodeDecodeError):
        return {}, b""
    index: dict[str, tuple[int, int]] = {}
    for line in index_lines:
        parts = line.split("\t")
        if len(parts) == 3 and not parts[0].startswith("00-database"):
            try:
                index.setdefault(parts[0].lower(), (_number(parts[1]), _number(parts[2])))
            except KeyError:
                continue
    return index, text


def available() -> bool:
    return bool(_dictionary()[0])


@lru_cache(maxsize=8192)
def arabic_senses(word: str) -> tuple[str, ...]:
    """The short Arabic senses of an English word (or of its base form), most common first; () for
    a word the dictionary does not hold or when it is not installed."""
    index, text = _dictionary()
    word = word.lower()
    entry = index.get(word)
    for ending, replacement in _ENDINGS:
        if entry is not None:
            break
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            entry = index.get(word[: -len(ending)] + replacement)
    if entry is None:
        return ()
    offset, length = entry
    lines = text[offset : offset + length].decode("utf-8", "replace").splitlines()[1:]  # the first is the headword
    senses = []
    for line in lines[:MAX_SENSES]:
        match = _SENSE.match(line)
        if match and len(match.group(1).split()) <= MAX_SENSE_WORDS:
            senses.append(match.group(1))
    return tuple(senses)
