"""Narration scripts: sections rewritten for the ear, stored as files a person can read and edit.

A script file (`NN-slug.txt`, one per section) looks like this::

    # Chapter title

    First sentence of the first paragraph.
    Second sentence, on its own line for easy editing.

    A new paragraph after a blank line. [pause 1.5s] Inline pauses add silence.
    ; A line starting with a semicolon is a comment and is not spoken.

The first line (after any comments) is `# ` and the chapter title, shown as is and spoken with its
markup and symbols cleaned and its numbers in words (a title of emoji alone is not spoken).
Lines of a paragraph are joined and split again into sentences, so hard-wrapped text is fine.
`[pause 1.5s]` or `[pause 800ms]`, inline or on a line of its own, lengthens the silence after
what precedes it; any other `[...]` is an error, so narration writes round brackets only. Each
folder also holds `episode.toml` (the episode's settings) and `.split-hashes.json`, which records
what `split` wrote so that hand edits are never overwritten.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pysbd

from audioguide.errors import ScriptError
from audioguide.files import write_atomic
from audioguide.model import Article, Pauses, Script, ScriptChapter, Section, Utterance
from audioguide.normalize import Lang, clean_inline, lang_for, normalize, normalize_title
from audioguide.settings import EPISODE_FILE, GUIDE_FILE, EpisodeSettings, GuideSettings, read_settings, settings_to_toml

SCRIPT_SUFFIX = ".txt"
HASHES_FILE = ".split-hashes.json"
SCRIPT_NAME = re.compile(r"^\d{2,3}-.*" + re.escape(SCRIPT_SUFFIX) + "$")
MAX_UTTERANCE = 300
"""Longest utterance in characters; longer sentences are cut at clause boundaries."""
_MAX_PAUSE_MS = 60_000
_PAUSE = re.compile(r"pause\s+(\d+(?:\.\d+)?)\s*(ms|s)", re.I)


# ---------------------------------------------------------------------------------------------
# Section -> script text


def narrate_section(section: Section, language: str = "en") -> str:
    """The script file text of one section: its title line, then its text written for the ear."""
    lang = lang_for(language)
    # The title line keeps the heading as written (it becomes the chapter's title); only its
    # spoken form is cleaned, when the script is read.
    title = re.sub(r"\s+", " ", section.title).strip() or "Untitled section"
    paragraphs = []
    for block in section.paragraphs:
        for spoken in _spoken_blocks(block, lang):
            sentences = split_sentences(normalize(spoken, lang), lang)
            if sentences:
                paragraphs.append("\n".join(sentences))
    return f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n"


def _spoken_blocks(block: str, lang: Lang) -> list[str]:
    """Block text (see article.py) as prose: code announced, lists and tables as sentences."""
    lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
    if not lines:
        return []
    if lines[0].startswith("```"):
        return [lang.code_notice]
    if all(line.startswith(("- ", "* ")) for line in lines):
        items = [_sentence(_capitalised(clean_inline(line[2:], lang))) for line in lines]
        return [" ".join(item for item in items if item)]
    if all(line.startswith("|") for line in lines):
        return [" ".join(_table_sentences(lines, lang))]
    if lines[0].startswith(">"):
        quoted = clean_inline(" ".join(re.sub(r"^(>\s?)+", "", line) for line in lines), lang)
        return [_sentence(f"{lang.quote} {quoted}")] if quoted else []
    return [_sentence(clean_inline(" ".join(lines), lang))]


def _table_sentences(lines: list[str], lang: Lang) -> list[str]:
    rows = [[clean_inline(cell, lang) for cell in line.strip().strip("|").split("|")] for line in lines]
    header: list[str] = []
    if len(rows) > 1 and all(re.fullmatch(r":?-*:?", cell) for cell in rows[1]):
        header, rows = rows[0], rows[2:]
    sentences = []
    for row in rows:
        if header:
            pairs = [f"{name}: {value}" if name else value
                     for name, value in zip(header, row) if value]
        else:
            pairs = [value for value in row if value]
        if pairs:
            sentences.append(_sentence("; ".join(pairs)))
    return sentences


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    """Text ending in a full stop unless it already ends a sentence."""
    text = text.strip().rstrip(":;,")
    if not text or re.search(r"[.!?…][\"')]*$", text):
        return text
    return text + "."


@functools.lru_cache(maxsize=None)
def _segmenter(code: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=code if code in pysbd.languages.LANGUAGE_CODES else "en", clean=False)


def split_sentences(text: str, lang: Lang) -> list[str]:
    """Sentences of a paragraph (abbreviations, decimals, quotes and ellipses handled by pysbd)."""
    if not text.strip():
        return []
    return [s.strip() for s in _segmenter(lang.code).segment(text) if s.strip()]


_CONJUNCTIONS = {
    "en": "and|but|or|so|because|which|while|whereas|although|though|where|when|that|then",
    "fr": "et|mais|ou|donc|car|qui|que|lorsque|puis",
    "de": "und|aber|oder|denn|weil|die|der|das|dass|wenn|während",
}


def fit(sentence: str, lang: Lang, limit: int = MAX_UTTERANCE) -> list[str]:
    """A sentence cut into pieces of at most `limit` characters, at the strongest clause break
    nearest its middle: semicolons and dashes, then commas, then conjunctions, then any space."""
    if len(sentence) <= limit:
        return [sentence]
    conjunctions = _CONJUNCTIONS.get(lang.code, _CONJUNCTIONS["en"])
    breaks = (r"[;:—–]\s", r",\s", rf"\s(?=(?:{conjunctions})\b)", r"\s")
    shortest = min(40, limit // 4)
    middle = len(sentence) / 2
    for pattern in breaks:
        cuts = [m.end() for m in re.finditer(pattern, sentence)
                if shortest <= m.end() <= len(sentence) - shortest]
        if cuts:
            cut = min(cuts, key=lambda c: abs(c - middle))
            return fit(sentence[:cut].strip(), lang, limit) + fit(sentence[cut:].strip(), lang, limit)
    return [sentence[i:i + limit] for i in range(0, len(sentence), limit)]


# ---------------------------------------------------------------------------------------------
# Script text -> chapter


@dataclass
class _Said:
    text: str
    pause_ms: int
    extra_ms: int = 0
    role: str = "body"


def parse_chapter(text: str, origin: str, chapter_id: str, pauses: Pauses, language: str) -> ScriptChapter:
    """One script file's text as a chapter: spoken title, then one utterance per sentence."""
    lang = lang_for(language)
    title: str | None = None
    said: list[_Said] = []
    paragraph: list[tuple[int, str]] = []

    def end_paragraph() -> None:
        first_new = len(said)
        pieces: list[str] = []
        for number, line in paragraph:
            for piece in _pieces(line, origin, number):
                if isinstance(piece, int):
                    _speak(" ".join(pieces), said, pauses, lang)
                    pieces.clear()
                    said[-1].extra_ms += piece
                else:
                    pieces.append(piece)
        _speak(" ".join(pieces), said, pauses, lang)
        if len(said) > first_new and said[-1].role == "body":
            said[-1].pause_ms = pauses.paragraph_ms
        paragraph.clear()

    for number, line in enumerate(text.lstrip("\ufeff").replace("\r\n", "\n").split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith(";"):
            continue
        if title is None:
            if not stripped:
                continue
            if not stripped.startswith("# ") or not stripped[2:].strip():
                raise ScriptError(f"{origin}:{number}: the first line should be '# <chapter title>'")
            title = stripped[2:].strip()
            spoken_title = normalize_title(title, lang)
            if spoken_title:  # a title of emoji alone is shown, not spoken
                said.append(_Said(spoken_title, pauses.title_ms, role="title"))
        elif stripped:
            paragraph.append((number, stripped))
        elif paragraph:
            end_paragraph()
    if paragraph:
        end_paragraph()
    if title is None:
        raise ScriptError(f"{origin}: the script is empty")
    if all(s.role == "title" for s in said):
        raise ScriptError(f"{origin}: the script has a title but no narration text")
    said[-1].pause_ms = pauses.section_ms
    utterances = tuple(Utterance(s.text, s.pause_ms + s.extra_ms, s.role) for s in said)
    return ScriptChapter(id=chapter_id, title=title, utterances=utterances)


def _pieces(line: str, origin: str, number: int) -> list[str | int]:
    """A line as text pieces and pause lengths in milliseconds, refusing unknown markup."""
    out: list[str | int] = []
    for part in re.split(r"(\[[^\[\]]*\])", line):
        if part.startswith("[") and part.endswith("]"):
            match = _PAUSE.fullmatch(part[1:-1].strip())
            if not match:
                raise ScriptError(f"{origin}:{number}: unknown markup {part!r} (expected e.g. [pause 1.5s])")
            ms = round(float(match.group(1)) * (1 if match.group(2).lower() == "ms" else 1000))
            if ms > _MAX_PAUSE_MS:
                raise ScriptError(f"{origin}:{number}: pause {part!r} is longer than a minute")
            out.append(ms)
        elif "[" in part or "]" in part:
            raise ScriptError(f"{origin}:{number}: unmatched bracket in {line[:60]!r}")
        elif part.strip():
            out.append(part.strip())
    return out


def _speak(text: str, said: list[_Said], pauses: Pauses, lang: Lang) -> None:
    for sentence in split_sentences(text, lang):
        for piece in fit(sentence, lang):
            said.append(_Said(piece, pauses.sentence_ms))


# ---------------------------------------------------------------------------------------------
# Script files


def script_from_article(article: Article, pauses: Pauses) -> Script:
    """The Script that `write_scripts` followed by `read_script` gives, without touching disk."""
    chapters = tuple(
        parse_chapter(narrate_section(s, article.language), s.id + SCRIPT_SUFFIX, s.id, pauses, article.language)
        for s in article.sections
    )
    return Script(slug=article.slug, title=article.title, chapters=chapters, language=article.language)


def read_script(folder: Path, pauses: Pauses) -> Script:
    """Read a scripts folder (episode.toml and its NN-*.txt files, in name order) into a Script."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ScriptError(f"{folder}: no such scripts folder")
    settings = read_settings(EpisodeSettings, folder / EPISODE_FILE)
    files = sorted(p for p in folder.iterdir() if SCRIPT_NAME.match(p.name) and p.is_file())
    if not files:
        raise ScriptError(f"{folder}: no section scripts (NN-name{SCRIPT_SUFFIX}) found")
    chapters = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ScriptError(f"{path}: not UTF-8 text") from None
        chapters.append(parse_chapter(text, str(path), path.stem, pauses, settings.language))
    return Script(slug=settings.slug, title=settings.title, chapters=tuple(chapters), language=settings.language)


@dataclass(frozen=True)
class SplitReport:
    """What `write_scripts` did, file names relative to the article's scripts folder."""

    folder: Path
    written: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    """Files edited by hand that differ from a fresh split and were left alone."""
    removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    """Conflicts and files created; the article's own notes stay in `Article.notes`."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _recorded_hashes(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / HASHES_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_scripts(article: Article, scripts_dir: Path, *, force: bool = False, source: str = "",
                  episode: EpisodeSettings | None = None, guide: GuideSettings | None = None) -> SplitReport:
    """Write one script per section plus episode.toml (and guide.toml once) under `scripts_dir`.

    A file whose content no longer matches what split last wrote was edited by hand: it is kept,
    and reported, unless `force`. `source` is recorded in episode.toml as the article's file;
    `episode` and `guide`, where given (a feed entry's date and guid, a feed's title), are the
    settings written instead of those made from the article.
    """
    folder = Path(scripts_dir) / article.slug
    recorded = _recorded_hashes(folder)
    wanted = {s.id + SCRIPT_SUFFIX: narrate_section(s, article.language) for s in article.sections}
    episode = episode or EpisodeSettings(title=article.title, slug=article.slug, language=article.language,
                                         author=article.author, source=source, link=article.link or "")
    wanted[EPISODE_FILE] = settings_to_toml(episode)
    hashes: dict[str, str] = {}
    done: dict[str, list[str]] = {"written": [], "unchanged": [], "kept": [], "removed": []}
    notes: list[str] = []
    for name, content in wanted.items():
        path, new_hash = folder / name, _sha(content.encode("utf-8"))
        current = _sha(path.read_bytes()) if path.is_file() else None
        if current == new_hash:
            done["unchanged"].append(name)
        elif current is None or force or recorded.get(name) == current:
            write_atomic(path, content)
            done["written"].append(name)
        else:
            done["kept"].append(name)
            notes.append(f"{name}: edited by hand, kept (use --force to overwrite)")
            if name in recorded:
                hashes[name] = recorded[name]
            continue
        hashes[name] = new_hash
    stale = sorted(p for p in folder.iterdir() if SCRIPT_NAME.match(p.name) and p.name not in wanted)
    for path in stale:
        if force or recorded.get(path.name) == _sha(path.read_bytes()):
            path.unlink()
            done["removed"].append(path.name)
        else:
            done["kept"].append(path.name)
            notes.append(f"{path.name}: no longer in the article but edited by hand, kept "
                         "(delete it or use --force)")
            if path.name in recorded:
                hashes[path.name] = recorded[path.name]
    write_atomic(folder / HASHES_FILE, json.dumps(dict(sorted(hashes.items())), indent=2) + "\n")
    guide_file = Path(scripts_dir) / GUIDE_FILE
    if not guide_file.exists():
        guide = guide or GuideSettings(title=article.title, author=article.author, language=article.language)
        write_atomic(guide_file, settings_to_toml(guide))
        notes.append(f"Created {guide_file}")
    return SplitReport(folder=folder, notes=tuple(notes), **{k: tuple(v) for k, v in done.items()})
