"""``present.text``: the one helper every renderer uses for strings from an image."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.model.check import Evidence, Finding, Verdict
from assay.present.text import clean, clean_model, clean_tree, image_path, problem_text, terminal

# one of each kind of character no output shows raw
_ODD_CHARS = ["\x00", "\x08", "\x0c", "\r", "\x1b", "\x7f", "\x85", "\x9b", "\udcff", "\ud800"]
_ODD_CHARS += ["\ufffe", "\uffff", "\u202a", "\u202e", "\u2066", "\u2069"]


def test_clean_escapes_control_characters_visibly() -> None:
    assert clean("12.09\x01") == "12.09\\x01"
    assert clean("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert clean("a\x1b]8;;http://x/\x07b") == "a\\x1b]8;;http://x/\\x07b"
    assert clean("\x9b2J\x7f") == "\\x9b2J\\x7f"  # 8-bit CSI and DEL
    assert clean("name\u202etxt.exe") == "name\\u202etxt.exe"  # bidi override
    assert clean("bad\udcffbyte") == "bad\\xffbyte"  # undecodable byte kept by surrogateescape
    assert clean("\ufffe") == "\\ufffe"
    assert clean("carriage\rreturn") == "carriage\\x0dreturn"


def test_clean_keeps_ordinary_text_and_newlines_only_when_asked() -> None:
    text = "Ünïcode 固件 v1.0 <b>&amp;"
    assert clean(text) is text  # nothing to do: the same object back
    assert clean("a\tb\nc") == "a b c"
    assert clean("a\tb\nc", multiline=True) == "a\tb\nc"
    assert clean(42) == "42"


def test_clean_tree_and_clean_model_reach_every_string() -> None:
    doc = {"k\x1b": ["v\x07", {"n": 1, "s": "x\x00"}], "t": ("a\x9b",)}
    assert clean_tree(doc) == {"k\\x1b": ["v\\x07", {"n": 1, "s": "x\\x00"}], "t": ["a\\x9b"]}
    finding = Finding(
        "c", Verdict.FAIL, "high", evidence=(Evidence("/etc/\udcff\x1b", excerpt="a\nb\x01"),)
    )
    cleaned = clean_model(finding)
    assert cleaned.verdict is Verdict.FAIL
    assert cleaned.evidence[0].path == "/etc/\\xff\\x1b"
    assert cleaned.evidence[0].excerpt == "a\nb\\x01"

    @dataclass(frozen=True)
    class Holder:
        items: tuple[str, ...]

    assert clean_model(Holder(("\x1b",))) == Holder(("\\x1b",))


def test_terminal_escapes_rich_markup_too() -> None:
    assert terminal("[bold]x\x1b[0m") == "\\[bold]x\\x1b[0m"


def test_image_path_drops_the_work_directory() -> None:
    root = "/fw.bin_extract/xz.uncompressed_extract/957612-2825137.squashfs_v4_le_extract"
    server = "/tmp/assay-abcd1234/extract" + root + "/etc/passwd"
    assert image_path(server, [root]) == "/etc/passwd"
    assert image_path(root + "/etc/shadow", [root]) == "/etc/shadow"
    assert image_path(root, [root]) == "/"
    assert image_path("/etc/passwd", [root]) == "/etc/passwd"
    # not in a root filesystem: from the first extraction directory on
    other = "/srv/work/extract/fw.bin_extract/512-957610.lzma_extract/lzma.uncompressed"
    assert image_path(other) == "/fw.bin_extract/512-957610.lzma_extract/lzma.uncompressed"
    assert image_path("/tmp/assay-abcd1234/extract.log") == "/extract.log"
    assert image_path("fw.bin_extract/x") == "fw.bin_extract/x"


def test_problem_text_is_one_line_without_traceback_or_server_paths() -> None:
    message = (
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3/dist-packages/unblob/x.py", line 3, in f\n'
        "    raise ValueError(path)\n"
        "ValueError: cannot read /tmp/assay-abcd1234/extract/fw.bin_extract/a.bin\n"
    )
    shown = problem_text(message)
    assert shown == "ValueError: cannot read /fw.bin_extract/a.bin"
    assert problem_text("gzip: bad\x1b[2J header") == "gzip: bad\\x1b[2J header"
    # unblob's report holds a whole traceback, which the extractor cuts at 300 characters
    cut = (
        "unblob error: Traceback (most recent call last):\n"
        '  File "/work/main/.venv/lib/python3.11/site-packages/unblob/processing.py", line 9'
    )
    assert problem_text(cut) == "unblob error: an internal error (traceback cut)"


# what an image can put in a string: ordinary, escaped-looking and unsafe characters alike
_CHARS = ["a", "\\", "b", "f", "r", "u", "0", "\t", "\n", '"', "é", "固", "\u2019", *_ODD_CHARS]


@dataclass(frozen=True)
class _Node:
    text: str
    _hidden: str  # orjson leaves out such fields itself: the check must not
    children: tuple[Any, ...] = ()
    extra: dict[Any, Any] = field(default_factory=dict)


def _reference(value: Any) -> Any:
    """What clean_model must give: every string cleaned (newlines kept), shapes kept."""
    if isinstance(value, str):
        return clean(value, multiline=True)
    if isinstance(value, dict):
        return {_reference(k): _reference(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_reference(v) for v in value)
    if isinstance(value, _Node):
        return _Node(*(_reference(getattr(value, f.name)) for f in fields(value)))
    return value


_texts = st.text(alphabet=st.sampled_from(_CHARS), max_size=6)
_leaves = _texts | st.integers() | st.floats(allow_nan=False) | st.none() | st.booleans()
_trees = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(_texts | st.integers(), inner, max_size=4)
        | st.builds(_Node, _texts, _texts, st.tuples(inner), st.dictionaries(_texts, inner))
    ),
    max_leaves=12,
)


@given(_trees)
@settings(max_examples=400, deadline=None)
def test_clean_model_fast_check_never_skips_an_unsafe_string(tree: Any) -> None:
    """The check that lets clean_model skip a clean subtree (its JSON, searched in C) finds
    every unsafe character wherever it sits: keys, values, tuples, a field named with _."""
    cleaned = clean_model(tree)
    assert cleaned == _reference(tree)
    assert type(cleaned) is type(tree)
    if _reference(tree) == tree:
        assert cleaned is tree  # nothing to clean: the very same object, nothing copied


@pytest.mark.parametrize("char", _ODD_CHARS)
def test_clean_model_finds_each_unsafe_character_deep_inside(char: str) -> None:
    deep = {"a": [{"b": ("ok", f"x{char}y")}], "c": _Node("t", "h")}
    cleaned = clean_model(deep)
    assert cleaned["a"][0]["b"][1] == clean(f"x{char}y", multiline=True) != f"x{char}y"
    assert cleaned["c"] is deep["c"]
    assert clean_model(_Node("t", f"h{char}"))._hidden == clean(f"h{char}", multiline=True)
    # an escaped-looking but ordinary text is left as it is
    ordinary = {"k": "C:\\bin\\u0041\\r", "t": "tab\tnew\nline"}
    assert clean_model(ordinary) is ordinary
