"""Find the article inside a scraped page: which lines are content, which are page furniture.

Nothing is rewritten: the result is a list of `Block`s, spans `(start, end)` of the original
text made of consecutive content lines, so every chunk cut from a block is a true slice of the
file. A style sheet or script pasted into a line of the page (a poll widget's CSS and jQuery in the
middle of a news article) is cut out of its line like a furniture line (`code_runs`): its words
would otherwise be quoted as an answer, English questions matching them best. So is a short line
holding an e-mail address: a writer's byline or a "contact the writer by SMS" footer. Also reads the
article's title and the date it states. Chunking is `ingest.chunk`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from core.arabic import normalize
from core.sentences import Block

# Whole lines that are share buttons, clipboard notices and similar page chrome (normalised).
_FURNITURE_PHRASES = {
    normalize(p)
    for p in (
        "تم نسخ عنوان المقال إلى الحافظة", "تم نسخ الرابط", "نسخ الرابط", "مشاركة", "مشاركة :", "شارك",
        "شارك :", "شارك الخبر", "طباعة", "حفظ", "اقرأ أيضا", "اقرأ أيضاً", "اقرأ المزيد", "المزيد",
        "news-picture", "share", "print", "tweet", "فيسبوك", "تويتر", "واتساب", "تيليجرام", "لينكدإن",
        "أخبار ذات صلة", "مواضيع ذات صلة", "الأكثر قراءة", "تابعونا", "إعلان", "advertisement",
    )
}
_BULLET = r"[-–—•·*●▪]"
_MONTHS = (
    "يناير|فبراير|مارس|أبريل|ابريل|إبريل|مايو|يونيو|يونيه|يوليو|يوليه|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر|"
    "كانون الثاني|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين الأول|تشرين الثاني|كانون الأول|"
    "جانفي|فيفري|أفريل|ماي|جوان|جويلية|أوت"
)
_MONTH_NUMBER = {
    **dict.fromkeys(["يناير", "كانون الثاني", "جانفي"], 1), **dict.fromkeys(["فبراير", "شباط", "فيفري"], 2),
    **dict.fromkeys(["مارس", "آذار"], 3), **dict.fromkeys(["أبريل", "ابريل", "إبريل", "نيسان", "أفريل"], 4),
    **dict.fromkeys(["مايو", "أيار", "ماي"], 5), **dict.fromkeys(["يونيو", "يونيه", "حزيران", "جوان"], 6),
    **dict.fromkeys(["يوليو", "يوليه", "تموز", "جويلية"], 7), **dict.fromkeys(["أغسطس", "اغسطس", "آب", "أوت"], 8),
    **dict.fromkeys(["سبتمبر", "أيلول"], 9), **dict.fromkeys(["أكتوبر", "اكتوبر", "تشرين الأول"], 10),
    **dict.fromkeys(["نوفمبر", "تشرين الثاني"], 11), **dict.fromkeys(["ديسمبر", "كانون الأول"], 12),
}
_TEXT_DATE = re.compile(rf"(?P<d>\d{{1,2}})\s+(?P<m>{_MONTHS})\s*,?\s+(?P<y>(?:19|20)\d\d)")
_NUM_DATE = re.compile(r"\b(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>(?:19|20)\d\d)\b")
_ISO_DATE = re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)")  # also "2024-03-05T10:00"
_TIME = re.compile(r"\d{1,2}:\d{2}")
# A line made only of dates, times, numbers and am/pm marks, like "- 23 أغسطس 2023, 8:04:24 ص".
_DATE_OR_NUMBER_LINE = re.compile(
    rf"^\s*(?:{_BULLET}\s*)?(?:(?:{_MONTHS})|\d+|[/:.,،\-]|\s|ص|م|am|pm|AM|PM|GMT|UTC|\+)*\s*$"
)
_WEATHER = re.compile(r"[℃℉°]")
# Photo captions and credits: "... إلى روسيا/gettyimages", "(رويترز)".
_CAPTION = re.compile(r"(getty\s*images|gettyimages|shutterstock|/\s*(?:afp|reuters|ap|epa)\b|أرشيفية|صورة أرشيفية)", re.I)
_SENTENCE_END = re.compile(r"[.!?؟؛…]")
# A writer's e-mail, alone or in a "contact the writer" footer ("x@y.com للتواصل مع الكاتب ارسل رسالة SMS …").
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
MAX_BYLINE_CHARS = 300  # a longer line holding an e-mail is article text ("… عبر البريد الإلكتروني x@y.gov.sa")
# Style sheets and scripts pasted into a page's text ("#vote_area2 ul { padding: 0; } ... jQuery(...)"),
# often inside a line of the article: a long stretch with no Arabic letter that is made like code.
_NON_ARABIC_RUN = re.compile(r"[^\u0600-\u06ff\r\n]{80,}")
_CODE_MARKS = re.compile(r"[{};]|=>|\bfunction\s*\(|\bjQuery\b|\bdocument\.|\bwindow\.|\bvar\s")
MIN_CODE_MARKS = 6  # braces and semicolons in such a stretch; English prose has almost none




@dataclass(frozen=True)
class CleanedArticle:
    blocks: list[Block]
    title: str
    date: str  # ISO yyyy-mm-dd, or "" when the page states none
    furniture_lines: int


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line's visible content, trimmed of blanks, bullets and markdown marks."""
    spans = []
    for match in re.finditer(r"[^\r\n]+", text):
        start, end = match.span()
        line = match.group(0)
        lead = re.match(rf"^(?:\s|{_BULLET}|#+|>)*", line).end()
        trail = len(line) - len(line.rstrip())
        if start + lead < end - trail:
            spans.append((start + lead, end - trail))
    return spans


def code_runs(line: str) -> list[tuple[int, int]]:
    """(start, end) in `line` of each pasted style sheet or script (see `_NON_ARABIC_RUN`)."""
    return [m.span() for m in _NON_ARABIC_RUN.finditer(line) if len(_CODE_MARKS.findall(m.group(0))) >= MIN_CODE_MARKS]


def is_furniture(line: str) -> bool:
    """True for a line that belongs to the page, not to the article."""
    norm = normalize(line).strip(" :-|")
    if not norm:
        return True
    if norm in _FURNITURE_PHRASES or normalize(line).strip() in _FURNITURE_PHRASES:
        return True
    if len(line) < MAX_BYLINE_CHARS and _EMAIL.search(line):
        return True  # a byline or a contact footer
    if _DATE_OR_NUMBER_LINE.match(line):
        return True  # view counters, bare date/time bullets
    if _WEATHER.search(line) and len(line) < 40:
        return True  # weather widgets: "℃ 11 تركيا"
    if _CAPTION.search(line) and len(line) < 200 and not _SENTENCE_END.search(line[-1:]):
        return True  # a photo caption or credit line
    words = norm.split()
    if len(words) <= 2 and not _SENTENCE_END.search(line) and not re.search("[\u0621-\u064a]{3}", norm):
        return True  # stray Latin tokens, icons, counters
    return False


def clean(text: str) -> CleanedArticle:
    """Split the original text into content blocks, skipping furniture and repeated headlines."""
    blocks: list[Block] = []
    seen: set[str] = set()
    title = ""
    dates_with_time: list[str] = []
    dates: list[str] = []
    furniture = 0
    current: list[int] | None = None  # [start, end] of the block being grown
    for piece in _pieces(text):
        line = text[piece[0] : piece[1]] if piece is not None else ""  # None: a code run cut out of a line
        key = normalize(line)
        if piece is None or is_furniture(line) or key in seen:
            furniture += 1
            if piece is not None and len(dates_with_time) + len(dates) < 8:
                iso = find_date(line)
                if iso:
                    (dates_with_time if _TIME.search(line) else dates).append(iso)
            if current is not None:
                blocks.append(Block(current[0], current[1]))
                current = None
            continue
        seen.add(key)
        if not title:
            title = _title_from(line)
        start, end = piece
        if current is None:
            current = [start, end]
        else:
            current[1] = end
    if current is not None:
        blocks.append(Block(current[0], current[1]))
    # A stamp with a time is the article's own; a bare date is often "today" in a widget.
    date = (dates_with_time or dates or [""])[0]
    return CleanedArticle(blocks=blocks, title=title, date=date, furniture_lines=furniture)


def _pieces(text: str) -> Iterator[tuple[int, int] | None]:
    """The lines of `text` as (start, end), each code run inside a line cut out and given as None."""
    for start, end in _lines(text):
        at = start
        for s, e in code_runs(text[start:end]):
            piece = _trimmed(text, at, start + s)
            if piece is not None:
                yield piece
            yield None
            at = start + e
        piece = _trimmed(text, at, end)
        if piece is not None:
            yield piece


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    piece = text[start:end]
    lead, trail = len(piece) - len(piece.lstrip()), len(piece) - len(piece.rstrip())
    return (start + lead, end - trail) if start + lead < end - trail else None


def _title_from(line: str) -> str:
    if len(line) <= 150:
        return line.rstrip(".")
    cut = line[:150]
    sentence = _SENTENCE_END.search(cut)
    if sentence and sentence.start() > 40:
        return cut[: sentence.start()]
    return cut[: cut.rfind(" ")] + " …"


def find_date(line: str) -> str:
    """The first full date in a line as ISO yyyy-mm-dd, or ""."""
    match = _TEXT_DATE.search(line)
    if match:
        return _iso(int(match["y"]), _MONTH_NUMBER[match["m"]], int(match["d"]))
    match = _ISO_DATE.search(line)
    if match:
        return _iso(int(match["y"]), int(match["m"]), int(match["d"]))
    match = _NUM_DATE.search(line)
    if match:
        a, b = int(match["a"]), int(match["b"])
        day, month = (b, a) if b > 12 else (a, b)  # 6/28/2016 is month-first; otherwise day-first
        return _iso(int(match["y"]), month, day)
    return ""


def _iso(year: int, month: int, day: int) -> str:
    if 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return ""
