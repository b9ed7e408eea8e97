"""The English-Arabic dictionary (`core.dictionary`) and what it lets the claim checker read in an
English claim: a word the project's glossary does not know, checked against the Arabic source.

The dictionary is a Debian package (`make test` installs it); without it these tests skip, except
the one that says what rawi does then.
"""

from __future__ import annotations

import pytest

from core import dictionary
from rag.claims import check, claim_facts, evidence_of

needs_dictionary = pytest.mark.skipif(not dictionary.available(), reason="dict-freedict-eng-ara is not installed")
EGYPT = "وأكد المتحدث باسم وزارة الخارجية المصرية أحمد أبو زيد دعم مصر للجيش الليبي في مواجهة الإرهاب."
MIG = "وتهدف الزيارة إلى تعزيز القوات الجوية والاهتمام بصيانة مقاتلات ميغ روسية الصنع."


@needs_dictionary
def test_an_english_word_gives_its_arabic_senses_most_common_first():
    assert dictionary.arabic_senses("parliament") == ("البرلمان",)
    assert dictionary.arabic_senses("Abandoned")[:2] == ("مهجور", "متروك")


@needs_dictionary
def test_a_form_that_is_no_headword_is_looked_up_by_its_base():
    assert dictionary.arabic_senses("helicoptered") == dictionary.arabic_senses("helicopter") != ()


@needs_dictionary
def test_a_long_definition_is_not_a_sense():
    assert dictionary.arabic_senses("abamp") == ()  # «وحدة تيار تساوي عشرة أمبير» defines, it does not translate
    assert all(len(s.split()) <= dictionary.MAX_SENSE_WORDS for s in dictionary.arabic_senses("abandonment"))


@needs_dictionary
def test_an_english_claim_naming_another_country_than_its_source_is_a_hard_fault():
    assert check(claim_facts("Spokesman Ahmed Abu Zeid affirmed Egypt's support for the Libyan army."), evidence_of(EGYPT)).supported
    verdict = check(claim_facts("Spokesman Ahmed Abu Zeid affirmed Algeria's support for the Libyan army."), evidence_of(EGYPT))
    assert not verdict.supported and verdict.hard and "algeria" in verdict.missing


@needs_dictionary
def test_an_english_word_the_glossary_does_not_know_is_checked_through_the_dictionary():
    assert check(claim_facts("The visit aims to strengthen the air force and maintain Russian-made MiG fighters."),
                 evidence_of(MIG)).supported
    verdict = check(claim_facts("The visit aims to strengthen the fleet."), evidence_of(MIG))
    assert not verdict.supported and "fleet" in verdict.missing


@needs_dictionary
def test_a_name_takes_only_one_word_senses_so_belarus_never_finds_russia():
    assert dictionary.arabic_senses("Belarus") == ("روسيا البيضاء",)
    assert not check(claim_facts("Haftar visited Belarus."), evidence_of("زار حفتر روسيا.")).supported


def test_without_the_dictionary_english_words_it_would_check_are_left_unchecked(monkeypatch, tmp_path):
    monkeypatch.setattr(dictionary, "DICTIONARY", tmp_path / "absent")
    dictionary._dictionary.cache_clear()
    dictionary.arabic_senses.cache_clear()
    try:
        assert not dictionary.available() and dictionary.arabic_senses("fleet") == ()
        assert check(claim_facts("The visit aims to strengthen the fleet."), evidence_of(MIG)).supported
    finally:
        dictionary._dictionary.cache_clear()
        dictionary.arabic_senses.cache_clear()


@needs_dictionary
def test_an_english_questions_search_terms_add_dictionary_senses_for_words_the_glossary_does_not_know():
    from core.glossary import arabic_equivalents, arabic_search_terms

    question = "Which Italian news agency reported on the navy base?"
    terms = arabic_search_terms(question).split()
    assert set(arabic_equivalents(question).split()) <= set(terms)  # the glossary's words stay
    assert "البحرية" in terms  # navy: a word the glossary does not know
    assert arabic_search_terms("What is it between them?") == ""  # function words are not looked up


@needs_dictionary
def test_bm25_finds_an_arabic_passage_for_an_english_question_through_the_dictionary():
    from core.arabic import lexical_terms
    from rag.retrieve import query_terms

    assert set(lexical_terms("الطيارون")) <= set(query_terms("How many pilots were trained?"))


@needs_dictionary
def test_an_english_question_the_corpus_never_speaks_of_counts_its_unseen_words():
    from core.arabic import lexical_terms
    from rag.extractive import ExtractiveAnswerer

    seen = set(lexical_terms("صنع تركي"))  # a corpus that uses "make" and "Turkish", never "coffee"
    bot = ExtractiveAnswerer(idf=lambda t: 1.0, embed_passages=lambda texts: [[0.0] for _ in texts],
                             abstain_threshold=0.0, known=lambda term: term in seen)
    assert bot._unseen_english_share("How do I make Turkish coffee?") == pytest.approx(1 / 3)
    assert bot._unseen_english_share("Who is Haftar?") == 0.0  # a name has no sense to look up: not counted
