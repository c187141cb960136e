from __future__ import annotations

from pathlib import Path

import pytest

from audioguide.article import parse_article
from audioguide.build import BuildOptions, build
from audioguide.errors import ScriptError
from audioguide.lexicon import (
    LEXICON_FILE,
    FoundEntry,
    Lexicon,
    add_words,
    apply_lexicon,
    proof_entries,
    read_lexicon,
)
from audioguide.narration import write_scripts
from audioguide.model import Script, ScriptChapter, Utterance


def _lexicon(tmp_path: Path, text: str) -> Lexicon:
    path = tmp_path / "lexicon.toml"
    path.write_text(text, encoding="utf-8")
    return read_lexicon(path)


def test_words_match_whole_words_and_case_rule(tmp_path):
    lexicon = _lexicon(
        tmp_path,
        '[words]\nmicroneedling = "micro needling"\nSQL = "sequel"\n',
    )
    assert lexicon.respell("Microneedling works.") == "micro needling works."
    assert lexicon.respell("Learn SQL, not sql or SQLite.") == "Learn sequel, not sql or SQLite."
    assert lexicon.respell("microneedlings") == "microneedlings"


def test_longer_entries_win_and_patterns_apply(tmp_path):
    lexicon = _lexicon(
        tmp_path,
        '[words]\nmicro = "my crow"\nmicro-injuries = "micro injuries"\n'
        "[patterns]\n'\\bCO(\\d)\\b' = 'C O \\1'\n",
    )
    assert lexicon.respell("micro-injuries and CO2") == "micro injuries and C O 2"


def test_transcript_text_is_kept_and_only_changed_utterances_get_say(tmp_path):
    lexicon = _lexicon(tmp_path, '[words]\nnginx = "engine x"\n')
    script = Script(
        slug="s",
        title="T",
        chapters=(
            ScriptChapter(
                id="01-a",
                title="A",
                utterances=(Utterance("Run nginx.", 300), Utterance("Then rest.", 300)),
            ),
        ),
    )
    spoken = apply_lexicon(script, lexicon).chapters[0].utterances
    assert [u.text for u in spoken] == ["Run nginx.", "Then rest."]
    assert [u.spoken_text for u in spoken] == ["Run engine x.", "Then rest."]
    assert spoken[1].say == ""


def test_missing_file_is_empty_and_bad_entries_are_errors(tmp_path):
    assert read_lexicon(tmp_path / "none.toml").empty
    with pytest.raises(ScriptError, match="lexicon.toml"):
        _lexicon(tmp_path, '[words]\nfoo = ""\n')
    with pytest.raises(ScriptError, match="unknown table"):
        _lexicon(tmp_path, '[wrds]\nfoo = "bar"\n')
    with pytest.raises(ScriptError, match="pattern"):
        _lexicon(tmp_path, "[patterns]\n'(' = 'x'\n")


def _small_guide(root: Path) -> Path:
    """A three-section guide written by `split`; only the second section says "nginx"."""
    article = parse_article(
        "# Servers\n\n## Start\n\nA server answers requests.\n\n"
        "## Proxy\n\nPut nginx in front of it. Then restart nginx.\n\n"
        "## Logs\n\nRead the logs every day.\n",
        "markdown", "servers.md")
    scripts = root / "scripts"
    write_scripts(article, scripts)
    return scripts


def test_editing_one_entry_respeaks_only_the_sections_that_say_the_word(tmp_path):
    scripts = _small_guide(tmp_path)
    options = BuildOptions(output_dir=tmp_path / "output", cache_dir=tmp_path / "cache", jobs=1)
    lexicon = scripts / LEXICON_FILE
    lexicon.write_text('[words]\nnginx = "engine x"\nlogs = "logz"\n', encoding="utf-8")
    first = build([scripts], options)
    # Three titles and four sentences, all distinct.
    assert (first.spoken, first.cached) == (7, 0)

    lexicon.write_text('[words]\nnginx = "engine ex"\nlogs = "logz"\n', encoding="utf-8")
    second = build([scripts], options)
    assert (second.spoken, second.cached) == (2, 5), "only the two sentences saying nginx"

    transcript = (tmp_path / "output" / "servers.vtt").read_text(encoding="utf-8")
    assert "Put nginx in front of it." in transcript and "engine" not in transcript


BUNDLED_STYLE = """\
# How the voice says words it gets wrong.

[words]
# Said with the stress swallowed.
microneedling = "mycro needling"   # keep this comment

[patterns]
# Carbon dioxide, letter by letter.
'\\bCO2\\b' = "C O two"
"""


def test_proof_entries_go_at_the_end_of_the_words_table_keeping_every_comment(tmp_path):
    path = tmp_path / LEXICON_FILE
    path.write_text(BUNDLED_STYLE, encoding="utf-8")
    add_words(path, [FoundEntry("post-procedure", "post pro seedure", 'heard as "post-percedure" (2 of 2 times)'),
                     FoundEntry("skin's", "skins", "heard as \"skim's\"")])
    text = path.read_text(encoding="utf-8")
    assert text.startswith(BUNDLED_STYLE.split("[patterns]")[0].rstrip("\n") + "\n# Found by audioguide proof")
    for line in BUNDLED_STYLE.splitlines():
        assert line in text.splitlines()
    lexicon = read_lexicon(path)
    assert dict(lexicon.words) == {"microneedling": "mycro needling", "post-procedure": "post pro seedure",
                                   "skin's": "skins"}
    assert lexicon.respell("CO2 after post-procedure care") == "C O two after post pro seedure care"
    assert set(proof_entries(text)) == {"post-procedure", "skin's"}


def test_proof_replaces_only_its_own_entries(tmp_path):
    path = tmp_path / LEXICON_FILE
    path.write_text(BUNDLED_STYLE, encoding="utf-8")
    add_words(path, [FoundEntry("elastin", "e lastin", "first try")])
    add_words(path, [FoundEntry("elastin", "ee lastin", "second try")])
    text = path.read_text(encoding="utf-8")
    assert text.count("elastin =") == 1 and "second try" in text and "first try" not in text
    assert dict(read_lexicon(path).words)["elastin"] == "ee lastin"
    with pytest.raises(ScriptError, match="written by hand"):
        add_words(path, [FoundEntry("microneedling", "micro neeedling", "proof")])
    assert dict(read_lexicon(path).words)["microneedling"] == "mycro needling"


def test_proof_starts_a_lexicon_or_a_words_table_where_there_is_none(tmp_path):
    path = tmp_path / LEXICON_FILE
    add_words(path, [FoundEntry("induction", "in duction", "new")])
    assert dict(read_lexicon(path).words) == {"induction": "in duction"}
    assert path.read_text(encoding="utf-8").startswith("# How the voice should say")
    path.write_text("[patterns]\n'x' = \"y\"\n", encoding="utf-8")
    add_words(path, [FoundEntry("induction", "in duction", "new")])
    lexicon = read_lexicon(path)
    assert dict(lexicon.words) == {"induction": "in duction"} and len(lexicon.patterns) == 1
