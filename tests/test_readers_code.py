"""Code in prose and headings, said the way a narrator would: names as words, signatures by the
name they declare, and nothing a voice could only read as punctuation."""

from __future__ import annotations

import pytest

from audioguide.readers.code import code_heading, declared_name, is_name, spoken_code


@pytest.mark.parametrize(("code", "spoken"), [
    ("pip install x", "pip install x"),
    ("getElementById()", "get Element By Id"),
    ("<div>", "div"),
    ("std::env::args", "std env args"),            # a voice says "colon" for each ':'
    ("Vec<T>", "Vec"),
    ("Option<Box<[u8]>>", "Option"),
    ("path.join(dir, name)", "path.join"),          # a call is said as what it calls
    ("Vec::with_capacity(10)", "Vec with_capacity"),
    ("println!", "println"),
    ("vec![1, 2]", "vec"),
    ("$HOME", "HOME"),                               # not "dollar home"
    ("%APPDATA%", "APPDATA"),
    ("a != b", "a ≠ b"),                             # signs the voice says as words
    ("size >= 10", "size ≥ 10"),
    ("x = 5", "x = 5"),
    ("$((6 * 7))", "6 times 7"),
    ("./run", "run"),
    ("<*const T>::as_ref", "as_ref"),
    ("&'a mut Config", "Config"),
    ("fn(&Frame) -> bool", "fn"),
    ("~/.lamprc", "~/.lamprc"),                      # a path from home, said by narration
])
def test_code_is_said_as_the_name_it_mentions(code: str, spoken: str) -> None:
    assert spoken_code(code) == spoken


@pytest.mark.parametrize("code", ["=>", "$(( ))", "{x: 1}", "\\n", "a < b", "x || y", "&mut [T]",
                                  "impl Tr for &mut I { type Item = I::Item; }", "#![allow(unused)]",
                                  'eval "$(lamp init -)"'])
def test_code_a_voice_could_only_read_as_symbols_is_not_said(code: str) -> None:
    assert spoken_code(code) == ""


@pytest.mark.parametrize(("signature", "name"), [
    ("pub fn with_capacity(capacity: usize) -> Vec<T>", "with_capacity"),
    ("pub unsafe fn from_raw_parts(ptr: *mut T, length: usize) -> Vec<T>", "from_raw_parts"),
    ("socket.bind([port][, address][, callback])", "socket.bind"),
    ("> org.set(org, user, [role], [opts]) -> Promise", "org.set"),
    ("new lamp.Wick(options)", "lamp.Wick"),
    ("int lantern_light(lantern_t *lantern, int level)", "lantern_light"),
    ("class Lantern(int):", "Lantern"),
    ("pub struct Vec<T, A = Global>", "Vec"),
    ("impl<T> From<&[T]> for Vec<T>", "From for Vec"),
    ("impl<T, A: Allocator> Vec<T, A> where T: Clone", "Vec"),
    ("const MAX_WICKS: usize = 8", "MAX_WICKS"),
    ("std::env", "std::env"),
    ("path.delimiter", "path.delimiter"),
    ("{}", ""),
])
def test_a_signature_is_titled_by_the_name_it_declares(signature: str, name: str) -> None:
    assert declared_name(signature) == name


def test_a_heading_is_code_when_its_words_are_mostly_code_or_its_class_says_so() -> None:
    assert code_heading("lamp.light(level)#", "lamp.light(level)") == "lamp.light"
    assert code_heading("pub fn dim(&mut self)", "", "code-header") == "dim"
    assert code_heading("Using the lamp.light() call", "lamp.light()") is None
    assert code_heading("Scan the barcode", "", "barcode-title") is None


def test_names_stand_alone_commands_do_not() -> None:
    assert all(is_name(code) for code in ("serde", "os.path", "std::env", "--force", "run()"))
    assert not any(is_name(code) for code in ("cargo build", "x = 1", "f(a, b)"))
