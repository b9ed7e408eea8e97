"""eval.metrics and eval.aggregate on hand-made cases whose answers are worked out by hand."""

from __future__ import annotations

import math

import pytest

from eval import metrics as m
from eval.aggregate import summarize
from eval.judge import build_judge_messages, parse_verdict

# --- retrieval --------------------------------------------------------------------------------------


def test_ranked_files_deduplicates_in_order():
    assert m.ranked_files(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


@pytest.mark.parametrize("k, expected", [(1, 0.0), (2, 0.0), (3, 1.0), (10, 1.0)])
def test_hit_at_k(k, expected):
    assert m.hit_at_k(["x", "y", "gold", "z"], ["gold"], k) == expected


def test_hit_at_k_none_without_gold():
    assert m.hit_at_k(["x"], [], 5) is None


def test_reciprocal_rank():
    assert m.reciprocal_rank(["gold", "x"], ["gold"]) == 1.0
    assert m.reciprocal_rank(["x", "y", "gold"], ["gold"]) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(["x", "y", "g2", "g1"], ["g1", "g2"]) == pytest.approx(1 / 3)  # first gold counts
    ranked = [f"d{i}" for i in range(10)] + ["gold"]  # rank 11: outside MRR@10
    assert m.reciprocal_rank(ranked, ["gold"], 10) == 0.0
    assert m.reciprocal_rank(["x"], []) is None


def test_ndcg_single_gold():
    assert m.ndcg_at_k(["gold", "x"], ["gold"]) == 1.0
    # gold at rank 3: (1/log2 4) / (1/log2 2) = 0.5
    assert m.ndcg_at_k(["x", "y", "gold"], ["gold"]) == pytest.approx(0.5)
    assert m.ndcg_at_k(["x", "y"], ["gold"]) == 0.0


def test_ndcg_two_golds():
    # golds at ranks 1 and 3: (1 + 0.5) / (1 + 1/log2 3)
    expected = 1.5 / (1 + 1 / math.log2(3))
    assert m.ndcg_at_k(["g1", "x", "g2"], ["g1", "g2"]) == pytest.approx(expected)
    assert m.ndcg_at_k(["g2", "g1"], ["g1", "g2"]) == pytest.approx(1.0)


def test_hit_curve():
    # four questions: first gold at ranks 1, 2, 5 and never
    curve = m.hit_curve([1, 2, 5, None], max_k=5)
    assert curve == [0.25, 0.5, 0.5, 0.5, 0.75]


# --- citations --------------------------------------------------------------------------------------

def test_citation_validity():
    text = "قال السفير أغانين إن روسيا لن ترسل قوات."
    start = text.index("أغانين")
    assert m.citation_is_valid("أغانين", text, start, start + 6)
    assert not m.citation_is_valid("اغانين", text, start, start + 6)  # one letter folded: not the file's text
    assert not m.citation_is_valid("أغانين", text, start + 1, start + 7)
    assert not m.citation_is_valid("أغانين", None, start, start + 6)
    assert not m.citation_is_valid("", text, 5, 5)
    assert not m.citation_is_valid("x", text, len(text), len(text) + 1)


def test_citation_precision_and_share():
    assert m.citation_precision(["a", "b", "a", "c"], ["a"]) == 0.5
    assert m.citation_precision([], ["a"]) is None
    assert m.citation_precision(["a"], []) is None
    assert m.share([True, False, True, True]) == 0.75
    assert m.share([]) is None


# --- answers ----------------------------------------------------------------------------------------

def test_answer_groups_after_normalisation():
    answer = "وقال السفير الروسي أغانين [1] إن صحيفتي ذي صن وThe Telegraph نشرتا ذلك [2]."
    assert m.answer_matches(answer, [["اغانين", "Aganin"]])  # hamza folded
    assert m.answer_matches(answer, [["ذي صن", "The Sun"], ["ذي تلغراف", "the telegraph"]])
    assert not m.answer_matches(answer, [["أغانين"], ["مالاتشنكو"]])  # every group must match
    assert m.answer_matches(answer, []) is None


def test_answer_match_letter_folding_and_diacritics():
    assert m.answer_matches("في مدينة بنغازى الليبية", [["بنغازي"]])  # ى / ي
    assert m.answer_matches("عمليةُ بدرٍ الكبرى", [["بدر الكبرى"]])  # diacritics dropped
    assert m.answer_matches("وصل وفد الخبراء", [["خبراء"]])  # Arabic: proclitics allowed


def test_answer_match_numbers_and_latin_stand_alone():
    assert m.answer_matches("ضم الوفد 9 من كبار العسكريين", [["9", "تسعة"]])
    assert not m.answer_matches("في عام 2019 [9]", [["9"]])  # not inside 2019, and markers are stripped
    assert not m.answer_matches("on Sunday", [["sun"]])
    assert m.answer_matches("The Sun, a tabloid", [["sun"]])


def test_squad_tokens_strip_articles_and_punctuation():
    assert m.squad_tokens("«الجيشُ» الليبي، The army!") == ["جيش", "ليبي", "army"]
    assert m.squad_tokens("ال") == ["ال"]  # too short to be an article


def test_exact_match():
    assert m.exact_match("الجيش الليبي.", ["جيش ليبي", "x"]) == 1.0
    assert m.exact_match("الجيش الوطني الليبي", ["الجيش الليبي"]) == 0.0
    assert m.exact_match("308 [1]", ["308"]) == 1.0
    assert m.exact_match("anything", []) is None


def test_token_f1():
    # prediction tokens: [جيش, وطني, ليبي]; gold: [جيش, ليبي] -> P 2/3, R 1, F1 0.8
    assert m.token_f1("الجيش الوطني الليبي", ["الجيش الليبي"]) == pytest.approx(0.8)
    assert m.token_f1("الجيش الوطني الليبي", ["بنغازي", "الجيش الليبي"]) == pytest.approx(0.8)  # max over golds
    assert m.token_f1("", ["الجيش"]) == 0.0  # abstention is an empty answer
    assert m.token_f1("بنغازي", ["طرابلس"]) == 0.0
    assert m.token_f1("x", []) is None


# --- abstention, latency, tokens --------------------------------------------------------------------

def test_abstention_scores():
    expected = [True, True, False, False, False]
    abstained = [True, False, True, False, False]
    got = m.abstention_scores(expected, abstained)
    assert got["precision"] == 0.5  # 1 right of 2 made
    assert got["recall"] == 0.5  # 1 made of 2 due
    assert got["false_abstention_rate"] == pytest.approx(1 / 3)
    assert (got["abstained"], got["expected"]) == (2, 2)
    none = m.abstention_scores([False, False], [False, False])
    assert none["precision"] is None and none["recall"] is None and none["false_abstention_rate"] == 0.0


def test_percentile_linear_interpolation():
    values = [40.0, 10.0, 30.0, 20.0]
    assert m.percentile(values, 50) == 25.0
    assert m.percentile(values, 0) == 10.0
    assert m.percentile(values, 100) == 40.0
    assert m.percentile(values, 95) == pytest.approx(38.5)  # pos 2.85 between 30 and 40
    assert m.percentile([7.0], 95) == 7.0
    assert m.percentile([], 50) is None


def test_latency_by_stage():
    got = m.latency_by_stage([{"retrieve": 10.0, "total": 20.0}, {"retrieve": 30.0, "total": 60.0}, {"total": 40.0}])
    assert list(got) == ["retrieve", "total"]
    assert got["retrieve"] == {"p50": 20.0, "p95": 29.0, "mean": 20.0, "n": 2}
    assert got["total"]["p50"] == 40.0 and got["total"]["n"] == 3


def test_token_usage():
    assert m.token_usage([{}, {}]) is None
    got = m.token_usage([{"prompt_tokens": 100, "completion_tokens": 10}, {},
                         {"prompt_tokens": 300, "completion_tokens": 30}])
    assert got == {"answers": 2, "prompt_tokens": 400, "completion_tokens": 40,
                   "prompt_tokens_mean": 200.0, "completion_tokens_mean": 20.0}


def test_mean_skips_none():
    assert m.mean([1.0, None, 0.0, True]) == pytest.approx(2 / 3)
    assert m.mean([None]) is None


# --- judge ------------------------------------------------------------------------------------------

def test_judge_verdicts_and_prompt():
    assert parse_verdict("Yes.") is True
    assert parse_verdict(" no, the quote says otherwise") is False
    assert parse_verdict("نعم") is True
    assert parse_verdict("لا") is False
    assert parse_verdict("maybe") is None
    messages = build_judge_messages("من؟", "أغانين [1]", ["قال أغانين"])
    assert messages[0]["role"] == "system" and "قال أغانين" in messages[1]["content"]


# --- aggregation ------------------------------------------------------------------------------------

def _row(kind, gold, first_rank, abstained, expects, correct=None, citations=(), em=None, f1=None):
    ranked = [f"d{i}" for i in range(1, 11)]
    if first_rank:
        ranked[first_rank - 1] = gold[0]
    return {
        "kind": kind, "gold_files": list(gold), "expects_abstention": expects, "abstained": abstained,
        "answer_correct": correct, "exact_match": em, "f1": f1, "citations": list(citations), "error": None,
        "timings_ms": {"total": 100.0}, "usage": {},
        "retrieval": {"hybrid": {"first_gold_rank": first_rank if gold else None,
                                 "hit@1": m.hit_at_k(ranked, gold, 1), "hit@5": m.hit_at_k(ranked, gold, 5),
                                 "hit@10": m.hit_at_k(ranked, gold, 10), "mrr@10": m.reciprocal_rank(ranked, gold),
                                 "ndcg@10": m.ndcg_at_k(ranked, gold)}},
    }


def test_summarize_overall_and_by_kind():
    rows = [
        _row("single", ["g"], 1, False, False, True, [{"valid": True, "in_gold": True}], em=1.0, f1=1.0),
        _row("single", ["g"], 2, False, False, False, [{"valid": True, "in_gold": False}], em=0.0, f1=0.5),
        _row("unanswerable", [], None, True, True),
        _row("unanswerable", [], None, False, True, citations=[{"valid": False, "in_gold": None}]),
    ]
    got = summarize(rows, ["hybrid"])
    overall = got["overall"]
    assert overall["retrieval"]["n"] == 2 and overall["retrieval"]["mrr@10"] == 0.75
    assert overall["retrieval"]["hit@1"] == 0.5 and overall["retrieval"]["hit@5"] == 1.0
    assert overall["answer_correct"] == 0.5 and overall["answer_correct_n"] == 2
    assert overall["exact_match"] == 0.5 and overall["f1"] == 0.75
    assert overall["citations"] == 3 and overall["citation_validity"] == pytest.approx(0.6667)
    assert overall["citation_precision"] == 0.5  # the unanswerable question's citation has no gold to be in
    assert overall["abstention_precision"] == 1.0 and overall["abstention_recall"] == 0.5
    assert got["by_kind"]["unanswerable"]["abstention_recall"] == 0.5
    assert got["by_kind"]["single"]["retrieval"]["mrr@10"] == 0.75
    assert got["retrieval"]["hybrid"]["hit_curve"][:3] == [0.5, 1.0, 1.0]
    assert got["latency_ms"]["total"]["p50"] == 100.0
    assert got["tokens"] is None and got["faithfulness"] is None


def test_a_short_answer_is_valid_only_as_a_slice_inside_its_citation():
    text = "قاعدة معطن السارة الجوية قرب الكفرة."
    start = text.index("معطن")
    end = start + len("معطن السارة")
    assert m.short_answer_is_valid("معطن السارة", text, start, end, [(0, len(text))])
    assert not m.short_answer_is_valid("معطن السارة", text, start + 1, end + 1, [(0, len(text))])  # offsets off by one
    assert not m.short_answer_is_valid("معطن السارة", text, start, end, [(0, start)])  # outside the quote it names
    assert not m.short_answer_is_valid("معطن السارة", text, start, end, [])  # names no citation
    assert not m.short_answer_is_valid("معطن السارة", None, start, end, [(0, len(text))])


def test_summarize_scores_the_short_answer_beside_the_whole_answer():
    def short_row(short, short_em, short_f1, **kw):
        row = _row("answerable", ["g"], 1, False, False, True, em=0.0, f1=0.2, **kw)
        row.update({"short_answer": short, "short_exact_match": short_em, "short_f1": short_f1})
        return row

    rows = [
        short_row({"text": "1958", "valid": True}, 1.0, 1.0),
        short_row({"text": "عام", "valid": False}, 0.0, 0.5),
        short_row(None, 0.0, 0.0),  # no short answer: an empty one
        short_row(None, 0.0, 0.0),
        _row("unanswerable", [], None, True, True),
    ]
    o = summarize(rows, ["hybrid"])["overall"]
    assert o["exact_match"] == 0.0 and o["f1"] == 0.2  # the whole answer's figures stay
    assert o["short_exact_match"] == 0.25 and o["short_f1"] == 0.375
    assert o["short_f1_given"] == 0.75
    assert o["short_answer_share"] == 0.5  # of the four answerable questions, two got one
    assert o["short_answers"] == 2 and o["short_answers_invalid"] == 1


def test_the_table_and_report_show_the_short_answer_figures():
    from eval.report import format_markdown, format_table

    rows = [_row("answerable", ["g"], 1, False, False, True, em=0.0, f1=0.2)]
    rows[0].update({"short_answer": {"text": "x", "valid": True}, "short_exact_match": 1.0, "short_f1": 1.0})
    metrics = summarize(rows, ["hybrid"], meta={"mode": "extractive", "answer_retriever": "hybrid"})
    table = format_table(metrics)
    assert "s.F1" in table and "s.EM" in table and "short" in table
    assert "Short answers: 1 given, 0 not a verified slice" in table
    assert "s.F1" in format_markdown(metrics) and "*s.EM / s.F1*" in format_markdown(metrics)


def test_citation_support_is_alce_recall_over_statements_and_precision_over_citations():
    from eval.metrics import citation_support, statements

    answer = "التقى حفتر شويغو [1]. ووقع صفقة نووية [2]. وهذا كل شيء."
    assert statements(answer) == (2, 1)
    got = citation_support(2, 1, 1, [True, False])
    assert got["recall"] == pytest.approx(1 / 3)  # one statement held, of three (the uncited one counts)
    assert got["precision"] == 0.5
    assert citation_support(0, 0, 0, []) == {"recall": None, "precision": None}
