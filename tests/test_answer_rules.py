"""The extractive answerer's rules, each on its own (no store, no embedder): what a question asks
for, which of its words count, the English glossary, and how evidence turns into confidence."""

from __future__ import annotations

import math

import pytest

from core.arabic import lexical_terms
from core.glossary import arabic_equivalents, arabic_search_terms
from core.results import Source
from rag import extractive
from rag.extractive import ExtractiveAnswerer
from rag.claims import said_in
from rag.question import answer_type, premise_word, question_terms
from rag.short_answer import NO_ITEM, asked_item_scores
from rag.retrieve import query_terms


@pytest.mark.parametrize("question, kind", [
    ("متى زار حفتر بيلاروسيا؟", "when"),
    ("ومتى بدأ نقل القوات إليها؟", "when"),  # the interrogative behind و
    ("حفتر قابل شويجو إمتى فى زيارته التانية لموسكو؟", "when"),  # Egyptian
    ("في أي تاريخ وصل الوفد إلى بنغازي؟", "when"),
    ("When did Russia begin moving troops to the base?", "when"),
    ("كم مرة زار يوفقورف بنغازي في أقل من سنة؟", "count"),  # سنة is context here, كم asks
    ("ما قيمة عقود إعادة الإعمار؟", "count"),
    ("How much did Russia spend on the base?", "count"),
    ("How many people died when the bus crashed?", "count"),  # the first asking word decides
    ("In which area of Syria were the journalists when contact was lost?", ""),  # "which" asked; "when" joins
    ("Of the soldiers who died, how many were Syrian?", "count"),  # the asking comes after a relative "who"
    ("How and when did the war end?", "when"),
    ("When many people are arrested, what is a common tactic?", ""),  # the question starts after the comma
    ("When did the war end, and who won?", "when"),
    ("What is the population of Benghazi?", "count"),  # the noun after "what is the" asks a number
    ("What is the date of the visit?", "when"),
    ("What is the name of the base?", ""),
    ("بحسب السفير الروسي عام 2016، ما الشرط الذي وضعته موسكو؟", ""),  # a year as context asks for nothing
    ("من هو السفير الروسي لدى ليبيا؟", ""),
])
def test_the_answer_type_comes_from_the_asking_words_only(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize("text, has", [
    ("ضم 9 من كبار العسكريين", True),
    ("والتي تجاوزت الخمس زيارات", True),
    ("بعشرة آلاف دولار", True),
    ("سينتج ألفي لوح شمسي كل شهر", True),  # the dual of a number word
    ("قتل سبعمائة شخص", True),  # the hundreds are one word
    ("بلغت الخسائر مليونان", True),
    ("مات ثلثا سكانها", True),  # a fraction answers "how many" too
    ("يوم الثلاثاء في مقر الوزارة", False),  # a weekday is not a count
    ("قاعدة تستضيف الأنشطة الروسية", False),  # "ست" inside a word is not six
])
def test_a_number_is_a_digit_or_a_whole_number_word(text, has):
    assert extractive._type_match("count", text) is has


@pytest.mark.parametrize("text, has", [
    ("اكتشف شيله الأكسجين عام 1773", True),  # history is dated too, not only 19xx and 20xx
    ("وصلت إلى إنجلترا في ١٣٤٩", True),
    ("كانت الساعة 4:51 في الربع الرابع", True),
    ("في أواخر الثمانينيات", True),
    ("في منتصف القرن الثامن عشر", True),
    ("وصل الوفد يوم الثلاثاء", True),
    ("بلغ عدد السكان 12000 نسمة", False),
    ("قتل 1500 شخص بسعر 1200 دولار", False),  # an earlier year needs a cue: "عام 1773", "1773م"
    ("تأسست روما سنة 753 ق.م", True),  # any year after "سنة/عام" or before an era
    ("فتحت مصر عام 358هـ", True),
    ("انقرضت قبل 66 مليون سنة", True),  # a time ago
    ("بدأ الاحترار نحو 13000 BP", True),
    ("ركض 100 م في 10 ثوان", False),  # metres, not the Gregorian era
    ("تقع جيبوتي في القرن الأفريقي", False),  # a century has its ordinal
    ("خلال الثمانينات", True),
    ("قاعدة تستضيف الأنشطة الروسية", False),
])
def test_a_sentence_that_dates_something_is_a_date_for_a_when_question(text, has):
    assert extractive._type_match("when", text) is has


def test_question_terms_leave_out_interrogatives_and_dialect_function_words():
    # Egyptian "إيه ... اللى لسه" and "مين" are how the question is asked, not what it is about.
    assert question_terms("إيه المدينة اللى لسه فيها جيوب؟") == lexical_terms("المدينة جيوب")
    assert question_terms("ومتى بدأ نقل القوات إليها؟") == lexical_terms("بدأ نقل القوات")
    assert question_terms("وكان هيقابل مين تانى؟") == lexical_terms("هيقابل")


def test_the_glossary_gives_arabic_words_for_english_news_vocabulary():
    words = arabic_equivalents("Which Italian news agency reported on the trip?").split()
    assert {"الإيطالية", "وكالة", "الأنباء"} <= set(words)
    assert arabic_equivalents("Haftar Lukashenko") == ""  # names are left to their variant keys


def test_bm25_terms_of_an_english_question_include_the_glossary_words_and_of_an_arabic_one_do_not():
    assert set(lexical_terms("وكالة الأنباء")) <= set(query_terms("Which news agency?"))
    assert query_terms("ما اسم الوكالة؟") == lexical_terms("ما اسم الوكالة؟")


def _answerer(abstain_threshold: float = 0.0, **kw) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(idf=lambda t: 1.0, embed_passages=lambda texts: [[0.0] for _ in texts],
                              abstain_threshold=abstain_threshold, rerank=0, max_sentences=3, **kw)


def _source(text: str, n: int = 0) -> Source:
    return Source(file="a.txt", chunk_id=f"c{n}", score=1.0, text=text, start=0, end=len(text))


def test_asking_when_of_evidence_that_holds_no_date_costs_confidence():
    bot = _answerer()
    dated = bot.score("متى زار الوفد بنغازي؟", lexical_terms("زار الوفد بنغازي"), [],
                      [_source("زار الوفد بنغازي يوم الثلاثاء.")], [1.0], None)
    undated = bot.score("متى زار الوفد بنغازي؟", lexical_terms("زار الوفد بنغازي"), [],
                        [_source("زار الوفد بنغازي في زيارة رسمية.")], [1.0], None)
    q = "متى زار الوفد بنغازي؟"
    gap = bot.confidence(q, [], dated) - bot.confidence(q, [], undated)
    assert gap == pytest.approx(extractive.TYPE_BONUS + extractive.TYPE_MISMATCH_PENALTY)


def test_an_english_when_question_costs_no_confidence_when_a_quoted_sentence_other_than_the_first_holds_the_date():
    # Across languages the order of the quoted sentences is the least sure; the answer quotes them all.
    from rag.extractive import Scored
    from rag.citations import source_sentences

    bot = _answerer()
    undated, dated = source_sentences(_source("زار الوفد بنغازي في زيارة رسمية. وكان ذلك يوم الثلاثاء."), 1)[:2]
    q = "When did the delegation visit Benghazi?"
    with_date_second = [Scored(undated, 0.5, 0.5, 1.0), Scored(dated, 0.4, 0.3, 1.0)]
    without_date = [Scored(undated, 0.5, 0.5, 1.0)]
    gap = bot.confidence(q, [], with_date_second) - bot.confidence(q, [], without_date)
    assert gap == pytest.approx(extractive.TYPE_MISMATCH_PENALTY)
    # An Arabic question still needs the date in its best sentence.
    q_ar = "متى زار الوفد بنغازي؟"
    assert bot.confidence(q_ar, [], with_date_second) == pytest.approx(bot.confidence(q_ar, [], without_date))


def test_a_sentence_that_is_only_a_link_or_dots_is_never_quoted():
    bot = _answerer()
    text = "http://publications.kacst.edu.sa/ . .. زار الوفد بنغازي يوم الثلاثاء."
    scored = bot.score("متى زار الوفد بنغازي؟", lexical_terms("زار الوفد بنغازي"), [], [_source(text)], [1.0], None)
    assert [s.sentence.text for s in scored] == ["زار الوفد بنغازي يوم الثلاثاء."]


PRICE_QUESTION = "كم سعر هاتف فيرتو الجديد؟"
PHONE_LAUNCH = "أطلقت شركة فيرتو هاتفها الجديد آستر في لندن. ويتميز هاتف فيرتو الجديد بتصميم إنجليزي فاخر. "


def _price_answer(last_sentence: str):
    """The answer to PRICE_QUESTION over an article on the phone's launch that ends with `last_sentence`."""
    text = PHONE_LAUNCH + last_sentence
    terms = lexical_terms(PRICE_QUESTION)
    return _answerer(abstain_threshold=0.38).answer(PRICE_QUESTION, terms, [], [_source(text)], [1.0], None,
                                                    {"a.txt": text})


def test_a_how_many_question_none_of_whose_quotable_sentences_gives_the_number_abstains():
    # The article is about the very thing asked (the phone, its maker, its launch) and never prices it.
    result = _price_answer("وقال الرئيس التنفيذي للشركة إن الهاتف الجديد يستهدف رجال الأعمال.")
    assert result.confidence < 0.38
    assert result.abstained


def test_a_how_many_question_whose_number_is_in_a_later_quotable_sentence_keeps_its_answer():
    result = _price_answer("ويبلغ سعر الهاتف 5000 دولار.")
    assert not result.abstained and "5000" in result.text


def test_an_english_question_is_not_penalised_for_its_english_words_but_for_arabic_terms_the_corpus_lacks():
    # "met" never occurs in Arabic text; what the corpus must use is one of its Arabic terms (التقى).
    met = set(lexical_terms(arabic_search_terms("met")))
    assert met
    bot = _answerer(known=lambda term: term == "haftar" or term in met)
    scored = bot.score("Who met Haftar?", [], [], [_source("التقى حفتر وزير الدفاع.")], [1.0], None)
    assert bot.confidence("Who met Haftar?", lexical_terms("met Haftar"), scored) == pytest.approx(
        scored[0].score + extractive.CROSS_LINGUAL_OFFSET)


def test_an_english_question_none_of_whose_words_reach_the_articles_gets_no_cross_lingual_allowance():
    bot = _answerer(known=lambda term: False)
    scored = bot.score("Who met Haftar?", [], [], [_source("التقى حفتر وزير الدفاع.")], [1.0], None)
    assert bot.confidence("Who met Haftar?", lexical_terms("met Haftar"), scored) == pytest.approx(scored[0].score)


def test_a_follow_ups_own_words_outweigh_the_carried_question():
    bot = _answerer()
    previous = "وصل وفد وزارة الدفاع إلى بنغازي يوم الثلاثاء."
    reception = "وكان في استقبال الوفد رئيس الأركان."
    scored = bot.score("ومن كان في استقباله؟", lexical_terms("استقباله"), lexical_terms("وصل وفد وزارة الدفاع بنغازي"),
                       [_source(previous + " " + reception)], [1.0], None)
    assert scored[0].sentence.text == reception


def test_the_sentence_after_the_best_one_joins_the_answer_when_it_refers_back_to_it():
    text = ("وباتت روسيا تستخدم قاعدة جوية نائية في جنوب ليبيا. "
            "وأصبحت هذه القاعدة، وتحمل اسم معطن السارة، جزءا من شبكة قواعد. "
            "وتقع الكفرة في الجنوب الشرقي.")
    src = _source(text)
    result = _answerer().answer(
        "ما اسم القاعدة الجوية التي باتت روسيا تستخدمها؟", lexical_terms("اسم القاعدة الجوية باتت روسيا تستخدمها"),
        [], [src], [1.0], None, {"a.txt": text})
    assert not result.abstained
    assert "معطن السارة" in result.text
    assert all(text[c.start:c.end] == c.quote for c in result.citations)


def test_an_english_questions_terms_are_the_names_the_corpus_knows_and_the_glossary_words():
    bot = _answerer(known=lambda term: term in lexical_terms("Haftar"))
    terms = bot.answer_terms("Which news agency reported that Haftar visited?")
    assert set(lexical_terms("Haftar")) <= set(terms)
    assert set(lexical_terms("وكالة الأنباء")) <= set(terms)
    assert not set(lexical_terms("reported visited")) & set(terms)
    assert bot.answer_terms("ومتى زار حفتر بيلاروسيا؟") == question_terms("ومتى زار حفتر بيلاروسيا؟")


@pytest.mark.parametrize("question, core", [
    ("لماذا رفض الرئيس العفو عن الصيادين؟", "رفض"),
    ("لماذا أُلغيت البطولة هذا العام؟", "لغي"),
    ("لماذا فشلت التجربة؟", "فشل"),
    ("لماذا تم تأجيل البطولة؟", "اجيل"),  # "تم" carries no claim
    ("ولماذا رفضت الحكومة؟", "رفض"),
])
def test_the_claim_of_a_why_question_is_its_first_word_after_the_interrogative(question, core):
    assert premise_word(question) == core


@pytest.mark.parametrize("question, passage, said", [
    ("لماذا أعدم الرجلان؟", "تم إعدام الرجلين بسبب آرائهما.", True),  # the verbal noun of the same root
    ("لماذا لا يريد المحتجون قبول العقوبة؟", "لأنهم لا يريدون الاعتراف بالقانون.", True),
    ("لماذا رفض الرئيس العفو عن الصيادين؟", "أصدر الرئيس قرارا بالعفو عن الصيادين.", False),  # a false premise
    ("لماذا أُلغيت البطولة هذا العام؟", "تقرر تأجيل البطولة إلى العام المقبل.", False),
])
def test_a_passage_says_a_why_questions_claim_in_any_form_of_its_verb(question, passage, said):
    assert said_in(premise_word(question), passage) is said


@pytest.mark.parametrize("question", ["متى زار حفتر موسكو؟", "Why did Germany lose money?", "من هو السفير؟"])
def test_questions_that_are_not_arabic_why_questions_take_no_claim_for_granted(question):
    assert premise_word(question) == ""


def test_a_sentence_adding_the_asked_name_scores_above_one_restating_the_question():
    question = "ما اسم القاعدة الجوية التي تستخدمها روسيا قرب الكفرة؟"
    echo = "روسيا تستخدم قاعدة جوية نائية في جنوب شرق ليبيا قرب الكفرة."
    answer = "وأصبحت هذه القاعدة، وتحمل اسم معطن السارة، أحدث جزء من شبكة قواعد عسكرية."
    echo_score, answer_score = asked_item_scores(question, [echo, answer])
    assert answer_score > echo_score


def test_a_sentence_with_nothing_of_the_asked_kind_scores_no_item():
    assert asked_item_scores("متى زار حفتر موسكو؟", ["زار حفتر موسكو والتقى وزير الدفاع."]) == [NO_ITEM]


def test_a_question_asking_for_no_kind_of_item_gets_no_item_scores():
    assert asked_item_scores("كيف تطورت العلاقات؟", ["تطورت العلاقات كثيرا."]) is None


def _english_answerer(cosines: dict[str, float], max_sentences: int = 1) -> ExtractiveAnswerer:
    """An answerer whose embedder gives each sentence (by a word it holds) its cosine to the query [1, 0]."""
    def embed(texts: list[str]) -> list[list[float]]:
        out = []
        for text in texts:
            cosine = next(c for word, c in cosines.items() if word in text)
            out.append([cosine, math.sqrt(1 - cosine * cosine)])
        return out
    return ExtractiveAnswerer(idf=lambda t: 1.0, embed_passages=embed, abstain_threshold=0.0, rerank=6,
                              max_sentences=max_sentences)


BELARUS_Q = "Which Belarusian president did Haftar meet?"
BELARUS_SOURCES = [_source("زار حفتر موسكو في رحلة طويلة.", 1), _source("التقى حفتر الرئيس البيلاروسي لوكاشينكو.", 2)]


def test_across_languages_the_questions_names_and_the_sources_rank_order_the_sentences_but_add_no_confidence(monkeypatch):
    terms = lexical_terms("Haftar") + lexical_terms(arabic_equivalents(BELARUS_Q))
    bot = _english_answerer({"موسكو": 0.86, "لوكاشينكو": 0.84})
    scored = bot.score(BELARUS_Q, terms, [], BELARUS_SOURCES, [1.0, 0.9], [1.0, 0.0])
    assert "لوكاشينكو" in scored[0].sentence.text  # the sentence holding the question's words leads
    confidence = bot.confidence(BELARUS_Q, terms, scored)

    monkeypatch.setattr(extractive, "CROSS_COVERAGE_WEIGHT", 0.0)
    monkeypatch.setattr(extractive, "CROSS_RANK_WEIGHT", 0.0)
    by_cosine = bot.score(BELARUS_Q, terms, [], BELARUS_SOURCES, [1.0, 0.9], [1.0, 0.0])
    assert "موسكو" in by_cosine[0].sentence.text  # without them the closer cosine would lead
    assert bot.confidence(BELARUS_Q, terms, by_cosine) == pytest.approx(confidence)


def test_an_answer_across_languages_quotes_its_best_sentences_up_to_the_limit():
    text = "زار حفتر موسكو في رحلة طويلة. التقى حفتر الرئيس البيلاروسي لوكاشينكو. وعاد حفتر إلى بنغازي."
    bot = _english_answerer({"موسكو": 0.80, "لوكاشينكو": 0.84, "بنغازي": 0.78}, max_sentences=3)
    terms = lexical_terms("Haftar") + lexical_terms(arabic_equivalents(BELARUS_Q))
    result = bot.answer(BELARUS_Q, terms, [], [_source(text)], [1.0], [1.0, 0.0], {"a.txt": text})
    assert not result.abstained
    assert len(result.citations) == 3  # however far their scores fall below the best one's
    assert "لوكاشينكو" in result.citations[0].quote
