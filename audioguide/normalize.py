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
from dataclasses import dataclass, field

from num2words import num2words


@dataclass(frozen=True)
class Lang:
    """The words and number conventions one narration language needs."""

    code: str
    decimal: str = "."
    thousands: str = ","
    and_word: str = "and"
    to_word: str = "to"
    percent: str = "percent"
    link: str = "a link to {}"
    dot: str = "dot"
    at: str = "at"
    quote: str = "Quote:"
    hours: str = "hours"
    point: str = "point"
    """Word between hours and minutes in a clock time (not used for English)."""
    code_notice: str = "A code example is shown in the article."
    currencies: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Symbol -> (singular, plural) name."""
    units: dict[str, tuple[str, str]] = field(default_factory=dict)
    abbreviations: dict[str, str] = field(default_factory=dict)
    """Abbreviation as written (with its dots) -> words; keys ending a sentence keep the stop."""
    years: bool = False
    """Read 4-digit numbers from 1100 to 2099 as years ("nineteen ninety")."""


_EN_UNITS = {
    "mm": ("millimeter", "millimeters"),
    "cm": ("centimeter", "centimeters"),
    "km": ("kilometer", "kilometers"),
    "m": ("meter", "meters"),
    "mg": ("milligram", "milligrams"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "ms": ("millisecond", "milliseconds"),
    "s": ("second", "seconds"),
    "min": ("minute", "minutes"),
    "h": ("hour", "hours"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "kHz": ("kilohertz", "kilohertz"),
    "Hz": ("hertz", "hertz"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "KB": ("kilobyte", "kilobytes"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
}
_METRIC_FR = {
    "mm": ("millimètre", "millimètres"),
    "cm": ("centimètre", "centimètres"),
    "km": ("kilomètre", "kilomètres"),
    "kg": ("kilogramme", "kilogrammes"),
    "g": ("gramme", "grammes"),
    "ml": ("millilitre", "millilitres"),
    "min": ("minute", "minutes"),
    "°C": ("degré Celsius", "degrés Celsius"),
}
_METRIC_DE = {
    "mm": ("Millimeter", "Millimeter"),
    "cm": ("Zentimeter", "Zentimeter"),
    "km": ("Kilometer", "Kilometer"),
    "kg": ("Kilogramm", "Kilogramm"),
    "g": ("Gramm", "Gramm"),
    "ml": ("Milliliter", "Milliliter"),
    "min": ("Minute", "Minuten"),
    "°C": ("Grad Celsius", "Grad Celsius"),
}

LANGS: dict[str, Lang] = {
    "en": Lang(
        "en",
        currencies={"$": ("dollar", "dollars"), "€": ("euro", "euros"), "£": ("pound", "pounds")},
        units=_EN_UNITS,
        abbreviations={
            "e.g.": "for example",
            "i.e.": "that is",
            "vs.": "versus",
            "etc.": "et cetera.",
            "approx.": "approximately",
            "Dr.": "Doctor",
            "Mr.": "Mister",
            "Mrs.": "Missus",
            "Prof.": "Professor",
            "Fig.": "Figure",
            "No.": "number",
            "Capt.": "Captain",
            "Jr.": "Junior",
            "Sr.": "Senior",
            "Inc.": "Incorporated.",
            "Ltd.": "Limited.",
        },
        years=True,
    ),
    "fr": Lang(
        "fr",
        decimal=",",
        thousands=" ",
        and_word="et",
        to_word="à",
        percent="pour cent",
        link="un lien vers {}",
        dot="point",
        at="arobase",
        quote="Citation :",
        hours="heures",
        point="virgule",
        code_notice="Un exemple de code figure dans l'article.",
        currencies={"€": ("euro", "euros"), "$": ("dollar", "dollars")},
        units=_METRIC_FR,
        abbreviations={"p. ex.": "par exemple", "c.-à-d.": "c'est-à-dire", "etc.": "et cetera.",
                       "M.": "Monsieur", "Mme": "Madame", "env.": "environ"},
    ),
    "de": Lang(
        "de",
        decimal=",",
        thousands=".",
        and_word="und",
        to_word="bis",
        percent="Prozent",
        link="ein Link zu {}",
        dot="Punkt",
        at="at",
        quote="Zitat:",
        hours="Uhr",
        point="Komma",
        code_notice="Ein Codebeispiel steht im Artikel.",
        currencies={"€": ("Euro", "Euro"), "$": ("Dollar", "Dollar")},
        units=_METRIC_DE,
        abbreviations={"z. B.": "zum Beispiel", "z.B.": "zum Beispiel", "d. h.": "das heißt",
                       "d.h.": "das heißt", "bzw.": "beziehungsweise", "usw.": "und so weiter.",
                       "ca.": "circa", "Dr.": "Doktor"},
    ),
}


def lang_for(language: str) -> Lang:
    """The vocabulary for a BCP 47 tag ("en-US" -> en); other languages get English symbols."""
    base = language.split("-")[0].split("_")[0].lower()
    return LANGS.get(base) or Lang(base, currencies=LANGS["en"].currencies)


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
    text = _PATH.sub(lambda m: _spoken_path(m.group(0), lang), text)
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
    text = _strip_emoji(unicodedata.normalize("NFC", text).replace("\u00ad", ""))
    text = re.sub(r"[\u200b\u2060]", "", text)
    text = re.sub(r"\s+", " ", text).strip()
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
        singular, plural = lang.units[m.group(2)]
        amount = _number(m.group(1), lang)
        return f"{words(amount, lang)} {singular if amount == '1' else plural}"

    return re.sub(rf"(?<![\w.,])({_num(lang)})\s?({names})(?![\w/])", say, text)


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
    _currencies,
    _percentages,
    _times,
    _ranges,
    _ordinals,
    _units,
    _numbers,
)
"""Applied in this order: the specific forms (money, percent, time) before plain numbers."""

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
