"""``present.text``: the one helper every renderer uses for strings from an image."""

from __future__ import annotations

from dataclasses import dataclass

from assay.model.check import Evidence, Finding, Verdict
from assay.present.text import clean, clean_model, clean_tree, image_path, problem_text, terminal


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
