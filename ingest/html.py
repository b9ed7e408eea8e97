"""The main text of an HTML page: article body blocks as lines, page chrome and markup dropped.

Returns plain text (entities decoded), the page title and a publication date when the page
declares one (meta tags or <time datetime>). Cleaning of furniture inside the text is not done
here: `ingest.clean` handles it for every format alike.
"""

from __future__ import annotations

import re

_DROP = ("script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
         "iframe", "button", "select", "figure")
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th", "dd", "dt",
           "figcaption", "div", "section", "article", "main", "br", "tr")
_DATE_META = ("article:published_time", "datePublished", "pubdate", "publishdate", "date", "dc.date",
              "og:published_time", "article:modified_time")


def html_main_text(html: str) -> tuple[str, str, str]:
    """(text, title, iso_date) of a page; text is one block per line, whitespace folded."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = _title(soup)
    date = _date(soup)
    for tag in soup.find_all(_DROP):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    for br in root.find_all("br"):
        br.replace_with("\n")
    for block in root.find_all(_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    raw = root.get_text()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in raw.splitlines()]
    return "\n".join(line for line in lines if line), title, date


def _title(soup) -> str:
    for node in (soup.find("meta", property="og:title"), soup.find("h1"), soup.title):
        if node is None:
            continue
        value = node.get("content") if node.name == "meta" else node.get_text(" ", strip=True)
        if value and value.strip():
            return re.sub(r"\s+", " ", value).strip()
    return ""


def _date(soup) -> str:
    found: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        if key in _DATE_META and key not in found and meta.get("content"):
            match = re.match(r"\d{4}-\d{2}-\d{2}", meta["content"].strip())
            if match:
                found[key] = match.group(0)
    for key in _DATE_META:  # in order of preference: the publication date before a modification date
        if key in found:
            return found[key]
    time_tag = soup.find("time", attrs={"datetime": True})
    if time_tag is not None:
        match = re.match(r"\d{4}-\d{2}-\d{2}", time_tag["datetime"].strip())
        if match:
            return match.group(0)
    return ""
