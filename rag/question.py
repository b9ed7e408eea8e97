"""What a question asks and which of its words count: read from its interrogatives, not parsed.

`answer_type` tells a question asking for a time or a number; `question_terms` gives the words an
answer's sentences are weighed by (the question's lexical terms less the words questions are made
of); `opens_with_and` a question that goes on from the previous turn ("وما …", "And how …"). Both
the extractive answerer and the short answer read questions through this module. It
does not score sentences or spans (`rag.extractive`, `rag.short_answer`).
"""

from __future__ import annotations

import re

from core.arabic import lexical_terms, normalize, tokenize, word_set

_WHEN = {"متي", "امتي", "when"}
_WHEN_NOUNS = {"تاريخ", "يوم", "عام", "سنه", "شهر", "date", "day", "year", "month", "time"}
_HOW_MANY = {"كم", "كام", "بكم"}
_COUNT_NOUNS = {"عدد", "قيمه", "حجم", "مبلغ", "تكلفه", "تعداد", "number", "value", "amount", "cost", "price", "size",
                "population"}
# Words between an asking word and the noun it asks about ("what *is the* population", «ما هي
# مساحة»), skipped to reach that noun; `rag.question_kind` reads its nouns past them too.
COPULA = word_set("هو هي هم هما هن كان كانت كانوا يكون تكون الذي التي الذين اللذان is are was were the a an of "
                  "did does do")
_WHICH = {"اي", "ما", "which", "what"}
# English asks with its first wh-word (Arabic "ما", "من" are also "not", "from": no such rule there).
_ENGLISH_ASKING = {"what", "which", "who", "whom", "whose", "where", "why", "how", "when"}
# "When many people are arrested, what is ...": a clause of time or condition before the question's comma.
_FRONTED_CLAUSE = re.compile(rf"\s*(?:when|if|while|after|before|once)\b[^,?]*,\s*"
                             rf"(?=(?:{'|'.join(sorted(_ENGLISH_ASKING - {'when'}))})\b)", re.IGNORECASE)
_INTERROGATIVES = {"متي", "امتي", "كم", "كام", "ما", "ماذا", "من", "اي", "اين", "كيف", "لماذا", "مين", "ايه", "فين", "ازاي"}
# Words a question is made of that say nothing about the answer: interrogatives (with و/ف), Egyptian
# function words, prepositions carrying a pronoun. Left in, they count as terms no sentence covers
# and as words the corpus "never uses", and sink the confidence of dialect and follow-up questions.
QUESTION_STOPWORDS = frozenset(normalize(w) for w in (
    "متى امتى إمتى ماذا لماذا ليه كيف أين فين مين إيه ايه إزاي ازاي كام اللي اللى دي ده دا دول "
    "عشان علشان بتاع بتاعة كان كانت هو هي لسه برضه تاني تانى إليه إليها إليهم إليهما عنه عنها عنهم "
    "معه معها معهم لديه لديها لديهم منهم بها به هل"
).split())


_ALSO_ASKING = {"هل", "بماذا", "لمن", "بكم"}  # asking words beyond `_INTERROGATIVES` that "و" opens a follow-up with


def opens_with_and(question: str) -> bool:
    """Whether the question opens with "and" before its asking word: «وما اسم الشخص الذي أطلق
    الرصاصة؟», «وفي أي مستشفى عولجت؟», «ومع من؟», "And how many soldiers were killed?". In a
    conversation such a question goes on from the previous turn, however long it is."""
    words = tokenize(question)
    if not words:
        return False
    first, nxt = words[0], words[1] if len(words) > 1 else ""
    if first == "and":
        return True
    if len(first) < 2 or first[0] not in "وف":
        return False
    rest = first[1:]
    # "وما", "ومتى", "وهل"; or "و" on a short preposition before the asking word ("وفي أي", "ومع من")
    return rest in _INTERROGATIVES | _ALSO_ASKING or (len(rest) <= 3 and nxt in _INTERROGATIVES)


def answer_type(question: str) -> str:
    """"when", "count" or "" from the question's interrogatives; a hint for picking sentences, not a parser.

    Only the asking words count: "متى", "في أي يوم/عام", "when", "which year" ask for a time;
    "كم", "ما عدد/قيمة", "how many/much", "what number" for a number. A year mentioned as
    context ("زيارة حفتر عام 2016") asks for nothing.
    """
    fronted = _FRONTED_CLAUSE.match(question)  # the question starts after it
    if fronted:
        question = question[fronted.end() :]
    words = [w[1:] if len(w) > 2 and w[0] in "وف" and w[1:] in _INTERROGATIVES else w for w in tokenize(question)]
    # The first asking word decides: in "How many people died when the bus crashed?" the later
    # "when" joins two clauses and asks for nothing.
    for i, word in enumerate(words):
        # The noun after "what/which" may follow a copula: "what *is the* population".
        after = [w for w in words[i + 1 :] if w not in COPULA] if word in _WHICH else words[i + 1 :]
        nxt = after[0] if after else ""
        if word in _WHEN or word in _WHICH and nxt in _WHEN_NOUNS:
            return "when"
        if word in _HOW_MANY or word == "how" and nxt in ("many", "much") or word in _WHICH and nxt in _COUNT_NOUNS:
            return "count"
        if word in _ENGLISH_ASKING and not (word == "how" and nxt == "and") and not _how_many_after(words[i + 1:]):
            # "In which area of Syria were they when ...": the later "when" asks nothing. But "Of the
            # soldiers who died, how many ...", "how and when": the asking comes later.
            return ""
    return ""


def _how_many_after(words: list[str]) -> bool:
    return any(w == "how" and n in ("many", "much") for w, n in zip(words, words[1:]))


def question_terms(text: str) -> list[str]:
    """The lexical terms of a question that the answer's sentences are weighed by.

    `lexical_terms`, less the words in QUESTION_STOPWORDS (also behind و/ف: "ومتى", "فمين").
    """
    words = [w for w in tokenize(text) if w not in QUESTION_STOPWORDS
             and not (len(w) > 2 and w[0] in "وف" and w[1:] in QUESTION_STOPWORDS)]
    return lexical_terms(" ".join(words))


_WHY = frozenset(normalize(w) for w in "لماذا ليه ليش لما".split())
# Words between "لماذا" and the verb that carry no claim ("لماذا تم إلغاء", "لماذا قد ...").
_AUXILIARIES = frozenset(normalize(w) for w in "تم يتم قد لم لن لا كان كانت".split())


def premise_word(question: str) -> str:
    """The core of the claim an Arabic why-question takes for granted: its first word after "لماذا"
    (Arabic puts the verb first: "لماذا *رفض* البشير العفو"), normalised, with a verb's person
    prefix and suffix taken off ("أُلغيت" → "لغي", "رفضت" → "رفض"). An answer must stand on a
    passage that says so; one that says something else ("أصدر قرارا بالعفو") does not answer.

    "" for other questions, and for English ones (their verb follows the subject, and its Arabic
    form is not known without a dictionary).
    """
    words = tokenize(question)
    for i, word in enumerate(words):
        bare = word[1:] if len(word) > 3 and word[0] in "وف" and word[1:] in _WHY else word
        if bare in _WHY:
            rest = [w for w in words[i + 1:] if w not in _AUXILIARIES]
            return verb_core(rest[0]) if rest else ""
    return ""


def verb_core(word: str) -> str:
    """A normalised word less one person prefix and one ending, kept to at least three letters."""
    core = word[2:] if word.startswith("ال") and len(word) > 5 else word
    if len(core) > 3 and core[0] in "ايتن":
        core = core[1:]
    for ending in ("وا", "ون", "ين", "ات", "ت", "ه", "ا"):
        if len(core) - len(ending) >= 3 and core.endswith(ending):
            return core[: -len(ending)]
    return core
