"""Swaps within a closed class (a direction, an armed service, a ministry, a paper) are faults the
checker never forgives, and only when the source names the rival."""

from __future__ import annotations

from rag.claims import check, claim_facts, evidence_of
from rag.contrasts import claim_contrasts, swapped
from core.arabic import tokenize

EAST = "ودافع السفير الروسي عن وجود بلاده العسكري في شرق البلاد وجنوبها."
AIR = "وتهدف زيارة حفتر إلى بيلاروسيا إلى تعزيز القوات الجوية وصيانة المقاتلات."
PAPERS = "وأشارت صحيفة ذي صن البريطانية وصحيفة ذي تلغراف إلى إرسال مرتزقة إلى ليبيا."


def verdict(claim: str, passage: str):
    return check(claim_facts(claim), evidence_of(passage))


def test_a_direction_the_source_replaces_with_another_is_a_hard_fault():
    v = verdict("ودافع السفير عن الوجود العسكري لبلاده في غرب ليبيا", EAST)
    assert not v.supported and v.hard
    assert any("the source says" in m for m in v.missing)


def test_a_direction_the_source_holds_is_found_in_any_of_its_forms():
    assert not swapped(claim_facts("The ambassador defended Russia's presence in eastern Libya").contrasts,
                       evidence_of(EAST).keys)
    assert not swapped(claim_facts("الوجود الروسي في الجنوب الليبي").contrasts, evidence_of(EAST).keys)


def test_a_direction_is_no_swap_where_the_source_names_none():
    # Nothing to swap with: whether "northern" is supported is for the other checks to weigh.
    assert swapped(claim_facts("Haftar wants to strengthen the northern air force").contrasts,
                   evidence_of(AIR).keys) is None


def test_an_armed_service_swapped_is_a_hard_fault_in_arabic_and_in_english():
    assert verdict("وتهدف الزيارة إلى تعزيز القوات البحرية", AIR).hard
    assert verdict("The trip was meant to strengthen Haftar's navy", AIR).hard
    assert not verdict("The trip was meant to strengthen Haftar's air force", AIR).hard


def test_a_paper_swapped_counts_only_when_the_claim_names_it_with_a_capital():
    assert verdict("The Times reported that mercenaries were sent to Libya", PAPERS).hard
    assert not claim_contrasts(tokenize("mercenaries were sent three times"), set())


def test_a_member_the_claim_names_itself_is_no_rival():
    # "south-east" where the source says "east and south" holds both; "north-east" swaps one.
    assert swapped(claim_facts("في جنوب شرق البلاد").contrasts, evidence_of(EAST).keys) is None
    assert swapped(claim_facts("في شمال شرق البلاد").contrasts, evidence_of(EAST).keys) is not None
