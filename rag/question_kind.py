"""What kind of item a question asks for, read from its interrogative, and the words its answer
stands next to.

`answer_kind` reads the kind of item: a date ("متى", "في أي عام", "when"), a number ("كم", "ما
عدد/مساحة", "how many"), an amount ("بكم", "كم تكلفة", "how much"), a person ("من" as the question's
first word, "لمن", "على يد من", "who"), a place ("أين", "في أي مدينة", "ما عاصمة", "where"), a name
("ما اسم", "بماذا يسمى", "what is the name"), or another thing ("ما/أي" + a noun). `clause_kind`
reads what a why, how or what-is question asks for (a reason, a means, a definition). `head_noun`,
`anchor_terms` and `asked_preposition` give the words the answer usually stands next to in its
sentence. `rag.short_answer` cuts spans by these; `rag.extractive` weighs sentences by them.

What it does not do: it parses nothing (the first interrogative decides), and it reads no quote.
"""

from __future__ import annotations

import re

from core.arabic import STOPWORDS, lexical_terms, tokenize, word_set as _words
from rag.question import COPULA, QUESTION_STOPWORDS, answer_type

KINDS = ("date", "count", "amount", "person", "place", "name", "thing")
CLAUSE_KINDS = ("reason", "manner", "definition")  # why, how, what is X: a clause, only in `find_short_answer`
WORD_KINDS = ("person", "place", "name", "thing")  # answered by a run of words, not a date or a number

# Interrogatives written as one word ("ماهو", "ماسم") or with a preposition ("لمن", "بماذا").
_SPLIT = {
    "ماهو": ("ما", "هو"), "ماهي": ("ما", "هي"), "ماسم": ("ما", "اسم"), "مااسم": ("ما", "اسم"),
    "ماالاسم": ("ما", "الاسم"), "مالذي": ("ما", "الذي"), "لمن": ("ل", "من"), "ممن": ("من", "من"),
    "بمن": ("ب", "من"), "عمن": ("عن", "من"), "بماذا": ("ب", "ماذا"), "بمادا": ("ب", "ماذا"), "بم": ("ب", "ما"),
    "فيم": ("في", "ما"), "الام": ("الي", "ما"), "باي": ("ب", "اي"), "لاي": ("ل", "اي"), "لكم": ("ل", "كم"),
    "لماذا": ("لماذا",), "لمادا": ("لماذا",), "مادا": ("ماذا",),
}
_WHO = {"من", "مين", "who", "whom", "whose"}
_WHERE = {"اين", "فين", "where"}
_WHAT = {"ما", "ماذا", "اي", "ايه", "اذكر", "اعط", "اعطي", "what", "which", "name"}
_NO_SHORT = {"كيف", "لماذا", "ليه", "ازاي", "هل", "how", "why"}
# The noun after "ما/أي" names the kind: "ما هي مساحة" asks a number, "في أي مدينة" a place.
_DATE_NOUNS = _words("عام سنة تاريخ يوم شهر قرن عقد موعد year date day month century decade time")
_COUNT_NOUNS = _words("عدد نتيجة مساحة طول عرض ارتفاع عمق مسافة نسبة عمر مدة سرعة وزن حجم درجة كمية حرارة "
                      "تعداد number area length height depth distance percentage age size population")
_AMOUNT_NOUNS = _words("قيمة سعر تكلفة ثمن مبلغ ميزانية راتب أجر إيرادات value price cost amount budget")
_PERSON_NOUNS = _words("شخص الشخص اللاعب لاعب لاعبي فريق مدافع مدافعي ممثل ممثلة رئيس ملك أمير مؤلف كاتب "
                       "مخرج مدرب قائد مؤسس مكتشف مخترع عالم فنان شاعر زعيم وزير سفير person player "
                       "president king author founder")
_PLACE_NOUNS = _words("مدينة دولة بلد بلاد مكان منطقة قارة ولاية مقاطعة عاصمة قرية جزيرة نهر بحر جبل "
                      "موقع محافظة إقليم حي شارع ميناء مطار city country place region state capital "
                      "island river town")
_FIRST_LAST = _words("آخر أول first last")
_NAME_NOUNS = _words("اسم أسماء لقب name called")
_NAMING_VERBS = _words("يسمى تسمى سمي سميت يدعى تدعى يعرف تعرف عرف عرفت يلقب تلقب لقب يطلق اطلق أطلق")
COUNTING = _words("كم بكم عدد many")  # the word after one of these is what the question counts
MONEY = _words("دولار دولارات يورو جنيه ريال درهم دينار ليرة روبل ين")


def _question_words(question: str) -> list[str]:
    """The question's normalised words, interrogatives split from what they are written with; a word
    that starts a clause after a comma is marked with a leading "،" ("قبل مانينغ، من هو ...")."""
    out: list[str] = []
    for clause in re.split(r"[،,:؛]", question):
        words = _clause_words(clause)
        if out and words:
            words[0] = "،" + words[0]
        out.extend(words)
    return out


def _clause_words(question: str) -> list[str]:
    out: list[str] = []
    for word in tokenize(question):
        if len(word) > 2 and word[0] in "وف" and (word[1:] in _SPLIT or word[1:] in _WHO | _WHERE | _WHAT | _NO_SHORT):
            word = word[1:]
        out.extend(_SPLIT.get(word, (word,)))
    # "من أين", "من متى", "من أي": here "من" is the preposition "from", not "who".
    return [("من_" if w == "من" and nxt in _WHERE | _WHAT | {"متي"} else w) for w, nxt in zip(out, out[1:] + [""])]


def head_noun(question: str) -> str:
    """The noun after "ما/أي/which" that names what is asked ("ما هي *الجائزة* التي"), normalised; "" if none."""
    words = [w.lstrip("،") for w in _question_words(question)]
    for i, word in enumerate(words):
        if word in _WHAT:
            rest = [w for w in words[i + 1:] if w not in COPULA and w not in QUESTION_STOPWORDS]
            return rest[0] if rest else ""
    return ""


def anchor_terms(question: str) -> set[str]:
    """The lexical terms of the (up to two) words right after the interrogative: "أين *تقع* الصين",
    "من *فاز* بالسوبر بول", "متى *تأسست* الجامعة". The answer usually stands next to them in its
    sentence, where the interrogative stood in the question ("تقع في شرق آسيا")."""
    words = [w.lstrip("،") for w in _question_words(question)]
    asking = _WHO | _WHERE | _WHAT | {"متي", "كم", "when"}
    for i, word in enumerate(words):
        if word in asking and not (word == "من" and i > 0 and words[i - 1] not in _PREPOSITIONS | _BEFORE_WHOM):
            rest = [w for w in words[i + 1:] if w not in COPULA and w not in QUESTION_STOPWORDS
                    and w not in STOPWORDS and w not in asking and w not in _NAME_NOUNS]
            return {t for w in rest[:2] for t in lexical_terms(w) if not t.startswith("~")}
    return set()


_PREPOSITIONS = _words("في إلى الى من على عن مع ب ل منذ حتى")
_BEFORE_WHOM = _words("يد ضد عند بين حول و")


def asked_preposition(question: str) -> str:
    """The preposition the interrogative stands behind ("إلى أين", "في أي مدينة", "لمن", "بكم"), normalised;
    the answer's sentence often has it right before the answer."""
    words = [w.lstrip("،") for w in _question_words(question)]
    for i, word in enumerate(words):
        if word in _WHO | _WHERE | _WHAT or word in ("متي", "كم"):
            if i > 0 and words[i - 1].rstrip("_") in _PREPOSITIONS:
                return words[i - 1].rstrip("_")
            return ""
    return ""


def answer_kind(question: str) -> str:
    """What the question asks for: one of KINDS, or "" (how, why, yes/no, or nothing recognised).

    The first interrogative decides: "متى" and "في أي عام" a date, "كم" and "ما عدد" a number,
    "بكم" or "كم تكلفة" an amount, "من" (as the question's first word, or "لمن", "مع من") a person,
    "أين" a place, "ما اسم"/"بماذا يسمى" a name, "ما/أي + noun" what its noun says (a city is a
    place, an area a number, anything else a thing; "ما آخر يوم" the noun after first/last). English
    "when/how many/how much/who/where/what is the name/which city" likewise ("which area" a place,
    "what is the area" a number).
    """
    marked = _question_words(question)
    words = [w.lstrip("،") for w in marked]
    coarse = answer_type(question)
    if coarse == "when":
        return "date"
    if coarse == "count" or "كم" in words:
        money = any(w in _AMOUNT_NOUNS or w in MONEY or w.startswith("ال") and w[2:] in _AMOUNT_NOUNS for w in words) \
            or ("how", "much") in set(zip(words, words[1:]))  # "كم كان المبلغ"
        return "amount" if money or "بكم" in words else "count"
    for i, word in enumerate(words):
        if word in _NO_SHORT:
            return ""
        if word in _WHERE:
            return "place"
        # "من" asks who as the first word of the question or of a clause, behind a preposition ("لمن",
        # "على يد من", "ضد من") or as the last word ("... في تاريخ من؟"); elsewhere it means "from".
        if word in _WHO and (word != "من" or i == 0 or marked[i].startswith("،") or i == len(words) - 1
                             or words[i - 1] in _PREPOSITIONS | _BEFORE_WHOM):
            return "person"
        if word in _WHAT:
            rest = [w for w in words[i + 1:] if w not in COPULA]
            if rest[:1] and rest[0] in _FIRST_LAST and len(rest) > 1:
                if rest[1] == "من":
                    return "person"  # "ما أول من وصل"
                if rest[1] in _NAME_NOUNS:
                    return "name"  # "what is the last name of ..."
                rest = rest[1:]  # "ما آخر يوم ...": the noun after "first/last" says the kind
            if words[i + 1:i + 2] == ["area"]:
                return "place"  # "in which area of Syria"; "what is the area" asks a size
            head = rest[0] if rest else ""
            bare = head[2:] if head.startswith("ال") and len(head) > 3 else head
            for noun in (head, bare):
                if noun in _NAME_NOUNS:
                    nxt = rest[1] if len(rest) > 1 else ""
                    nxt = nxt[2:] if nxt.startswith("ال") else nxt
                    return "person" if nxt in _PERSON_NOUNS else ("place" if nxt in _PLACE_NOUNS else "name")
                if noun in _NAMING_VERBS:
                    return "name"
                if noun in _DATE_NOUNS:
                    return "date"
                if noun in _AMOUNT_NOUNS:
                    return "amount"
                if noun in _COUNT_NOUNS:
                    return "count"
                if noun in _PLACE_NOUNS:
                    return "place"
                if noun in _PERSON_NOUNS:
                    return "person"
            return "thing"
    return ""



# --- questions answered by a clause -------------------------------------------------------------

_WHY = _words("لماذا ليه لمادا لما why")
_HOW = _words("كيف ازاي how")
_REASON_NOUNS = _words("سبب أسباب اسباب سر")
DEFINING_COPULA = _words("هو هي is are")
_WHO_COPULA = DEFINING_COPULA | _words("هم")  # "من هو/هي/هم ..."
# Nouns that make "من هو X" ask for a person ("من هو زوج ليزا"), beyond `_PERSON_NOUNS`.
_ROLE_NOUNS = _words("زوج زوجة ابن ابنة أب أبو أم أخ أخو أخت جد صاحب صاحبة مؤسس سيد رسول خليفة حاكم قائد "
                     "مخترع مكتشف مالك والد والدة شقيق شقيقة صديق husband wife son daughter father mother")
_LANGUAGE_WORDS = _words("باللغة اللغة بلغة english latin greek")


def language_word(word: str) -> bool:
    """"بالإنجليزية", "باليونانية", "باللغة", "in English": the question asks how a name is written in
    another language, which an Arabic text gives in that script ("(بالعبرية: פלסטין)")."""
    return (word.startswith("بال") and word.endswith("يه") and len(word) > 6) or word in _LANGUAGE_WORDS


def _names_someone(words: list[str]) -> bool:
    """"من هو/هي/هم" + one to four words naming someone ("نجيب محفوظ"), not a role ("مؤلف الكتاب",
    "زوج ليزا"), a description ("الملقب بعزيز مصر") or a relative clause ("الذي ...")."""
    if len(words) < 3 or words[0] not in _WHO or words[1] not in _WHO_COPULA:
        return False
    named = words[2:]
    first = named[0]
    return (1 <= len(named) <= 4 and not first.startswith("ال") and first not in _PERSON_NOUNS | _ROLE_NOUNS
            and not _superlative(first) and not any(w in COPULA for w in named))


def _superlative(word: str) -> bool:
    """An elative ("اكبر", "أطول", "أقدم", "اول"), normalised: alef and three letters."""
    return len(word) == 4 and word[0] == "ا" and word[1] not in "لا" or word in ("اول", "اخر")


def clause_kind(question: str) -> str:
    """What a question answered by a clause asks for: "reason" (why, "ما سبب"), "manner" (how, not
    "how many/much"), "definition" ("ما هو السل؟": what a thing named in two or three words is), or ""."""
    kind = answer_kind(question)
    words = [w.lstrip("،") for w in _question_words(question)]
    if kind == "thing":
        head = head_noun(question)
        if (head[2:] if head.startswith("ال") else head) in _REASON_NOUNS:
            return "reason"
        for i, word in enumerate(words):
            if word in _WHAT:
                copula = i + 1 < len(words) and words[i + 1] in DEFINING_COPULA
                named = [w for w in words[i + 2:] if w not in QUESTION_STOPWORDS and w not in DEFINING_COPULA]
                # "ما هو أكبر ...", "ما هي المهنة التي ...": an entity is asked for, not what one is.
                entity = any(_superlative(w) or w in COPULA for w in named)
                return "definition" if copula and 1 <= len(named) <= 3 and not entity else ""
        return ""
    if kind == "person" and _names_someone(words):
        return "definition"  # "من هو نجيب محفوظ؟" asks who he is, not a name
    if kind:
        return ""
    for word in words:
        if word in _WHY:
            return "reason"
        if word in _HOW:
            return "manner"
        if word in _NO_SHORT:
            return ""  # yes/no: a span is no answer to it
    return ""
