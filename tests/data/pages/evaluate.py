"""How well web page readers find the article: bag-of-words F1 against hand-marked article text.

Each page here marks its article text between `<!--article-->` and `<!--/article-->` comments
(which no reader looks at); the marked text is what a person would want read aloud: title,
headings, prose, lists, tables, code, captions and quotes, without navigation, bylines, share
buttons, comments, sidebars, related links, infoboxes, references or footers. A reader's words
are those its scripts would say (chapter titles and block text, before numbers are put in words
and code is announced), compared as bags of lower-case words; the figures are means over pages.

Run from the repository root: `.venv/bin/python tests/data/pages/evaluate.py`
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from audioguide.article import build_article, parse_article
from audioguide.errors import ArticleError
from audioguide.model import Article
from audioguide.readers.html_tags import parse_tags

PAGES = Path(__file__).resolve().parent


class _Marked(HTMLParser):
    """The text between article markers, tags dropped, block boundaries kept as spaces."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.skip = 0
        self.parts: list[str] = []

    def handle_comment(self, data: str) -> None:
        if data.strip() in ("article", "/article"):
            self.inside = data.strip() == "article"

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.skip += tag in ("script", "style")
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("script", "style") and self.skip > 0
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.inside and not self.skip:
            self.parts.append(data)


def marked_text(html: str) -> str:
    parser = _Marked()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[^\W_]+", text.lower()))


def article_text(article: Article) -> str:
    return "\n".join(f"{s.title}\n" + "\n".join(s.paragraphs) for s in article.sections)


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def score(found: str, marked: str) -> Score:
    got, want = words(found), words(marked)
    overlap = sum((got & want).values())
    return Score(overlap / max(1, sum(got.values())), overlap / max(1, sum(want.values())))


def _safely(read: Callable[[str, str], str]) -> Callable[[str, str], str]:
    def run(html: str, name: str) -> str:
        try:
            return read(html, name)
        except ArticleError:
            return ""  # a refused page scores zero
    return run


def _trafilatura(html: str, name: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


READERS: dict[str, Callable[[str, str], str]] = {
    "tags only (the old reader)": _safely(lambda html, name: article_text(build_article(parse_tags(html), name))),
    "trafilatura alone": _trafilatura,
    "audioguide (new reader)": _safely(lambda html, name: article_text(parse_article(html, "html", name))),
}


def evaluate(pages: list[Path] | None = None) -> dict[str, dict[str, Score]]:
    """Each reader's score on each page."""
    pages = pages or sorted(PAGES.glob("*.html"))
    results: dict[str, dict[str, Score]] = {name: {} for name in READERS}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        marked = marked_text(html)
        for name, read in READERS.items():
            results[name][page.stem] = score(read(html, page.name), marked)
    return results


def mean(scores: dict[str, Score]) -> Score:
    n = max(1, len(scores))
    return Score(sum(s.precision for s in scores.values()) / n, sum(s.recall for s in scores.values()) / n)


def mean_f1(scores: dict[str, Score]) -> float:
    return sum(s.f1 for s in scores.values()) / max(1, len(scores))


def main() -> None:
    results = evaluate()
    pages = list(next(iter(results.values())))
    width = max(map(len, pages))
    print(f"{'page':{width}}  " + "  ".join(f"{name[:24]:>24}" for name in results))
    for page in pages:
        print(f"{page:{width}}  " + "  ".join(f"{results[name][page].f1:24.2f}" for name in results))
    print()
    for name, scores in results.items():
        average = mean(scores)
        refused = sum(s.recall == 0 for s in scores.values())
        print(f"{name:28} F1 {mean_f1(scores):.3f}  precision {average.precision:.3f}  "
              f"recall {average.recall:.3f}  pages with nothing found: {refused}")


if __name__ == "__main__":
    sys.exit(main())
