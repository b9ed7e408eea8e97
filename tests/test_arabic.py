"""Arabic normalisation and lexical terms: spellings a reader treats as the same match each other."""

from __future__ import annotations

import pytest

from core.arabic import is_mostly_arabic, lexical_terms, light_stem, normalize, tokenize
from tests.conftest import ART_004


@pytest.mark.parametrize(("raw", "folded"), [("أحمد", "احمد"), ("إيفان", "ايفان"), ("آفاق", "افاق"), ("ٱلله", "الله")])
def test_normalize_folds_hamza_and_madda_alef_to_bare_alef(raw, folded):
    assert normalize(raw) == folded


def test_normalize_folds_alef_maqsura_to_ya_and_ta_marbuta_to_ha():
    assert normalize("الليبى") == normalize("الليبي") == "الليبي"
    assert normalize("فى") == normalize("في") == "في"
    assert normalize("الزيارة") == "الزياره"


def test_normalize_strips_diacritics_and_tatweel():
    assert normalize("مُحَمَّـــد") == "محمد"
    assert normalize("العَسْكَرِيّ") == "العسكري"
    assert normalize("روسيـــا") == "روسيا"


def test_normalize_drops_invisible_marks_and_lowercases_latin():
    assert normalize("\u200fحفتر\u200e") == "حفتر"
    assert normalize("Wagner") == "wagner"


def test_normalize_keeps_the_length_of_plain_text_and_leaves_other_letters_alone():
    plain = "وصل الوفد الروسي بنغازي"
    assert normalize(plain) == plain


@pytest.mark.parametrize(("a", "b"), [("فى", "في"), ("الليبى", "الليبي"), ("أمنى", "امني"), ("سياسى دولى", "سياسي دولي")])
def test_egyptian_final_ya_spelling_normalises_the_same(a, b):
    assert normalize(a) == normalize(b)
    assert lexical_terms(a) == lexical_terms(b)


def test_shoigu_spellings_share_a_lexical_term():
    assert set(lexical_terms("شويجو")) & set(lexical_terms("شويغو"))
    assert set(lexical_terms("وزير الدفاع سيرغي شويغو")) & set(lexical_terms("الوزير شويجو"))


def test_yevkurov_spellings_share_a_lexical_term():
    terms = [set(lexical_terms(w)) for w in ("يفكوروف", "يوفقورف", "يفكيروف")]
    assert terms[0] & terms[1] & terms[2]


def test_unrelated_names_do_not_share_a_variant_term():
    assert not set(lexical_terms("حفتر")) & set(lexical_terms("شويغو"))
    assert not set(lexical_terms("يفكوروف")) & set(lexical_terms("موسكو"))


@pytest.mark.parametrize(
    ("word", "stem"),
    [("الليبيه", "ليب"), ("والعسكريين", "عسكر"), ("العسكري", "عسكر"), ("بالعاصمه", "عاصم"), ("للجيش", "جيش"),
     ("المسؤولون", "مسؤول")],
)
def test_light_stem_strips_conjunction_article_and_common_suffixes(word, stem):
    assert light_stem(word) == stem


def test_inflected_forms_share_their_lexical_term():
    assert lexical_terms("الروسية") == lexical_terms("والروسية") == lexical_terms("الروسيه")
    assert lexical_terms("العسكريين") == lexical_terms("العسكري")


def test_stop_words_are_not_lexical_terms_in_any_spelling_but_stay_tokens():
    assert lexical_terms("في فى من على إلى الى حتى متى وعلى") == []
    assert tokenize("في من على") == ["في", "من", "علي"]


def test_is_mostly_arabic_tells_the_language_of_a_text():
    assert is_mostly_arabic("من هو السفير الروسي؟")
    assert not is_mostly_arabic("Who is the Russian ambassador?")
    assert not is_mostly_arabic("123")


def test_stored_chunks_keep_the_original_spelling(corpus_rig):
    # Normalisation makes search keys only: the text a person sees keeps its own letters.
    text = "\n".join(c.text for c in corpus_rig.chunks(ART_004))
    assert "فى" in text and "الليبى" in text
    everything = "\n".join(c.text for c in corpus_rig.chunks())
    assert "أ" in everything and "ة" in everything
