"""The short answer (rag.short_answer): what a question asks for, the span of a cited quote that answers
it, and its offsets, which must be a verified slice of the file like any citation."""

from __future__ import annotations

import pytest

from core.results import Citation, ShortAnswer
from rag.question_kind import answer_kind, clause_kind
from rag.short_answer import find_short_answer, lead_with, verified


@pytest.mark.parametrize("question, kind", [
    ("متى زار حفتر بيلاروسيا؟", "date"),
    ("في أي عام تأسست الجامعة؟", "date"),
    ("When did Haftar visit Belarus?", "date"),
    ("كم عدد الطائرات التي وصلت؟", "count"),
    ("How many aircraft arrived?", "count"),
    ("ما هي مساحة مصر؟", "count"),
    ("بكم بيعت اللوحة؟", "amount"),
    ("كم تكلفة المشروع؟", "amount"),
    ("How much did the project cost?", "amount"),
    ("من هو السفير الروسي لدى ليبيا؟", "person"),
    ("ومن رافقه في الزيارة؟", "person"),
    ("لمن كان ينتمي المقر؟", "person"),
    ("Who is the Russian ambassador to Libya?", "person"),
    ("أين تقع القاعدة؟", "place"),
    ("في أي مدينة ولد؟", "place"),
    ("ما هي عاصمة المغرب؟", "place"),
    ("Where is the base?", "place"),
    ("ما اسم القاعدة الجوية التي تستخدمها روسيا؟", "name"),
    ("ماسم المشروع؟", "name"),
    ("ما اسم النهر؟", "place"),
    ("بماذا يعرف الملعب؟", "name"),
    ("What is the name of the air base?", "name"),
    ("ما هي الجائزة التي فاز بها؟", "thing"),
    ("ما آخر يوم لتقديم الطلبات؟", "date"),  # the noun after "آخر/أول" says the kind
    ("ما أول مدينة زارها؟", "place"),
    ("In which area of Syria were the journalists when contact was lost?", "place"),
    ("What is the area of Egypt?", "count"),
    ("ما أول من وصل إلى القمة؟", "person"),
    ("What is the last name of the player?", "name"),
    ("لماذا زار حفتر موسكو؟", ""),
    ("كيف وصل الوفد؟", ""),
    ("هل زار حفتر موسكو؟", ""),
    ("Why did he go?", ""),
])
def test_answer_kind_reads_the_interrogative(question, kind):
    assert answer_kind(question) == kind


def test_the_preposition_min_in_the_middle_of_a_question_is_not_who():
    assert answer_kind("زار وفد من روسيا ليبيا متى؟") == "date"
    assert answer_kind("خرج الوفد من القاعدة") == ""


FILE = "a.txt"
TEXT = ("مقدمة المقال.\n"
        "وصل السفير الروسي في ليبيا إيفان مولوتكوف إلى بنغازي يوم الثلاثاء 5 مارس 2024، في زيارة رسمية. "
        "وتستخدم روسيا قاعدة معطن السارة الجوية قرب الكفرة منذ عام 2019. "
        "وبلغت قيمة الصفقة 300 مليون دولار، وشملت 12 طائرة مقاتلة.\n")


def cite(n: int, sentence: str) -> Citation:
    start = TEXT.index(sentence) if sentence in TEXT else 0
    return Citation(n, FILE, start, start + len(sentence), sentence)


SENTENCES = [s for s in TEXT.split("\n")[1].split(". ") if s]
S1 = SENTENCES[0] + "."
S2 = SENTENCES[1] + "."
S3 = SENTENCES[2]


@pytest.mark.parametrize("question, sentence, expected", [
    ("من هو السفير الروسي لدى ليبيا؟", S1, "إيفان مولوتكوف"),
    ("متى وصل السفير الروسي إلى بنغازي؟", S1, "الثلاثاء 5 مارس 2024"),
    ("منذ متى تستخدم روسيا القاعدة؟", S2, "عام 2019"),
    ("كم بلغت قيمة الصفقة؟", S3, "300 مليون دولار"),
    ("كم طائرة شملت الصفقة؟", S3, "12"),
])
def test_the_short_answer_is_the_span_that_answers_and_a_slice_of_the_file(question, sentence, expected):
    found = find_short_answer(question, [cite(1, sentence)])
    assert found is not None
    short, candidate = found
    assert short.text == expected, candidate.why
    assert TEXT[short.start : short.end] == short.text and short.file == FILE and short.n == 1
    assert verified(short, {FILE: TEXT}) == short
    assert candidate.why  # the reasons are kept, to explain the choice


@pytest.mark.parametrize("question, expected", [("إلى أين وصل الوفد؟", "بنغازي"), ("من أين وصل الوفد؟", "موسكو")])
def test_a_place_follows_the_preposition_the_question_asks_with(question, expected):
    found = find_short_answer(question, [cite(1, "وصل الوفد الروسي أمس من موسكو إلى بنغازي.")])
    assert found is not None and found[0].text == expected, found


def test_the_short_answer_comes_from_the_citation_it_names():
    found = find_short_answer("متى وصل السفير الروسي إلى بنغازي؟", [cite(1, S3), cite(2, S1)])
    assert found is not None
    short, _ = found
    assert short.n == 2 and short.text == "الثلاثاء 5 مارس 2024"


def test_no_short_answer_without_a_candidate_or_for_a_why_or_how_the_quote_does_not_answer():
    assert find_short_answer("لماذا وصل السفير الروسي إلى بنغازي؟", [cite(1, S1)]) is None
    assert find_short_answer("كيف وصل السفير؟", [cite(1, S1)]) is None
    assert find_short_answer("هل وصل السفير؟", [cite(1, S1)]) is None
    assert find_short_answer("كم عدد الزوار؟", [cite(1, "وصل السفير الروسي إلى المدينة.")]) is None
    assert find_short_answer("من هو السفير؟", []) is None


@pytest.mark.parametrize("question, kind", [
    ("لماذا زار حفتر موسكو؟", "reason"),
    ("Why did he go?", "reason"),
    ("ما سبب الزيارة؟", "reason"),
    ("كيف ينتقل المرض؟", "manner"),
    ("كم عدد الزوار؟", ""),
    ("How many aircraft arrived?", ""),
    ("ما هو السل؟", "definition"),
    ("من هو نجيب محفوظ؟", "definition"),
    ("من هو مؤلف الرواية؟", ""),
    ("من هو زوج ليزا؟", ""),
    ("ما هو أكبر السنوريات في العالم؟", ""),
    ("ما هي الجائزة التي فاز بها؟", ""),
    ("هل زار حفتر موسكو؟", ""),
])
def test_clause_kind_tells_why_how_and_what_is_questions_from_those_asking_for_an_item(question, kind):
    assert clause_kind(question) == kind


@pytest.mark.parametrize("question, sentence, expected", [
    ("لماذا اختيرت المدينة وجهة سياحية؟", "اختيرت المدينة وجهة سياحية لتاريخها وتنوع تضاريسها، وفق التقرير.",
     "لتاريخها وتنوع تضاريسها"),
    ("لماذا سميت المعركة بهذا الاسم؟", "وسميت المعركة بهذا الاسم نسبة إلى البئر التي وقعت عندها.",
     "نسبة إلى البئر التي وقعت عندها"),
    ("كيف ينتقل المرض؟", "ينتقل المرض عن طريق الهواء والرذاذ، ويصيب الرئتين.", "عن طريق الهواء والرذاذ"),
    ("ما هو الباراسيتامول؟", "الباراسيتامول هو مسكن وخافض للحرارة واسع الاستخدام.", "مسكن وخافض للحرارة واسع الاستخدام"),
    ("ما اسم المسلسل بالإنجليزية؟", "عرض المسلسل (بالإنجليزية: Detective Conan) عام 1996.", "Detective Conan"),
])
def test_a_reason_a_means_a_definition_or_a_foreign_name_is_cut_from_its_clause(question, sentence, expected):
    found = find_short_answer(question, [cite(1, sentence)])
    assert found is not None and found[0].text == expected, found


def test_a_word_written_with_li_opens_a_reason_only_right_after_the_questions_words():
    # "ليبيا" is a name, not "لـ" + a reason, though the question asks why.
    assert find_short_answer("لماذا وصل السفير الروسي إلى بنغازي؟", [cite(1, S1)]) is None


def test_a_short_answer_never_repeats_the_question():
    found = find_short_answer("من هو إيفان مولوتكوف؟", [cite(1, S1)])
    assert found is None or "مولوتكوف" not in found[0].text


def test_a_number_named_in_the_question_is_not_its_answer():
    found = find_short_answer("كم طائرة شملت صفقة 300 مليون دولار؟", [cite(1, S3)])
    assert found is not None and found[0].text == "12"


def test_verified_rejects_offsets_that_do_not_slice_the_file():
    good = ShortAnswer("مولوتكوف", FILE, TEXT.index("مولوتكوف"), TEXT.index("مولوتكوف") + len("مولوتكوف"), 1)
    assert verified(good, {FILE: TEXT}) == good
    assert verified(ShortAnswer("مولوتكوف", FILE, good.start + 1, good.end + 1, 1), {FILE: TEXT}) is None
    assert verified(ShortAnswer("مولوتكوف", FILE, -3, 5, 1), {FILE: TEXT}) is None
    assert verified(good, {}) is None
    assert verified(None, {FILE: TEXT}) is None


def test_the_answer_text_starts_with_the_short_answer_in_bold():
    short = ShortAnswer("2019", FILE, 0, 4, 1)
    assert lead_with(short, "جملة [1]") == "**2019** — جملة [1]"


def test_answer_to_dict_and_to_text_carry_the_short_answer():
    from core.results import Answer, Source

    short = ShortAnswer("2019", FILE, TEXT.index("2019"), TEXT.index("2019") + 4, 1)
    c = cite(1, S2)
    source = Source(FILE, "c1", 0.5, TEXT, 0, len(TEXT))
    ans = Answer(lead_with(short, f"{S2} [1]"), False, "extractive", [c], [source], question="منذ متى؟",
                 short_answer=short)
    assert ans.to_dict()["short_answer"] == {"text": "2019", "file": FILE, "start": short.start, "end": short.end, "n": 1}
    assert Answer("x", True, "extractive").to_dict()["short_answer"] is None
    text = ans.to_text()
    assert text.startswith("**2019** — ")
    assert f"{short.start}-{short.end}: «2019» (short answer)" in text


@pytest.mark.parametrize("question, sentence, expected", [
    ("من أسس الإمارة الأولى؟", "أسس الإمارة الأولى محمد بن سعود في الدرعية.", "محمد بن سعود"),
    ("كم مرة فاز الفريق بالكأس؟", "فاز الفريق بالبطولة في 1946، وفاز بالكأس مرتين أيضاً.", "مرتين"),
    ("متى بني التمثال؟", "بني التمثال في العام 280 قبل الميلاد على مدخل الميناء.", "العام 280 قبل الميلاد"),
    ("ما هي مساحة البلاد؟", "تبلغ مساحة البلاد حوالي مليوني كيلومتر مربع.", "حوالي مليوني كيلومتر مربع"),
    ("أين تقع الصين؟", "تقع في شرق آسيا ويحكمها الحزب الشيوعي.", "شرق آسيا"),
])
def test_names_duals_eras_approximations_and_directions_stay_whole(question, sentence, expected):
    found = find_short_answer(question, [cite(1, sentence)])
    assert found is not None and found[0].text == expected, found


def test_a_share_is_given_as_written_with_its_percent_words():
    found = find_short_answer("ما نسبة خفض الاستهلاك؟", [cite(1, "خفض السكان استهلاكهم بنسبة تجاوزت 27 في المائة، وفق السلطات.")])
    assert found is not None and found[0].text == "27 في المائة"


def test_an_english_question_gets_no_guessed_person_place_name_or_thing():
    # Its words do not stand in the Arabic quote, so nothing says which run of words is the person.
    assert find_short_answer("Who is the Russian ambassador to Libya?", [cite(1, S1)]) is None
    assert find_short_answer("Where did the Russian ambassador arrive?", [cite(1, S1)]) is None


def test_an_english_question_gets_a_date_or_number_only_when_the_quote_holds_no_other():
    found = find_short_answer("When did the Russian ambassador arrive in Benghazi?", [cite(1, S1)])
    assert found is not None and found[0].text == "الثلاثاء 5 مارس 2024"
    # "تسعة" died and "50" were injured: which one the question asks for is a guess across languages.
    two = "لقي تسعة أشخاص مصرعهم وأصيب 50 آخرون في حادث الحافلة."
    assert find_short_answer("How many people died in the bus crash?", [cite(1, two)]) is None
    assert find_short_answer("كم عدد القتلى في حادث الحافلة؟", [cite(1, two)]) is not None


def test_a_weekday_is_not_a_number():
    # "الثلاثاء" (Tuesday) holds the number word "ثلاث".
    assert find_short_answer("كم صحفيا فقد؟", [cite(1, "أعلنت النقابة الثلاثاء فقدان الصحفيين في سوريا.")]) is None


def test_a_day_or_a_month_is_never_a_place_or_a_person():
    on_thursday = "وصل الوفد إلى المدينة يوم الخميس."
    found = find_short_answer("في أي مدينة وصل الوفد؟", [cite(1, on_thursday)])
    assert found is None or "الخميس" not in found[0].text
    found = find_short_answer("من استقبل الوفد؟", [cite(1, "استقبل الوفد في أغسطس.")])
    assert found is None or "أغسطس" not in found[0].text


def test_a_span_of_time_is_nobody_and_nowhere():
    # "عامين", "ساعتين": a length of time, dual or not, answers neither who nor where.
    assert find_short_answer("ومن شكل لجنة للتحقيق؟", [cite(1, "شكل لجنة للتحقيق قبل عامين.")]) is None
    assert find_short_answer("أين عاش؟", [cite(1, "عاش هناك ساعتين.")]) is None
    assert find_short_answer("أين عاش؟", [cite(1, "عاش هناك سنوات.")]) is None
    # ... but a place may hold one: "القرن الأفريقي" (the Horn of Africa).
    found = find_short_answer("أين تقع جيبوتي؟", [cite(1, "تقع جيبوتي في القرن الأفريقي.")])
    assert found is not None and found[0].text == "القرن الأفريقي"


def test_the_questions_noun_behind_a_preposition_is_still_the_questions_word():
    # "بمدينة" is "ب" + the question's "مدينة": it repeats the question, so no answer holds it.
    found = find_short_answer("في أي مدينة وقعت الحادثة؟", [cite(1, "وقعت الحادثة أمس بمدينة إربد.")])
    assert found is not None and found[0].text == "إربد"


def test_a_count_of_something_else_is_no_answer_to_how_many():
    # Asked how many students; the quote measures a delay in months.
    delayed = "نطالب بإنهاء معاناتنا مع الجامعة بسبب تأجيل الاختبارات لأكثر من أربعة أشهر."
    assert find_short_answer("كم عدد الطلاب المتضررين من تأجيل الاختبارات؟", [cite(1, delayed)]) is None
    # ... while a duration still answers a question about a duration, and a count of the asked noun a count.
    assert find_short_answer("كم مدة تأجيل الاختبارات؟", [cite(1, delayed)])[0].text == "أربعة أشهر"
    counted = "تضرر 300 طالب من تأجيل الاختبارات لأكثر من أربعة أشهر."
    assert find_short_answer("كم عدد الطلاب المتضررين من تأجيل الاختبارات؟", [cite(1, counted)])[0].text == "300"
    # A verb after "كم" counts nothing: "كم عاش" is answered by years.
    lived = "عاش ابن خلدون ستة وسبعين عامًا ودفن في القاهرة."
    assert find_short_answer("كم عاش ابن خلدون؟", [cite(1, lived)])[0].text == "ستة وسبعين عامًا"


def test_a_sum_of_money_asked_with_the_article_is_an_amount():
    assert answer_kind("كم كان المبلغ الذي دفعه النادي؟") == "amount"
