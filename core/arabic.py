"""Arabic text for matching: normalisation, tokens, a light stemmer and a spelling-variant key.

Everything here produces *search keys*; nothing alters the text a person sees or a citation
quotes. The stemmer is Larkey's light10 (the standard light stemmer of Arabic IR), written
here because snowballstemmer's Arabic stemmer costs ~130 µs a word, too slow for a lexical
index of 100k chunks. `variant_key` folds the ways one foreign name gets transliterated
(شويغو / شويجو, يفكوروف / يوفقورف / يفكيروف) onto one key.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # harakat, Quranic marks, tatweel
# Zero-width and direction marks, the BOM and the soft hyphen: invisible, and never part of a word.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
_FOLD = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
        "ى": "ي", "ئ": "ي", "ؤ": "و", "ة": "ه",
        "ک": "ك", "ی": "ي", "گ": "ك", "پ": "ب", "چ": "ج", "ڤ": "ف",
        "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4", "٥": "5", "٦": "6", "٧": "7", "٨": "8", "٩": "9",
    }
)
_FOLD_PAIRS = tuple((chr(k), v) for k, v in _FOLD.items())
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")

STOPWORDS = frozenset(
    """
    في فى من الى على عن ان او ثم حتى مع الذي التي الذين اللذين اللتين هذا هذه ذلك تلك هناك هنا
    كان كانت يكون تكون قد لقد لم لن لا ما ماذا متى اين كيف لماذا هل كل بعض غير بين عند عندما
    وفي ومن وعلى وان او اما ايضا به بها له لها لهم منه منها عليه عليها فيه فيها انه انها الا
    وقال قال وقالت قالت هو هي هم هن نحن انا انت وهو وهي ذات الي اي التى الذى بن
    the a an of to in on for and or is are was were be been by with from at as that this which who
    whom what when where why how did does do has have had it its his her their they he she
    """.split()
)

# light10: prefixes tried longest first, each only when enough of the word remains.
_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")


def normalize(text: str) -> str:
    """Fold the spellings a reader treats as the same letter; lower-case Latin script."""
    text = INVISIBLE.sub("", text)
    text = _DIACRITICS.sub("", text)
    # One str.replace per letter is ~10x faster than str.translate with a table for Arabic text.
    for source, target in _FOLD_PAIRS:
        if source in text:
            text = text.replace(source, target)
    return text.lower()


# Tokens are normalised before the stop-word test, so the list must be too ("على" is matched as "علي").
STOPWORDS = frozenset(normalize(word) for word in STOPWORDS)


def tokenize(text: str) -> list[str]:
    """Normalised words (letters and digits), stop words kept."""
    return _WORD.findall(normalize(text))


@lru_cache(maxsize=200_000)
def light_stem(word: str) -> str:
    """Larkey's light10 on a normalised word: strip و, the article and common suffixes."""
    if not _ARABIC_LETTER.match(word):
        return word
    if len(word) >= 4 and word[0] == "و":
        word = word[1:]
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix):]
            break
    for suffix in _SUFFIXES:
        if len(word) >= 3 and word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


_VOWEL_LETTERS = str.maketrans({"ا": None, "و": None, "ي": None, "ع": None, "ء": None})
# Sounds a transliteration cannot tell apart: g (غ ق ك ج), h (ح ه خ), and the emphatics.
_SOUND_CLASSES = str.maketrans(
    {"غ": "ج", "ق": "ج", "ك": "ج", "ح": "ه", "خ": "ه", "ص": "س", "ث": "س", "ط": "ت", "ض": "د", "ظ": "ز", "ذ": "ز"}
)
_LATIN_DIGRAPHS = (("sh", "ش"), ("kh", "خ"), ("gh", "غ"), ("th", "ث"), ("ch", "ش"), ("dh", "ذ"), ("ph", "ف"))
_LATIN_LETTERS = {
    "b": "ب", "c": "ك", "d": "د", "f": "ف", "g": "ج", "h": "ه", "j": "ج", "k": "ك", "l": "ل", "m": "م", "n": "ن",
    "p": "ب", "q": "ق", "r": "ر", "s": "س", "t": "ت", "v": "ف", "x": "كس", "z": "ز",
}


def _skeleton_key(first: str, body: str) -> str | None:
    key = (first + body).translate(_SOUND_CLASSES)
    key = re.sub(r"(.)\1+", r"\1", key)
    return "~" + key if len(key) >= 2 else None


@lru_cache(maxsize=200_000)
def variant_key(stem: str) -> str | None:
    """One key for the transliterations of a name: long vowels dropped, look-alike sounds folded.

    Arabic stems of 4+ letters (شويغو and شويجو → ~شج), and Latin words of 4+ letters spelled as
    Arabic consonants (Lukashenko → ~لجشنج, as لوكاشينكو), so English names meet Arabic text.
    Short words collide too easily to be worth it.
    """
    if len(stem) < 4:
        return None
    if _ARABIC_LETTER.match(stem):
        first = "ا" if stem[0] in "عء" else stem[0]
        return _skeleton_key(first, stem[1:].translate(_VOWEL_LETTERS))
    if not stem.isascii() or not stem.isalpha():
        return None
    word = stem.lower()
    if len(word) > 6 and word.endswith("ian"):
        word = word[:-3]  # Belarusian → Belarus, as البيلاروسي → بيلاروس
    first = ""
    if word[0] in "aeiou":
        first, word = "ا", word[1:]
    elif word[0] == "y":
        first, word = "ي", word[1:]
    for latin, arabic in _LATIN_DIGRAPHS:
        word = word.replace(latin, arabic)
    word = re.sub(r"c(?=[eiy])", "س", word)
    body = "".join(_LATIN_LETTERS.get(ch, ch) for ch in word if ch not in "aeiouyw")
    if not first:
        first, body = body[:1], body[1:]
    return _skeleton_key(first, body) if first else None


def lexical_terms(text: str) -> list[str]:
    """The terms BM25 indexes for a text: light stems, plus a variant key for each longer word."""
    return list(chain.from_iterable(map(_WORD_TERMS.__getitem__, tokenize(text))))


class _TermsByWord(dict):
    """word -> its terms, computed on first sight. Rebuilding the index of 100k chunks meets the
    same words millions of times; a dict look-up in C is what keeps that to seconds."""

    def __missing__(self, word: str) -> tuple[str, ...]:
        if len(self) > 1_000_000:  # a bound for long-running servers fed odd text
            self.clear()
        if word in STOPWORDS:
            terms: tuple[str, ...] = ()
        else:
            stem = light_stem(word)
            key = variant_key(stem)
            terms = (stem,) if key is None else (stem, key)
        self[word] = terms
        return terms


_WORD_TERMS = _TermsByWord()


def is_mostly_arabic(text: str) -> bool:
    """True when Arabic letters outnumber Latin ones: picks the language of replies and messages."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(re.findall("[A-Za-z]", text))
    return arabic >= latin and arabic > 0


def reply_in_arabic(text: str) -> bool:
    """Whether rawi's own words (a message, an abstention) for this text should be Arabic: unless it is
    mostly Latin script. Text with no letters at all (digits, emoji, another script) gets Arabic."""
    return is_mostly_arabic(text or "") or not re.search("[A-Za-z]", text or "")


def word_set(text: str) -> frozenset[str]:
    """The normalised words of a space-separated list: how word lists are written in code."""
    return frozenset(normalize(w) for w in text.split())
