"""Fusion that weighs each ranking by the evidence it found for this question (rag.retrieve).

Pure functions on hand-made rankings: no store, no model.
"""

from __future__ import annotations

from rag.retrieve import HybridRetriever, dense_standout, fusion_weights, lexical_coverage


def retriever(adaptive: bool = True) -> HybridRetriever:
    return HybridRetriever(None, None, None, candidates=30, dense_weight=0.5, lexical_weight=2.0, rrf_k=20,
                           adaptive_fusion=adaptive)


# Dense puts "d1" first, well clear of the rest; BM25 puts "b1" first.
STANDOUT_DENSE = [("d1", 0.90)] + [(f"d{i}", 0.80 - 0.001 * i) for i in range(2, 30)]
FLAT_DENSE = [(f"d{i}", 0.80 - 0.0001 * i) for i in range(1, 30)]
SPARSE = [("b1", 9.0)] + [(f"b{i}", 9.0 - 0.2 * i) for i in range(2, 30)]


def test_coverage_is_the_best_bm25_score_over_the_sum_of_the_question_idfs():
    assert lexical_coverage([("c", 3.0), ("d", 1.0)], [4.0, 2.0]) == 0.5
    assert lexical_coverage([], [4.0]) == 0.0
    assert lexical_coverage([("c", 3.0)], []) == 0.0


def test_words_the_corpus_never_uses_lower_the_coverage():
    # An English question over Arabic text: most of its terms are unknown (highest IDF), only a name matches.
    only_the_name = lexical_coverage([("c", 5.0)], [5.5])
    with_english_words = lexical_coverage([("c", 5.0)], [5.5, 8.0, 8.0, 8.0])
    assert with_english_words < 0.25 < only_the_name


def test_a_dense_best_chunk_that_stands_out_weighs_more_than_a_flat_ranking():
    assert dense_standout(STANDOUT_DENSE) > 2 * dense_standout(FLAT_DENSE)
    assert fusion_weights(STANDOUT_DENSE, 0.3, 0.5, 2.0)[0] > fusion_weights(FLAT_DENSE, 0.3, 0.5, 2.0)[0]


def test_when_bm25_found_little_of_the_question_the_dense_ranking_leads():
    fused = retriever().fuse(STANDOUT_DENSE, SPARSE, "hybrid", coverage=0.05)
    assert fused[0][0] == "d1"


def test_when_bm25_matched_much_of_the_question_and_dense_is_unsure_bm25_leads():
    fused = retriever().fuse(FLAT_DENSE, SPARSE, "hybrid", coverage=0.6)
    assert fused[0][0] == "b1"


def test_fixed_weights_ignore_the_evidence_when_adaptive_fusion_is_off():
    fixed = retriever(adaptive=False)
    assert fixed.fuse(STANDOUT_DENSE, SPARSE, "hybrid", coverage=0.05) == fixed.fuse(STANDOUT_DENSE, SPARSE, "hybrid", coverage=0.9)
    assert retriever().fuse(STANDOUT_DENSE, SPARSE, "hybrid", coverage=0.05) != retriever().fuse(
        STANDOUT_DENSE, SPARSE, "hybrid", coverage=0.9)


def test_single_modes_keep_their_own_order():
    assert [c for c, _ in retriever().fuse(STANDOUT_DENSE, [], "dense")] == [c for c, _ in STANDOUT_DENSE]
    assert [c for c, _ in retriever().fuse([], SPARSE, "bm25")] == [c for c, _ in SPARSE]
