"""Short answers: the few words of a cited sentence that answer the question, found by rules.

What it does. `rag.question_kind` reads what the question asks for (`answer_kind`: a date, a
number, an amount, a person, a place, a name or another thing; `clause_kind`: a reason, a means or
a definition). `find_short_answer` then cuts candidate spans of that kind out of the quotes the
extractive answerer cited:

- dates: runs of day, month (Levantine and Maghrebi names too) and year words and numbers, "عام 1958",
  "13/10/2018", "280 قبل الميلاد", a period ("1908 و 1914"), a century, a decade;
- numbers and amounts: digits or Arabic number words with their scale, unit or currency ("حوالي
  مليوني كيلومتر مربع", "300 مليون دولار"), or a dual of the counted noun ("مرتين" for "كم مرة");
  a number of months or riyals is no answer when the question counts a noun that is neither
  ("كم عدد الطلاب" → not "أربعة أشهر");
- persons, places, names and things: runs of words the question does not hold, cut at punctuation,
  function words and the question's own words ("محمد بن سعود" stays whole), never a day or a month
  (and a question word behind ب/ل/ك, "بمدينة", is still the question's); asked for in another
  language ("بالإنجليزية"), a run in another script is preferred ("(بالإنجليزية: Detective Conan)");
- reasons, means and definitions (`clause_kind`: "لماذا", "ما سبب", "كيف", "ما هو السل؟", "من هو
  نجيب محفوظ؟"): the rest of a clause from a word that opens a reason or a means ("لأن", "بسبب",
  "نسبة إلى", "عن طريق", or a "لـ"/"بـ" word right after the question's own words), or from right
  after the words that name the thing defined ("الباراسيتامول هو *مسكن وخافض للحرارة*").

Each candidate is scored by named parts, kept in `Candidate.why` so a choice can be explained (the
weights are the constants below): how much of the question's weight (IDF of each word) stands
near it in its sentence, before it rather than after; a cue of the asked kind before it (a title,
"يدعى", "في", a direction); the preposition or the word the interrogative stood next to in the
question ("إلى أين" → "إلى X", "أين تقع" → "تقع في X"); whether its words look like a name (no
article, no verb or pronoun ending) and are rare in the corpus; whether it is a whole phrase
(bounded by punctuation); its length against the kind's usual length; the rank of its sentence.
A span never repeats the question: the answer must add something. The best span is a slice of its
quote, so its file offsets are the citation's moved by its position; the caller checks them against
the file text like a citation (`verified`) and starts the answer with it (`lead_with`).

What it does not do. There is no trained reader and no parser: paraphrases are met only through
proximity, so the span can be wrong while the sentences after it are right, which is why the
sentences stay. It gives no short answer to yes/no questions, when no candidate of the asked kind
is found, or when the best person, place, name or thing scores below MIN_WORD_SCORE (a reason, a
means or a definition below MIN_CLAUSE_SCORE). To a question not in Arabic, whose words do not
stand near the span in an Arabic quote, it gives no person, place, name or thing, and a date, number
or amount only when the quote holds no other: anything else would be a guess. Clause kinds are
only for the short answer: which sentences answer (`asked_item_scores`) still treats why and how
questions as asking for no item. It never writes words of its own and never changes which
sentences are cited.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from core.arabic import STOPWORDS, is_mostly_arabic, lexical_terms, normalize, tokenize, word_set as _words
from core.numbers import NUMBER_WORDS, SCALES
from core.results import Citation, ShortAnswer
from rag.question import COPULA, QUESTION_STOPWORDS
from rag.question_kind import (
    COUNTING, DEFINING_COPULA, MONEY, CLAUSE_KINDS, WORD_KINDS, language_word, anchor_terms, answer_kind,
    asked_preposition, clause_kind, head_noun,
)


# --- the words of a quote ------------------------------------------------------------------------

_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
# A number keeps its separators, a score or range ("20–18", "1998-2002") and a time ("4:51") whole.
_TOKEN = re.compile(rf"\d+(?:[.,٫٬:]\d+)*(?:\s?[–-]\s?\d+(?:[.,٫٬]\d+)*)?(?:\s?[%٪])?|(?:[^\W\d_]|[{_MARKS}])+")
_BREAK = re.compile(r"[.!?؟؛;:,،()\[\]{}\"«»“”—–]|\s-\s")  # punctuation between two words ends a span

_MONTHS = _words("يناير فبراير مارس أبريل ابريل إبريل مايو يونيو يونيه يوليو يوليه أغسطس اغسطس سبتمبر "
                 "جانفي فيفري أفريل ماي جوان جويلية أوت أكتوبر اكتوبر نوفمبر ديسمبر كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين محرم صفر ربيع جمادى "
                 "رجب شعبان رمضان شوال القعدة الحجة january february march april may june july august "
                 "september october november december")
_WEEKDAYS = _words("السبت الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة")
_YEAR_WORDS = _words("عام سنة العام السنة")
_DATE_NUMBER = re.compile(r"\d{1,4}(?:\s?[–-]\s?\d{1,4})?|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")
_ERA_BEFORE = _words("قبل بعد")
_YEAR_NOUNS = _words("عام سنة العام السنة year")
_YEAR = re.compile(r"(?<!\d)\d{3,4}(?!\d)")
_ERA_WORDS = _words("الميلاد ميلاد للميلاد الهجرة هجرة للهجرة")
_RANGE_WORDS = _words("و إلى الى حتى ولغاية لغاية وحتى")
_RELATIVE = _words("الماضي الماضية المقبل المقبلة الجاري الحالي")
_ERA = _words("هـ ه م ميلادي ميلادية هجري هجرية ق.م")
_ORDINALS = _words("الأول الاول الثاني الثالث الرابع الخامس السادس السابع الثامن التاسع العاشر الحادي "
                   "عشر العشرين الحادي والعشرين")
_TIME_UNITS = _words("ثانية ثوان ثواني دقيقة دقائق ساعة ساعات يوم يوما أيام أسبوع أسابيع شهر شهرا أشهر شهور "
                     "سنة سنوات عاما أعوام قرن قرون")
_UNITS = _TIME_UNITS | _words(
    "دولار دولارات يورو جنيه جنيها جنيهات ريال ريالات درهم دراهم دينار دنانير ليرة روبل ين "
    "كم كيلومتر كيلومترا كيلومترات متر مترا أمتار سنتيمتر ميل ميلا أميال قدم كيلوغرام كيلوجرام كغ كجم غرام "
    "جرام طن أطنان لتر هكتار فدان درجة درجات بالمئة بالمائة المئة المائة مربع مربعة مكعب "
    "نسمة شخص أشخاص مرة مرات نقطة نقاط"
)
_DURATION_NOUNS = _words("مدة مده فترة فتره عمر طول المدة المده الفترة الفتره مرة مره مرات")  # "كم مدة", "كم مرة": time answers
_PERCENT_WORDS = _words("نسبة نسبه المئوية المئويه بالمئة percent percentage")
_PERCENT_UNITS = _words("بالمئة بالمائة المئة المائة")
_APPROX = _words("حوالي حوالى نحو قرابة قرابه تقريبا أكثر أقل زهاء")
_FUNCTION = STOPWORDS | QUESTION_STOPWORDS | _words(
    "قد لقد كما حيث إذ اذ إذا لكن ولكن بل أن إن إنه أنه انها لأن بأن وأن فإن ثم أو أي كل بعض عدة "
    "بعد قبل خلال حول نحو منذ عبر ضد دون لدى بسبب وفقا وفق مثل جدا فقط أيضا ايضا تم يتم كانوا "
    "وكان وكانت يكون تكون ليس ليست لا لم لن ما وما هذا هذه ذلك تلك هؤلاء التي الذي الذين وهو وهي "
    "عندما بينما حتى إلى على عن في من مع بين عند لدى فيما مما كذلك أما وأما إلا سوى غير بين أكثر "
    "أقل أول آخر أحد إحدى عام سنة يوم العام أمس اليوم غدا حاليا الآن حينها آنذاك"
)
# Cues before a name: a title or a naming verb ("الرئيس X", "يدعى X", "بواسطة X").
_PERSON_CUES = _words(
    "الرئيس الوزير السفير الملك الملكة الأمير الأميرة الشيخ السلطان الإمام البابا القائد الجنرال المشير "
    "اللواء العقيد السيد السيدة الدكتور المهندس الأستاذ البروفيسور الكاتب الشاعر المؤلف المخرج الممثل "
    "اللاعب المدرب العالم الفيلسوف المؤرخ الفنان المغني الروائي الصحفي المتحدث رئيس وزير زعيم "
    "يدعى تدعى اسمه اسمها واسمه واسمها بواسطة يد ابن بنت"
)
_NAME_CUES = _PERSON_CUES | _words("يسمى تسمى سمي سميت باسم اسم يعرف تعرف يلقب لقب بلقب يطلق اطلق أطلق")
_PLACE_CUES = _words(
    "في إلى الى من مدينة منطقة قاعدة بلدة قرية ولاية دولة محافظة إقليم عاصمة جزيرة نهر جبل قرب بالقرب "
    "داخل عاصمتها مقرها"
)
# A direction starts a place ("شرق آسيا", "الجنوب الغربي", "شمال أفريقيا"): part of the answer, not a cue.
_DIRECTIONS = _words("شمال جنوب شرق غرب وسط شمالي جنوبي شرقي غربي الشمال الجنوب الشرق الغرب الوسط أقصى")
_INNER = _words("من في و على إلى الى عن مع")
_MEDIAL = _words("بن بنت")
_NAME_PARTICLES = _words("أبو أبي أبا ابن بن بنت عبد آل ذو ذي أم دي دو فان فون")
# What opens a reason ("لأن", "بسبب", "نسبة إلى") or a means ("عن طريق", "من خلال", "بواسطة"); a word
# written with the preposition ل (a reason: "لاعتراض عير قريش") or ب (a means: "بالاجتهاد") opens one too.
_REASON_MARKERS = _words("لأن لان لأنه لانه لأنها لانها لأنهم بسبب نظرا نظراً نتيجة بفضل لكي كي بهدف لأجل أجل نسبة "
                         "نسبةً إذ حيث because due since")
_MANNER_MARKERS = _words("طريق خلال بواسطة بأن بان بأنه بانه بأنها بانها باستخدام عبر by through using")
_CUES = {"person": _PERSON_CUES, "name": _NAME_CUES, "place": _PLACE_CUES, "thing": _NAME_CUES}
# Usual length in words of a short answer of each kind, and the longest one offered.
_LENGTH = {"date": (2, 5), "count": (1, 4), "amount": (2, 5), "person": (2, 4), "place": (2, 4),
           "name": (2, 4), "thing": (3, 6), "reason": (5, 14), "manner": (5, 14),
           "definition": (5, 14)}


# The parts of a candidate's score (`Candidate.why`), set by hand and checked on the two development
# sets of the evaluation (XQuAD-ar, ARCD); each is a small, named nudge, none decides alone.
NEAR_WEIGHT = 1.0  # the question's words around the span (share of their weight, fading with distance)
AFTER_WEIGHT = 0.6  # a question word after the span counts this much of one before it
BREAK_DISTANCE = 2.0  # a punctuation mark between a question word and the span counts as this many words
CUE_BONUS = 0.35  # a cue of the asked kind right before the span ("الرئيس", "يدعى", "في", "شرق")
EDGE_BONUS = 0.2  # the span ends at punctuation or the sentence's end (half of it: starts after a boundary)
RARE_WEIGHT = 0.2  # rarity of the span's words in the corpus (names are rare, "المدافع" is not)
NAME_WEIGHT = {"person": 0.3, "name": 0.15, "place": 0.1}  # share of the span's words that look like a name
LENGTH_COST = 0.16  # per word shorter than the kind's usual length
LONGER_COST = 0.08  # per word longer than it (a reason or a means: CLAUSE_LONGER_COST, it runs to its clause's end)
CLAUSE_LONGER_COST = 0.03
CUT_COST = 0.1  # a person's or name's span that stops while the next word still looks like part of the name
SENTENCE_COST = 0.5  # per rank of the span's sentence among the cited ones (the first is the best supported)
COUNTED_BONUS = 0.3  # the counted thing the question names follows the number ("24 اعتراضاً")
YEAR_COST = 0.6  # a year offered as a count
NO_YEAR_COST = 0.3  # a date without a year when a year is asked ("في أي عام")
PERCENT_BONUS = 0.3  # a percentage when a share is asked
MONEY_BONUS = 0.15  # a currency when an amount is asked
PREP_BONUS = 0.3  # the preposition the interrogative stood behind is before the span ("إلى أين" → "إلى X")
HEAD_BONUS = 0.25  # the noun the question asks about is right before the span ("الجائزة" → "جائزة X")
ANCHOR_BONUS = 0.25  # the word right after the interrogative is just before the span ("أين تقع" → "تقع في X")
ADJECTIVE_COST = 0.2  # a lone adjective of relation ("الفارسية") offered as a name or a place
FOREIGN_BONUS = 0.6  # a span in another script when the question asks for a name in another language
MIN_WORD_SCORE = 0.5  # below this, a person, place, name or thing is too weakly supported to be offered
MIN_CLAUSE_SCORE = 0.2  # the same for a reason or a means


@dataclass
class _Token:
    start: int  # offset in the quote
    end: int
    norm: str
    bare: str  # without the proclitics و ف ب ل ك and the article
    asked: float = 0.0  # the weight of the question's word this token repeats; 0 for a new word
    stop: bool = False
    number: bool = False
    break_before: bool = False  # punctuation between this token and the previous one
    rare: float = 0.0  # the rarity of its stem in the corpus, 0..1
    namelike: bool = False
    anchor: bool = False  # repeats a word the interrogative stands next to in the question


def _bare(norm: str) -> str:
    word = norm
    if len(word) > 3 and word[0] in "وف" and not word.startswith(("وال",)) and word[1:2] in "بلك":
        word = word[1:]
    if len(word) > 3 and word[0] in "وفبلك" and word[1:3] == "ال":
        word = word[1:]
    if word.startswith("لل") and len(word) > 4:
        return word[2:]
    if word.startswith("ال") and len(word) > 3:
        return word[2:]
    if len(word) > 3 and word[0] in "وف":
        return word[1:]
    return word


def _proclitic(norm: str) -> bool:
    """Whether a word may be another word behind the preposition ب, ل or ك ("بمدينة" = "ب" + "مدينة")."""
    return len(norm) > 4 and norm[0] in "بلك" and norm[1:3] != "ال"


def _namelike(tok: _Token, quote: str) -> bool:
    """A word that could be (part of) a proper name: no article, not a feminine noun or adjective
    ("متعددة"), not shaped like a verb ("دخلوا", "يمارسون", "وقام"). A guess from the letters alone."""
    norm, raw = tok.norm, quote[tok.start : tok.end]
    # The article is written with a bare alef: "ألكسي", "إلياس" start with a hamza and are no "ال".
    if tok.number or tok.stop or norm != tok.bare and (raw.startswith("ال") or raw[1:3] == "ال" or raw.startswith("لل")):
        return False
    if raw.endswith("ة") or raw.endswith("ةً") or norm.endswith(("وا", "ون", "ين", "ات")) and norm[:1] in "يتن":
        return False
    if norm.endswith("وا") or (norm[:1] == "ي" and norm[1:2] not in "واي" and len(norm) <= 6):
        return False
    if norm[:1] in "وف" and len(norm) == 4:
        return False  # "وقام", "فاز": a conjunction and a three-letter verb
    if len(norm) > 3 and (norm.endswith(("ها", "هم", "هما", "هن", "كم", "نا", "ته", "اته", "ات")) or raw.endswith("ته")):
        return False  # a pronoun suffix ("عاصمته", "لأجلها", "أنفسهم") or a feminine plural ("لعبات")
    return True


def _nisba(tok: _Token) -> bool:
    """A definite adjective of relation ("الفارسية", "الاقتصادي"): the article and a -ي/-ية ending."""
    return tok.norm.startswith("ال") and tok.norm.endswith(("يه", "ي")) and len(tok.norm) > 5


def _is_number(tok: _Token) -> bool:
    if tok.norm in _WEEKDAYS or tok.bare in _WEEKDAYS:
        return False  # "الثلاثاء", "الخميس" hold number words but are days
    return tok.norm[:1].isdigit() or tok.norm in NUMBER_WORDS or tok.bare in NUMBER_WORDS or (
        tok.norm[:1] in "وب" and tok.norm[1:] in NUMBER_WORDS)


def _tokens(quote: str, asked: dict[str, float], rarity: Callable[[str], float] | None = None) -> list[_Token]:
    out: list[_Token] = []
    previous_end = 0
    for m in _TOKEN.finditer(quote):
        norm = normalize(m.group(0))
        if not norm:
            continue
        tok = _Token(m.start(), m.end(), norm, _bare(norm))
        tok.break_before = bool(out) and bool(_BREAK.search(quote[previous_end : m.start()]))
        # A lone letter is a proclitic written apart ("لـ تحرير", "بـ") or an initial: never an answer alone.
        tok.stop = norm in _FUNCTION or tok.bare in _FUNCTION and len(tok.bare) <= 3 or (len(norm) == 1 and not norm.isdigit())
        tok.stop = tok.stop and norm not in _NAME_PARTICLES  # "محمد بن سعود" is one name
        tok.number = _is_number(tok)
        terms = set(lexical_terms(norm)) | {norm} | ({norm[1:]} if _proclitic(norm) else set())
        tok.asked = max((asked[t] for t in terms if t in asked), default=0.0)
        if rarity is not None:
            stems = [t for t in terms if not t.startswith("~")]
            tok.rare = max((rarity(t) for t in stems), default=0.0)
        tok.namelike = _namelike(tok, quote)
        out.append(tok)
        previous_end = m.end()
    return out


# --- candidates ----------------------------------------------------------------------------------

@dataclass
class Candidate:
    """A span of a cited quote: tokens [i, j) of citation `index`, and its score with the reasons."""

    index: int  # position of the citation in the answer
    i: int
    j: int
    kind: str
    score: float = 0.0
    why: dict[str, float] = field(default_factory=dict)


def _calendar_word(tok: _Token) -> bool:
    """A month or weekday name."""
    return tok.norm in _WEEKDAYS or tok.bare in _WEEKDAYS or tok.norm in _MONTHS or tok.bare in _MONTHS


def _time_unit(tok: _Token) -> bool:
    """A unit of time, also as a dual ("عامين", "ساعتين", "يومان")."""
    for word in (tok.norm, tok.bare):
        if word in _TIME_UNITS:
            return True
        if len(word) > 4 and word.endswith(("ين", "ان")):
            stem = word[:-2]
            if stem in _TIME_UNITS or stem + "ا" in _TIME_UNITS or stem.endswith("ت") and stem[:-1] + "ه" in _TIME_UNITS:
                return True
    return False


def _dateish(tok: _Token) -> bool:
    """A month or weekday name, or a number that can be part of a date (a day, a year, 1998-2002, 5/3/2024)."""
    return _calendar_word(tok) or bool(_DATE_NUMBER.fullmatch(tok.norm))


def _date_spans(toks: list[_Token]) -> list[tuple[int, int]]:
    """Dates: runs of day, month and year words ("الثلاثاء 5 مارس 2024", "فبراير الماضي", "1157 هـ"),
    a century ("القرن التاسع عشر") or a decade ("الثمانينيات"). A lone number counts when it looks
    like a year or follows "عام/سنة"."""
    spans = []
    n = len(toks)
    i = 0
    while i < n:
        t = toks[i]
        if t.asked or not _dateish(t):
            if t.bare == "قرن" and i + 1 < n and toks[i + 1].norm in _ORDINALS and not toks[i + 1].asked:
                j = i + 1
                while j < n and toks[j].norm in _ORDINALS and not toks[j].break_before:
                    j += 1
                spans.append((i, j))
            elif re.fullmatch(r"ال\w+(?:ينيات|ينات)", t.norm) and not t.asked:
                spans.append((i, i + 1))
            i += 1
            continue
        j = i + 1
        while j < n and not toks[j].asked and not toks[j].break_before and (
                _dateish(toks[j]) or toks[j].norm in _ERA or toks[j].bare in _YEAR_WORDS
                or toks[j].norm == "من" and j + 1 < n and (_dateish(toks[j + 1]) or toks[j + 1].bare in _YEAR_WORDS)):
            j += 1  # "الأول من سبتمبر من عام 1939"
        while j - 1 > i and (toks[j - 1].bare in _YEAR_WORDS or toks[j - 1].norm == "من"):
            j -= 1
        if j + 1 < n and toks[j].norm in _ERA_BEFORE and toks[j + 1].bare in _ERA_WORDS and not toks[j].break_before:
            j += 2  # "280 قبل الميلاد"
        elif j < n and toks[j].bare in _ERA_WORDS and toks[j].norm.startswith("لل") and not toks[j].break_before:
            j += 1  # "622 للميلاد"
        words = toks[i:j]
        has_year = any(re.search(r"(?<!\d)\d{3,4}(?!\d)", w.norm) and _DATE_NUMBER.fullmatch(w.norm) for w in words)
        has_name = any(_calendar_word(w) for w in words)
        after_year_word = i > 0 and toks[i - 1].bare in _YEAR_WORDS
        if has_name or has_year or after_year_word:
            if has_name and j < n and toks[j].norm in _RELATIVE and not toks[j].break_before:
                j += 1  # "فبراير الماضي"
            start = i - 1 if after_year_word and not toks[i].break_before else i  # "عام 1958"
            if i > 0 and toks[i - 1].norm in _ORDINALS and not toks[i].break_before:
                start = i - 1  # "السابع عشر من رمضان" starts with its day
            spans.append((start, j))
        i = j
    # A period: two dates joined by "و", "إلى", "حتى" or "-" ("1908 و 1914", "من 1939 إلى 1941").
    for (a, b), (c, d) in zip(spans, spans[1:]):
        between = toks[b:c]
        if 0 < len(between) <= 2 and all(t.norm in _RANGE_WORDS or t.bare in _YEAR_WORDS for t in between) \
                and not toks[c].break_before:
            spans.append((a, d))
    return spans


def _number_spans(toks: list[_Token], kind: str, counted: set[str]) -> list[tuple[int, int]]:
    spans = []
    n = len(toks)
    i = 0
    while i < n:
        if not toks[i].number or toks[i].asked:
            i += 1
            continue
        j = i + 1
        while j < n and not toks[j].break_before and not toks[j].asked and (
                toks[j].number or toks[j].norm in ("و",) and j + 1 < n and toks[j + 1].number):
            j += 1
        # Its unit, currency or scale: "كيلومتر مربع", "مليون دولار", "17 ثانية" (unless the question says it).
        k = j
        while k < n and k < j + 2 and not toks[k].break_before and not toks[k].asked and (
                toks[k].bare in _UNITS or toks[k].norm in _UNITS or toks[k].bare in SCALES):
            k += 1
        if k + 1 < n and toks[k].norm == "في" and toks[k + 1].norm in _PERCENT_UNITS and not (
                toks[k].break_before or toks[k + 1].break_before):
            k += 2  # "27 في المائة": the share as written
        start = i
        if i > 0 and not toks[i].break_before and toks[i - 1].norm in _APPROX:
            start = i - 1  # "حوالي 500000", "نحو مليون": the number as the sentence qualifies it
        elif i > 1 and toks[i - 1].norm == "من" and toks[i - 2].norm in _APPROX:
            start = i - 2  # "أكثر من 300"
        spans.append((start, k))
        i = k if k > i else i + 1
    # A dual names its count: "مرتين" answers "كم مرة", "فريقين" "كم فريقاً".
    for k, tok in enumerate(toks):
        if _dual_of(tok.norm, counted):
            spans.append((k, k + 1))
    return spans


def _other_quantity(toks: list[_Token], i: int, j: int, q: "_Asked") -> bool:
    """A number of months or riyals offered when the question counts something else
    ("كم عدد الطلاب" → not "أربعة أشهر")."""
    if q.kind != "count" or not q.counts_noun or q.words & _DURATION_NOUNS:
        return False
    units = {t.bare for t in toks[i:j] if not t.number} | {t.norm for t in toks[i:j] if not t.number}
    # (A share may answer a count: "كم عدد السكان تحت مستوى البحر" → "21%".)
    return bool(units & (_TIME_UNITS | MONEY)) and not (units & q.counted) and not (q.counted & (_TIME_UNITS | MONEY))


def _dual_of(norm: str, asked_words: set[str]) -> bool:
    """An indefinite dual ("مرتين", "فريقين", "منطقتان") of a noun the question counts ("كم مرة")."""
    if norm.startswith("ال") or len(norm) < 5:
        return False
    for suffix, base in (("تين", "ه"), ("تان", "ه"), ("ين", ""), ("ان", "")):
        if norm.endswith(suffix) and norm[: -len(suffix)] + base in asked_words:
            return True
    return False


def _word_spans(toks: list[_Token], kind: str) -> list[tuple[int, int]]:
    """Runs of new content words, cut at punctuation, function words and the question's words.

    A preposition or "و" between two new words may stay inside a thing ("حرق المواد القابلة للاحتراق
    في المحرك", "الأكسجين و الأسيتلين"); a span never starts or ends with one.
    """
    longest = _LENGTH[kind][1]
    inner = _INNER if kind == "thing" else frozenset()
    spans = []
    n = len(toks)
    i = 0
    while i < n:
        if toks[i].asked or toks[i].stop:
            i += 1
            continue
        j = i + 1
        while j < n and not toks[j].asked and not toks[j].break_before and (
                not toks[j].stop or toks[j].norm in inner and j + 1 < n and not toks[j + 1].stop
                and not toks[j + 1].asked and not toks[j + 1].break_before):
            j += 1
        for a in range(i, j):
            if toks[a].stop or toks[a].norm in _MEDIAL:
                continue  # nor with "بن": "عيسى بن مريم" is not "بن مريم"
            for b in range(a + 1, min(j, a + longest) + 1):
                if toks[b - 1].stop:
                    continue
                if kind in ("person", "place", "name") and any(toks[k].number or _calendar_word(toks[k]) for k in range(a, b)):
                    continue  # nor a day or a month: "الخميس" is no city
                if kind in ("person", "place") and all(_time_unit(toks[k]) for k in range(a, b)):
                    continue  # "عامين" is nobody and nowhere ("القرن الأفريقي" is somewhere)
                if toks[b - 1].bare in _NAME_PARTICLES or toks[b - 1].norm in _NAME_PARTICLES:
                    continue  # "أحمد أبو" is half a name: "أبو", "بن", "عبد" need the word after them
                spans.append((a, b))
        i = j
    return spans


def _clause_spans(toks: list[_Token], kind: str) -> list[tuple[int, int]]:
    """Reasons and means: from a word that opens one ("لأن", "بسبب", "عن طريق", a word written with
    ل or ب) to the end of its clause, or to the kind's longest length."""
    markers = _REASON_MARKERS if kind == "reason" else _MANNER_MARKERS
    prefix = "ل" if kind == "reason" else "ب"
    longest = _LENGTH[kind][1]
    spans = []
    for i, tok in enumerate(toks):
        if tok.asked or tok.number:
            continue
        marked = tok.norm in markers or tok.bare in markers
        # An unmarked "لـ"/"بـ" word opens a reason or a means only right after the question's own
        # words ("اختيرت كوجهة سياحية *لتاريخ* البلاد"): elsewhere it is as often a name ("ليبيا").
        follows = i > 0 and not tok.break_before and (toks[i - 1].asked > 0 or toks[i - 1].norm in ("ذلك", "وذلك"))
        if not marked and not (follows and tok.norm.startswith(prefix) and len(tok.norm) > 4 and tok.norm not in _FUNCTION):
            continue
        # "عن طريق", "من خلال", "من أجل": the preposition belongs to the phrase.
        start = i - 1 if marked and i > 0 and toks[i - 1].norm in ("عن", "من") and not tok.break_before else i
        j = _clause_end(toks, start, i, longest)
        if j > i + 1:
            spans.append((start, j))
    return spans


def _definition_spans(toks: list[_Token]) -> list[tuple[int, int]]:
    """What a thing is: the rest of the clause right after the question's words name it ("السل *مرض
    معد شائع*", "الباراسيتامول هو *مسكن وخافض للحرارة*"), a copula or comma between them skipped."""
    longest = _LENGTH["definition"][1]
    spans = []
    for k in range(len(toks) - 1):
        if not toks[k].asked or toks[k + 1].asked:
            continue
        i = k + 1
        if toks[i].norm in DEFINING_COPULA or toks[i].norm in ("وهو", "وهي"):
            i += 1
        if i >= len(toks) or toks[i].stop or toks[i].asked:
            continue
        spans.append((i, _clause_end(toks, i, i, longest)))
    return spans


def _clause_end(toks: list[_Token], start: int, first: int, longest: int) -> int:
    """Where a span that starts at `start` and opens with token `first` ends: at the next punctuation
    or after `longest` words, less the function words it would end with (never before `first` + 1)."""
    j = first + 1
    while j < len(toks) and j - start < longest and not toks[j].break_before:
        j += 1
    while j > first + 1 and toks[j - 1].stop:
        j -= 1
    return j


def _proximity(toks: list[_Token], i: int, j: int, total: float) -> float:
    """The question's words near the span, each weighed by its rarity and fading with distance.

    Words before the span count fully, words after it less: an answer mostly follows the words
    the question shares with its sentence ("فاز بالبطولة فريق X", "عاصمة المغرب هي الرباط").
    """
    if total <= 0:
        return 0.0
    near = 0.0
    # Distance in words that are neither the question's nor function words ("السفير الروسي في ليبيا
    # X": X is next to all three), a punctuation mark counting as BREAK_DISTANCE more.
    d = 0.0
    for k in range(i - 1, -1, -1):
        if toks[k + 1].break_before:
            d += BREAK_DISTANCE
        if toks[k].asked:
            near += toks[k].asked * math.exp(-d / 3.0)
        elif not toks[k].stop:
            d += 1
    d = 0.0
    for k in range(j, len(toks)):
        if toks[k].break_before:
            d += BREAK_DISTANCE
        if toks[k].asked:
            near += toks[k].asked * math.exp(-d / 3.0) * AFTER_WEIGHT
        elif not toks[k].stop:
            d += 1
    return min(1.0, near / total)


@dataclass
class _Asked:
    """What the scoring needs to know about the question."""

    kind: str
    weights: dict[str, float]  # lexical term (or word) -> its weight as evidence; 0 for a word only to avoid
    words: set[str]  # the question's words, bare
    counted: set[str]  # the noun the question counts ("كم *مرة*"), bare, to recognise its dual ("مرتين")
    total: float  # the weight of all the question's terms: how much evidence there could be
    head: str = ""  # the noun after "ما/أي" ("الجائزة")
    prep: str = ""  # the preposition the interrogative stands behind ("إلى أين")
    anchors: set[str] = field(default_factory=set)  # terms of the words right after the interrogative
    percent: bool = False  # asks a share ("ما نسبة")
    foreign: bool = False  # asks for a name in another language ("بالإنجليزية", "باللغة اليابانية")
    year: bool = False  # asks a year ("في أي عام")
    counts_noun: bool = False  # the word counted is a noun ("كم طالباً"), not a verb ("كم عاش")


def _score(cand: Candidate, toks: list[_Token], q: _Asked) -> None:
    """Fill `cand.why` with the named parts of its score; `cand.score` is their sum (see the module docstring)."""
    i, j, kind = cand.i, cand.j, cand.kind
    why = cand.why
    why["near"] = NEAR_WEIGHT * _proximity(toks, i, j, q.total)
    before = toks[i - 1] if i > 0 else None
    joined = before is not None and not toks[i].break_before  # the word before, in the same clause
    if kind in CLAUSE_KINDS and (toks[i].norm in _REASON_MARKERS | _MANNER_MARKERS or toks[i].norm in ("عن", "من")):
        why["cue"] = CUE_BONUS  # "لأن ...", "عن طريق ...": it says it is a reason or a means
    cues = _CUES.get(kind)
    if cues and joined and (before.norm in cues or before.bare in cues):
        why["cue"] = CUE_BONUS  # "الرئيس X", "يدعى X", "في X"
    if kind == "place" and (toks[i].norm[:1] == "ب" and toks[i].norm[1:3] == "ال"
                            or toks[i].norm in _DIRECTIONS or toks[i].bare in _DIRECTIONS):
        why["cue"] = CUE_BONUS  # "بالقاهرة", "شرق آسيا"
    if kind in ("person", "place", "name") and j - i == 1 and _nisba(toks[i]) or (
            _nisba(toks[i]) and joined and before.asked):
        # "الفارسية", "الكردية": a language or an adjective, not a name; "الوفد *الروسي*": the
        # question's own noun phrase going on.
        why["adjective"] = -ADJECTIVE_COST
    # A span that runs up to a comma or the sentence's end, and starts after a boundary, is a whole phrase.
    if kind not in ("count", "amount") and (j == len(toks) or toks[j].break_before):
        why["ends"] = EDGE_BONUS
    if i == 0 or toks[i].break_before or before.stop or before.asked:
        why["starts"] = 0.5 * EDGE_BONUS
    if kind in ("person", "name") and j < len(toks) and not toks[j].break_before and toks[j].namelike and not (
            toks[j].stop or toks[j].asked):
        why["cut"] = -CUT_COST  # the name goes on: "يونس بيك" of "يونس بيك يوفقورف"
    if kind in ("count", "amount"):
        # The counted thing the question names, right after the number: "24 اعتراضاً" for "عدد الاعتراضات".
        nxt = j + 1 if j + 1 < len(toks) and toks[j].norm == "من" else j
        if nxt < len(toks) and toks[nxt].asked > 0 and not toks[j].break_before or (j - i == 1 and toks[i].asked > 0):
            why["counted"] = COUNTED_BONUS  # (or a dual: "مرتين")
        if re.fullmatch(r"(1[0-9]|20)\d\d", toks[i].norm) and j - i == 1 or (before is not None and before.bare in _YEAR_WORDS):
            why["year"] = -YEAR_COST  # a year, not a count
        if q.kind == "amount" and any(t.bare in MONEY or t.norm in MONEY for t in toks[i:j]):
            why["unit"] = MONEY_BONUS
    if q.foreign and kind in WORD_KINDS and not any(_ARABIC_LETTER.search(t.norm) for t in toks[i:j]):
        why["foreign"] = FOREIGN_BONUS  # "名探偵コナン" for "ما اسمه باليابانية"
    if q.percent and any(t.norm[-1:] in "%٪" or t.bare in _PERCENT_UNITS for t in toks[i:j]):
        why["unit"] = PERCENT_BONUS
    if kind == "date" and q.year and not any(_YEAR.search(t.norm) for t in toks[i:j]):
        why["no year"] = -NO_YEAR_COST  # "في أي عام" asks a year: "25 من شباط" does not say it
    if kind in WORD_KINDS:
        why["rare"] = RARE_WEIGHT * sum(t.rare for t in toks[i:j]) / (j - i)
        why["namelike"] = NAME_WEIGHT.get(kind, 0.0) * sum(t.namelike for t in toks[i:j]) / (j - i)
    usual = _LENGTH[kind][0]
    longer = CLAUSE_LONGER_COST if kind in CLAUSE_KINDS else LONGER_COST
    why["length"] = -LENGTH_COST * (usual - (j - i)) if j - i < usual else -longer * ((j - i) - usual)
    why["sentence"] = -SENTENCE_COST * cand.index
    if q.prep and joined and before.norm == q.prep or (
            q.prep in ("ب", "ل") and toks[i].norm.startswith(q.prep) and len(toks[i].norm) > 3):
        why["prep"] = PREP_BONUS  # "إلى أين" → "إلى بنغازي"
    if q.head and joined and before.asked and q.head in (before.norm, before.bare, before.norm[1:] if before.norm[:1] in "بلكوف" else ""):
        why["head"] = HEAD_BONUS  # "الجائزة التي ..." → "جائزة الأوسكار": the asked noun, then its name
    if q.anchors and kind in WORD_KINDS:
        d = 0
        for k in range(i - 1, max(-1, i - 6), -1):
            if toks[k].anchor:
                why["anchor"] = ANCHOR_BONUS * math.exp(-d / 2.0)  # "أين تقع" → "تقع في شرق آسيا"
                break
            if toks[k + 1].break_before:
                break
            if not toks[k].stop and not toks[k].asked:
                d += 1
    cand.score = sum(why.values())


def _trim(quote: str, toks: list[_Token], i: int, j: int) -> tuple[int, int]:
    """The span's characters: a proclitic before the article is left out ("بالقاهرة" → "القاهرة")."""
    start, end = toks[i].start, toks[j - 1].end
    first = toks[i].norm
    written_apart = re.match(r"[وفبلك]ـ+", quote[start:end])
    if written_apart and written_apart.end() < end - start:
        return start + written_apart.end(), end  # "بـــغورو" → "غورو"
    if len(first) > 4 and first[0] in "وفبك" and first[1:3] == "ال":
        start += 1
    elif len(first) > 3 and first[0] in "وف" and first[1:3] != "ال" and not toks[i].norm[:1].isdigit() \
            and toks[i].bare in _MONTHS | NUMBER_WORDS:
        start += 1
    return start, end


def _asked(question: str, terms: Sequence[str] | None, rarity: Callable[[str], float],
           carried_terms: Sequence[str], clauses: bool = False) -> _Asked | None:
    """What the scoring needs to know about `question`, or None when it asks for no kind of item
    (with `clauses`, a why or how question asks for a reason or a means)."""
    kind = (clause_kind(question) if clauses else "") or answer_kind(question)
    if not kind:
        return None
    weights: dict[str, float] = {}
    for t in (terms if terms is not None else lexical_terms(question)):
        if t:
            weights[t] = max(weights.get(t, 0.0), max(rarity(t), 0.1))
    for t in carried_terms:
        weights.setdefault(t, 0.5 * max(rarity(t), 0.1))
    words: set[str] = set()
    counted: set[str] = set()
    tokens = tokenize(question)
    counts_noun = False
    for word, before in zip(tokens, [""] + tokens[:-1]):
        raw_word = word
        weights.setdefault(word, 0.0)  # the question's own words (digits too) are never an answer
        word = word[2:] if word.startswith("ال") else word
        forms = {word, word[:-1] if word.endswith("ا") else word}
        words |= forms
        if before in COUNTING:
            counted |= forms  # "كم *مرة*", "ما عدد *الطائرات*"
            # A noun is counted ("عدد الطلاب", "كم طالباً", "كم رحلة"), not a verb ("كم عاش", "كم كان").
            counts_noun = counts_noun or before == "عدد" or raw_word.endswith(("ا", "ه")) and raw_word not in COPULA
    head = head_noun(question)
    return _Asked(kind, weights, words, counted, sum(w for t, w in weights.items() if w > 0 and not t.startswith("~")) or 1.0,
                  head=head[2:] if head.startswith("ال") and len(head) > 3 else head,
                  prep=asked_preposition(question), anchors=anchor_terms(question),
                  percent=bool(words & _PERCENT_WORDS), year=bool(words & _YEAR_NOUNS), counts_noun=counts_noun,
                  foreign=any(language_word(w) for w in tokens))


def _candidates(q: _Asked, quote: str, rank: int, weight: Callable[[str], float] | None
                ) -> list[tuple[Candidate, list[_Token]]]:
    """Every span of `quote` of the asked kind, scored (`rank`: the quote's rank among the cited ones)."""
    toks = _tokens(quote, q.weights, weight)
    top = max((t.rare for t in toks), default=0.0)
    for tok in toks:
        tok.rare = tok.rare / top if top > 0 else 0.0
        if (tok.norm in q.weights or _proclitic(tok.norm) and tok.norm[1:] in q.weights) and tok.asked == 0.0:
            tok.asked = 1e-6  # repeats the question; no weight as evidence
        tok.anchor = bool(q.anchors & set(lexical_terms(tok.norm)))
    if q.kind == "date":
        spans = _date_spans(toks)
    elif q.kind in ("count", "amount"):
        spans = _number_spans(toks, q.kind, q.counted)
    elif q.kind == "definition":
        spans = _definition_spans(toks)
    elif q.kind in CLAUSE_KINDS:
        spans = _clause_spans(toks, q.kind)
    else:
        spans = _word_spans(toks, q.kind)
    out = []
    for i, j in spans:
        if _other_quantity(toks, i, j, q):
            continue  # the wrong quantity is no answer
        cand = Candidate(rank, i, j, q.kind)
        _score(cand, toks, q)
        out.append((cand, toks))
    return out


def asked_item_scores(question: str, texts: Sequence[str], terms: Sequence[str] | None = None,
                      weight: Callable[[str], float] | None = None, carried_terms: Sequence[str] = ()
                      ) -> list[float] | None:
    """For each text, how well its best span answers what the question asks (the score
    `find_short_answer` gives a span, without the cost of its sentence's rank); None when the question
    asks for no kind of item (how, why, yes/no). A text holding nothing of the asked kind beyond the
    question's own words scores NO_ITEM.

    This tells a sentence that adds the asked-for item ("وتحمل اسم معطن السارة") from one that only
    restates the question ("روسيا تستخدم قاعدة جوية نائية ...").
    """
    q = _asked(question, terms, weight or (lambda term: 1.0), carried_terms)
    if q is None:
        return None
    out = []
    for text in texts:
        found = _candidates(q, text, 0, weight)
        best = max((c.score for c, _ in found), default=NO_ITEM)
        out.append(best)
    return out


NO_ITEM = -1.0  # `asked_item_scores` of a text with no candidate span


def find_short_answer(question: str, citations: Sequence[Citation], terms: Sequence[str] | None = None,
                      weight: Callable[[str], float] | None = None, carried_terms: Sequence[str] = ()
                      ) -> tuple[ShortAnswer, Candidate] | None:
    """The best span of the cited quotes for the kind the question asks, or None.

    `terms` are the question's lexical terms (default: those of `question`); `carried_terms` those
    of an earlier turn a follow-up leans on (words to avoid too, weighing half); `weight(term)` a
    term's rarity (the lexical index's IDF; default 1 for every term). Returns the short answer
    and the winning candidate, whose `why` says how it scored.
    """
    q = _asked(question, terms, weight or (lambda term: 1.0), carried_terms, clauses=True)
    if q is None or not citations:
        return None
    across = not is_mostly_arabic(question)  # an English question over Arabic quotes
    if across and q.kind in WORD_KINDS:
        # An English question meets the Arabic quote only through names and a small glossary: the
        # words near a person, place, name or thing are not the question's, and the span is a guess
        # (XQuAD's English questions: half to four in five of such short answers shared no word
        # with the gold).
        return None
    scored: list[tuple[Candidate, Citation, list[_Token]]] = []
    for rank, citation in enumerate(citations):
        scored += [(cand, citation, toks) for cand, toks in _candidates(q, citation.quote, rank, weight)]
    if not scored:
        return None
    best, citation, toks = max(scored, key=lambda item: item[0].score)
    if across and any(
            c.index == best.index and (c.j <= best.i or c.i >= best.j) for c, _, _ in scored):
        # Across languages nothing near the span says it is the one asked for: with two of the
        # asked kind in the quote ("تسعة" dead, "50" injured) the choice would be a guess.
        return None
    if q.kind in WORD_KINDS and best.score < MIN_WORD_SCORE or q.kind in CLAUSE_KINDS and best.score < MIN_CLAUSE_SCORE:
        return None  # only weak candidates: the sentences answer alone
    start, end = _trim(citation.quote, toks, best.i, best.j)
    text = citation.quote[start:end]
    if not text.strip() or any(ch in text for ch in "*[]\n"):
        return None  # it would read as Markdown or a citation marker in the answer
    return ShortAnswer(text, citation.file, citation.start + start, citation.start + end, citation.n), best


SEPARATOR = " — "


def lead_with(short: ShortAnswer, text: str) -> str:
    """The answer text that starts with the short answer in bold (Markdown), then the cited sentences."""
    return f"**{short.text}**{SEPARATOR}{text}"


def verified(short: ShortAnswer | None, file_texts: dict[str, str]) -> ShortAnswer | None:
    """The short answer when its text is exactly `file_text[start:end]`, else None (as for a citation)."""
    if short is None:
        return None
    text = file_texts.get(short.file)
    if text is None or not (0 <= short.start < short.end <= len(text)) or text[short.start : short.end] != short.text:
        return None
    return short
