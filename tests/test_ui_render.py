"""The chat page's HTML helpers: everything escaped, quotes highlighted in context, bidi isolation."""

from __future__ import annotations

import re

from core.results import Answer, Citation, ShortAnswer, Source
from tests.support.html import parse
from ui.render import (
    answer_message_html,
    answer_text_html,
    bdi,
    direction,
    error_message_html,
    esc,
    passage_html,
    pending_answer_html,
    redact_urls,
    sources_panel_html,
    sources_section_html,
    status_html,
    text_html,
    toast_html,
    upload_report_html,
    user_message_html,
)

EVIL = "<script>alert(1)</script> <img src=x onerror=alert(2)> **bold** ${7*7} {{value}} [link](http://x) $$x$$"


def shown(fragment: str) -> str:
    return parse(fragment).text


def tags(fragment: str) -> set[str]:
    return parse(fragment).names


def test_escaping_shows_markup_markdown_and_templates_as_the_characters_they_are():
    out = esc(EVIL)
    assert "<" not in out and ">" not in out and "$" not in out and "{" not in out and "*" not in out
    assert shown(out) == EVIL
    assert not tags(out)


def test_text_html_keeps_lines_without_ever_leaving_a_blank_line():
    out = text_html("سطر أول\n\nسطر <b>ثالث</b>\r\n")
    assert "\n" not in out  # a blank line would end the HTML block and let Markdown in
    assert out.count("<br>") == 3
    assert shown(out) == "سطر أولسطر <b>ثالث</b>"


def test_direction_is_per_text():
    assert direction("من هو السفير الروسي لدى ليبيا؟") == "rtl"
    assert direction("Who is the Russian ambassador to Libya?") == "ltr"
    assert direction("ما هو ملف 000_x.txt؟") == "rtl"
    assert direction("12345") == "rtl"  # no letters: the page's own direction


def test_file_names_and_markers_are_isolated_left_to_right():
    out = bdi("000_dbbf1d3e8a7b7980.txt")
    (tag, attrs), = parse(out).tags
    assert tag == "bdi" and attrs["dir"] == "ltr" and shown(out) == "000_dbbf1d3e8a7b7980.txt"
    marker = answer_text_html("جملة [1] وأخرى [2]", turn=3, cited=[1])
    links = [a for t, a in parse(marker).tags if t == "a"]
    assert [a["href"] for a in links] == ["#rawi-src-3-1"]  # [2] cites nothing: stays plain text
    assert ("bdi", {"dir": "ltr"}) in parse(marker).tags
    assert shown(marker) == "جملة [1] وأخرى [2]"


def test_user_and_answer_messages_escape_and_pick_their_direction():
    q = user_message_html("What is <b>this</b>?")
    assert 'dir="ltr"' in q and "b" not in tags(q) and shown(q) == "What is <b>this</b>?"
    ans = Answer(answer=f"قال السفير الروسي في ليبيا إن القائد العام للجيش التقى وزير الدفاع في موسكو {EVIL} [1]", abstained=False, mode="extractive",
                 citations=[Citation(1, "002_a<b>.txt", 0, 4, "قال ", "عنوان", "2016-06-28")], question="سؤال")
    out = answer_message_html(ans, turn=2)
    assert tags(out) <= {"div", "span", "a", "bdi"}
    assert EVIL in shown(out) and "002_a<b>.txt" in shown(out)
    assert 'dir="rtl"' in out and 'id="rawi-answer-2"' in out and "rawi-abstained" not in out
    assert "\n" not in out


def test_abstentions_errors_and_warnings_look_different():
    ans = Answer(answer="The available sources do not answer this question.", abstained=True, mode="extractive",
                 question="What is the capital of Japan?",
                 warnings=["The language model at http://user:pw@llm.local:8000/v1?api_key=sk-1 cannot be reached."])
    out = answer_message_html(ans, 1)
    assert "rawi-abstained" in out and "rawi-badge" in out and 'dir="ltr"' in out
    assert "rawi-warning" in out and "sk-1" not in out and "user:pw" not in out and "llm.local:8000/v1" in out
    err = error_message_html("<oops>", 4)
    assert "rawi-error" in err and shown(err).endswith("<oops>")
    assert "rawi-streaming" in pending_answer_html("جزء", 1)


def test_redact_urls_keeps_host_and_path_only():
    assert redact_urls("at https://u:p@api.example.com:8443/v1/chat?key=abc#x now") == "at https://api.example.com:8443/v1/chat now"
    assert redact_urls("no url here") == "no url here"


def test_passage_highlights_the_quote_inside_its_surrounding_text():
    text = "مقدمة طويلة. " * 30 + "هذه هي الجملة المقتبسة <b>بالضبط</b>." + " وبعدها كلام آخر." * 30
    start = text.index("هذه هي")
    end = text.index("</b>.") + len("</b>.")
    out = passage_html(text, [(start, end)], context=60)
    marks = re.findall(r'<mark class="rawi-quote">(.*?)</mark>', out)
    assert len(marks) == 1 and shown(marks[0]) == text[start:end]
    visible = shown(out)
    assert visible.startswith("…") and visible.endswith("…")
    inner = visible.strip("…")
    assert inner in text and len(inner) > end - start  # some text on both sides
    assert "b" not in tags(out)


def test_passage_merges_near_quotes_splits_far_ones_and_stays_in_the_paragraph():
    text = "عنوان المقال\n\n" + "أ" * 10 + " الجملة الأولى. الجملة الثانية. " + "ب " * 400 + "الجملة البعيدة."
    s1 = text.index("الجملة الأولى")
    s2 = text.index("الجملة الثانية")
    s3 = text.index("الجملة البعيدة")
    out = passage_html(text, [(s2, s2 + 15), (s1, s1 + 14), (s3, s3 + 15)], context=50)
    assert out.count('class="rawi-passage"') == 2
    assert out.count("<mark") == 3
    assert "عنوان المقال" not in shown(out)  # the blank line ends the surrounding text
    assert not shown(out).startswith("…")  # starts at the paragraph's beginning: nothing cut


def test_overlapping_quotes_are_marked_once():
    text = "واحد اثنان ثلاثة أربعة خمسة"
    out = passage_html(text, [(0, 11), (5, 17)])
    assert out.count("<mark") == 1 and shown(out) == text


def _answer() -> Answer:
    text = "مقدمة.\n\nأعلن السفير الروسي <script>alert(1)</script> أمراً مهماً. ثم تابع."
    quote = "أعلن السفير الروسي <script>alert(1)</script> أمراً مهماً."
    start = text.index(quote)
    sources = [Source("002_x.txt", "c1", 0.5, text[8:], 8, len(text), "عنوان <i>1</i>", "2016-06-28"),
               Source("004_y.txt", "c2", 0.4, "نص آخر <img src=x onerror=alert(1)>", 0, 30, "عنوان 2", "")]
    cite = Citation(1, "002_x.txt", start, start + len(quote), quote, "عنوان <i>1</i>", "2016-06-28")
    return Answer(f"{quote} [1]", False, "extractive", [cite], sources, question="من هو السفير؟"), text


def test_sources_section_shows_title_file_date_and_highlighted_quote_all_escaped():
    ans, text = _answer()
    out = sources_section_html(ans, {"002_x.txt": text}, turn=5)
    p = parse(out)
    ids = [a.get("id") for _, a in p.tags if a.get("id")]
    assert ids == ["rawi-turn-5", "rawi-src-5-1", "rawi-src-5-2"]
    assert {t for t, _ in p.tags} <= {"section", "div", "span", "details", "summary", "bdi", "mark"}
    visible = shown(out)
    for piece in ("عنوان <i>1</i>", "002_x.txt", "2016-06-28", ans.citations[0].quote,
                  "نص آخر <img src=x onerror=alert(1)>", "من هو السفير؟"):
        assert piece in visible, piece
    cited = out[out.index('id="rawi-src-5-1"') - 60 : out.index('id="rawi-src-5-2"')]
    assert " open>" in cited and "<mark" in cited
    assert "\n" not in out


def test_sources_of_an_abstention_and_the_panel():
    ans, text = _answer()
    ans.abstained, ans.citations = True, []
    out = sources_section_html(ans, {}, turn=1)
    assert "rawi-note" in out and "<mark" not in out and out.count("<details") == 2
    panel = sources_panel_html([out, sources_section_html(_answer()[0], {"002_x.txt": text}, 2)])
    assert panel.count("<section") == 2
    assert "rawi-sources-empty" in sources_panel_html([])


def test_sources_fall_back_to_the_verified_quote_when_the_file_text_is_missing():
    ans, _ = _answer()
    out = sources_section_html(ans, {}, turn=1)
    assert "<mark" in out and ans.citations[0].quote in shown(out)


def test_status_line_and_upload_report():
    out = status_html({"mode": "llm", "model": "qwen<2>", "articles": 5, "chunks": 29})
    assert "LLM: qwen<2>" in shown(out) and "5" in shown(out) and "29" in shown(out) and "bdi" in tags(out)
    assert "extractive" in shown(status_html({"mode": "extractive", "model": "", "articles": 0, "chunks": 0}))
    report = upload_report_html([(True, "a.txt", "أُضيف"), (False, "<x>.pdf", "نوع غير مقبول")])
    assert "rawi-upload-ok" in report and "rawi-upload-failed" in report and "<x>.pdf" in shown(report)
    assert upload_report_html([]) == ""


def test_toast_puts_each_language_on_its_own_line_in_its_direction():
    out = toast_html("السؤال طويل جداً (2100 حرفاً). / The question is too long <2100>.")
    p = parse(out)
    assert [a["dir"] for _, a in p.tags] == ["rtl", "ltr"]
    assert p.text == "السؤال طويل جداً (2100 حرفاً).The question is too long <2100>."


def _short_answer() -> tuple[Answer, str]:
    text = "مقدمة.\n\nتستخدم روسيا قاعدة معطن السارة الجوية قرب الكفرة. ثم تابع."
    quote = "تستخدم روسيا قاعدة معطن السارة الجوية قرب الكفرة."
    start = text.index(quote)
    s_start = text.index("معطن السارة")
    short = ShortAnswer("معطن السارة", "003_x.txt", s_start, s_start + len("معطن السارة"), 1)
    source = Source("003_x.txt", "c1", 0.5, text[8:], 8, len(text), "قواعد <b>روسيا</b>", "")
    cite = Citation(1, "003_x.txt", start, start + len(quote), quote, source.title, "")
    answer = Answer(f"**معطن السارة** — {quote} [1]", False, "extractive", [cite], [source],
                    question="ما اسم القاعدة الجوية؟", short_answer=short)
    return answer, text


def test_the_short_answer_comes_first_in_bold_and_opens_its_source_in_one_click():
    ans, text = _short_answer()
    out = answer_message_html(ans, turn=4)
    p = parse(out)
    links = [a for t, a in p.tags if t == "a"]
    # The short answer is the first link of the message, to the same source as its [1].
    assert links[0]["href"] == "#rawi-src-4-1" and "rawi-short" in links[0]["class"] and "rawi-cite" in links[0]["class"]
    assert all(a["href"] == "#rawi-src-4-1" for a in links)
    strong = re.search(r'<a class="rawi-cite rawi-short"[^>]*><strong>(.*?)</strong></a>', out)
    assert strong and shown(strong.group(1)) == "معطن السارة"
    visible = shown(out)
    assert visible.startswith("معطن السارة — تستخدم روسيا") and "**" not in visible
    assert out.index("rawi-short") < out.index("تستخدم روسيا")
    assert "\n" not in out
    # In the sources panel, the short answer is in bold inside the highlighted quote.
    panel = sources_section_html(ans, {"003_x.txt": text}, turn=4)
    mark = re.search(r'<mark class="rawi-quote">(.*?)</mark>', panel).group(1)
    assert re.search(r'<strong class="rawi-short-quote">معطن السارة</strong>', mark)
    assert shown(mark) == ans.citations[0].quote
    fallback = sources_section_html(ans, {}, turn=4)  # the file left the store: the verified quote alone
    assert '<strong class="rawi-short-quote">معطن السارة</strong>' in fallback


def test_a_short_answer_is_escaped_and_an_answer_without_one_is_unchanged():
    ans, _ = _short_answer()
    evil = "<img src=x onerror=alert(1)>"
    ans.answer = ans.answer.replace("معطن السارة", evil, 1)
    ans.short_answer = ShortAnswer(evil, "003_x.txt", 0, len(evil), 1)
    out = answer_message_html(ans, 1)
    assert "img" not in tags(out) and evil in shown(out)
    plain, _ = _short_answer()
    plain.short_answer = None
    plain.answer = plain.answer.split(" — ", 1)[1]
    assert "rawi-short" not in answer_message_html(plain, 1)
    assert "<strong>" in pending_answer_html("**2019** — جملة", 1) and "**" not in shown(pending_answer_html("**2019** — جملة", 1))


def test_an_unsupported_claim_is_marked_beside_it_and_in_its_source_all_escaped():
    from core.results import UnsupportedClaim

    text = "قال السفير إن حفتر التقى شويغو. وأضاف أن الوفد ضم 9 ضباط."
    ans = Answer("التقى حفتر لافروف <b>وحده</b> [1]. وضم الوفد 9 ضباط [1].", False, "llm",
                 citations=[Citation(1, "002_x.txt", 0, 0, "", supported=False),
                            Citation(1, "002_x.txt", 32, len(text), text[32:])],
                 sources=[Source("002_x.txt", "c1", 1.0, text, 0, len(text))], question="من التقى حفتر؟",
                 unsupported_claims=[UnsupportedClaim("التقى حفتر لافروف <b>وحده</b>", (1,), ("لافروف",))])
    message = answer_message_html(ans, turn=3)
    flagged = message[message.index("rawi-unsupported-claim") : message.index("rawi-unsupported-mark")]
    assert "لافروف" in flagged and "ضباط" not in flagged  # the flag sits on its own claim, not the next one
    assert "غير مدعوم بالمصدر [1]" in shown(message) and "<b>" not in message
    section = sources_section_html(ans, {"002_x.txt": text}, turn=3)
    assert "rawi-unsupported-source" in section and "هذا المصدر لا يذكر" in shown(section)
    assert "التقى حفتر لافروف <b>وحده</b>" in shown(section) and "<b>" not in section
    assert section.count("<mark") == 1  # only the supported citation is highlighted as a quote
