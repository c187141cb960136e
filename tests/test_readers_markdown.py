"""The Markdown reader: CommonMark's answers where a line-by-line reader guesses wrong."""

from __future__ import annotations

from audioguide.article import parse_article
from audioguide.readers.blocks import Heading
from audioguide.readers.code import spoken_code
from audioguide.readers.markdown import parse_markdown


def paragraphs(text: str) -> list[str]:
    return [p for s in parse_article(text, "markdown", "x.md").sections for p in s.paragraphs]


def test_reference_links_keep_their_text_and_definitions_are_not_read() -> None:
    text = ("Read the [guide][g] or the [FAQ] first, then [Ref][].\n\n"
            '[g]: https://example.com/guide "The guide"\n[faq]: <https://example.com/faq>\n'
            "[ref]:\n  https://example.com/ref\n")
    assert paragraphs(text) == ["Read the guide or the FAQ first, then Ref."]


def test_loose_and_nested_lists_are_one_list_in_reading_order() -> None:
    text = ("1. First item\n\n   with a second paragraph.\n2. Second item\n"
            "   - nested *one*\n   - nested two\n\n     continued.\n3. Third\n")
    assert paragraphs(text) == [
        "- First item with a second paragraph.\n- Second item\n- nested one\n- nested two continued.\n- Third"]


def test_a_list_item_with_code_is_cut_around_the_code() -> None:
    text = "- Install:\n\n  ```sh\n  pip install x\n  ```\n- Run it.\n"
    assert paragraphs(text) == ["- Install:", "```\npip install x\n```", "- Run it."]


def test_setext_heading_spans_its_paragraph_and_a_rule_is_not_one() -> None:
    parsed = parse_markdown("Intro.\n\nA heading\non two lines\n---\n\nText.\n\n***\n\n---\n\nMore.\n")
    assert parsed.blocks == ["Intro.", Heading("A heading on two lines", 2), "Text.", "More."]


def test_fences_hold_other_fences_and_tildes() -> None:
    text = "````md\n```\ninner\n```\n````\n\nThen:\n\n~~~\nx = 1\n~~~\n\nAfter.\n"
    assert paragraphs(text) == ["```\n```\ninner\n```\n```", "Then:", "```\nx = 1\n```", "After."]


def test_examples_in_a_row_are_one_example() -> None:
    text = "Build it:\n\n```sh\nmake\n```\n\n```console\n$ ./run\n```\n\nDone.\n"
    assert paragraphs(text) == ["Build it:", "```\nmake\n\n$ ./run\n```", "Done."]


def test_html_blocks_are_read_as_html_and_comments_not_at_all() -> None:
    text = ('<p align="center"><img src="logo.png" alt=""></p>\n\n<!--\n# Not a heading\n-->\n\n'
            "<details>\n<summary>Why does it work?</summary>\n\nBecause **it** does.\n\n</details>\n\n"
            "<table><tr><th>Key</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table>\n")
    assert paragraphs(text) == ["Why does it work?", "Because it does.", "| Key | Value |\n|---|---|\n| a | 1 |"]


def test_escapes_entities_and_intraword_underscores() -> None:
    assert paragraphs(r"\# Not a heading, 5 \* 3, snake_case_word and &eacute;t&eacute; &copy;.") == [
        "# Not a heading, 5 * 3, snake_case_word and été ©."]


def test_toml_front_matter_and_yaml_lists() -> None:
    toml = parse_article('+++\ntitle = "Hugo Post"\nauthor = ["Ana", "Bo"]\n+++\n\nText.\n', "markdown", "h.md")
    assert (toml.title, toml.author) == ("Hugo Post", "Ana")
    yaml = parse_article("---\ntitle: Jekyll Post\nlang: de\n---\n\nText.\n", "markdown", "j.md")
    assert (yaml.title, yaml.language, yaml.sections[0].paragraphs) == ("Jekyll Post", "de", ("Text.",))


def test_inline_code_is_said_as_words_and_symbols_are_left_out_with_a_note() -> None:
    article = parse_article("Call `getElementById()` on `<div>` nodes, enclosed by `$(( ))` or `=>`.\n",
                            "markdown", "c.md")
    assert article.sections[0].paragraphs == ("Call get Element By Id on div nodes, enclosed by or .",)
    assert article.notes == ("Left out inline code a voice cannot say: '$(( ))', '=>'",)


def test_spoken_code() -> None:
    assert [spoken_code(c) for c in ("pip install x", "os.path.join()", "HTMLParser", "&&", " ")] == [
        "pip install x", "os.path.join", "HTMLParser", "", ""]


def test_a_heading_of_code_is_titled_by_its_name_and_a_command_alone_is_code() -> None:
    text = ("# Lamp API\n\nThe lamp module lights and dims lamps.\n\n"
            "### `lamp.light([level][, callback])`\n\nLights the lamp.\n\n"
            "#### <a name='dim'></a> `> lamp.dim(steps) -> Promise`\n\nDims it by some steps.\n\n"
            "Install it with:\n\n`npm install --save lamp-tools`\n\n"
            "- `lamp-tool --check && lamp-tool --light`\n- `lamp`: the command itself\n- `serde`\n")
    parsed = parse_markdown(text)
    assert [b for b in parsed.blocks if isinstance(b, Heading)] == [Heading("lamp.light", 3), Heading("lamp.dim", 4)]
    assert parsed.blocks[-3:] == [
        "Install it with:", "```\nnpm install --save lamp-tools\n\nlamp-tool --check && lamp-tool --light\n```",
        "- lamp: the command itself\n- serde"]


def test_emoji_shortcodes_are_not_read_but_times_and_paths_are() -> None:
    text = "## :mega: Lamp news :tada:\n\nShips at 10:30:00 :+1: from `std::env` and key:value:pairs.\n"
    parsed = parse_markdown(text)
    assert parsed.blocks == [Heading("Lamp news", 2), "Ships at 10:30:00 from std env and key:value:pairs."]
