"""Is a claim supported by the sentences it cites? The facts of one sentence checked against a source.

A claim is one sentence (or clause) of an LLM answer that carries `[n]`. It is *supported* by
source n when one window of the source (one to three adjacent sentences) holds the claim's
key content:
- **numbers** (digits in any script, number words, ordinals, the scale words مليون / مليار /
  million / billion), **dates** (months under any of their names, Gregorian, Levantine or
  English, and weekdays) must all be there, as the same values;
- **things named** must all be found: names (English capitalised words, the first word of a
  sentence only when it is not everyday English; Arabic words after a title or a place noun,
  countries and capitals: `PLACES`), offices (`ROLES`: رئيس for مدير is a fault), Arabic nouns with
  the article, and Arabic nouns that cannot be a paraphrase's own wording (`_wording_like`: not a
  verb, verbal noun, participle or adverb by their shape) and are not common words either
  (`rag.common_words`, from the embedder's subword vocabulary: واشنطن، بلقاسم are required,
  وجوده، صاحبة are wording). The most frequent words without the article (خارج، هدف، بكل) are
  not checked at all (`_everyday`);
- **times of day** (صباح، مساء, morning) and **relative dates** (أمس، الشهر الماضي, last week) are
  checked as weekdays are; 11..19 in two words
  (السادس عشر) are one number, an ordinal day matches its digits, and "two" is found as an Arabic
  dual (البلدين);
- **wording** (verbs, verbal nouns, participles, adverbs) must be found too, except a quarter of
  it at most that no other passage of the sources holds (`check`). Words that are *generic*
  (function words, verbs of saying, opinion and meeting in any form, vague nouns: `GENERIC`,
  `GENERIC_ROOTS`) are not checked. Found means, after Arabic normalisation and light stemming
  (`core.arabic`): the same stem, a stem one is a prefix of the other (الروسي / روسيا), a
  transliteration variant (شويغو / شويجو), a word of the same synonym group (`SYNONYMS`), the
  same letters in another order (a typing slip), and for wording only, a shared root
  (`_roots`: أعلنت / تعلن, يوجه / يتوجه, الظهور / تظهر). An English claim's words are looked
  for through the English->Arabic glossary (`core.glossary`); English names (capitalised words)
  through their transliteration key; English words the glossary does not know through their
  senses in a general English-Arabic dictionary (`core.dictionary`, when it is installed), and
  those it does not know either (or whose senses are everyday wording) cannot be checked and are
  not required;
- **negation**: a claim that says "did not" (لم، لن، ليس، وتنفي، not, never …) needs a window
  that negates too; a claim that does not negate is not supported by a window that holds its
  words, or its verb of saying, only where a negation governs them (لم تعلن for أعلنت).

- **opposites**: a claim verb of a short list of general antonym pairs (`_ANTONYM_PAIRS`) that
  the window lacks while it holds the opposite (أيدت where the source says عرقلت) reverses it.

- **closed classes**: a word of a direction, armed service, ministry, council, continent, sea or
  news outlet that the window lacks while it names another member of the class is a swap
  (`rag.contrasts`: البحرية where the source says الجوية).

- **places**: a country or capital (`PLACES`), also as its adjective (الصينية، الروسي: `_nationality`),
  is a name; a capital stands for its country (موسكو for روسيا: `_CAPITALS`).

`check` gives the word rules' verdict and everything the window lacks; whether the claim counts as
supported is decided in `rag.support`, which never forgives a number, date, place, Arabic name,
negation or closed-class swap (`Verdict.hard`) and weighs the rest.

This is lexical entailment, not understanding: it catches a name swapped, a number or date
changed, a claim from no source and a claim cited to the wrong source, and it misses a swap of
roles between two names that both stand in the window, a reversal by an antonym outside the
short list, and a claim built from words the source holds in another sense (see the README's
figures). Which sentences an answer cites is `rag.citations`; nothing
here reads files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

from core.arabic import STOPWORDS, light_stem, normalize, tokenize, variant_key, word_set as _norm_set
from core.dictionary import FUNCTION_WORDS, arabic_senses
from core.glossary import arabic_equivalents
from rag.common_words import common_arabic, common_english, word_cost
from rag.contrasts import Contrast, claim_contrasts, swapped

WINDOW = 3  # a claim may draw on this many adjacent sentences of its source


# Words a faithful paraphrase changes freely: their absence from the source says nothing.
GENERIC = _norm_set(
    """
    وقد فقد لكن ولكن بل حيث كما وكما اذ إذ إذا اذا أيضا أيضاً كذلك فقط نحو حول بشأن خلال عبر لدى لدي الى إلى إلي
    منذ بعد قبل أثناء اثناء عند عندما حين حينما بينما وبينما فيما وفيما ثم بعدما قبلما سوى أكثر اكثر أقل اقل نفس نفسه
    وهي وهو وهم هذا وهذا هذه وهذه ذلك وذلك تلك وتلك التي الذي الذين اللذين وقد ولقد كانت وكانت كان وكان يكون تكون
    أن وأن إن وإن أنه وأنه إنه انه أنها إنها بأن بان لأن لان كي لكي حتى عدة عدد بعض كل جميع كافة مختلف
    قال وقال قالت وقالت يقول تقول أكد وأكد أكدت يؤكد تؤكد أوضح وأوضح أوضحت أضاف وأضاف أضافت وأضافت يضيف
    ذكر وذكر ذكرت وذكرت يذكر أشار وأشار أشارت يشير تشير صرح وصرح صرحت أعلن وأعلن أعلنت وأعلنت يعلن كشف وكشف كشفت
    أفاد وأفاد أفادت نقل ونقل نقلت ونقلت نقلا نقلاً وفق وفقا وفقاً بحسب حسب بحسبه طبقا لفت وتابع تابع
    جرى وجرى تم وتم يتم تمت جاء وجاء جاءت يأتي تأتي يأتى تأتى أتى
    التقى والتقى التقت يلتقي يلتقى سيلتقي سيلتقى لقاء اللقاء لقاءات اجتمع واجتمع اجتماع الاجتماع اجتماعا اجتماعات
    بحث وبحث بحثت ناقش وناقش ناقشت يناقش مناقشة لمناقشة مناقشات تباحث التباحث محادثات المحادثات مباحثات المباحثات
    تناول وتناول تناولت تطرق تطرقت
    قام وقام قامت يقوم أجرى أجرت إجراء شهد وشهدت شهدت
    أمر الأمر أمور مسألة مسائل شأن الشأن شؤون قضية قضايا ملف ملفات موضوع مواضيع جانب الجانب الجانبان الجانبين
    طرف الطرف الطرفان الطرفين الأطراف إطار الإطار مجال المجال مجالات سبل وسبل السبل أوجه
    ما هو وهي هي هم هما ضمن بين وبين مع ومع معه معها معهم برفقة رفقة
    the a an this that these those also as well including about regarding during while whereas after before
    said says say told stated added noted according reportedly reported announced stressed
    met meet meets meeting held hold discussed discuss discussion talks talk spoke
    يرى ترى رأى رأت يعتبر اعتبر ويرى يوم اليوم المقرر المنتظر بسبب نتيجة جراء إثر اثر وسط ظل
    ضد بدأ بدأت يبدأ جديد جديدة كبير كبيرة كبرى مهم مهمة هام هامة رسمي رسمية رسميا رسمياً
    الوقت وقت جدا تماما فعلا بالفعل حقا هامش لقاؤه لقائه إعادة بلاده بلادها بلادهم
    """
)

# Paraphrase groups: a claim word matches any word of its group found in the window.
SYNONYMS: tuple[frozenset[str], ...] = tuple(
    _norm_set(group) for group in (
        "زار زيارة زيارته زيارتها يزور توجه وصل وصول وصوله",
        "استقبل استقبال استقباله استقبله",
        "رافق يرافق رفقة برفقة مرافق المرافق رافقه ضم يضم",
        "وزير الوزير وزارة الوزارة",
        "رئيس الرئيس رئاسة ترأس يرأس رأس",
        "قائد القائد قيادة القيادة يقود قاد",
        "سلاح السلاح أسلحة الأسلحة تسليح التسليح",
        "توريد تزويد تزود يزود إمداد امداد إرسال ارسال",
        "حظر الحظر منع",
        "دعم الدعم يدعم تدعم مساندة",
        "جيش الجيش القوات قوات",
        "عسكري العسكري عسكرية العسكرية العسكريين عسكريين",
        "هدف الهدف تهدف يهدف أهداف بهدف غاية",
        "نفى تنفي ينفي نفت",
        "عاصمة العاصمة",
        "سفير السفير",
        "مصادر المصادر مصدر",
        "ابن نجل ابنيه ابناه أبناء",
        "مقاتلات طائرات",
        "مرتزقة متعاقدين متعاقدون",
        "الإرهاب الارهاب الإرهابيين الارهابيين الإرهابية الارهابية",
        "عام سنة العام السنة أعوام سنوات",
        "يتحدث تحدث يتكلم تكلم الحديث",
        "عقد عقود العقود صفقة صفقات الصفقات اتفاق اتفاقية",
        "عهد فترة حكم عصر",
        "متشدد متشددة المتشددة الجماعات التنظيمات تنظيم جماعة جماعات",
        "قريب قرب بالقرب",
        "بحري بحرية",
        "منسق تنسيق بالتنسيق ينسق",
        "مبرم المبرمة أبرم أبرمت",
        "ضابط ضباط الضباط العسكريين عسكريين",
        "أجندة جدول",
        "صحيفة صحف الصحيفتان صحيفتا الصحف",
        # Verbs and nouns a paraphrase trades for one another; matched on the root as well (`_roots`).
        "طلب يطلب رغب يرغب أراد يريد",
        "استخدم يستخدم استعمل يستعمل اعتمد يعتمد عول يعول",
        "مصير مآل",
        "يسمى سمي يعرف عرف",
        "الأنباء أنباء الصحافة",
        "حاليا الحالي الراهن الآن",
        "سعى يسعى تسعى حاول يحاول جهود جهودها",
        "أمريكي الأمريكي أميركي الأميركي الأمريكية الأميركية الأمريكيين واشنطن الولايات",
        "أوروبي الأوروبي الأوروبية أوروبا",
        "أصلح يصلح إصلاح رمم يرمم ترميم",
        "تصاعد ارتفع ازداد تزايد اشتد",
        "حدة شدة",
        "معارك المعارك قتال القتال اشتباكات",
        "تردي تدهور",
        "دائما دوما",
        "قادر قادرة يستطيع تستطيع استطاع",
    )
)

_MONTHS = {
    # English "may" is left out: it is far more often the verb.
    1: "يناير january", 2: "فبراير شباط february", 3: "مارس آذار march", 4: "أبريل ابريل إبريل نيسان april",
    5: "مايو أيار", 6: "يونيو يونيه حزيران june", 7: "يوليو يوليه تموز july", 8: "أغسطس اغسطس آب august",
    9: "سبتمبر أيلول september", 10: "أكتوبر october", 11: "نوفمبر november", 12: "ديسمبر december",
}
MONTHS = {normalize(w): m for m, words in _MONTHS.items() for w in words.split()}
# Levantine months of two words: the second word decides (تشرين الأول / الثاني, كانون الأول / الثاني).
_TWO_WORD_MONTHS = {("تشرين", "الاول"): 10, ("تشرين", "الثاني"): 11, ("كانون", "الاول"): 12, ("كانون", "الثاني"): 1}
_WEEKDAYS = {
    1: "الاثنين الإثنين monday", 2: "الثلاثاء tuesday", 3: "الأربعاء wednesday",
    4: "الخميس thursday", 5: "الجمعة friday", 6: "السبت saturday", 7: "الأحد sunday",
}
WEEKDAYS = {normalize(w): d for d, words in _WEEKDAYS.items() for w in words.split()}
for _prefix in ("و", "ب", "وب"):  # "وفي الثلاثاء", "بالأربعاء"
    WEEKDAYS.update({_prefix + w: d for w, d in list(WEEKDAYS.items()) if w.startswith("ال")})
# Times of day are checked as weekdays are (a claim's "مساء" needs a window that says evening), under
# values of their own: an answer that moves a morning arrival to the evening changes a date.
_TIMES_OF_DAY = {
    11: "صباح صباحا الصباح صباحاً morning", 12: "ظهر ظهرا الظهر ظهراً noon midday",
    13: "مساء مساءً المساء مساءا evening", 14: "ليلا ليلاً الليل ليل night overnight",
}
# How a missing weekday-like value is named in what a window lacks.
DAY_LABELS = {11: "time of day morning", 12: "time of day noon", 13: "time of day evening", 14: "time of day night",
              21: "date yesterday", 22: "date last week", 23: "date last month", 24: "date last year"}
# Dates said relative to the article's day are dates too (last week for last month is a date changed),
# checked as weekdays are: أمس alone, and a period followed (Arabic) or preceded (English) by "last".
_RELATIVE_DAYS = {"امس": 21, "بالامس": 21, "وامس": 21, "فامس": 21, "الامس": 21, "yesterday": 21}
_RELATIVE_PAIRS = {("last", "week"): 22, ("last", "month"): 23, ("last", "year"): 24}
_RELATIVE_PAIRS.update({(period, past): value
                        for period, value in (("الاسبوع", 22), ("الشهر", 23), ("العام", 24), ("السنه", 24))
                        for past in ("الماضي", "المنقضي", "المنصرم", "الفايت", "الماضيه", "المنقضيه", "المنصرمه",
                                     "الفايته")})
WEEKDAYS.update(_RELATIVE_DAYS)
WEEKDAYS.update({normalize(p + w): t for t, words in _TIMES_OF_DAY.items() for w in words.split()
                 for p in ("", "و", "ب") if w.isascii() == (p == "") or not w.isascii()})

_NUMBER_WORDS = {
    "1": "واحد واحدة one", "2": "اثنان اثنين اثنتان اثنتين two", "3": "ثلاث ثلاثة three", "4": "أربع أربعة four",
    "5": "خمس خمسة five", "6": "ست ستة six", "7": "سبع سبعة seven", "8": "ثمان ثماني ثمانية eight",
    "9": "تسع تسعة nine", "10": "عشر عشرة ten", "11": "eleven", "12": "twelve", "20": "عشرون عشرين twenty",
    "30": "ثلاثون ثلاثين thirty", "40": "أربعون أربعين forty", "50": "خمسون خمسين fifty",
    "100": "مئة مائة hundred", "1000": "ألف الف thousand", "1e6": "مليون ملايين million millions",
    "1e9": "مليار مليارات billion billions",
    "#1": "الأول الأولى أول first الحادي الحادية", "#2": "الثاني الثانية ثاني second", "#3": "الثالث الثالثة ثالث third",
    "#4": "الرابع الرابعة fourth", "#5": "الخامس الخامسة fifth", "#6": "السادس السادسة sixth",
    "#7": "السابع السابعة seventh", "#8": "الثامن الثامنة eighth", "#9": "التاسع التاسعة ninth",
    "#10": "العاشر العاشرة tenth", "#11": "eleventh", "#12": "twelfth",
}
NUMBER_WORDS = {normalize(w): v for v, words in _NUMBER_WORDS.items() for w in words.split()}
for _prefix in ("و", "ب", "ال"):
    NUMBER_WORDS.update({_prefix + w: v for w, v in list(NUMBER_WORDS.items())
                         if not w.isascii() and not w.startswith("ال") and _prefix + w not in NUMBER_WORDS})

# With the nouns of absence (غياب، انعدام, lack): "in the absence of direct flights" is what "there
# are no direct flights" says.
NEGATIONS = _norm_set("لم ولم لن ولن ليس ليست وليس لا ولا غير دون بدون عدم نفى تنفي ينفي نفت غياب وغياب انعدام "
                      "not no never without nor neither denied denies deny didn't doesn't don't isn't wasn't won't "
                      "cannot absence lack")


_TEEN = frozenset({"عشر", "عشره"})  # the second word of 11..19 (normalised)
# The number 2 said in words ("two countries", اثنين) also stands in Arabic as a dual noun (البلدين،
# ابنيه، الصحيفتان), which says no number: a window with a dual-looking word holds it.
_DUAL = re.compile(r"^[\u0600-\u06ff]{3,}(ان|ين|تان|تين|يه|اه)$")


def _is_negation(word: str) -> bool:
    """A negation word, also behind the conjunction و or ف (وتنفي، فلم)."""
    return word in NEGATIONS or (len(word) >= 3 and word[0] in "وف" and word[1:] in NEGATIONS)


NEGATION_SCOPE = 2  # a negation word negates the next content words, this many: لم تعلن، لا تستطيع أن تدعمه

_DIGITS = re.compile(r"^\d+$")
_DIGIT_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")  # 9th, 21st: an ordinal as "#9", as ninth / التاسع
_LATIN = re.compile("^[a-z][a-z']*$")
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z']+")
_SYNONYM_OF = {word: i for i, group in enumerate(SYNONYMS) for word in group}
_SYNONYM_OF.update({light_stem(word): i for i, group in enumerate(SYNONYMS) for word in group})
GENERIC_STEMS = frozenset(light_stem(w) for w in GENERIC if not w.isascii())
# Countries and capitals an answer may swap for one another. A place name may look like a verb
# (تونس like تدعم, تركيا like ترسل), so `_wording_like` alone would let it pass as wording.
PLACES = _norm_set(
    """
    ليبيا مصر تونس الجزائر المغرب موريتانيا السودان تشاد النيجر مالي سوريا العراق لبنان الأردن فلسطين
    اليمن السعودية الإمارات قطر الكويت البحرين عمان إيران تركيا إسرائيل روسيا أوكرانيا بيلاروسيا الصين
    اليابان الهند باكستان أفغانستان فرنسا ألمانيا إيطاليا بريطانيا إسبانيا اليونان مالطا أمريكا أميركا
    طرابلس بنغازي مصراتة سرت طبرق سبها درنة القاهرة الخرطوم الجزائر الرباط دمشق بغداد بيروت عمان
    الرياض أبوظبي الدوحة أنقرة إسطنبول طهران موسكو مينسك كييف بكين باريس برلين روما لندن واشنطن
    البرازيل الأرجنتين المكسيك كندا كوبا فنزويلا كولومبيا تشيلي أستراليا إندونيسيا ماليزيا الفلبين تايلاند
    فيتنام كوريا سنغافورة بنغلاديش سريلانكا كازاخستان أوزبكستان أذربيجان أرمينيا بولندا هولندا بلجيكا
    سويسرا النمسا السويد النرويج الدنمارك فنلندا البرتغال أيرلندا المجر رومانيا بلغاريا صربيا كرواتيا
    قبرص إثيوبيا الصومال كينيا نيجيريا غانا السنغال الكاميرون أوغندا تنزانيا جيبوتي إريتريا
    """
)
# Countries by the stem their adjective is built on (روسيا: الروسي، الروسية، الروس): an adjective of a
# country is a place, as the country is (الصينية for الروسية is a country swapped). Cities are left
# out: their adjectives are ordinary words too often (الرياضي is sport).
_COUNTRY_STEMS = {
    "ليبيا": "ليب", "مصر": "مصر", "تونس": "تونس", "الجزائر": "جزائر", "المغرب": "مغرب", "السودان": "سودان",
    "تشاد": "تشاد", "النيجر": "نيجر", "سوريا": "سور", "العراق": "عراق", "لبنان": "لبنان", "الأردن": "اردن",
    "فلسطين": "فلسطين", "اليمن": "يمن", "السعودية": "سعود", "الإمارات": "امارات", "قطر": "قطر",
    "الكويت": "كويت", "البحرين": "بحرين", "إيران": "ايران", "تركيا": "ترك", "إسرائيل": "اسراييل",
    "روسيا": "روس", "أوكرانيا": "اوكران", "بيلاروسيا": "بيلاروس", "الصين": "صين", "اليابان": "يابان",
    "الهند": "هند", "باكستان": "باكستان", "أفغانستان": "افغان", "فرنسا": "فرنس", "ألمانيا": "المان",
    "إيطاليا": "ايطال", "بريطانيا": "بريطان", "إسبانيا": "اسبان", "اليونان": "يونان", "أمريكا": "امريك",
    "أميركا": "اميرك",
}
_STEM_OF = {normalize(country): stem for country, stem in _COUNTRY_STEMS.items()}
_STEMS = frozenset(_STEM_OF.values())
_ADJECTIVE_ENDINGS = ("يين", "يون", "يه", "ي")
# A capital stands for its country in the news (موسكو for روسيا, Cairo for Egypt): either, and the
# country's adjective (الروسي), is found as the other. Not عمان (Oman or Amman) and not طرابلس, whose
# government is one side of Libya's divide.
_CAPITALS = ("روسيا موسكو", "مصر القاهرة", "تركيا أنقرة", "إيران طهران", "الصين بكين", "فرنسا باريس",
             "بريطانيا لندن", "ألمانيا برلين", "إيطاليا روما", "أمريكا أميركا واشنطن", "سوريا دمشق",
             "العراق بغداد", "لبنان بيروت", "السعودية الرياض", "الإمارات أبوظبي", "قطر الدوحة",
             "أوكرانيا كييف", "بيلاروسيا مينسك", "السودان الخرطوم", "المغرب الرباط")
_COUNTRY_OF = {w: i for i, pair in enumerate(_CAPITALS) for w in _norm_set(pair)}
_COUNTRY_OF_STEM = {_STEM_OF[w]: i for w, i in _COUNTRY_OF.items() if w in _STEM_OF}


def _nationality(word: str) -> str | None:
    """The stem of the country whose adjective `word` is (الصينية، الروسي، والسوريين، السعودي), else None."""
    forms = {word} | {word[len(p):] for p in ("و", "ب", "ل", "وال", "بال", "لل") if word.startswith(p)}
    for form in forms:
        base = form.removeprefix("ال")
        for ending in _ADJECTIVE_ENDINGS:
            if base.endswith(ending) and base[: -len(ending)] in _STEMS:
                return base[: -len(ending)]
    return None


# Words after which comes a name (a person, place, body or paper): a word there is never paraphrase.
NAME_CUES = _norm_set(
    "الرئيس رئيس السفير المشير اللواء الفريق العقيد الجنرال الدكتور الباحث الخبير المتحدث الناطق "
    "مدينة بمدينة منطقة قاعدة صحيفة صحيفتا وكالة عملية تنظيم مجموعة شركة ميليشيات"
)
EVERYDAY_COST = 13.0  # see `_everyday`
# Titles and offices: frequent words, but which office a person holds is a fact (رئيس for مدير).
ROLES = _norm_set("رئيس نائب وزير مدير قائد أمين سفير مستشار متحدث ناطق سكرتير مساعد ملك أمير زعيم")
SLACK = 0.25  # share of a claim's content words that may be its own wording, found nowhere in the sources


@dataclass(frozen=True)
class Term:
    """A content word of a claim and the keys any of which, found in a window, counts as finding it."""

    word: str
    keys: frozenset[str]
    stems: frozenset[str]  # Arabic stems tried as prefixes of a window's stems (and the reverse)
    name: bool = False  # a name (capitalised in English, or after a title or place noun): always required
    # An Arabic noun with the article (البحرية، المسماري) or one that cannot be wording (`_wording_like`:
    # واشنطن، أوروبي): a thing named, required.
    definite: bool = False
    roots: frozenset[str] = frozenset()  # for wording only (a verb, a verbal noun): its candidate roots (`_roots`)
    # A country or city (`PLACES`, or an English name spelt like one): a place swapped is a fault however
    # much else of the claim the window holds, so `rag.support` never forgives its absence.
    place: bool = False


@dataclass
class ClaimFacts:
    """What a claim asserts that a source must show: the words it is checked on."""

    numbers: set[str] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    weekdays: set[int] = field(default_factory=set)
    terms: list[Term] = field(default_factory=list)  # names and content words, all required
    negated: bool = False
    # Roots of the claim's verbs of saying (أعلنت، أكد): not checked as wording, but a source that
    # holds them only negated (لم تعلن) says the opposite.
    asserted: set[str] = field(default_factory=set)
    # Words of a closed class (a direction, an armed service, a ministry, a paper: `rag.contrasts`).
    contrasts: tuple[Contrast, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.numbers or self.months or self.weekdays or self.terms)


@dataclass(frozen=True)
class Evidence:
    """What a window of source sentences holds, in the same keys as a claim's terms."""

    keys: frozenset[str]
    stems: frozenset[str]
    numbers: frozenset[str]
    months: frozenset[int]
    weekdays: frozenset[int]
    negated: bool
    roots: frozenset[str] = frozenset()
    # The keys, stems and roots of the words no negation governs: a claim word found only among the
    # others (لم تعلن for أعلنت, لا تستطيع أن تدعمه for قادرة على دعمه) is a statement reversed.
    plain_keys: frozenset[str] = frozenset()
    plain_stems: frozenset[str] = frozenset()
    plain_roots: frozenset[str] = frozenset()
    dual: bool = False  # a word with a dual ending (البلدين), which says "two" (`_number_found`)


@dataclass(frozen=True)
class Verdict:
    """The check of one claim against one window: supported, or what the window lacks."""

    supported: bool
    missing: tuple[str, ...]  # the claim's words (or values) the window does not hold
    matched: int  # how many of the claim's facts it does hold
    # A number, date, weekday, time of day or relative date the window lacks, a place or an Arabic name
    # after a cue it lacks, a negation lacking or reversed, an antonym: what `rag.support` never
    # forgives. A claim with nothing checkable counts as one too.
    hard: bool = False
    absent: tuple[Term, ...] = ()  # the claim's terms the window does not hold (names, things, wording)


def _word_keys(word: str) -> tuple[set[str], set[str]]:
    """(keys, stems) of one normalised Arabic (or Latin) word: its stem, transliteration keys and synonym
    group, read as written and without a one-letter proclitic (بوزير is ب + وزير; light10 keeps the ب)."""
    keys: set[str] = set()
    stems: set[str] = set()
    forms = [word]
    if not word.isascii():
        if len(word) >= 4 and word[0] in "بلكفو":
            forms.append(word[1:])
        if len(word) >= 4 and word.endswith("ا"):  # accusative tanwin: بيانا is بيان
            forms.append(word[:-1])
    for form in forms:
        stem = light_stem(form)
        keys.add(stem)
        keys.update(k for k in (variant_key(stem), *_sound_keys(form)) if k)
        for candidate in (form, stem):
            if candidate in _SYNONYM_OF:
                keys.add(f"syn:{_SYNONYM_OF[candidate]}")
            if candidate in _COUNTRY_OF:
                keys.add(f"country:{_COUNTRY_OF[candidate]}")
        country = _COUNTRY_OF_STEM.get(_nationality(form) or "")
        if country is not None:
            keys.add(f"country:{country}")
        if len(stem) >= 3 and not stem.isascii():
            stems.add(stem)
        if len(stem) >= 4 and not stem.isascii():
            # The same letters in another order: a typing slip of the source (عكسري for عسكري).
            keys.add("anagram:" + "".join(sorted(form)))
    return keys, stems


_VOWELS = str.maketrans({"ا": None, "و": None, "ي": None, "ع": None, "ء": None})
_SOUNDS = str.maketrans({"غ": "ج", "ق": "ج", "ك": "ج", "ح": "ه", "خ": "ه", "ص": "س", "ث": "س", "ط": "ت", "ض": "د",
                         "ظ": "ز", "ذ": "ز"})


def _sound_keys(word: str) -> set[str]:
    """Transliteration keys for a name of any length (core.arabic.variant_key keeps to stems of 4+
    letters): vowels dropped, look-alike sounds folded, تش as ش, a final ة dropped; an initial ال is
    tried both as the article and as part of the name (ألكسندر)."""
    if word.isascii():
        if len(word) < 4 or not word.isalpha():
            return set()
        # An initial w is often a v in names written from German or Russian (Wagner, فاغنر).
        spellings = [word, "v" + word[1:]] if word.startswith("w") else [word]
        # A final "ah" is often the Arabic ة, which the Arabic keys drop (Dbeibah, الدبيبة).
        spellings += [s[:-1] for s in spellings if s.endswith("ah")]
        return {k for k in map(variant_key, spellings) if k}
    forms = [word] + ([word[2:]] if word.startswith("ال") and len(word) >= 5 else [])
    keys = set()
    for form in forms:
        form = form.removesuffix("ه").replace("تش", "ش")
        if len(form) < 3:
            continue
        first = "ا" if form[0] in "عءاي" else form[0]
        key = re.sub(r"(.)\1+", r"\1", (first + form[1:].translate(_VOWELS)).translate(_SOUNDS))
        if len(key) >= 2:
            keys.add("~" + key)
        # The same with its vowels kept: two Arabic spellings of one short name (شويغو / شويجو).
        keys.add("≈" + re.sub(r"(.)\1+", r"\1", (first + form[1:]).translate(_SOUNDS)))
        if "ذ" in form:
            # ذ is written d in English as often as z or dh (Gaddafi, القذافي): the key an English d gives.
            keys.add("~" + re.sub(r"(.)\1+", r"\1", (first + form[1:].replace("ذ", "د").translate(_VOWELS)).translate(_SOUNDS)))
    return keys


def _arabic_claim_keys(word: str, keys: set[str]) -> set[str]:
    """The keys an Arabic claim word is sought under. Transliteration keys are for foreign names,
    which Arabic spells several ways; they are dropped where they would join two Arabic words:
    for a word with the feminine ending (الكفرة is not الجفرة, درنة is Arabic) and, vowels dropped,
    for a skeleton of fewer than four consonants (وزراء is not وزير, تاس is not تأسيس, الصينية is
    not صيانة); a short name is then sought with its vowels (شويجو for شويغو)."""
    if word.endswith("ه"):
        return {k for k in keys if k[0] not in "~≈"}
    return {k for k in keys if not k.startswith("~") or len(k) > 4}


# What an Arabic word may carry around its root: proclitics (the article, و ف ب ل, the future س) and
# endings (person, number, object pronouns, the feminine ة and accusative ا).
_CLITICS = ("وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "س")
_ENDINGS = ("تما", "هما", "تم", "وا", "ون", "ين", "ان", "ات", "نا", "ها", "هم", "ه", "ت", "ي", "ا")


def _strip_all(forms: set[str], step) -> None:
    for form in list(forms):
        forms.update(new for new in step(form) if len(new) >= 3)


@lru_cache(maxsize=65536)
def _roots(word: str) -> frozenset[str]:
    """Candidate three-letter roots of a normalised Arabic word: what is left once clitics, endings,
    the prefix of the present tense (يكشف، تعلن), the أ of form IV, the م of participles, the ت and
    ا of the derived forms (تباحث، ناقش، اجتمع، استخدم) and a long vowel of the verbal noun (ظهور،
    إعلان) are taken off, tried every way. Over-generous on purpose: a paraphrase changes a verb's
    person, tense and form (أعلنت / تعلن, يوجه / يتوجه, التدخل / تتدخل), and roots are only ever used
    to find a claim's wording, never its names or the nouns it is about (`Term.roots`)."""
    if word.isascii() or len(word) < 3:
        return frozenset()
    forms = {word}
    for _ in range(2):
        _strip_all(forms, lambda w: [w[len(c):] for c in _CLITICS if w.startswith(c)])
    for _ in range(2):
        _strip_all(forms, lambda w: [w[: -len(e)] for e in _ENDINGS if w.endswith(e)])
    for _ in range(3):
        _strip_all(forms, lambda w: [w[1:]] if len(w) >= 4 and w[0] in "يتنام" else [])
        _strip_all(forms, lambda w: [w[0] + w[2:]] if len(w) >= 4 and w[1] in "تا" else [])
        _strip_all(forms, lambda w: [w[2:]] if len(w) >= 5 and w.startswith("ست") else [])
    _strip_all(forms, lambda w: [w[:2] + w[3:]] if len(w) == 4 and w[2] in "اوي" else [])
    return frozenset(f for f in forms if len(f) == 3)


# Verbs of saying, opinion and meeting, by root: a claim words them as it likes.
GENERIC_ROOTS = frozenset().union(*(_roots(normalize(w)) for w in (
    "أكد أوضح أضاف ذكر أشار صرح أعلن كشف أفاد تابع جرى أجرى التقى اجتمع بحث ناقش تباحث تناول تطرق "
    "شهد اعتبر شدد أدلى لفت نوه أبرز اعتقد رجح جدد").split()))


def _number_of(word: str) -> str | None:
    if _DIGITS.match(word):
        return str(int(word))  # "09" is 9
    ordinal = _DIGIT_ORDINAL.match(word)
    if ordinal:
        return f"#{int(ordinal.group(1))}"
    return NUMBER_WORDS.get(word)


def _facts_of_words(words: Sequence[str], facts: ClaimFacts | None, evidence: dict | None) -> None:
    skip = False
    scope = 0  # how many of the next content words a negation governs
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        if _is_negation(word):
            if facts is not None:
                facts.negated = True
            if evidence is not None:
                evidence["negated"] = True
            scope = NEGATION_SCOPE
            continue
        date = _two_word_date(words, i)
        if date is not None:
            kind, value = date
            (getattr(facts, kind) if facts is not None else evidence[kind]).add(value)
            skip = True
            continue
        month = MONTHS.get(word) or MONTHS.get(word.removeprefix("و").removeprefix("ف"))
        if month:
            (facts.months if facts is not None else evidence["months"]).add(month)
            continue
        day = WEEKDAYS.get(word)
        if day:
            (facts.weekdays if facts is not None else evidence["weekdays"]).add(day)
            continue
        number = _number_of(word)
        if number is not None:
            if i + 1 < len(words) and words[i + 1] in _TEEN and number.lstrip("#").isdigit() and int(number.lstrip("#")) < 10:
                # الحادي عشر، السادس عشر، خمسة عشر: one number of two words (#11, #16, 15)
                number = ("#" if number.startswith("#") else "") + str(10 + int(number.lstrip("#")))
                skip = True
            (facts.numbers if facts is not None else evidence["numbers"]).add(number)
            continue
        if facts is not None:
            continue  # claim words are handled by the caller, which knows which ones are required
        keys, stems = _word_keys(word)
        roots = _roots(word)
        if _DUAL.match(word):
            evidence["dual"] = True
        evidence["keys"].update(keys)
        evidence["stems"].update(stems)
        evidence["roots"].update(roots)
        if scope:
            scope -= 1
        else:
            evidence["plain_keys"].update(keys)
            evidence["plain_stems"].update(stems)
            evidence["plain_roots"].update(roots)


def _adverbial_first(words: Sequence[str], i: int) -> bool:
    """English "first" as an adverb (he first stopped in Cairo, at first): an order of events, not the
    ordinal a source must hold."""
    if words[i] != "first":
        return False
    after = words[i + 1] if i + 1 < len(words) else ""
    return (i > 0 and words[i - 1] == "at") or (len(after) > 3 and after.endswith("ed"))


@lru_cache(maxsize=8192)  # the same retrieved sentences come back question after question
def evidence_of(text: str) -> Evidence:
    """The keys, numbers, dates and negation of a passage of source text."""
    words = [w for w in tokenize(text) if w not in STOPWORDS or w in NEGATIONS or w in WEEKDAYS]
    found: dict = {"numbers": set(), "months": set(), "weekdays": set(), "negated": False, "dual": False,
                   **{k: set() for k in ("keys", "stems", "roots", "plain_keys", "plain_stems", "plain_roots")}}
    _facts_of_words(words, None, found)
    return Evidence(**{k: v if isinstance(v, bool) else frozenset(v) for k, v in found.items()})


def _two_word_date(words: Sequence[str], i: int) -> tuple[str, int] | None:
    """("months", month) or ("weekdays", value) when words i and i + 1 make a two-word month (تشرين
    الثاني) or relative date (الشهر الماضي, last week); None otherwise."""
    pair = (words[i].removeprefix("و").removeprefix("ف"), words[i + 1] if i + 1 < len(words) else "")
    if pair in _RELATIVE_PAIRS:
        return "weekdays", _RELATIVE_PAIRS[pair]
    if pair in _TWO_WORD_MONTHS:
        return "months", _TWO_WORD_MONTHS[pair]
    return None


def _in_date_pairs(words: Sequence[str]) -> set[int]:
    """Positions of the words that make a two-word date (`_two_word_date`)."""
    return {j for i in range(len(words)) if _two_word_date(words, i) is not None for j in (i, i + 1)}


def claim_facts(claim: str) -> ClaimFacts:
    """The facts a claim (Arabic or English) asserts, as `Term`s and values to look for in a source."""
    facts = ClaimFacts()
    capitalised = _names_by_case(claim)
    words = tokenize(claim)
    # "one of the main transit countries", "واحدة من": a member of a group, not a count of one; "first"
    # as an adverb (he first stopped in Cairo) orders events and is no ordinal.
    counted = [w for i, (w, nxt) in enumerate(zip(words, [*words[1:], ""]))
               if not (_number_of(w) == "1" and nxt in ("of", "من")) and not _adverbial_first(words, i)]
    _facts_of_words([w for w in counted if w not in STOPWORDS or _is_negation(w)], facts, None)
    facts.contrasts = claim_contrasts(words, capitalised)
    seen: set[str] = set()
    dated = _in_date_pairs(words)
    for i, word in enumerate(words):
        if i in dated:
            continue  # a word of a two-word date (الشهر الماضي, تشرين الثاني): checked as a date, not as a term
        if _is_generic(word) and not word.isascii() and not word.startswith("ال"):
            facts.asserted |= _roots(word) & GENERIC_ROOTS
        if (word in STOPWORDS or _is_generic(word) or _is_negation(word) or word in seen or _number_of(word)
                or _everyday(word)
                or word in MONTHS or word in WEEKDAYS or len(word) < 2):
            continue
        seen.add(word)
        if _LATIN.match(word):
            term = _english_term(word, word in capitalised)
        else:
            keys, stems = _word_keys(word)
            keys = _arabic_claim_keys(word, keys)
            place = word in PLACES or word[1:] in PLACES or _nationality(word) is not None
            before = words[i - 1] if i > 0 else ""
            # A cue behind a one-letter proclitic counts too: لوكالة تاس, بصحيفة الغارديان, ومدينة سرت.
            cued = before in NAME_CUES or (len(before) > 3 and before[0] in "لبو" and before[1:] in NAME_CUES)
            name = (cued and not _prepositional(word)) or place
            article = _has_article(word)
            definite = article or _is_role(word) or (not word.startswith(_ARTICLES) and not _wording_like(word)
                                                     and not common_arabic(word))
            term = Term(word, frozenset(keys), frozenset(stems), name=name, definite=definite,
                        roots=frozenset() if name or article else _roots(word), place=place)
        if term is not None:
            facts.terms.append(term)
    return facts


def _everyday(word: str) -> bool:
    """An Arabic word without the article that is among the most frequent words (one piece of the
    vocabulary, `EVERYDAY_COST`: خارج، هدف، بكل، وما، عدد): a paraphrase's connective wording, as
    `GENERIC` words are; not checked. A place name stays a name (`PLACES`)."""
    if word.isascii() or word.startswith(_ARTICLES) or word in PLACES or word[1:] in PLACES:
        return False
    if _is_role(word):
        return False  # رئيس، وزير: frequent, but a role swapped is a fault
    cost = word_cost(word)
    return cost is not None and cost <= EVERYDAY_COST


def _is_role(word: str) -> bool:
    """A title or office (`ROLES`), also behind a one-letter proclitic (ووزير، بنائب)."""
    return word in ROLES or (len(word) >= 4 and word[1:] in ROLES)


def _prepositional(word: str) -> bool:
    """A common word behind a preposition (باسم، بصفته، لدى): what follows a title there is a phrase
    (المتحدث باسم الوزارة), not a name. A common word alone after a title may well be a name (وكالة
    رويترز, وكالة تاس: famous names are frequent pieces)."""
    return len(word) >= 4 and word[0] in "بلك" and common_arabic(word)


def _names_by_case(claim: str) -> set[str]:
    """The words an English claim capitalises as names. The first word of a sentence (or of a list
    item) is capitalised whatever it is: it counts as a name only when it is not everyday English
    (`common_english`: Informed, Since, Signalling are not names; Haftar, Shoigu are)."""
    first = re.match(r"[\W\d_]*([A-Za-z']+)", claim)
    names = set()
    for m in _CAPITALISED.finditer(claim):
        words = tokenize(m.group(0))
        if first and m.start() == first.start(1) and all(common_english(w) for w in words):
            continue
        names.update(words)
    return names


# Verbal nouns and participles of the derived verb forms (التحضير، التعاون، المتكررة، الاستقرار،
# الانسحاب) name an action, not a thing: a paraphrase rewords them as it rewords verbs.
_DERIVED = ("ت", "مت", "است", "ان", "مست", "من")
_ARTICLES = ("ال", "وال", "فال", "بال", "كال", "لل", "ولل", "وبال")


def _has_article(word: str) -> bool:
    """An Arabic noun with the definite article (after a conjunction or preposition: والجزائر،
    بالقاهرة) that is not a verbal noun or participle of a derived verb form."""
    for prefix in _ARTICLES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            rest = word[len(prefix):]
            return not any(rest.startswith(d) and len(rest) - len(d) >= 3 for d in _DERIVED)
    return False


def _wording_like(word: str) -> bool:
    """Whether an Arabic word without the article may be a claim's own wording: a verb (يعتقد، صرفت،
    شدد، سيلتقي، أقروا), a verbal noun or participle (تأسيس، إعلان، انفتاح، مشددا), an adverb (دائما،
    رسميا) or a word of three letters (دعم، حظر). Any other noun the source lacks (واشنطن، بلقاسم،
    أوروبي) is a thing named, a fact that must be there."""
    if word.startswith(_ARTICLES):
        return False
    if word[0] in "وف" and len(word) >= 4:
        word = word[1:]
    if word[0] in "بلك" and len(word) >= 5:
        word = word[1:]
    if len(word) <= 3 or word.endswith(("ا", "وا")):
        return True
    if word[0] in "يتن" or (word[0] == "س" and word[1] in "يتن"):
        return True  # the present tense, and the verbal nouns of forms II, V and VI (تسليح، تعاون)
    if word.endswith("ت") and not word.endswith("ات") and len(word) <= 6:
        return True  # a verb in the past, third person feminine (عرقلت، أقرت)
    if word[0] == "م" or word.startswith(("است", "ان")):
        return True  # participles, and verbal nouns of forms VII and X
    return len(word) == 4 and word[0] == "ا" or bool(re.match("^ا..+ا.$", word))  # أكد، إعلان، اهتمام


def _is_generic(word: str) -> bool:
    if word in GENERIC:
        return True
    if word.isascii():
        return False
    forms = [word] + ([word[1:]] if len(word) >= 4 and word[0] in "وف" else [])
    if any(light_stem(f) in GENERIC_STEMS or f in GENERIC for f in forms):
        return True
    # A verb of saying, opinion or meeting in any person, tense or form (تكشف، وشدد، مشددا، يعتقد):
    # only a word without the article, so that the nouns of those roots (الباحث، الاجتماع) still count.
    return not _has_article(word) and not word.startswith("ال") and bool(_roots(word) & GENERIC_ROOTS)


def _english_term(word: str, capitalised: bool) -> Term | None:
    """An English word as the Arabic keys it may appear under; None when it cannot be checked."""
    keys: set[str] = set()
    stems: set[str] = set()
    glossed = arabic_equivalents(word)
    for arabic in tokenize(glossed):
        if arabic in STOPWORDS:
            continue
        k, s = _word_keys(arabic)
        keys |= k
        stems |= s
    if not keys and word not in FUNCTION_WORDS:
        # A word the glossary does not know: its senses in the general dictionary (Algeria, navy).
        # For a name only the one-word senses (Belarus is «روسيا البيضاء», which must not find
        # Russia); and only words that say something: a dictionary sense of "else" (ما عدا ذلك) or
        # "something" (الشيء) is everyday wording found in any passage, as are the short keys of a
        # sense's stem (كل of كليا).
        for sense in arabic_senses(word):
            if capitalised and len(sense.split()) > 1:
                continue
            for arabic in tokenize(sense):
                if len(arabic) < 4 or arabic in STOPWORDS or _is_generic(arabic) or _everyday(arabic.removeprefix("ال")):
                    continue
                k, s = _word_keys(arabic)
                keys |= {key for key in k if len(key.lstrip("~≈")) >= 3}
                stems |= {stem for stem in s if len(stem) >= 3}
    if capitalised and len(word) >= 4:  # a name: its transliteration (Shoigu ~ شويغو)
        keys |= _sound_keys(word)
        if not keys:
            keys.add(f"latin:{word}")  # a name that cannot be transliterated must appear as written
    if not keys:
        return None  # an English word neither the glossary nor the dictionary reads (or a short name): not checkable
    # A place by the glossary (Moscow), or spelt like one when it is no everyday word (Sirte, not Major).
    place = capitalised and bool(keys & _PLACE_KEYS) and (
        bool(set(tokenize(glossed or " ".join(arabic_senses(word)))) & PLACES)
        or not common_english(word))
    return Term(word, frozenset(keys), frozenset(stems), name=capitalised and len(word) >= 4, place=place)


# The keys of every place (`PLACES`) as written and as transliterated: an English capitalised word
# that shares one is a place (Cairo, Benghazi, Sirte).
# Consonant skeletons included: they find Sirte (سرت), and they also make a few names places (Omar, as
# عمان); measured on the claim sets, dropping the short ones lost more caught faults than false flags.
_PLACE_KEYS = frozenset(k for p in PLACES for k in _word_keys(p)[0] | _sound_keys(p)
                        if not k.startswith(("anagram:", "syn:")))


def _found(term: Term, evidence: Evidence, plain: bool = False) -> bool:
    """Whether the window holds the term (`plain`: outside the scope of a negation)."""
    keys, stems, roots = ((evidence.plain_keys, evidence.plain_stems, evidence.plain_roots) if plain
                          else (evidence.keys, evidence.stems, evidence.roots))
    if term.keys & keys or term.roots & roots:
        return True
    for stem in term.stems:
        for other in stems:
            short, long_ = (stem, other) if len(stem) <= len(other) else (other, stem)
            if long_.startswith(short) and len(long_) - len(short) <= 3:
                return True
    return False


def check(facts: ClaimFacts, evidence: Evidence, rivals: dict[str, int] | None = None) -> Verdict:
    """Whether `evidence` holds every fact of the claim; what it lacks otherwise.

    Numbers, dates, negation and names must all be there, and so must Arabic nouns with the article
    (البحرية، الخارجية، المسماري) and nouns that cannot be wording (واشنطن، أوروبي): they name the
    things a claim is about, where a paraphrase rewords its verbs (عقد، شدد، تعتبر). Another content
    word that is not there is forgiven as the claim's own wording for at most `SLACK` of the claim's
    content words, and only when no other passage of the sources that holds it supports the claim
    as well as this one (`rivals`, from `rival_support`): that is the mark of a fact moved from another place (a name
    swapped in from another article, a true claim cited to the wrong source). A claim with nothing
    that can be checked (no name, number, date or content word) is not supported, and neither is
    one the window negates (`_reversed`).
    """
    if facts.empty:
        return Verdict(False, ("(nothing checkable)",), 0, hard=True)
    missing: list[str] = []
    absent: list[Term] = []
    matched = 0
    for number in sorted(facts.numbers):
        if _number_found(number, evidence):
            matched += 1
        else:
            missing.append(number)
    for month in sorted(facts.months):
        if month in evidence.months:
            matched += 1
        else:
            missing.append(f"month {month}")
    for day in sorted(facts.weekdays):
        if day in evidence.weekdays:
            matched += 1
        else:
            missing.append(DAY_LABELS.get(day, f"weekday {day}"))
    values_missing = bool(missing)  # a number, month, weekday or time of day
    for term in facts.terms:
        if _found(term, evidence):
            matched += 1
        else:
            absent.append(term)
    own_words = []
    for term in absent:
        if term.name or term.definite or (rivals is not None and rivals.get(term.word, -1) >= matched):
            missing.append(term.word)
        else:
            own_words.append(term.word)
    if missing or len(own_words) > int(SLACK * len(facts.terms)):
        missing.extend(own_words)  # all that the window lacks, once the claim is not supported
    hard = values_missing or any(t.place or (t.name and not t.word.isascii()) for t in absent)
    if facts.negated and not evidence.negated:
        missing.append("negation")
        hard = True
    elif not facts.negated and _reversed(facts, evidence):
        missing.append("negation (the source negates what the claim asserts)")
        hard = True
    opposite = _opposite(facts, evidence)
    if opposite:
        missing.append(f"{opposite[0]} (the source says {opposite[1]})")
        hard = True
    swap = swapped(facts.contrasts, evidence.keys)
    if swap:
        missing.append(f"{swap[0]} (the source says {swap[1]})")
        hard = True
    return Verdict(not missing, tuple(missing), matched, hard=hard, absent=tuple(absent))


# Verbs a claim may turn into their opposite (أيدت for عرقلت): pairs of general antonyms, Arabic and
# English. A claim word of one side that the window lacks, where the window holds the other side,
# reverses the source.
_ANTONYM_PAIRS = (
    ("أيد يؤيد تؤيد أيدت تأييد ساند يساند supported backed endorsed favoured favored",
     "عرقل يعرقل عرقلت تعرقل منع يمنع منعت عارض يعارض عارضت blocked obstructed opposed vetoed"),
    ("رفع يرفع رفعت lifted", "فرض يفرض فرضت imposed"),
    ("قبل يقبل قبلت وافق يوافق وافقت accepted approved", "رفض يرفض رفضت rejected refused"),
    ("ارتفع يرتفع ارتفعت زاد يزيد زادت increased rose", "انخفض ينخفض انخفضت تراجع يتراجع تراجعت decreased fell"),
    ("وصل يصل وصلت arrived", "غادر يغادر غادرت departed"),
    ("فاز يفوز فازت ربح يربح ربحت كسب يكسب كسبت won win wins gained gain gains profited",
     "خسر يخسر خسرت lost lose loses"),
    ("تدخل يتدخل تتدخل intervened interfered", "امتنع يمتنع امتنعت refrained"),
)


def _antonym_sides() -> list[tuple[frozenset[str], list[Term]]]:
    sides = []
    for left, right in _ANTONYM_PAIRS:
        for mine, theirs in ((left, right), (right, left)):
            words = frozenset(light_stem(w) for w in _norm_set(mine))
            opposite = [Term(w, frozenset(_word_keys(w)[0]), frozenset()) for w in _norm_set(theirs) if not w.isascii()]
            sides.append((words, opposite))
    return sides


_ANTONYMS = _antonym_sides()


def _opposite(facts: ClaimFacts, evidence: Evidence) -> tuple[str, str] | None:
    """(claim word, source word) where the window lacks a claim word of `_ANTONYM_PAIRS` but holds
    its opposite; None otherwise."""
    for term in facts.terms:
        forms = {light_stem(term.word), light_stem(term.word[1:]) if term.word[:1] in "وف" else ""}
        for words, opposite in _ANTONYMS:
            if forms & words and not _found(term, evidence):
                held = next((t.word for t in opposite if _found(t, evidence)), None)
                if held:
                    return term.word, held
    return None


def opposite_in(statement: str, text: str, context: str | None = None) -> tuple[str, str] | None:
    """(word of the statement, its opposite in `text`) when `text` says the reverse of it by one of the
    general antonym pairs (a question's "فاز" where the article says "خسر"), and `context` (the text
    around it), when given, reverses it too rather than saying it; None otherwise."""
    facts = claim_facts(statement)
    found = _opposite(facts, evidence_of(text))
    if found is not None and context is not None and _opposite(facts, evidence_of(context)) is None:
        return None
    return found


def said_in(verb: str, text: str) -> bool:
    """Whether `text` says `verb` (normalised, as `rag.question.premise_word` gives it): the word
    itself, or a word of the same candidate root (`_roots`: أعدم / إعدام, يريد / يريدون, وجد / يوجد)."""
    norm = normalize(text)
    if verb in norm:
        return True
    wanted = _roots(verb) or frozenset({verb})
    return any(_roots(word) & wanted for word in tokenize(norm) if len(word) >= 3)


def _number_found(number: str, evidence: Evidence) -> bool:
    """Whether the window holds the number: as the same value, an ordinal as its digits (السادس عشر
    من مايو for 16 مايو) and the reverse, and 2 as a dual noun (`_DUAL`)."""
    if number in evidence.numbers or number.lstrip("#") in evidence.numbers or "#" + number in evidence.numbers:
        return True
    return number == "2" and evidence.dual


def _reversed(facts: ClaimFacts, evidence: Evidence) -> bool:
    """Whether the window holds a word of the claim (a name aside), or the root of its verb of
    saying, only where a negation governs it: لم تعلن موسكو for أعلنت موسكو, لا تستطيع أن تدعمه
    for قادرة على دعمه, عدم التدخل for تتدخل. The claim then says the opposite of its source."""
    if facts.asserted & (evidence.roots - evidence.plain_roots):
        return True
    return any(_found(t, evidence) and not _found(t, evidence, plain=True) for t in facts.terms if not t.name)


def rival_support(facts: ClaimFacts, windows: Sequence[Evidence]) -> dict[str, int]:
    """For each content word of the claim, the most facts of the claim that any one window holding
    that word holds (words no window holds are absent): what `check` weighs a missing word against."""
    best: dict[str, int] = {}
    for evidence in windows:
        held = [t.word for t in facts.terms if _found(t, evidence)]
        if not held:
            continue
        score = len(held) + len(facts.numbers & evidence.numbers) + len(facts.months & evidence.months) \
            + len(facts.weekdays & evidence.weekdays)
        for word in held:
            best[word] = max(best.get(word, 0), score)
    return best


def windows_of(texts: Sequence[str], width: int = WINDOW) -> list[tuple[int, int, Evidence]]:
    """Every run of 1..width adjacent texts as (first, last + 1, its evidence)."""
    single = [evidence_of(t) for t in texts]
    out = []
    for size in range(1, width + 1):
        for i in range(0, len(texts) - size + 1):
            out.append((i, i + size, single[i] if size == 1 else _merge(single[i : i + size])))
    return out


def best_window(facts: ClaimFacts, windows: Sequence[tuple[int, int, Evidence]],
                rivals: dict[str, int] | None = None) -> tuple[int, int, Verdict] | None:
    """The window (`windows_of`) that best supports the claim, as (first, last + 1, verdict): a
    supporting one if there is one (the shortest, then the one matching most), else the one lacking
    least. None when there are no windows."""
    best: tuple[tuple, int, int, Verdict] | None = None
    for first, last, evidence in windows:
        verdict = check(facts, evidence, rivals)
        rank = (verdict.supported, -len(verdict.missing), verdict.matched, first - last)
        if best is None or rank > best[0]:
            best = (rank, first, last, verdict)
    return None if best is None else (best[1], best[2], best[3])


def _merge(parts: Iterable[Evidence]) -> Evidence:
    parts = list(parts)
    sets = {name: frozenset().union(*(getattr(p, name) for p in parts))
            for name in ("keys", "stems", "numbers", "months", "weekdays", "roots", "plain_keys", "plain_stems",
                         "plain_roots")}
    return Evidence(negated=any(p.negated for p in parts), dual=any(p.dual for p in parts), **sets)
