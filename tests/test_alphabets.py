"""Writing systems a voice cannot read are left out of what it is given, with a note."""

from __future__ import annotations

import pytest

from audioguide.alphabets import plain_letters, scripts_for, unsayable, unsayable_note, without_unsayable
from audioguide.article import parse_article


@pytest.mark.parametrize(
    ("text", "language", "kept", "left_out"),
    [
        ("Chinese (中文) is here.", "en", "Chinese is here.", ["中文"]),
        ("Translations: 简体中文 · 한국어 · Deutsch", "en", "Translations: Deutsch", ["简体中文", "한국어"]),
        ("- 日本語\n- Français", "fr", "- Français", ["日本語"]),
        ("The word 「東京」です。 means the capital.", "en", "The word means the capital.", ["東京", "です"]),
        ("Units in μm, and π to two places.", "en", "Units in μm, and π to two places.", []),
        ("Привет, world.", "ru", "Привет, world.", []),
        ("Привет, world.", "en", "world.", ["Привет"]),
        ("東京の天気", "ja", "東京の天気", []),
    ],
)
def test_passages_in_other_writing_systems(text: str, language: str, kept: str, left_out: list[str]) -> None:
    assert without_unsayable(text, language) == kept
    assert unsayable(text, language) == left_out


def test_latin_is_read_in_every_language() -> None:
    assert "LATIN" in scripts_for("ko-KR") and scripts_for("en-GB") == frozenset({"LATIN"})


def test_the_note_names_the_writing_systems() -> None:
    assert unsayable_note(["简体中文", "한국어", "简体中文"], "en-US") == (
        "Left out text a voice for English cannot say (Chinese characters, Korean): '简体中文', '한국어'")
    assert unsayable_note([], "en") is None


def test_an_english_article_loses_its_cjk_headings_items_and_words() -> None:
    text = ("# Guide\n\nIntro text.\n\n## Translations 翻訳\n\nRead it in:\n\n- [简体中文](zh.md)\n- [日本語](ja.md)\n\n"
            "## 한국어\n\n안녕하세요\n\n## End\n\nBye.\n")
    article = parse_article(text, "markdown", "g.md")
    assert [s.title for s in article.sections] == ["Guide", "Translations", "End"]
    assert article.sections[1].paragraphs == ("Read it in:",)
    assert article.notes == ("Left out text a voice for English cannot say (Chinese characters, Korean): "
                             "'翻訳', '简体中文', '日本語', '한국어', '안녕하세요'",)


def test_letters_styled_for_mathematics_or_fullwidth_are_read_as_plain_letters() -> None:
    assert plain_letters("yields 𝑘 − 𝐍 + 1 items, ＡＢＣ and 𝟙") == "yields k − N + 1 items, ABC and 1"
    article = parse_article("# Counting\n\nThe iterator yields 𝑘 items.\n", "markdown", "k.md")
    assert article.sections[0].paragraphs == ("The iterator yields k items.",) and article.notes == ()
