"""HTML for the chat page, built from plain text that is always escaped: pure functions, no Gradio.

Every piece of text that comes from a question, an answer or an article goes through `text_html`,
so `<script>`, `<img onerror=…>`, Markdown and template syntax (`${…}`, `{{…}}`) in a document are
shown as the characters they are. Direction is decided per message (`direction`); Latin file names
and `[n]` markers are isolated with `<bdi dir="ltr">` so they read correctly inside Arabic text.
Chat messages are one line of HTML inside a `<div>`: Markdown leaves an HTML block alone as long as
it holds no blank line, so the escaped text is never reinterpreted as Markdown. An answer that starts
with a short answer (`**X** — ...`) shows it in bold as a link to its source, and the source shows
it in bold inside the highlighted quote.
"""

from __future__ import annotations

import re
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

from core.arabic import reply_in_arabic
from core.results import Answer, Citation, ShortAnswer, Source

CONTEXT_CHARS = 240  # characters of surrounding text shown on each side of a cited passage

_ESCAPES = {
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    # Not markup, but syntax that Markdown, KaTeX or Gradio's HTML templates would act on.
    "`": "&#96;", "$": "&#36;", "{": "&#123;", "}": "&#125;", "\\": "&#92;", "*": "&#42;", "_": "&#95;",
    "[": "&#91;", "]": "&#93;", "~": "&#126;", "|": "&#124;", "#": "&#35;",
}
_ESCAPE_RE = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")
_MARKER = re.compile(r"\[(\d{1,3})\]")
_ANY_MARKER = re.compile(r"\[\s*[0-9٠-٩]+(?:\s*[,،]\s*[0-9٠-٩]+)*\s*\]")
_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")
_LEADING_BOLD = re.compile(r"^\*\*([^*\n]+)\*\*")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+")


def esc(text: Any) -> str:
    """`text` as HTML that displays exactly these characters (no markup, Markdown or templates)."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], str(text))


def text_html(text: str) -> str:
    """Escaped text with its line breaks kept as `<br>` (and never a blank line in the HTML)."""
    return "<br>".join(esc(line) for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def direction(text: str) -> str:
    """'rtl' for Arabic text, 'ltr' for English (or other Latin-script) text."""
    if reply_in_arabic(text):
        return "rtl"
    return "ltr"


def bdi(text: str, cls: str = "rawi-file") -> str:
    """A left-to-right island (file name, model name, marker) that keeps its order inside Arabic."""
    return f'<bdi dir="ltr" class="{cls}">{esc(text)}</bdi>'


def marker_html(n: int, turn: int) -> str:
    """A `[n]` marker that opens source n of answer `turn` in the sources panel."""
    return (f'<a class="rawi-cite" href="#rawi-src-{turn}-{n}" title="المصدر {n}">'
            f'<bdi dir="ltr">[{n}]</bdi></a>')


def redact_urls(text: str) -> str:
    """URLs reduced to scheme, host and path: no user:password@ or ?api_key=… reaches the page."""
    def clean(match: re.Match) -> str:
        try:
            parts = urlsplit(match.group(0))
            host = parts.hostname or ""
            if parts.port:
                host += f":{parts.port}"
            return urlunsplit((parts.scheme, host, parts.path, "", ""))
        except ValueError:
            return "(URL)"

    return _URL.sub(clean, text)


# --- chat messages ---------------------------------------------------------------------------------

def user_message_html(question: str) -> str:
    d = direction(question)
    return f'<div class="rawi-msg rawi-question rawi-{d}" dir="{d}">{text_html(question)}</div>'


def short_answer_html(short: ShortAnswer, turn: int) -> str:
    """The short answer in bold, a link that opens the source it was cut from (like its `[n]`)."""
    return (f'<a class="rawi-cite rawi-short" href="#rawi-src-{turn}-{short.n}" title="المصدر {short.n}">'
            f'<strong>{esc(short.text)}</strong></a>')


def answer_text_html(text: str, turn: int, cited: Iterable[int], short: ShortAnswer | None = None) -> str:
    """The answer text escaped, each `[n]` of a cited source made a link to it, and the short answer
    (written `**X**` in the text) in bold as a link to its source."""
    cited = set(cited)
    bold = f"**{short.text}**" if short is not None and short.n in cited else ""
    if bold and bold in text:
        head, tail = text.split(bold, 1)
        return answer_text_html(head, turn, cited) + short_answer_html(short, turn) + answer_text_html(tail, turn, cited)
    out, last = [], 0
    for m in _MARKER.finditer(text):
        out.append(text_html(text[last : m.start()]))
        n = int(m.group(1))
        out.append(marker_html(n, turn) if n in cited else esc(m.group(0)))
        last = m.end()
    out.append(text_html(text[last:]))
    return "".join(out)


def pending_answer_html(text: str, turn: int) -> str:
    """What the chat shows while the answer streams in."""
    d = direction(text) if text.strip() else "rtl"
    bold = _LEADING_BOLD.match(text)
    if bold:  # the short answer the extractive answer starts with
        body = f"<strong>{esc(bold.group(1))}</strong>{text_html(text[bold.end():])}"
    else:
        body = text_html(text) if text else '<span class="rawi-thinking">…</span>'
    return (f'<div class="rawi-msg rawi-answer rawi-streaming rawi-{d}" dir="{d}" id="rawi-answer-{turn}">'
            f'<span class="rawi-answer-text">{body}</span></div>')


def answer_message_html(answer: Answer, turn: int) -> str:
    """The final answer: linked markers, the cited files under it, warnings, and a look of its own
    when rawi abstained."""
    d = direction(answer.answer)
    classes = ["rawi-msg", "rawi-answer", f"rawi-{d}"]
    parts = []
    if answer.abstained:
        classes.append("rawi-abstained")
        label = "لم أجد الإجابة في المصادر" if d == "rtl" else "Not found in the sources"
        parts.append(f'<div class="rawi-badge">{esc(label)}</div>')
    cited = sorted({c.n for c in answer.citations})
    short = answer.short_answer
    if answer.unsupported_claims:
        body = _flagged_answer_html(answer, turn, cited)
    else:
        body = answer_text_html(answer.answer, turn, cited, short)
    parts.append(f'<span class="rawi-answer-text">{body}</span>')
    if cited:
        by_file: dict[str, list[int]] = {}
        for n in cited:
            by_file.setdefault(next(c.file for c in answer.citations if c.n == n), []).append(n)
        files = [f'<span class="rawi-cited-file">{"".join(marker_html(n, turn) for n in ns)} {bdi(file)}</span>'
                 for file, ns in by_file.items()]
        head = "المصادر:" if d == "rtl" else "Sources:"
        parts.append(f'<div class="rawi-cited">{esc(head)} {" ".join(files)}</div>')
    for warning in answer.warnings:
        parts.append(f'<div class="rawi-warning" dir="auto">⚠ {text_html(redact_urls(warning))}</div>')
    return f'<div class="{" ".join(classes)}" dir="{d}" id="rawi-answer-{turn}">{"".join(parts)}</div>'


def _claim_key(text: str) -> str:
    """A sentence as `UnsupportedClaim.claim` spells it: no markers, single spaces, no final full stop."""
    text = " ".join(_ANY_MARKER.sub(" ", text).split())
    return re.sub(r"\s+([.!?؟،,؛])", r"\1", text).strip(" .")


def _flagged_answer_html(answer: Answer, turn: int, cited: list[int]) -> str:
    """An LLM answer whose unsupported claims are marked where they stand: underlined, with ⚠ and
    the sources they cite, so the reader sees which sentence its source does not back."""
    claims = {c.claim: c for c in answer.unsupported_claims}
    out = []
    for sentence in re.split(r"(?<=[.!?؟؛])(\s+)(?!\[)", answer.answer):
        key = _claim_key(sentence)
        flagged = next((c for text, c in claims.items() if text and (text == key or text in key)), None)
        html = answer_text_html(sentence, turn, cited)
        if flagged is None or not key:
            out.append(html)
            continue
        marks = "".join(f"[{n}]" for n in flagged.n)
        label = (f"غير مدعوم بالمصدر {marks}" if direction(answer.answer) == "rtl"
                 else f"not supported by source {marks}")
        out.append(f'<span class="rawi-unsupported-claim" title="{esc(label)}">{html}</span>'
                   f'<span class="rawi-unsupported-mark" title="{esc(label)}">⚠ {bdi(label)}</span>')
    return "".join(out)


def toast_html(message: str) -> str:
    """A message for a Gradio toast (which renders HTML): each part of "عربي / English" on its own
    line, in its own direction."""
    parts = [p.strip() for p in str(message).split(" / ") if p.strip()]
    return "".join(f'<div dir="{direction(p)}">{esc(p)}</div>' for p in parts)


def error_message_html(message: str, turn: int) -> str:
    d = direction(message)
    return (f'<div class="rawi-msg rawi-answer rawi-error rawi-{d}" dir="{d}" id="rawi-answer-{turn}">'
            f'<span class="rawi-answer-text">⚠ {text_html(redact_urls(message))}</span></div>')


# --- sources -----------------------------------------------------------------------------------------

def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _snap_left(text: str, pos: int) -> int:
    """Move a window start forward to a word boundary (never past 40 characters)."""
    if pos <= 0:
        return 0
    for i in range(pos, min(len(text), pos + 40)):
        if text[i - 1].isspace():
            return i
    return pos


def _snap_right(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    for i in range(pos, max(0, pos - 40), -1):
        if text[i].isspace():
            return i
    return pos


def _quote_html(text: str, start: int, end: int, strong: tuple[int, int] | None) -> str:
    """`text[start:end]` highlighted, the short answer inside it (`strong`, file offsets) in bold."""
    if strong is not None and start <= strong[0] < strong[1] <= end:
        inner = (text_html(text[start : strong[0]]) + '<strong class="rawi-short-quote">'
                 + text_html(text[strong[0] : strong[1]]) + "</strong>" + text_html(text[strong[1] : end]))
    else:
        inner = text_html(text[start:end])
    return f'<mark class="rawi-quote">{inner}</mark>'


def passage_html(text: str, spans: list[tuple[int, int]], context: int = CONTEXT_CHARS,
                 strong: tuple[int, int] | None = None) -> str:
    """Each quoted span `text[start:end]` inside its surrounding text, highlighted with `<mark>`; the
    `strong` span (the short answer), when inside one of them, in bold.

    Spans close to each other share one excerpt; far apart ones get excerpts of their own.
    """
    spans = _merge([(max(0, s), min(len(text), e)) for s, e in spans if e > s and s < len(text)])
    if not spans:
        return ""
    groups: list[list[tuple[int, int]]] = [[spans[0]]]
    for span in spans[1:]:
        if span[0] - groups[-1][-1][1] <= 2 * context:
            groups[-1].append(span)
        else:
            groups.append([span])
    excerpts = []
    for group in groups:
        # The surrounding text stays inside the quote's paragraph: it stops at a blank line.
        before = [m.end() for m in _BLANK_LINE.finditer(text, 0, group[0][0])]
        after = _BLANK_LINE.search(text, group[-1][1])
        left = _snap_left(text, max(group[0][0] - context, before[-1] if before else 0))
        right = _snap_right(text, min(group[-1][1] + context, after.start() if after else len(text)))
        left = min(left, group[0][0])
        right = max(right, group[-1][1])
        while left < group[0][0] and text[left].isspace():
            left += 1
        while right > group[-1][1] and text[right - 1].isspace():
            right -= 1
        out = ["…" if left > 0 and text[left - 1] != "\n" else ""]
        pos = left
        for start, end in group:
            out.append(text_html(text[pos:start]))
            out.append(_quote_html(text, start, end, strong))
            pos = end
        out.append(text_html(text[pos:right]))
        out.append("…" if right < len(text) and not text[right:].lstrip(" \t").startswith("\n") else "")
        excerpt = "".join(out)
        excerpts.append(f'<div class="rawi-passage" dir="{direction(text[left:right])}">{excerpt}</div>')
    return "".join(excerpts)


def _source_head(n: int, title: str, file: str, date: str) -> str:
    title_html = f'<span class="rawi-title" dir="auto">{esc(title)}</span>' if title else ""
    meta = [bdi(file)]
    if date:
        meta.append(f'<span class="rawi-date">{bdi(date, "rawi-date-value")}</span>')
    return (f'<summary><span class="rawi-n"><bdi dir="ltr">[{n}]</bdi></span> {title_html}</summary>'
            f'<div class="rawi-meta">{" · ".join(meta)}</div>')


def sources_section_html(answer: Answer, file_texts: dict[str, str], turn: int, *, active: bool = True) -> str:
    """The sources of one answer: cited ones open, with the passage highlighted in its context;
    the other retrieved chunks folded under them."""
    by_n: dict[int, list[Citation]] = {}
    for c in answer.citations:
        by_n.setdefault(c.n, []).append(c)
    q_dir = direction(answer.question)
    parts = [f'<section class="rawi-turn{" rawi-active" if active else ""}" id="rawi-turn-{turn}" dir="rtl">',
             f'<div class="rawi-turn-q">سؤال {turn}: <span dir="{q_dir}">{text_html(answer.question)}</span></div>']
    if answer.abstained:
        note = ("لم تُجب المصادر عن هذا السؤال؛ هذه أقرب المقاطع التي وُجدت." if q_dir == "rtl"
                else "No source answers this question; these are the nearest passages found.")
        parts.append(f'<div class="rawi-note" dir="{q_dir}">{esc(note)}</div>')
    elif not by_n:
        note = "لا توجد مصادر مستشهد بها." if q_dir == "rtl" else "No cited sources."
        parts.append(f'<div class="rawi-note" dir="{q_dir}">{esc(note)}</div>')
    for n in sorted(by_n):
        cites = by_n[n]
        first = cites[0]
        text = file_texts.get(first.file)
        short = answer.short_answer
        strong = (short.start, short.end) if short is not None and short.n == n and short.file == first.file else None
        if text is None:  # the file left the store since: show the verified quotes alone
            body = "".join(
                f'<div class="rawi-passage" dir="{direction(c.quote)}">'
                f'{_quote_html(c.quote, 0, len(c.quote), None if strong is None else (strong[0] - c.start, strong[1] - c.start))}'
                "</div>" for c in cites)
        else:
            body = passage_html(text, [(c.start, c.end) for c in cites if c.end > c.start], strong=strong)
        flagged = [c for c in answer.unsupported_claims if n in c.n]
        warn = "".join(
            f'<div class="rawi-unsupported-note" dir="{direction(c.claim)}">⚠ '
            + esc("هذا المصدر لا يذكر: " if direction(c.claim) == "rtl" else "This source does not state: ")
            + f"«{text_html(c.claim)}»</div>" for c in flagged)
        unsupported = " rawi-unsupported-source" if flagged else ""
        parts.append(f'<details class="rawi-source rawi-cited-source{unsupported}" id="rawi-src-{turn}-{n}" open>'
                     f"{_source_head(n, first.title, first.file, first.date)}{warn}{body}</details>")
    others = [(n, s) for n, s in enumerate(answer.sources, start=1) if n not in by_n]
    if others:
        label = "مقاطع أخرى مسترجعة" if by_n else "المقاطع المسترجعة"
        parts.append(f'<div class="rawi-others-head">{esc(label)} ({len(others)})</div>')
        for n, s in others:
            parts.append(f'<details class="rawi-source rawi-uncited" id="rawi-src-{turn}-{n}">'
                         f'{_source_head(n, s.title, s.file, s.date)}'
                         f'<div class="rawi-passage" dir="{direction(s.text)}">{text_html(s.text)}</div></details>')
    parts.append("</section>")
    return "".join(parts)


EMPTY_SOURCES = ('<div class="rawi-sources-empty" dir="rtl">ستظهر هنا مصادر كل إجابة: العنوان واسم الملف '
                 'والتاريخ والمقطع المقتبس مظلَّلاً. اضغط على رقم مثل <bdi dir="ltr">[1]</bdi> في الإجابة لفتح مصدره.</div>')


def sources_panel_html(sections: list[str]) -> str:
    """All answers' source sections; the latest is shown, a click on an older `[n]` shows its own."""
    if not sections:
        return f'<div class="rawi-sources" dir="rtl">{EMPTY_SOURCES}</div>'
    return f'<div class="rawi-sources" dir="rtl">{"".join(sections)}</div>'


# --- status and uploads ------------------------------------------------------------------------------

def status_html(status: dict[str, Any]) -> str:
    """Answer mode (and model), articles and chunks in the store."""
    if status.get("mode") == "llm":
        mode = f'نموذج لغوي {bdi("LLM: " + str(status.get("model") or "?"), "rawi-model")}'
    else:
        mode = f'استخراجي دون اتصال {bdi("extractive, offline", "rawi-model")}'
    return (f'<div class="rawi-status" dir="rtl"><span>الوضع: <b>{mode}</b></span> · '
            f'<span>المقالات: <b class="rawi-articles">{int(status.get("articles", 0))}</b></span> · '
            f'<span>المقاطع: <b class="rawi-chunks">{int(status.get("chunks", 0))}</b></span></div>')


def upload_report_html(lines: list[tuple[bool, str, str]]) -> str:
    """(ok, file name, message) per uploaded file."""
    if not lines:
        return ""
    items = []
    for ok, name, message in lines:
        cls = "rawi-upload-ok" if ok else "rawi-upload-failed"
        mark = "✓" if ok else "✗"
        items.append(f'<li class="{cls}">{mark} {bdi(name)}: <span dir="auto">{esc(message)}</span></li>')
    return f'<ul class="rawi-upload-report" dir="rtl">{"".join(items)}</ul>'


__all__ = [
    "Answer", "Citation", "Source", "answer_message_html", "answer_text_html", "bdi", "direction", "error_message_html",
    "esc", "marker_html", "toast_html", "passage_html", "pending_answer_html", "redact_urls", "sources_panel_html",
    "short_answer_html", "sources_section_html", "status_html", "text_html", "upload_report_html", "user_message_html",
]
