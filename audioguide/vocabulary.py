"""What each narration language calls things: number conventions, units, currencies, abbreviations.

One `Lang` value per language, so that a new language is one entry in `LANGS`, not a new branch
in the rules of `normalize.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
            "et al.": "and colleagues.",
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
