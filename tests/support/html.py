"""An HTML fragment as a browser's parser sees it: its tags (with attributes) and its visible text.

For tests that check what the page shows (escaping, planted markup) without a browser.
"""

from __future__ import annotations

from html.parser import HTMLParser


class Fragment(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []  # (tag, attributes) in document order
        self.pieces: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.pieces.append(data)

    @property
    def names(self) -> set[str]:
        """The tag names used."""
        return {tag for tag, _ in self.tags}

    @property
    def text(self) -> str:
        """The visible text, entities decoded."""
        return "".join(self.pieces)


def parse(fragment: str) -> Fragment:
    parsed = Fragment()
    parsed.feed(fragment)
    parsed.close()
    return parsed
