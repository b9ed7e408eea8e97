"""Page furniture stays out of chunks; chunks are whole sentences, sized in tokens, with overlap."""

from __future__ import annotations

import re

import pytest

from ingest.chunk import Span, chunk_blocks, sentences, tiktoken_counter
from ingest.clean import Block, clean, code_runs, find_date, is_furniture
from ingest.load import read_document
from tests.conftest import ALL_ARTICLES, ART_001, ART_002

HEADLINE_001 = "وفد عسكري روسي رفيع المستوى في ليبيا.. التقى قيادات من قوات حفتر وبحث معهم التعاون العسكري"

# The furniture lines of the sample corpus, exactly as they stand in the files.
FURNITURE_LINES = {
    ART_001: ["- ℃ 11 تركيا", "- 10 يناير 2025", "- 23 أغسطس 2023, 8:04:24 ص", "- 435",
              "- تم نسخ عنوان المقال إلى الحافظة"],
    ART_002: ["  • 6/28/2016", "  • 00:00", "  • 3", "  • 0", "news-picture", "مشاركة :"],
}
# Photo captions: furniture or not, the article does not depend on them, so no test demands either.
CAPTION_LINES = {"اللواء الليبي المتقاعد خليفة حفتر في زيارة عام 2016 إلى روسيا/gettyimages", "خليفة حفتر (رويترز)"}
FURNITURE_PHRASES = ("تم نسخ عنوان المقال إلى الحافظة", "مشاركة :", "news-picture", "℃")
VIEW_COUNTER = re.compile(r"^\s*[-•]?\s*\d+\s*$")
BARE_DATE_BULLET = re.compile(r"^\s*[-•]\s*[\d/:.,\s]+(?:[^\W\d_]+\s+\d{4}[\d:,\s]*[صم]?)?\s*$")
SENTENCE_END = re.compile(r"[.!?؟؛…][\"'”’»)\]]*$")

count_tokens = tiktoken_counter("o200k_base")


def joints(text: str) -> int:
    """Places where the chunker joined two separately counted sentences (end mark + blank, or a line break)."""
    return len(re.findall(r"[.!?؟؛…][\"'”’»)\]]*[ \t]+|\n", text))


def token_bound(text: str, chunk_tokens: int) -> int:
    # chunk_blocks sums the tokens of whole sentences counted one by one; tokenising the joined
    # text can differ by at most one token at each joint (a blank or line break merged or not).
    return chunk_tokens + joints(text)


def chunks_of(text: str, chunk_tokens: int, overlap: int) -> tuple[list[Block], list[Span]]:
    blocks = clean(text).blocks
    return blocks, chunk_blocks(text, blocks, chunk_tokens, overlap, count_tokens)


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def spans_of(text: str, needle: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(needle), text)]


# --- page furniture -------------------------------------------------------------------------------


def test_no_chunk_contains_page_furniture(corpus_rig):
    for c in corpus_rig.chunks():
        for phrase in FURNITURE_PHRASES:
            assert phrase not in c.text, (c.file, phrase)
        for line in c.text.splitlines():
            assert not VIEW_COUNTER.match(line), (c.file, line)
            assert not BARE_DATE_BULLET.match(line), (c.file, line)


def test_no_chunk_overlaps_a_furniture_line_of_the_corpus(corpus_rig, corpus_dir):
    for file, lines in FURNITURE_LINES.items():
        text = read_document(corpus_dir / file).text
        furniture = [span for line in lines for span in spans_of(text, line)]
        assert len(furniture) >= len(lines)  # the lines really are in the file
        for c in corpus_rig.chunks(file):
            for span in furniture:
                assert not overlaps((c.meta["start"], c.meta["end"]), span), (file, text[span[0] : span[1]])


def test_duplicated_headline_is_kept_once_and_its_copy_skipped(corpus_rig, corpus_dir):
    text = read_document(corpus_dir / ART_001).text
    first, second = spans_of(text, HEADLINE_001)  # the page repeats its headline
    chunks = corpus_rig.chunks(ART_001)
    holding = [c for c in chunks if HEADLINE_001 in c.text]
    assert len(holding) == 1
    assert holding[0].meta["start"] <= first[0] and first[1] <= holding[0].meta["end"]
    assert not any(overlaps((c.meta["start"], c.meta["end"]), second) for c in chunks)


def test_article_text_around_the_furniture_is_all_kept(corpus_rig, corpus_dir):
    # Chunks skip furniture rather than the article: every other non-blank line is in some chunk.
    for file in ALL_ARTICLES:
        text = read_document(corpus_dir / file).text
        skipped = set(FURNITURE_LINES.get(file, []))
        spans = [(c.meta["start"], c.meta["end"]) for c in corpus_rig.chunks(file)]
        seen_headline = False
        for m in re.finditer(r"[^\n]+", text):
            line = m.group(0)
            if not line.strip() or line in skipped or line in CAPTION_LINES:
                continue
            if line == HEADLINE_001:
                if seen_headline:
                    continue
                seen_headline = True
            start = m.start() + len(line) - len(line.lstrip())
            end = m.end() - (len(line) - len(line.rstrip()))
            covered = [False] * (end - start)
            for s, e in spans:
                for i in range(max(s, start), min(e, end)):
                    covered[i - start] = True
            assert all(covered[i] for i in range(end - start) if not text[start + i].isspace()), (file, line[:40])


@pytest.mark.parametrize(
    "line",
    ["- تم نسخ عنوان المقال إلى الحافظة", "مشاركة :", "شارك", "news-picture", "- 435", "  • 0", "  • 00:00",
     "  • 6/28/2016", "- 23 أغسطس 2023, 8:04:24 ص", "- 10 يناير 2025", "- ℃ 11 تركيا", "طباعة", "share",
     "اللواء الليبي المتقاعد خليفة حفتر في زيارة عام 2016 إلى روسيا/gettyimages",
     "writer@example.com",  # a byline, and a contact footer holding one:
     "writer@example.comللتواصل مع الكاتب ارسل رسالة SMS تبدأ بالرمز (5) ثم مسافة ثم نص الرسالة إلى 88591 - Stc"],
)
def test_page_furniture_lines_are_recognised(line):
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    ["دعم روسي لحفتر", "التطورات في النيجر", HEADLINE_001,
     "وصل 435 جنديا إلى بنغازي.", "وقال الوزير: نعم.", "Russia and Libya signed a deal.",
     # A long line of the article that gives an e-mail address is still the article.
     "ودعا المركز جميع المستفيدين إلى الإبلاغ عن أية مخالفات أو مشكلات تواجههم من خلال القنوات الرسمية لتقديم "
     "البلاغات عن طريق موقع الوزارة، أو عن طريق البريد الإلكتروني info@example.gov.sa، أو الاتصال بالرقم "
     "الموحد على مدار الساعة طوال أيام الأسبوع، مؤكدا أن جميع البلاغات تعامل بسرية تامة وتحال إلى الجهات المختصة."],
)
def test_article_lines_are_not_furniture(line):
    assert not is_furniture(line)


def test_clean_returns_spans_of_the_original_without_rewriting_it():
    text = (
        "عنوان الخبر الرئيسي عن ليبيا\n"
        "- 435\n"
        "مشاركة :\n"
        "الفقرة الأولى من الخبر.\n"
        "الفقرة الثانية من الخبر.\n"
        "  • 6/28/2016\n"
        "عنوان الخبر الرئيسي عن ليبيا\n"
        "الفقرة الأخيرة.\n"
    )
    article = clean(text)
    got = [text[b.start : b.end] for b in article.blocks]
    assert got == ["عنوان الخبر الرئيسي عن ليبيا", "الفقرة الأولى من الخبر.\nالفقرة الثانية من الخبر.", "الفقرة الأخيرة."]
    assert article.title == "عنوان الخبر الرئيسي عن ليبيا"
    assert article.date == "2016-06-28"
    assert article.furniture_lines == 4


def test_article_date_prefers_a_stamp_with_a_time_over_a_bare_widget_date():
    text = "- 10 يناير 2025\nعنوان الخبر\n- 23 أغسطس 2023, 8:04:24 ص\nنص الخبر هنا.\n"
    assert clean(text).date == "2023-08-23"


def test_article_without_a_stated_date_has_none():
    assert clean("عنوان\nنص الخبر هنا بلا تاريخ.\n").date == ""


@pytest.mark.parametrize(
    ("line", "iso"),
    [("- 23 أغسطس 2023, 8:04:24 ص", "2023-08-23"), ("• 6/28/2016", "2016-06-28"), ("5/3/2024", "2024-03-05"),
     ("2024-03-05T10:00", "2024-03-05"), ("10 يناير 2025", "2025-01-10"), ("3 حزيران 2019", "2019-06-03"),
     ("no date here", ""), ("- 435", "")],
)
def test_dates_are_read_as_iso(line, iso):
    assert find_date(line) == iso


# --- sentences ------------------------------------------------------------------------------------


def test_sentences_end_at_arabic_and_latin_marks_and_line_breaks():
    text = "هل وصل الوفد؟ نعم وصل؛ ثم غادر! بلغ النمو 3.5 بالمئة. سطر بلا علامة\nوسطر آخر"
    got = [text[s.start : s.end] for s in sentences(text, Block(0, len(text)))]
    assert got == ["هل وصل الوفد؟", "نعم وصل؛", "ثم غادر!", "بلغ النمو 3.5 بالمئة.", "سطر بلا علامة", "وسطر آخر"]


def test_a_closing_quote_stays_with_its_sentence():
    text = "وقال إن “العالم يحتاج لقوة في الأرض”. وأضاف أمرا آخر."
    got = [text[s.start : s.end] for s in sentences(text, Block(0, len(text)))]
    assert got == ["وقال إن “العالم يحتاج لقوة في الأرض”.", "وأضاف أمرا آخر."]


# --- chunks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_tokens", [80, 120, 200])
def test_single_line_article_is_cut_at_sentence_ends(corpus_dir, chunk_tokens):
    text = read_document(corpus_dir / ART_002).text
    line = max(text.split("\n"), key=len)
    assert len(line) > 2400 and text.count(line) == 1
    line_start = text.index(line)
    blocks, spans = chunks_of(text, chunk_tokens, 40)
    # Precondition: no single sentence outgrows the chunk, so no cut inside a sentence is needed.
    assert max(count_tokens(text[s.start : s.end]) for b in blocks for s in sentences(text, b)) <= chunk_tokens
    inside = [s for s in spans if line_start <= s.start and s.end <= line_start + len(line)]
    assert len(inside) >= 3
    for span in inside[:-1]:
        assert SENTENCE_END.search(text[span.start : span.end]), text[span.end - 30 : span.end]
    for span in inside:
        before = text[line_start : span.start].rstrip()
        assert before == "" or SENTENCE_END.search(before), text[span.start : span.start + 30]
        assert count_tokens(text[span.start : span.end]) <= token_bound(text[span.start : span.end], chunk_tokens)


def test_stored_chunks_of_the_single_line_article_end_at_sentence_ends(corpus_rig, corpus_dir):
    text = read_document(corpus_dir / ART_002).text
    line = max(text.split("\n"), key=len)
    start = text.index(line)
    inside = sorted(
        (c for c in corpus_rig.chunks(ART_002) if start <= c.meta["start"] and c.meta["end"] <= start + len(line)),
        key=lambda c: c.meta["start"],
    )
    assert len(inside) >= 3
    assert all(SENTENCE_END.search(c.text) for c in inside[:-1])


@pytest.mark.parametrize("chunk_tokens", [40, 100, 200, 400])
def test_chunk_token_sizes_respect_chunk_tokens(corpus_dir, chunk_tokens):
    for file in ALL_ARTICLES:
        text = read_document(corpus_dir / file).text
        _, spans = chunks_of(text, chunk_tokens, chunk_tokens // 5)
        assert spans
        for span in spans:
            body = text[span.start : span.end]
            assert count_tokens(body) <= token_bound(body, chunk_tokens), (file, chunk_tokens, body[:40])


def test_stored_chunks_respect_the_default_chunk_size(corpus_rig):
    limit = corpus_rig.settings.ingest.chunk_tokens
    sizes = [count_tokens(c.text) for c in corpus_rig.chunks()]
    assert all(count_tokens(c.text) <= token_bound(c.text, limit) for c in corpus_rig.chunks())
    assert max(sizes) > limit // 2  # chunks are filled, not cut needlessly small


@pytest.mark.parametrize("chunk_tokens", [40, 100, 200])
def test_chunks_cover_every_sentence_of_every_block(corpus_dir, chunk_tokens):
    for file in ALL_ARTICLES:
        text = read_document(corpus_dir / file).text
        blocks, spans = chunks_of(text, chunk_tokens, 10)
        covered = [False] * len(text)
        for span in spans:
            covered[span.start : span.end] = [True] * (span.end - span.start)
        for block in blocks:
            missed = [i for i in range(block.start, block.end) if not covered[i] and not text[i].isspace()]
            assert not missed, (file, text[missed[0] : missed[0] + 40] if missed else "")
            for span in spans:  # no chunk crosses a block edge (the furniture between blocks)
                assert (span.start >= block.start and span.end <= block.end) or not overlaps(
                    (span.start, span.end), (block.start, block.end)
                )


def _short_sentences(n: int) -> str:
    return " ".join(f"وصل الوفد رقم {i} إلى المدينة." for i in range(n))


def test_consecutive_chunks_share_whole_sentences_when_overlap_is_set():
    text = _short_sentences(30)
    block = Block(0, len(text))
    spans = chunk_blocks(text, [block], 40, 12, count_tokens)
    assert len(spans) >= 4
    starts = {s.start for s in sentences(text, block)}
    for prev, nxt in zip(spans, spans[1:]):
        assert nxt.start < prev.end, "consecutive chunks must share text"
        assert nxt.start in starts  # the shared part is whole sentences
        shared = text[nxt.start : prev.end]
        assert count_tokens(shared) <= token_bound(shared, 12)
        assert nxt.end > prev.end  # and every chunk moves on


def test_consecutive_chunks_share_nothing_when_overlap_is_zero():
    text = _short_sentences(30)
    spans = chunk_blocks(text, [Block(0, len(text))], 40, 0, count_tokens)
    assert len(spans) >= 4
    for prev, nxt in zip(spans, spans[1:]):
        assert nxt.start >= prev.end
        assert text[prev.end : nxt.start].strip() == ""  # and nothing is left out between them


@pytest.mark.parametrize("overlap", [0, 40])
def test_corpus_chunks_overlap_only_when_overlap_is_set(corpus_dir, overlap):
    shared_pairs = 0
    for file in ALL_ARTICLES:
        text = read_document(corpus_dir / file).text
        blocks, spans = chunks_of(text, 200, overlap)
        for prev, nxt in zip(spans, spans[1:]):
            if nxt.start < prev.end:
                shared_pairs += 1
                shared = text[nxt.start : prev.end]
                assert count_tokens(shared) <= token_bound(shared, overlap)
                assert any(b.start <= prev.start and nxt.end <= b.end for b in blocks)  # within one block
    if overlap:
        assert shared_pairs >= 3
    else:
        assert shared_pairs == 0


def test_stored_corpus_chunks_overlap_with_the_default_setting(corpus_rig):
    assert corpus_rig.settings.ingest.chunk_overlap_tokens > 0
    shared_pairs = 0
    for file in ALL_ARTICLES:
        chunks = sorted(corpus_rig.chunks(file), key=lambda c: c.meta["chunk_index"])
        shared_pairs += sum(nxt.meta["start"] < prev.meta["end"] for prev, nxt in zip(chunks, chunks[1:]))
    assert shared_pairs >= 3


def test_overlong_sentence_is_cut_at_word_boundaries():
    words = [f"كلمة{i}" for i in range(300)]
    text = " ".join(words) + "."
    spans = chunk_blocks(text, [Block(0, len(text))], 30, 0, count_tokens)
    assert len(spans) > 5
    for span in spans:
        assert span.start == 0 or text[span.start - 1] == " "
        assert span.end == len(text) or text[span.end] == " "
        assert count_tokens(text[span.start : span.end]) <= 30
    assert " ".join(text[s.start : s.end] for s in spans) == text  # nothing lost, nothing repeated


def test_chunk_settings_bound_the_overlap_to_half_a_chunk():
    text = _short_sentences(30)
    spans = chunk_blocks(text, [Block(0, len(text))], 40, 1000, count_tokens)
    for prev, nxt in zip(spans, spans[1:]):
        assert nxt.end > prev.end  # still progresses
        shared = text[nxt.start : prev.end] if nxt.start < prev.end else ""
        assert count_tokens(shared) <= token_bound(shared, 20)


def test_the_furniture_patterns_of_these_tests_do_match_the_real_furniture():
    # Guards the checks above against patterns that could never fire.
    assert VIEW_COUNTER.match("- 435") and VIEW_COUNTER.match("  • 3")
    for line in ("- 10 يناير 2025", "- 23 أغسطس 2023, 8:04:24 ص", "  • 6/28/2016", "  • 00:00"):
        assert BARE_DATE_BULLET.match(line), line
    assert not BARE_DATE_BULLET.match("- وصل الوفد في 10 يناير 2025 إلى بنغازي")


POLL_LINE = ("ما رأيك في تنظيم فعاليات العيد في المملكة؟ #vote_area2 ul { padding: 0; margin: 0; } "
             ".box_vote { background: #FFFFFF; border: solid 1px #ccc; padding: 18px; overflow: hidden; } "
             "jQuery(document).ready(function(){ jQuery('#vote_form2').submit(function() { return false; }); }); "
             "التنظيم والتوزيع مناسب والحضور كبير.")


def test_a_style_sheet_or_script_pasted_into_a_line_is_cut_out_and_the_text_around_it_kept():
    text = "عنوان الخبر عن فعاليات العيد\n" + POLL_LINE + "\nوختمت الأمانة فعالياتها بعرض للألعاب النارية.\n"
    article = clean(text)
    kept = [text[b.start : b.end] for b in article.blocks]
    assert not any("{" in k or "jQuery" in k or "padding" in k for k in kept), kept
    assert any(k.endswith("ما رأيك في تنظيم فعاليات العيد في المملكة؟") for k in kept), kept
    assert any(k.startswith("التنظيم والتوزيع مناسب والحضور كبير.") for k in kept), kept
    assert any("للألعاب النارية" in k for k in kept)


def test_english_prose_and_a_formula_are_not_taken_for_code():
    prose = ("The ministry said on Tuesday that the festival drew more visitors than last year; officials "
             "expect the numbers (already above 40,000) to grow next season, according to the statement.")
    assert code_runs(prose) == []
    assert code_runs("قال الباحث إن المعادلة f(x) = x + 1 تكفي لوصف النتائج في هذه الحالة البسيطة.") == []
