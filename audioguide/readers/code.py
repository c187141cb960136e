"""Code inside prose and headings, said the way a narrator would.

A narrator reading a technical article aloud says a name (`std::env::args`, `Vec<T>`,
`path.join(a, b)`) as the words of the name, and does not spell out code a listener could only
hear as punctuation (`{x: 1}`, `\\n`, `fn(&T) -> bool`). A voice reads every symbol it knows:
given `std::env::args` it says "colon" twice, given `$HOME` it says "dollar". So inline code is
cut down to the name it mentions, and left out where no name is left. A heading made of code (an
API reference's `pub fn with_capacity(capacity: usize) -> Vec<T>`) is titled by the name it
declares.
"""

from __future__ import annotations

import re

CODE_LINE = re.compile(r"^\s*(?:>>>|\.\.\.\s|\$\s|#|//|/\*|<[a-z!?/])|[={}<>\\`]|;\s*$|__|->|::|\w\(|\w\.\w+\(")
"""Signs of code in a line: prompts, comments, assignments, calls, braces."""
_PROMPT = re.compile(r"^(?:>>>|\.\.\.|[$%#>])\s+")
_TAG = re.compile(r"(?<![\w:])</?([A-Za-z][\w-]*)(?:\s[^<>]*)?/?>")
_GENERICS = re.compile(r"(?<=[\w>)\]])<[^<>]*>|^<[^<>]*>(?=::)")
_ARGUMENTS = re.compile(r"(?<=[\w!>\]])\([^()]*\)")
_INDEX = re.compile(r"(?<=[\w!])\[[^\[\]]*\]")
_OPERATORS = (("===", "="), ("!==", "≠"), ("==", "="), ("!=", "≠"), ("<=", "≤"), (">=", "≥"), ("&&", "&"))
"""Operators as the signs a voice reads as words ("≠" is "not equal to")."""
_UNSAYABLE = re.compile(r"[{}\[\]<>;|\\^`$]|~(?!/)|->|=>|::")
"""What is left of code a voice could only read as punctuation."""
_KEYWORDS = {"pub", "fn", "const", "unsafe", "async", "extern", "static", "def", "class", "struct", "enum",
             "union", "trait", "impl", "type", "typedef", "function", "func", "new", "let", "var", "mut",
             "interface", "public", "private", "protected", "abstract", "final", "override", "virtual",
             "inline", "export", "default", "macro", "mod", "module", "namespace", "dyn", "val", "readonly"}
"""Words that open a declaration, before the name it declares."""
_NAME = re.compile(r"-{0,2}[^\W\d][\w.-]*(?:::[^\W\d][\w.-]*)*(?:\(\))?")


def reads_as_code(text: str) -> bool:
    """True for preformatted text that is code or a command, not a mail or a poem: most of its
    lines show signs of code, or none of them is a sentence."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return False
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(line.strip() for line in lines))
    prose = [s for s in sentences if len(s.split()) >= 6 and re.search(r"[.!?][\"')]*$", s)]
    return sum(bool(CODE_LINE.search(line)) for line in lines) >= 0.5 * len(lines) or not prose


def is_name(code: str) -> bool:
    """True for code that is one name (`serde`, `os.path`, `std::env`, `--force`, `run()`), which is
    said as its words even where it stands alone."""
    return bool(_NAME.fullmatch(code.strip()))


def _bare(code: str) -> str:
    """Code without what a narrator skips: tags' brackets, prompts, generic and call arguments,
    index brackets, references, sigils and return types."""
    code = _PROMPT.sub("", re.sub(r"\s+", " ", code).strip())
    code = _TAG.sub(r"\1", code)  # `<div>` is "div"
    for before, after in _OPERATORS:
        code = code.replace(before, after)
    for _ in range(8):  # innermost groups first: Option<Box<T>>, f(g(x))
        shorter = _INDEX.sub("", _ARGUMENTS.sub("", _GENERICS.sub("", code)))
        if shorter == code:
            break
        code = shorter
    code = re.sub(r"(?<=\S)\s*->.*$", "", code)  # a return type
    code = re.sub(r"(?<=[&\s<,])'[a-z_]\w*\b(?!')\s*", "", code)  # lifetimes: &'a T
    code = re.sub(r"(?<![\w.])[&*]+(?:mut\s+|const\s+)?(?=[\w(\[])", "", code)  # &mut x, *const T
    code = re.sub(r"(?<=\w)!(?=[\s,.]|$)", "", code)  # a macro's bang: println!
    code = re.sub(r"(?<![\w$])\$\{?(\w+)\}?|%(\w+)%", lambda m: m.group(1) or m.group(2), code)  # $HOME
    return code.strip()


def spoken_code(code: str) -> str:
    """Inline code as a narrator says it: `getElementById()` as "get Element By Id", `std::env::args`
    as "std env args", `Vec<T>` as "Vec", `path.join(a, b)` as "path.join", `a != b` as "a ≠ b";
    and nothing at all where only symbols would be left (`$(( ))`, `=>`, `{x: 1}`, `\\n`)."""
    code = re.sub(r"\s*[$@%]?[(){}\[\]]{2,}\s*", " ", _bare(code))  # `$((6 * 7))`: the sigils go
    code = re.sub(r"(?<![\w.])\./(?=\w)", "", code)  # `./run` is "run"
    code = re.sub(r"(?<=\d)\s*\*\s*(?=\d)", " times ", code)
    code = re.sub(r"^::|(?<=\w)::(?=\w)", " ", code).strip(" ,;")
    if not re.search(r"[^\W_]", code) or _UNSAYABLE.search(code):
        return ""
    # camelCase and PascalCase names are said as the words they join.
    return re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", code)


def declared_name(code: str) -> str:
    """The name a line of code declares or calls, for a heading made of code: "with_capacity" for
    `pub fn with_capacity(capacity: usize) -> Vec<T>`, "socket.bind" for
    `socket.bind([port][, address])`, "From for Vec" for `impl<T> From<&[T]> for Vec<T>`; ""
    where it names nothing."""
    code = re.split(r"(?:\s|(?<=[>)]))where\s", re.sub(r"\s+", " ", code).strip())[0]
    called = re.search(r"([^\W\d][\w$]*(?:(?:\.|::|#)[^\W\d][\w$]*)*)(?:<[^()]*>)?\s*\(", _PROMPT.sub("", code))
    if called and called.group(1) not in _KEYWORDS:
        return called.group(1)
    bare = re.split(r"\s*(?:(?<!:):(?!:)|[=;{])|\swhere\s", _bare(code))[0]
    words = bare.split()
    while words and (words[0] in _KEYWORDS or words[0].startswith('"')):
        words.pop(0)
    name = " ".join(words).strip(" ,.")
    return name if name and not _UNSAYABLE.search(name.replace("::", ".")) and re.search(r"[^\W_]", name) else ""


def code_heading(text: str, code_text: str, classes: str = "") -> str | None:
    """A heading's title when the heading is code (its words mostly inside code elements, or a
    class that says so, as API references mark signatures): the name it declares, "" where it
    names nothing; None for a heading of prose."""
    text = re.sub(r"\s+", " ", text).strip()
    code = re.sub(r"\s+", " ", code_text).strip()
    if not text or not (re.search(r"(?:^|[\s_-])(?:code|sig|signature)(?:$|[\s_-])", classes)
                        or len(code) >= 0.8 * len(text)):
        return None
    return declared_name(re.sub(r"\s*[¶#§]\s*$|^\s*[¶#§]\s*", "", text))
