"""Rewriting written text into the words a voice should say: links, symbols, abbreviations, numbers.

Narration calls `clean_inline` (markup and symbols) and then `normalize` (words for numbers and
abbreviations). Each rule is a small function in `RULES`, applied in order, and each language's
vocabulary lives in one `Lang` value, so a new rule or language is one entry, not a new branch.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

from num2words import num2words

from audioguide.vocabulary import LANGS, Lang, lang_for

__all__ = ["LANGS", "Lang", "clean_inline", "lang_for", "normalize", "normalize_title", "words"]


# ---------------------------------------------------------------------------------------------
# Markup and symbols

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")
_EMAIL = re.compile(r"\b([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)\b")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"',
                         "‘": "'", "’": "'", "‚": "'", "‛": "'", "‹": "'", "›": "'",
                         "…": "...", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "|": ","})
_KEEP_SYMBOLS = set("°©®™€£$¥%&")


_PATH = re.compile(r"(?<![\w/])(?:~/|\.{1,2}/|/(?=\w))[\w.~/-]*|\b\w[\w.-]*/(?:[\w.-]+/?)*(?![\w/])")
_FILE = re.compile(r"\b([A-Za-z][\w-]*)\.(pdf|txt|md|html?|py|js|json|toml|ya?ml|csv|mp3|mp4|png|jpe?g|gif|"
                   r"svg|zip|gz|exe|sh|com|org|net|io|dev|edu|gov|fr|de|uk)\b(?!\.\w)")


def _spoken_path(path: str, lang: Lang) -> str:
    """ "~/.cache/app" -> "home slash dot cache slash app"; "tracks/" -> "tracks"; "and/or" stays."""
    stop = re.search(r"[.,;:]*$", path).group(0)  # type: ignore[union-attr]
    path = path[: len(path) - len(stop)]
    if not re.search(r"[^\W\d_]", path):
        return path + stop
    if re.fullmatch(r"[^\W\d_]+/[^\W\d_]+", path):
        return path.replace("/", " ") + stop
    parts = path.rstrip("/").replace("~", "home/", 1).split("/")
    return " slash ".join(f"{lang.dot} {p[1:]}" if p.startswith(".") and len(p) > 1 else p
                          for p in parts if p).strip() + stop


def spoken_domain(host: str, lang: Lang) -> str:
    """ "www.example.com/path" -> "example dot com"."""
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", host).split("/")[0].split("?")[0].split(":")[0]
    return f" {lang.dot} ".join(part for part in host.split(".") if part)


def _strip_emoji(text: str) -> str:
    kept = []
    for char in text:
        if char in _KEEP_SYMBOLS:
            kept.append(char)
        elif char in "\u200d\ufe0f\ufe0e\u20e3" or unicodedata.category(char) in ("So", "Sk", "Cs", "Co"):
            continue
        else:
            kept.append(char)
    return "".join(kept)


def clean_inline(text: str, lang: Lang) -> str:
    """Prose with markup, links, addresses, typographic marks and emoji made speakable."""
    text = html.unescape(text)
    text = _TAG.sub("", text)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"\[\^[^\]]*\]|\[\d+\]", "", text)
    text = text.replace("[", "(").replace("]", ")")
    text = _URL.sub(lambda m: lang.link.format(spoken_domain(m.group(0), lang)), text)
    text = _EMAIL.sub(lambda m: f"{m.group(1).replace('.', f' {lang.dot} ')} {lang.at} "
                      f"{spoken_domain(m.group(2), lang)}", text)
    text = _PATH.sub(lambda m: m.group(0) if m.group(0) in lang.units else _spoken_path(m.group(0), lang), text)
    text = _FILE.sub(rf"\1 {lang.dot} \2", text)
    text = re.sub(r"(\*\*|__|~~|\*|`)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)", r"\1", text)
    text = re.sub(r"(?<=\w)_(?=\w)", " ", text)  # snake_case identifiers read as words
    text = re.sub(r"(?<=\w)\(\)", "", text)
    text = re.sub(r"[*`~^]+", "", text)
    text = re.sub(r"#(?=\d)", "number " if lang.code == "en" else "", text)
    text = text.replace("#", "")
    text = re.sub(r"«\s*", '"', re.sub(r"\s*»", '"', text))
    text = text.translate(_QUOTES)
    text = re.sub(r"\s+[—–]\s+|(?<!\d)—|—(?!\d)", ", ", text)
    text = re.sub(r"\s+&\s+", f" {lang.and_word} ", text)
    # Signs of code in prose, as the voice can say them: it reads "a >= b" as "a equals b",
    # "v8::Isolate" as "v8 colon colon Isolate" and "Help => About" as "Help equals About".
    text = text.replace(">=", "≥").replace("<=", "≤").replace("!=", "≠")
    text = re.sub(r"(?<=\w)::(?=\w)", " ", text)
    text = re.sub(r"(?<=[\w)])\s*(?:=>|->)\s*(?=[\w(])", ", ", text)
    text = _strip_emoji(unicodedata.normalize("NFC", text).replace("\u00ad", ""))
    text = re.sub(r"[\u200b\u2060]", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"(?<=\s)\.(?=[a-z][\w-]*\b)", f"{lang.dot} ", text)  # ".bashrc" is a name, not a full stop
    text = re.sub(r"\s+([,.;:!?])", r"\1", text) if lang.code != "fr" else text
    return re.sub(r"^[;,.:!?)\s]+", "", text)


# ---------------------------------------------------------------------------------------------
# Words for numbers and abbreviations


def words(number: str | int, lang: Lang, to: str = "cardinal") -> str:
    """num2words in the narration language; digits stay as they are where it cannot help.

    Decimals are read digit by digit after the point ("2.05" -> "two point zero five"), the way
    people read version numbers and measurements alike.
    """
    whole, _, fraction = str(number).partition(".")
    try:
        spoken = num2words(int(whole), lang=lang.code, to=to)
        if fraction:
            digits = " ".join(num2words(int(d), lang=lang.code) for d in fraction)
            spoken = f"{spoken} {lang.point} {digits}"
    except (NotImplementedError, ValueError, OverflowError, TypeError):
        return str(number)
    return spoken.replace(",", "") if lang.code == "en" else spoken


def _num(lang: Lang) -> str:
    """A number as the language writes it: "1,200.5" in English, "1 200,5" in French."""
    thousands, decimal = re.escape(lang.thousands), re.escape(lang.decimal)
    return rf"\d{{1,3}}(?:{thousands}\d{{3}})+(?:{decimal}\d+)?(?!\d)|\d+(?:{decimal}\d+)?"


def _number(raw: str, lang: Lang) -> str:
    """Digits as written -> a plain "1200.5" string."""
    return raw.replace(lang.thousands, "").replace(lang.decimal, ".")


def _say(raw: str, lang: Lang) -> str:
    return words(_number(raw, lang), lang)


def _abbreviations(text: str, lang: Lang) -> str:
    for short, long in sorted(lang.abbreviations.items(), key=lambda kv: -len(kv[0])):
        pattern = r"(?<![\w.])" + re.escape(short) + (r"(?!\w)" if short[-1] == "." else r"\b")
        # An expansion that may end a sentence keeps its stop only where a sentence ends.
        replacement = long.rstrip(".")
        text = re.sub(pattern + r"(?=\s+[A-Z]|\s*$)", long if long.endswith(".") else replacement, text)
        text = re.sub(pattern, replacement, text)
    return text


_PHONE = re.compile(
    r"(?<![\w.,+-])(?:"
    r"(?:\+\d{1,3}[\s.-]?)?\(\d{2,4}\)[\s.-]?\d{2,4}(?:[\s.-]\d{2,4}){1,3}"  # (555) 010-0100
    r"|\+\d{1,3}(?:[\s.-]\d{1,4}){2,5}"  # +44 20 7946 0958
    r"|(?!(?:1[1-9]|20)\d\d-\d\d-\d\d\b)\d{2,4}(?:[.-]\d{2,4}){2,4}"  # 555-010-0100, not a date
    r"|\d{3}-0\d{3}"  # 555-0100
    r")(?![\w-])"
)
_CALL = re.compile(r"\b((?:call|phone|telephone|tel|fax|dial|ring|text|mobile|hotline|number)\b:?"
                   r"(?:\s+(?:us|me|them|him|her|on|at|the|number|is)){0,2}\s+)(\d{3}-\d{4})(?![\w-])", re.I)


def _phone_numbers(text: str, lang: Lang) -> str:
    """ "555-0100" -> "five five five, zero one zero zero": digit by digit, a pause per group."""
    def spoken(number: str) -> str:
        groups = re.findall(r"\d+", number)
        digits = ", ".join(" ".join(words(int(d), lang) for d in group) for group in groups)
        return ("plus " if number.lstrip("(").startswith("+") and lang.code == "en" else "") + digits

    text = _CALL.sub(lambda m: m.group(1) + spoken(m.group(2)), text)
    return _PHONE.sub(lambda m: spoken(m.group(0)), text)


def _versions(text: str, lang: Lang) -> str:
    """ "3.11.2" -> "three point eleven point two", the way people say version numbers."""
    return re.sub(r"(?<![\w.])(?!\d{1,2}\.\d{1,2}\.\d{4}\b)\d+(?:\.\d+){2,}(?![\w]|\.\d)",
                  lambda m: f" {lang.point} ".join(words(int(part), lang) for part in m.group(0).split(".")),
                  text)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def _iso_dates(text: str, lang: Lang) -> str:
    """ "2024-03-12" -> "March twelfth, twenty twenty-four" (English only)."""
    if lang.code != "en":
        return text

    def say(m: re.Match[str]) -> str:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return m.group(0)
        return f"{_MONTHS[month - 1]} {words(day, lang, 'ordinal')}, {words(year, lang, 'year')}"

    return re.sub(r"\b((?:1[1-9]|20)\d\d)-([01]\d)-([0-3]\d)\b", say, text)


def _plural(word: str) -> str:
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def _decades(text: str, lang: Lang) -> str:
    """ "the 1990s" -> "the nineteen nineties", "the '80s" -> "the eighties" (English only)."""
    if lang.code != "en":
        return text
    text = re.sub(r"\b((?:1[1-9]|20)\d0)'?s\b", lambda m: _plural(words(int(m.group(1)), lang, "year")), text)
    return re.sub(r"(?<!\w)'([1-9]0)s\b", lambda m: _plural(words(int(m.group(1)), lang)), text)


def _currencies(text: str, lang: Lang) -> str:
    if not lang.currencies:
        return text
    symbols = "".join(re.escape(s) for s in lang.currencies)

    def say(m: re.Match[str]) -> str:
        singular, plural = lang.currencies[m["pre"] or m["post"]]
        amount, scale = _number(m["amount"], lang), m["scale"]
        whole, _, cents = amount.partition(".")
        if scale:
            return f"{words(amount, lang)} {scale} {plural}"
        spoken = f"{words(whole, lang)} {singular if whole == '1' else plural}"
        if cents and int(cents):
            spoken += f" {lang.and_word} {words(int(cents.ljust(2, '0')[:2]), lang)}"
            spoken += " cents" if lang.code == "en" else ""
        return spoken

    num = _num(lang)
    scale = r"million|billion|thousand|millions?|milliards?"
    text = re.sub(rf"(?P<pre>[{symbols}])\s?(?P<amount>{num})(?:\s(?P<scale>{scale}))?(?P<post>)", say, text)
    return re.sub(rf"(?P<pre>)(?P<amount>{num})(?P<scale>)\s?(?P<post>[{symbols}])", say, text)


def _percentages(text: str, lang: Lang) -> str:
    return re.sub(rf"({_num(lang)})\s?%", lambda m: f"{_say(m.group(1), lang)} {lang.percent}", text)


def _times(text: str, lang: Lang) -> str:
    def say(m: re.Match[str]) -> str:
        hours, minutes, suffix = int(m.group(1)), int(m.group(2)), (m.group(3) or "").lower()
        if lang.code != "en":
            return f"{words(hours, lang)} {lang.hours} {words(minutes, lang) if minutes else ''}".strip()
        spoken = words(hours, lang)
        if minutes == 0:
            spoken += "" if suffix else " o'clock"
        else:
            spoken += f" oh {words(minutes, lang)}" if minutes < 10 else f" {words(minutes, lang)}"
        return spoken + (" " + " ".join(suffix.replace(".", "")) if suffix else "")

    # "p.m." keeps its last stop where it ends a sentence.
    meridiem = r"([ap]\.?m(?:\.(?!\s+[A-Z]|\s*$))?)(?!\w)"
    text = re.sub(rf"\b([01]?\d|2[0-3]):([0-5]\d)(?!\d)(?:\s?{meridiem})?", say, text)
    if lang.code == "en":
        text = re.sub(rf"\b(1[0-2]|[1-9])\s?{meridiem}",
                      lambda m: f"{words(m.group(1), lang)} {m.group(2)[0]} m", text)
    return text


def _ranges(text: str, lang: Lang) -> str:
    num = _num(lang)
    return re.sub(rf"(?<![\w.,-])({num})\s?[-–—]\s?(?=(?:{num})(?![\w-]*\d))",
                  rf"\1 {lang.to_word} ", text)


_ORDINAL_SUFFIX = {"en": r"st|nd|rd|th", "fr": r"er|re|e|ème|eme"}


def _ordinals(text: str, lang: Lang) -> str:
    suffix = _ORDINAL_SUFFIX.get(lang.code)
    if not suffix:
        return text
    return re.sub(rf"\b(\d+)({suffix})\b", lambda m: words(int(m.group(1)), lang, "ordinal"), text)


def _units(text: str, lang: Lang) -> str:
    if not lang.units:
        return text
    names = "|".join(re.escape(u) for u in sorted(lang.units, key=len, reverse=True))

    def say(m: re.Match[str]) -> str:
        singular, plural = lang.units[m.group(3)]
        amount = _number(m.group(2), lang)
        minus = "minus " if m.group(1) and lang.code == "en" else ""
        return f"{minus}{words(amount, lang)} {singular if amount == '1' else plural}"

    return re.sub(rf"((?<![^\s])[-−](?=\d))?(?<![\w.,])({_num(lang)})\s?({names})(?![\w/])", say, text)


def _numbers(text: str, lang: Lang) -> str:
    def say(m: re.Match[str]) -> str:
        raw = m.group(1)
        if lang.years and re.fullmatch(r"1[1-9]\d\d|20\d\d", raw):
            return words(int(raw), lang, "year")
        return ("minus " if m.group(0).startswith(("-", "−")) and lang.code == "en" else "") + _say(raw, lang)

    return re.sub(rf"(?:(?<=\s)[-−]|(?<![\w.,]))({_num(lang)})(?![\w])", say, text)


Rule = Callable[[str, Lang], str]
RULES: tuple[Rule, ...] = (
    _abbreviations,
    _iso_dates,
    _phone_numbers,
    _versions,
    _decades,
    _currencies,
    _percentages,
    _times,
    _ranges,
    _ordinals,
    _units,
    _numbers,
)
"""Applied in this order: the specific forms (phone, version, money, percent, time) before plain
numbers."""

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_ROMAN_CONTEXT = (r"Part|Chapter|Book|Volume|Act|Scene|Section|Phase|Stage|Level|Season|Episode|"
                  r"Appendix|War|Partie|Chapitre|Teil|Kapitel|Band")


def roman_value(numeral: str) -> int | None:
    """The value of a well-formed Roman numeral, else None."""
    values = [_ROMAN.get(c) for c in numeral]
    if not numeral or None in values:
        return None
    total = sum(-v if i + 1 < len(values) and v < values[i + 1] else v  # type: ignore[operator]
                for i, v in enumerate(values))
    canonical = ""
    rest = total
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while rest >= value:
            canonical, rest = canonical + letters, rest - value
    return total if canonical == numeral else None


def _roman_in_title(text: str, lang: Lang) -> str:
    def say(m: re.Match[str]) -> str:
        value = roman_value(m.group(2))
        return f"{m.group(1)} {words(value, lang)}" if value else m.group(0)

    return re.sub(rf"\b({_ROMAN_CONTEXT})\s+([IVXLCDM]+)\b", say, text)


def normalize(text: str, lang: Lang) -> str:
    """Numbers, money, times, units and abbreviations written out as words."""
    for rule in RULES:
        text = rule(text, lang)
    return re.sub(r"\s+", " ", text).strip()


def normalize_title(title: str, lang: Lang) -> str:
    """The spoken form of a chapter title: markup gone, numerals (Roman ones too) in words."""
    return normalize(_roman_in_title(clean_inline(title, lang), lang), lang)
