"""The claim checker: a claim is supported only when the sentences it cites hold its names, numbers,
dates and content words; measured on scripted answers with planted faults.

Sources are real chunks of data/corpus (by file offsets), as the assistant hands them to an LLM.
"""

from __future__ import annotations

import pytest

from core.results import Source
from eval.claims import evaluate_claims
from rag.citations import cite_llm_answer
from core.arabic import normalize
from rag import common_words
from eval.fit_claims import collect, fitted, left_out
from rag.claims import check, claim_facts, evidence_of, opposite_in
from rag.support import BIAS, THRESHOLD, WEIGHTS, judge
from tests.conftest import ART_002, ART_003, REPO_ROOT

CLAIM_SETS = REPO_ROOT / "eval" / "claims"
SHOIGU = ("أعلن السفير الروسي في ليبيا إيفان مولوتكوف أن القائد العام للجيش الليبي خليفة حفتر التقى في موسكو "
          "بوزير الدفاع الروسي سيرغي شويغو وأمين مجلس الأمن الروسي نيكولاي باتروشيف.")


def supported(claim: str, passage: str = SHOIGU) -> bool:
    return check(claim_facts(claim), evidence_of(passage)).supported


# --- what a fact is ------------------------------------------------------------------------------------

def test_a_faithful_paraphrase_with_another_spelling_of_the_names_is_supported():
    assert supported("التقى حفتر في موسكو وزير الدفاع الروسي سيرجي شويجو")


def test_an_english_claim_is_checked_through_the_glossary_and_the_names_transliteration():
    assert supported("In Moscow, Haftar met Russian Defence Minister Sergei Shoigu.")
    assert not supported("In Moscow, Haftar met Russian Foreign Minister Sergei Lavrov.")


def test_an_english_ordinal_in_digits_is_the_number_it_writes():
    passage = "تم إعدادها نتيجة للمحادثات الروسية الليبية في إطار مؤتمر موسكو الدولي الحادي عشر للأمن."
    assert supported("The talks were held at the 11th Moscow Conference on International Security.", passage)
    assert not supported("The talks were held at the 9th Moscow Conference on International Security.", passage)


def test_a_swapped_name_is_not_supported_and_the_name_is_said_to_be_missing():
    verdict = check(claim_facts("التقى حفتر في موسكو وزير الخارجية الروسي سيرغي لافروف وحده"), evidence_of(SHOIGU))
    assert not verdict.supported and "لافروف" in verdict.missing


@pytest.mark.parametrize("claim, passage", [
    ("ضم الوفد 12 من كبار العسكريين", "زار حفتر القاهرة برفقة الوفد المرافق له، الذي ضم 9 من كبار العسكريين الليبيين."),
    ("ضم الوفد تسعة من كبار العسكريين", "زار حفتر القاهرة برفقة الوفد المرافق له، الذي ضم 12 من كبار العسكريين الليبيين."),
    ("أطلق حفتر عملية الكرامة في مايو 2015", "في 16 مايو/ أيار 2014، أطلق القائد العام خليفة حفتر عملية عسكرية باسم الكرامة."),
    ("أطلق حفتر عملية الكرامة في يونيو 2014", "في 16 مايو/ أيار 2014، أطلق القائد العام خليفة حفتر عملية عسكرية باسم الكرامة."),
    ("وصل الوفد إلى ليبيا يوم الأربعاء", "وصل نائب وزير الدفاع الروسي، الثلاثاء، على رأس وفد عسكري إلى ليبيا."),
])
def test_a_changed_number_or_date_is_not_supported(claim, passage):
    assert not supported(claim, passage)


@pytest.mark.parametrize("claim, passage", [
    ("ضم الوفد تسعة من كبار العسكريين", "زار حفتر القاهرة برفقة الوفد المرافق له، الذي ضم 9 من كبار العسكريين الليبيين."),
    ("Haftar launched Operation Dignity in May 2014", "في 16 مايو/ أيار 2014، أطلق خليفة حفتر عملية عسكرية باسم الكرامة."),
    ("أطلق حفتر عملية الكرامة في أيار 2014", "في 16 مايو 2014، أطلق القائد العام خليفة حفتر عملية عسكرية باسم الكرامة."),
])
def test_the_same_number_or_month_in_other_words_is_supported(claim, passage):
    assert supported(claim, passage)


def test_a_claim_that_says_not_needs_a_passage_that_negates():
    passage = "وأوضح أن موسكو لن تورد أي أسلحة إلى ليبيا قبل رفع الحظر."
    assert supported("قال إن موسكو لن تورد أسلحة إلى ليبيا قبل رفع الحظر", passage)
    assert not supported("قال إن موسكو لن تورد أسلحة إلى ليبيا", "وأوضح أن موسكو تورد أسلحة إلى ليبيا.")


def test_a_claim_with_nothing_checkable_is_not_supported():
    assert not supported("وأكد ذلك أيضا")


# --- claims in an answer -------------------------------------------------------------------------------

def source_of(texts: dict[str, str], file: str, first: str, last: str, n: int) -> Source:
    text = texts[file]
    start = text.rfind("\n", 0, text.index(first)) + 1
    end = text.index(last) + len(last)
    return Source(file=file, chunk_id=f"c{n}", score=1.0, text=text[start:end], start=start, end=end)


@pytest.fixture(scope="module")
def two_sources(corpus_texts) -> tuple[list[Source], dict[str, str]]:
    belarus = source_of(corpus_texts, ART_003, "وعولت موسكو", "إلى بيلاروسيا", 1)
    moscow = source_of(corpus_texts, ART_002, "صحيفة وصف", "إلى ليبيا.", 2)
    return [belarus, moscow], {ART_002: corpus_texts[ART_002], ART_003: corpus_texts[ART_003]}


def test_a_true_claim_cited_to_the_wrong_source_is_flagged_and_quotes_no_support(two_sources):
    sources, texts = two_sources
    cited = cite_llm_answer("زار حفتر بيلاروسيا برفقة ابنيه صدام وخالد [2].", sources, texts)
    [citation] = cited.citations
    assert citation.n == 2 and citation.supported is False
    assert cited.claim_support == [False] and cited.unsupported[0].n == (2,)
    assert "[2]" in cited.text  # the claim keeps its text and its marker; it is flagged, not hidden


def test_each_claim_is_judged_on_its_own_and_a_supported_one_quotes_its_support(two_sources):
    sources, texts = two_sources
    answer = ("زار حفتر بيلاروسيا في فبراير برفقة ابنيه صدام وخالد [1]. "
              "والتقى حفتر في موسكو وزير الخارجية سيرغي لافروف [2].")
    cited = cite_llm_answer(answer, sources, texts)
    assert cited.claim_support == [True, False] and cited.claims == 2
    good = next(c for c in cited.citations if c.n == 1)
    assert good.supported and "صدام" in good.quote and good.quote == texts[good.file][good.start : good.end]
    [flag] = cited.unsupported
    assert flag.claim.startswith("والتقى حفتر في موسكو") and "لافروف" in flag.missing


def test_a_claim_resting_on_two_adjacent_sentences_is_supported_by_them_together(two_sources):
    sources, texts = two_sources
    cited = cite_llm_answer("دافع السفير أيدار أغانين عن الوجود العسكري الروسي وقال إنه منسق مع مجلس النواب [1].",
                            sources, texts)
    assert cited.claim_support == [True]
    [citation] = cited.citations
    assert "أغانين قد دافع" in citation.quote and "مجلس النواب" in citation.quote


# --- the scripted sets ---------------------------------------------------------------------------------

def test_on_the_development_set_nine_in_ten_planted_faults_are_flagged_and_at_most_one_in_twenty_correct_claims():
    figures = evaluate_claims(CLAIM_SETS / "dev.jsonl").figures()
    assert figures["faults"] >= 30 and figures["correct"] >= 30
    assert figures["fault_catch_rate"] >= 0.90, figures
    assert figures["false_flag_rate"] <= 0.05, figures


# The held-out sets were written after the checker; not all of them meet the bars above (the README
# says which and why). These floors are their figures as measured, so that a change which makes the
# checker worse on them fails here. The weights of `rag.support` are fitted on all these sets
# (`python -m eval.fit_claims`), so these are fitted figures; the README gives the left-out ones.
HELD_OUT = {"holdout": (36, 1), "holdout2": (21, 2), "holdout3": (26, 0),
            "holdout4": (31, 3), "holdout5": (39, 3), "holdout6": (53, 6),
            "holdout7": (57, 5), "holdout8": (60, 3), "holdout9": (60, 6),
            "holdout10": (53, 5), "holdout11": (51, 5), "holdout12": (22, 0),
            "holdout13": (20, 1), "holdout14": (20, 0), "holdout15": (27, 2),
            "holdout16": (28, 0), "holdout17": (27, 1),
            "holdout18": (25, 0)}  # (faults caught, correct flagged), with the shipped weights, fitted on them


@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_on_the_held_out_sets_the_fitted_checker_does_no_worse_than_measured(name):
    figures = evaluate_claims(CLAIM_SETS / f"{name}.jsonl").figures()
    caught, flagged = HELD_OUT[name]
    assert figures["faults"] >= 20 and figures["correct"] >= 20
    assert figures["faults_caught"] >= caught and figures["correct_flagged"] <= flagged, figures


def test_every_claim_set_covers_every_kind_of_fault_and_both_languages():
    for path in sorted(CLAIM_SETS.glob("*.jsonl")):
        figures = evaluate_claims(path).figures()
        assert all(k["n"] >= 2 for k in figures["by_fault"].values()), (path.name, figures["by_fault"])
        text = path.read_text(encoding="utf-8")
        assert '"lang": "en"' in text and '"lang": "ar"' in text


def test_an_answer_with_unsupported_claims_reads_back_from_its_json_unchanged():
    # Saved chats keep answers as `to_dict()` JSON and reopen them with `from_dict`.
    from core.results import Answer, Citation, UnsupportedClaim

    answer = Answer("x [1]", False, "llm", [Citation(1, "f.txt", 0, 1, "x", supported=False)],
                    claims_checked=1, unsupported_claims=[UnsupportedClaim("x", (1,), ("لافروف",))])
    assert Answer.from_dict(answer.to_dict()) == answer


# --- wording, things named and reversals ---------------------------------------------------------------

@pytest.mark.parametrize("claim, passage", [
    ("وطلبت موسكو أن يوجه البيان إلى جميع الأطراف", "وقالت موسكو إنها ترغب في أن يتوجه البيان إلى كل الأطراف."),
    ("تسعى روسيا منذ بدء الأزمة إلى أن تظهر كوسيط محايد", "كثفت روسيا منذ بدء الأزمة جهودها لتظهر كوسيط محايد نسبيا."),
    ("وتنفي موسكو تقديم أي دعم عسكري لحفتر", "وإذا كانت موسكو تنفي تقديم أي دعم عكسري لحفتر، فإن صحيفة ذي صن تقول غير ذلك."),
])
def test_a_verb_in_another_person_tense_or_form_a_synonym_or_a_slip_of_the_source_is_still_supported(claim, passage):
    assert supported(claim, passage)


@pytest.mark.parametrize("claim, passage", [
    ("وأعلنت موسكو رسميا تأسيس الفيلق الأفريقي", "لم تعلن موسكو إلى حد الآن عن مآل تأسيس الفيلق الأفريقي."),
    ("ويقول الباحث إن روسيا قادرة على دعم حفتر بشكل كامل", "ويقول الباحث إن روسيا لا تستطيع أن تدعم حفتر بشكل كامل."),
])
def test_a_claim_asserting_what_its_source_says_did_not_happen_is_not_supported(claim, passage):
    assert not supported(claim, passage)


@pytest.mark.parametrize("claim, passage", [
    ("وعرقلت واشنطن صدور بيان عن مجلس الأمن", "عرقلت موسكو في وقت سابق صدور بيان عن مجلس الأمن."),
    ("وزار حفتر بيلاروسيا مع نجليه صدام وبلقاسم", "زار حفتر بيلاروسيا رفقة ابنيه العسكريين صدام وخالد."),
    ("وأكد أبو زيد دعم تونس للجيش الليبي", "وأكد أبو زيد دعم مصر للجيش الليبي في مواجهة الإرهاب."),
    ("وأكدت وكالة تاس إنشاء الفيلق", "وأكدت وكالة نوفا إنشاء الفيلق."),
])
def test_a_noun_that_is_not_wording_must_be_in_the_source_even_when_the_rest_of_the_claim_is(claim, passage):
    assert not supported(claim, passage)


# --- common wording, names by case, times, numbers in words, opposites ---------------------------------

TAMIM = "وجرى الاجتماع بحضور مدير مكتب القائد العام الفريق خيري التميم."
MORNING = "وصل صباح اليوم لمدينة بنغازي نائب وزير الدفاع الروسي يونس بك يوفقورف والوفد المرافق له."
KARAMA = "يذكر أنه في 16 مايو/ أيار 2014، أطلق القائد العام للجيش الليبي خليفة حفتر عملية عسكرية باسم الكرامة."
HISTORY = "وأضاف أن الجانبين أكدا خلال اللقاء على عمق العلاقات التاريخية التي تجمع البلدين."
BLOCKED = "عرقلت موسكو في وقت سابق صدور بيان عن مجلس الأمن، كان سيدعو قوات حفتر إلى وقف الهجوم."
ARMS = "وناقشوا تفعيل عقود التسليح المبرمة بين موسكو وطرابلس فترة حكم العقيد الراحل معمر القذافي."


needs_vocabulary = pytest.mark.skipif(not common_words.available(), reason="the embedder's vocabulary is not installed")


@needs_vocabulary
def test_the_subword_vocabulary_tells_everyday_words_from_names():
    for word in ("وجوده", "صاحبة", "خارج", "باسم"):
        assert common_words.common_arabic(normalize(word)), word
    for word in ("يفكوروف", "الترهوني", "بوغدانوف", "شويغو", "طبرق"):
        assert not common_words.common_arabic(normalize(word)), word
    assert common_words.common_english("informed") and common_words.common_english("since")
    assert not common_words.common_english("haftar") and not common_words.common_english("shoigu")


@needs_vocabulary
def test_an_everyday_noun_without_the_article_is_wording_a_rare_one_is_a_required_fact():
    assert supported("وحضر الفريق خيري التميم الاجتماع بصفته مدير مكتب القائد العام وهو صاحبة القرار", TAMIM) is False
    assert supported("وحضر الاجتماع خيري التميم وهو مدير مكتب القائد العام بكل تأكيد", TAMIM)
    assert not supported("وحضر الاجتماع خيري التميم وهو مدير مكتب القائد العام بطرابلس", TAMIM)


@needs_vocabulary
def test_an_everyday_first_word_of_an_english_sentence_is_not_a_name_but_a_name_there_still_is():
    assert supported("Informed sources said Haftar met Russian Defence Minister Sergei Shoigu in Moscow.")
    assert not supported("Lavrov met Haftar in Moscow.")


@needs_vocabulary
def test_a_common_word_behind_a_preposition_after_a_title_is_not_read_as_a_name():
    passage = "قال الناطق باسم قوات القيادة العامة اللواء أحمد المسماري إن الزيارة تأتي في إطار التعاون العسكري."
    assert supported("وقال المتحدث باسم القيادة العامة أحمد المسماري إن الزيارة تندرج في التعاون العسكري", passage)


@needs_vocabulary
def test_an_office_swapped_for_another_is_flagged_though_offices_are_frequent_words():
    assert not supported("وجرى الاجتماع بحضور رئيس مكتب القائد العام خيري التميم", TAMIM)


def test_a_time_of_day_is_checked_as_a_date():
    assert supported("ووصل يوفقورف إلى بنغازي صباحا", MORNING)
    assert not supported("ووصل يوفقورف إلى بنغازي مساء", MORNING)
    assert not supported("Yevkurov arrived in Benghazi in the evening.", MORNING)


def test_a_number_in_two_words_is_one_number_and_an_ordinal_day_matches_its_digits():
    assert supported("في السادس عشر من مايو 2014 أطلق حفتر عملية الكرامة العسكرية", KARAMA)
    assert not supported("في السابع عشر من مايو 2014 أطلق حفتر عملية الكرامة العسكرية", KARAMA)


def test_the_first_is_still_an_ordinal_when_al_hadi_counts_as_one():
    # "الحادي" (in "الحادي عشر") and "الأول" both read as the first.
    first = "وصل الوفد إلى بنغازي في 1 مايو 2014."
    assert supported("وصل الوفد إلى بنغازي في الأول من مايو 2014", first)
    assert not supported("وصل الوفد إلى بنغازي في الثاني من مايو 2014", first)
    assert supported("في الحادي عشر من مايو 2014 وصل الوفد إلى بنغازي", "وصل الوفد إلى بنغازي في 11 مايو 2014.")


def test_two_in_english_is_found_as_an_arabic_dual():
    assert supported("The two sides stressed the depth of the historical ties.", HISTORY)
    assert not supported("The three sides stressed the depth of the historical ties.", HISTORY)


def test_an_english_d_for_an_arabic_dhal_still_matches_the_name():
    assert supported("They discussed reactivating arms contracts signed between Moscow and Tripoli under Gaddafi.", ARMS)


def test_a_verb_turned_into_its_opposite_is_a_reversal():
    assert supported("وعرقلت موسكو صدور بيان عن مجلس الأمن يدعو قوات حفتر إلى وقف الهجوم", BLOCKED)
    verdict = check(claim_facts("وأيدت موسكو صدور بيان عن مجلس الأمن يدعو قوات حفتر إلى وقف الهجوم"), evidence_of(BLOCKED))
    assert not verdict.supported and any("the source says" in m for m in verdict.missing)


def test_a_statement_or_question_reversed_by_a_text_names_both_words():
    lost = "خسر فريق الوحدة مباراته الودية أمام الإسماعيلي بنتيجة 1/ 2."
    assert opposite_in("بكم هدف فاز الوحدة على الإسماعيلي؟", lost) == ("فاز", "خسر")
    assert opposite_in("بكم هدف خسر الوحدة أمام الإسماعيلي؟", lost) is None
    # A text that holds both words does not reverse the statement.
    assert opposite_in("من فاز في المباراة؟", "فاز الإسماعيلي وخسر الوحدة.") is None
    # Gaining is the opposite of losing, in English as in Arabic.
    assert opposite_in("Why did Germany lose 100 billion euros?", "ألمانيا ربحت 100 مليار يورو") == ("lose", "ربحت")


def test_first_as_an_adverb_is_an_order_of_events_not_an_ordinal():
    assert not claim_facts("On his way to Moscow, Haftar first stopped in Cairo").numbers
    assert not claim_facts("At first Moscow refused").numbers
    assert claim_facts("It was the first visit of its kind").numbers == {"#1"}


def test_one_of_a_group_is_no_count_of_one():
    # "one of the main transit countries" names a member of a group; a source need not say "one".
    source = "تعد ليبيا من أهم دول العبور للمهاجرين غير النظاميين نحو أوروبا."
    assert not claim_facts("Libya is one of the main transit countries for migrants heading to Europe").numbers
    assert not claim_facts("ليبيا واحدة من أهم دول العبور للمهاجرين").numbers
    assert check(claim_facts("ليبيا واحدة من أهم دول العبور للمهاجرين"), evidence_of(source)).supported
    assert claim_facts("He made one visit to Moscow").numbers == {"1"}


# --- the fitted weighing (rag.support) -----------------------------------------------------------------

def judged(claim: str, passage: str = SHOIGU):
    facts = claim_facts(claim)
    return judge(facts, check(facts, evidence_of(passage)), 0)


def test_a_paraphrase_that_rewords_one_noun_is_supported_though_the_word_rules_alone_flag_it():
    claim = "وقال المسؤول الروسي إن حفتر التقى في موسكو بوزير الدفاع سيرغي شويغو وأمين مجلس الأمن نيكولاي باتروشيف"
    assert not supported(claim)  # المسؤول is not in the passage
    assert judged(claim).supported


def test_a_city_swapped_is_flagged_however_much_else_of_the_claim_the_source_holds():
    verdict = judged("التقى حفتر في القاهرة بوزير الدفاع الروسي سيرغي شويغو")
    assert not verdict.supported and verdict.hard and "القاهره" in verdict.missing


def test_a_country_swapped_in_its_adjective_is_flagged():
    verdict = judged("التقى حفتر في موسكو بوزير الدفاع الصيني سيرغي شويغو")
    assert not verdict.supported and verdict.hard


def test_a_capital_stands_for_its_country():
    passage = "وأكد السفير أن روسيا لن ترسل أي أسلحة إلى ليبيا قبل رفع الحظر المفروض عليها."
    assert judged("The ambassador said Moscow will not send any weapons to Libya before the embargo is lifted", passage).supported
    assert judged("وقال السفير إن موسكو لن ترسل أسلحة إلى ليبيا قبل رفع الحظر", passage).supported


def test_a_changed_weekday_is_flagged_whatever_the_weights_say():
    verdict = judged("التقى حفتر في موسكو يوم الجمعة بوزير الدفاع الروسي سيرغي شويغو")
    assert not verdict.supported and verdict.hard and verdict.fault_probability == 1.0


def test_a_claim_with_a_ministry_swapped_is_flagged_whatever_the_weights_say():
    verdict = judged("التقى حفتر في موسكو بوزير الخارجية الروسي سيرغي لافروف")
    assert not verdict.supported and verdict.hard and "الخارجيه (the source says الدفاع)" in verdict.missing


def test_the_shipped_weights_are_those_the_fitter_gives_on_the_claim_sets():
    weights, bias = fitted(collect(sorted(CLAIM_SETS.glob("*.jsonl"))))
    assert list(weights) == pytest.approx(list(WEIGHTS), abs=0.002) and bias == pytest.approx(BIAS, abs=0.002)


def test_judged_by_weights_fitted_without_it_the_sets_together_keep_their_measured_figures():
    # Measured: 687 / 743 = 92.5 % of planted faults flagged, 46 / 1038 = 4.4 % of correct claims (bars
    # 90 % and 5 %). A change must not do worse on either.
    cells = left_out(collect(sorted(CLAIM_SETS.glob("*.jsonl"))), THRESHOLD)
    caught, faults, flagged, correct = (sum(c[i] for c in cells.values()) for i in range(4))
    assert caught >= 687 and flagged <= 46, cells
    assert caught / faults >= 0.90 and flagged / correct <= 0.05


AGANIN = "وقال أغانين لوكالة نوفوستي في تصريحات تلفزيونية الشهر المنقضي إن الوجود العسكري الروسي يتم بالتنسيق مع المشير حفتر."


def test_a_relative_date_changed_is_flagged_and_one_said_in_other_words_is_not():
    assert judged("وقال أغانين في تصريحات تلفزيونية الشهر الماضي إن الوجود العسكري الروسي منسق مع حفتر", AGANIN).supported
    verdict = judged("وقال أغانين في تصريحات تلفزيونية الأسبوع الماضي إن الوجود العسكري الروسي منسق مع حفتر", AGANIN)
    assert not verdict.supported and verdict.hard and "date last week" in verdict.missing


def test_an_agency_swapped_after_a_cue_behind_a_proclitic_is_flagged():
    verdict = judged("وقال أغانين لوكالة تاس إن الوجود العسكري الروسي يتم بالتنسيق مع حفتر", AGANIN)
    assert not verdict.supported and verdict.hard


def test_one_haftar_named_for_another_is_flagged():
    passage = "وقال أغانين إن الوجود العسكري الروسي يتم بالتنسيق مع المشير خليفة حفتر."
    verdict = judged("وقال أغانين إن الوجود العسكري الروسي يتم بالتنسيق مع الفريق صدام حفتر", passage)
    assert not verdict.supported and verdict.hard and "صدام" in verdict.missing


def test_a_sports_adjective_is_no_place_but_a_country_adjective_is_found_by_its_capital():
    assert not any(t.place for t in claim_facts("فاز النادي الرياضي بالبطولة").terms)
    assert judged("وقال المسؤول الروسي إن الوجود العسكري منسق مع حفتر",
                  "وقال مسؤول في موسكو إن الوجود العسكري منسق مع حفتر.").supported


def test_a_claim_copied_from_its_source_with_a_relative_date_is_supported():
    passage = "وصل حفتر إلى موسكو الشهر الماضي في زيارة رسمية."
    assert judged("وصل حفتر إلى موسكو الشهر الماضي في زيارة رسمية", passage).supported
    assert judged("Haftar arrived in Moscow last month on an official visit", passage).supported
