"""Narration: ear-friendly script text (golden files), the script file format, and splitting to disk."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audioguide.article import read_article
from audioguide.errors import ScriptError
from audioguide.readers.blocks import Heading
from audioguide.readers.html_page import parse_html
from audioguide.readers.markdown import parse_markdown
from audioguide.model import Article, Pauses, Section
from audioguide.narration import (
    HASHES_FILE,
    MAX_UTTERANCE,
    SCRIPT_SUFFIX,
    narrate_section,
    parse_chapter,
    read_script,
    script_from_article,
    write_scripts,
)
from audioguide.normalize import lang_for, normalize, normalize_title

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
BUNDLED = REPO / "audioguide" / "examples" / "microneedling.txt"
ARTICLES = sorted((DATA / "articles").iterdir()) + [BUNDLED] + [
    DATA / "pages" / f"{shape}.html" for shape in ("news", "docs", "wiki", "forum")]
PAUSES = Pauses(title_ms=800, sentence_ms=300, paragraph_ms=700, section_ms=1600)


def golden_files(article: Article) -> dict[str, str]:
    """What the golden folder of an article holds: one script per section and a summary."""
    files = {s.id + SCRIPT_SUFFIX: narrate_section(s, article.language) for s in article.sections}
    summary = {"title": article.title, "slug": article.slug, "language": article.language,
               "author": article.author, "link": article.link, "notes": list(article.notes)}
    files["article.json"] = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    return files


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name)
def test_scripts_match_golden_files(path: Path) -> None:
    expected_dir = DATA / "golden" / path.stem
    actual = golden_files(read_article(path))
    if os.environ.get("AUDIOGUIDE_UPDATE_GOLDEN") == "1":
        shutil.rmtree(expected_dir, ignore_errors=True)
        expected_dir.mkdir(parents=True)
        for name, text in actual.items():
            (expected_dir / name).write_text(text, encoding="utf-8")
    expected = {p.name: p.read_text(encoding="utf-8") for p in sorted(expected_dir.iterdir())}
    assert sorted(actual) == sorted(expected), "set AUDIOGUIDE_UPDATE_GOLDEN=1 to accept new files"
    for name in expected:
        assert actual[name] == expected[name], f"{path.stem}/{name} differs from its golden file"


_FORBIDDEN = {
    "URL": re.compile(r"https?://|www\.|\w@\w"),
    "code fence": re.compile(r"```|~~~"),
    "table row": re.compile(r"^\s*\|.*\|\s*$", re.M),
    "HTML tag": re.compile(r"</?[A-Za-z][^<>]*>"),
    "HTML entity": re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", re.I),
    "Markdown marker": re.compile(r"\*\*|__|`|!\[|\]\(|^\s*(#|[-*+] |>)", re.M),
    "bracket": re.compile(r"[\[\]]"),
}


_CODE_TITLE = re.compile(r"^\s*(?:#|>>>|\$ )|[=;{}]|__|\w\(|\)\s*:?$|^(?:True|False|None|def|class)\b")


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name)
def test_scripts_hold_no_markup_and_keep_every_heading(path: Path) -> None:
    article = read_article(path)
    for section in article.sections:
        assert not _CODE_TITLE.search(section.title), f"{section.id}: a chapter titled with code"
        body = narrate_section(section, article.language).split("\n", 1)[1]
        for what, pattern in _FORBIDDEN.items():
            assert not pattern.search(body), f"{section.id}: {what} in {pattern.search(body)}"
    text = path.read_text(encoding="utf-8-sig")
    parsed = {".md": parse_markdown, ".html": parse_html}.get(path.suffix)
    headings = [b.text for b in parsed(text).blocks if isinstance(b, Heading) and b.level <= 3] if parsed else []
    titles = " ".join(s.title for s in article.sections)
    for heading in headings:
        assert heading in titles or any(repr(heading) in note for note in article.notes), heading


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name)
def test_script_from_article_equals_split_then_read(path: Path, tmp_path: Path) -> None:
    article = read_article(path)
    report = write_scripts(article, tmp_path)
    assert read_script(report.folder, PAUSES) == script_from_article(article, PAUSES)


def test_no_utterance_is_too_long() -> None:
    script = script_from_article(read_article(DATA / "articles" / "adversarial.md"), PAUSES)
    lengths = [len(u.text) for c in script.chapters for u in c.utterances]
    assert max(lengths) <= MAX_UTTERANCE
    wall = next(c for c in script.chapters if c.title == "Wall of text")
    assert len(wall.utterances) > 10  # title + the 3,000-character paragraph in pieces


def test_long_sentence_is_cut_at_clause_boundaries() -> None:
    clause = "the needles make tiny channels in the upper layer of the skin"
    sentence = "; ".join([clause] * 8) + "."
    chapter = parse_chapter(f"# T\n\n{sentence}\n", "t.txt", "01-t", PAUSES, "en")
    pieces = [u.text for u in chapter.utterances[1:]]
    assert " ".join(pieces) == sentence
    assert all(len(p) <= MAX_UTTERANCE for p in pieces) and len(pieces) > 1
    assert all(p.endswith((";", ".")) for p in pieces)


# ---------------------------------------------------------------------------------------------
# Ear-friendly text


def section(*paragraphs: str, title: str = "Title") -> Section:
    return Section(id="01-title", title=title, paragraphs=paragraphs)


def body(*paragraphs: str, language: str = "en") -> str:
    return narrate_section(section(*paragraphs), language).split("\n", 2)[2].strip()


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Read [the guide](https://example.com/guide).", "Read the guide."),
        ("See https://www.example.com/a?b=1 today.", "See a link to example dot com today."),
        ("Write to jane.doe@example.org now.", "Write to jane dot doe at example dot org now."),
        ("It is **very** _important_ to call `read_article()`.", "It is very important to call read article."),
        ("“Quoted” and ‘single’ — done…", "\"Quoted\" and 'single', done..."),
        ("Great 😀👍🏽 result.", "Great result."),
        ("A note.[^1] Another.[2]", "A note.\nAnother."),
        ("Fish &amp; chips &eacute;t&eacute; &lt;b&gt;", "Fish and chips été."),
        ("- first item\n- second item:", "First item.\nSecond item."),
        ("> Be kind.", "Quote: Be kind."),
        ("```\nprint('x')\n```", "A code example is shown in the article."),
        ("| Name | Age |\n|---|---|\n| Ada | 36 |", "Name: Ada; Age: thirty-six."),
        ("It costs $3.50, e.g. today.", "It costs three dollars and fifty cents, for example today."),
        ("Heal in 3-5 days, 45% of the time.", "Heal in three to five days, forty-five percent of the time."),
        ("At 9:05 am on the 21st in 1999.", "At nine oh five a m on the twenty-first in nineteen ninety-nine."),
        ("Use 0.5 mm needles, approx. 2 kg.", "Use zero point five millimeters needles, approximately two kilograms."),
        ("Dr. Lee vs. Mr. Hyde etc. Then more.", "Doctor Lee versus Mister Hyde et cetera.\nThen more."),
        ("Call 555-0100 or +44 20 7946 0958.",
         "Call five five five, zero one zero zero or plus four four, two zero, seven nine four six, "
         "zero nine five eight."),
        ("Phone us on 555-1234, not 100-1000 times.",
         "Phone us on five five five, one two three four, not one hundred to one thousand times."),
        ("Version 3.11.2 of 2024-03-12, Lee et al.",
         "Version three point eleven point two of March twelfth, twenty twenty-four, Lee and colleagues."),
        ("In the 1990s and the '80s.", "In the nineteen nineties and the eighties."),
        ("Needs Python >= 3.8, not != 3.9; see v8::Isolate and Help => About.",
         "Needs Python ≥ three point eight, not ≠ three point nine; see v8 Isolate and Help, About."),
        ("Add it to `.bashrc` and `~/.profile`, then log in again.",
         "Add it to dot bashrc and home slash dot profile, then log in again."),
        ("At 50 km/h in -3 °C, x-3 kg.",
         "At fifty kilometers per hour in minus three degrees Celsius, x-three kilograms."),
    ],
)
def test_text_is_rewritten_for_the_ear(written: str, spoken: str) -> None:
    assert body(written) == spoken


def test_other_languages_use_their_own_words() -> None:
    assert body("Il reste 2,5 kg et 45 % à 14:30.", language="fr") == (
        "Il reste deux virgule cinq kilogrammes et quarante-cinq pour cent à quatorze heures trente.")
    assert body("Es kostet 1.200 € z. B. heute.", language="de") == (
        "Es kostet eintausendzweihundert Euro zum Beispiel heute.")


def test_titles_say_roman_numerals_and_numbers() -> None:
    lang = lang_for("en")
    assert normalize_title("Part II: The **3** Steps", lang) == "Part two: The three Steps"
    assert normalize_title("I Am Here", lang) == "I Am Here"
    chapter = parse_chapter("# Chapter IV\n\nText.\n", "x.txt", "01-x", PAUSES, "en")
    assert chapter.title == "Chapter IV" and chapter.utterances[0].text == "Chapter four"


def test_normalize_leaves_plain_words_alone() -> None:
    text = "The quick brown fox jumps over the lazy dog."
    assert normalize(text, lang_for("en")) == text


# Abbreviations are meant to change ("Jr." -> "Junior"), so the property leaves them out.
_ABBREVIATED = {a.strip(".").lower() for lang in ("en", "fr", "de") for a in lang_for(lang).abbreviations}
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12).filter(
    lambda w: w not in _ABBREVIATED)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(words, min_size=1, max_size=40), min_size=1, max_size=5))
def test_every_word_of_plain_prose_is_spoken(paragraphs: list[list[str]]) -> None:
    texts = [" ".join(p).capitalize() + "." for p in paragraphs]
    chapter = parse_chapter(narrate_section(section(*texts)), "p.txt", "01-p", PAUSES, "en")
    spoken = " ".join(u.text for u in chapter.utterances[1:])
    assert re.findall(r"[a-z]+", spoken.lower()) == re.findall(r"[a-z]+", " ".join(texts).lower())
    assert all(len(u.text) <= MAX_UTTERANCE for u in chapter.utterances)


# ---------------------------------------------------------------------------------------------
# The script file format


def chapter_of(text: str) -> list[tuple[str, int, str]]:
    chapter = parse_chapter(text, "05-x.txt", "05-x", PAUSES, "en")
    return [(u.text, u.pause_ms, u.role) for u in chapter.utterances]


def test_pauses_between_sentences_paragraphs_and_sections() -> None:
    assert chapter_of("# Title\n\nOne. Two.\nThree.\n\nFour.\n") == [
        ("Title", 800, "title"),
        ("One.", 300, "body"),
        ("Two.", 300, "body"),
        ("Three.", 700, "body"),
        ("Four.", 1600, "body"),
    ]


def test_pause_markup_adds_silence_to_what_precedes_it() -> None:
    text = "; a comment\n# Title\n[pause 2s]\nOne. [pause 1.5s] Two.\n[pause 250ms]\n\n[pause 1s]\n\nThree.\n"
    assert chapter_of(text) == [
        ("Title", 2800, "title"),
        ("One.", 1800, "body"),
        ("Two.", 700 + 250 + 1000, "body"),
        ("Three.", 1600, "body"),
    ]


def test_comments_and_hard_wrapped_lines() -> None:
    text = "# Title\n\nA sentence that was\n; not this\nwrapped by an editor.\n"
    assert chapter_of(text)[1:] == [("A sentence that was wrapped by an editor.", 1600, "body")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# T\n\nFine.\nBad [pause abc] here.\n", r"05-x\.txt:4: unknown markup '\[pause abc\]'"),
        ("# T\n\n[louder] Hi.\n", r"05-x\.txt:3: unknown markup '\[louder\]'"),
        ("# T\n\nHi [pause 2s.\n", r"05-x\.txt:3: unmatched bracket"),
        ("# T\n\nHi. [pause 90s]\n", r"05-x\.txt:3: .*longer than a minute"),
        ("Title without hash\n\nHi.\n", r"05-x\.txt:1: the first line should be"),
        ("; only a comment\n\n", r"05-x\.txt: the script is empty"),
        ("# Title only\n; and a comment\n", r"05-x\.txt: the script has a title but no narration"),
    ],
)
def test_bad_scripts_are_refused_with_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        chapter_of(text)


def test_read_script_reads_chapters_in_name_order(tmp_path: Path) -> None:
    article = read_article(BUNDLED)
    folder = write_scripts(article, tmp_path).folder
    (folder / "01-introduction.txt").write_text("# Welcome\n\nHello there.\r\n", encoding="utf-8")
    script = read_script(folder, PAUSES)
    assert [c.id for c in script.chapters] == [s.id for s in article.sections]
    assert script.chapters[0].title == "Welcome"
    assert script.chapters[0].utterances[1].text == "Hello there."
    assert (script.slug, script.title, script.language) == ("microneedling", "Microneedling", "en")
    assert script.chapters[-1].utterances[-1].pause_ms == PAUSES.section_ms


def test_read_script_refuses_empty_or_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="no such scripts folder"):
        read_script(tmp_path / "nope", PAUSES)
    folder = write_scripts(read_article(BUNDLED), tmp_path).folder
    for script in folder.glob("*.txt"):
        script.unlink()
    with pytest.raises(ScriptError, match="no section scripts"):
        read_script(folder, PAUSES)
    (folder / "01-a.txt").write_text("; nothing\n", encoding="utf-8")
    with pytest.raises(ScriptError, match=r"01-a\.txt: the script is empty"):
        read_script(folder, PAUSES)


# ---------------------------------------------------------------------------------------------
# Splitting to disk


def test_split_writes_scripts_settings_and_hashes(tmp_path: Path) -> None:
    article = read_article(BUNDLED)
    report = write_scripts(article, tmp_path)
    folder = tmp_path / "microneedling"
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([s.id + ".txt" for s in article.sections] + ["episode.toml", HASHES_FILE])
    assert len(report.written) == 19 and not (report.kept or report.unchanged or report.removed)
    assert (tmp_path / "guide.toml").read_text().startswith('title = "Microneedling"')
    hashes = json.loads((folder / HASHES_FILE).read_text())
    assert set(hashes) == set(report.written)
    again = write_scripts(article, tmp_path)
    assert again.written == () and len(again.unchanged) == 19 and again.notes == ()


def test_guide_settings_are_written_once(tmp_path: Path) -> None:
    write_scripts(read_article(BUNDLED), tmp_path)
    (tmp_path / "guide.toml").write_text('title = "Mine"\n')
    write_scripts(read_article(DATA / "articles" / "readme.md"), tmp_path)
    assert (tmp_path / "guide.toml").read_text() == 'title = "Mine"\n'


def test_hand_edits_survive_a_resplit_unless_forced(tmp_path: Path) -> None:
    article = read_article(BUNDLED)
    folder = write_scripts(article, tmp_path).folder
    edited = folder / "03-safety-of-microneedling.txt"
    edited.write_text("# Safety\n\nMy own words.\n", encoding="utf-8")
    report = write_scripts(article, tmp_path)
    assert report.kept == ("03-safety-of-microneedling.txt",)
    assert any("03-safety-of-microneedling.txt: edited by hand" in n for n in report.notes)
    assert edited.read_text() == "# Safety\n\nMy own words.\n"
    # Still recognised as hand-edited on the next split.
    assert write_scripts(article, tmp_path).kept == ("03-safety-of-microneedling.txt",)
    forced = write_scripts(article, tmp_path, force=True)
    assert forced.written == ("03-safety-of-microneedling.txt",) and forced.kept == ()
    assert edited.read_text() == narrate_section(article.sections[2])


def test_sections_gone_from_the_article_are_removed_unless_edited(tmp_path: Path) -> None:
    article = read_article(BUNDLED)
    folder = write_scripts(article, tmp_path).folder
    (folder / "18-conclusion.txt").write_text("# Conclusion\n\nEdited.\n", encoding="utf-8")
    shorter = Article(title=article.title, slug=article.slug, sections=article.sections[:16])
    report = write_scripts(shorter, tmp_path)
    assert report.removed == ("17-long-term-benefits-vs-risks.txt",)
    assert report.kept == ("18-conclusion.txt",)
    assert (folder / "18-conclusion.txt").exists()
    assert write_scripts(shorter, tmp_path, force=True).removed == ("18-conclusion.txt",)


def test_committed_bundled_scripts_are_a_fresh_split() -> None:
    """scripts/ in the repository is what `audioguide split` makes of the bundled article."""
    folder = REPO / "scripts" / "microneedling"
    article = read_article(BUNDLED)
    for s in article.sections:
        assert (folder / f"{s.id}.txt").read_text(encoding="utf-8") == narrate_section(s)
    assert len(list(folder.glob("[0-9]*.txt"))) == 18
    assert read_script(folder, PAUSES) == script_from_article(article, PAUSES)
