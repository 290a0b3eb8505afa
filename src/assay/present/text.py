"""Text from an image is hostile: the one place that makes it safe to show.

Every renderer passes strings that came from an image (versions, names, paths, excerpts,
problem messages) through :func:`clean` before they reach a terminal, an XML/SVG/HTML document
or a Markdown file:

- control characters (C0, DEL, C1: ESC and CSI start terminal sequences, BEL ends OSC ones),
  lone surrogates (undecodable bytes of a file name), the XML non-characters U+FFFE/U+FFFF and
  the bidirectional overrides are *escaped* as visible text (``\\x1b``, ``\\u202e``), so nothing
  can drive a terminal, break XML or reorder what a reader sees, and the reader still sees that
  the image holds something odd;
- tab and newline become spaces on one-line fields (``multiline=False``, the default).

:func:`image_path` and :func:`problem_text` keep the server out of the outputs: paths under the
work directory are shown relative to the image root, tracebacks are cut to their last line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import fields, is_dataclass, replace
from enum import Enum
from typing import Any, TypeVar, cast

import orjson
from rich.markup import escape as _rich_escape

T = TypeVar("T")
# characters never shown raw: C0 but tab/newline, DEL, C1, surrogates, U+FFFE/F, bidi controls
_ODD = "\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f{_ODD}]")
_UNSAFE_LINE = re.compile(f"[\x00-\x1f{_ODD}]")
# a C0 control in orjson's output (tab and newline are allowed; an escaped backslash before
# b, f, r or u00 matches too, and the walk then decides); the other characters are raw UTF-8
_UNSAFE_ESCAPE = re.compile(rb"\\(?:[bfr]|u00)")
_ASCII = bytes(range(0x7F))
# an unblob extraction directory (``firmware.bin_extract``) starts the part of a path we show
_EXTRACT_PART = re.compile(r"(?:/[^/\s'\"]+)*?(/[^/\s'\"]+_extract(?=[/\s'\"]|$))")
# a temporary work directory made by ``assay scan`` (tempfile's ``assay-`` + 8 characters)
_WORK_DIR = re.compile(r"^(?:/[^/\s'\"]+)*/assay-[A-Za-z0-9_]{8}(?=/)")
_TRACEBACK = "Traceback (most recent call last)"


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in "\t\n":
        return " "
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(value: Any, *, multiline: bool = False) -> str:
    """``value`` as text that is safe in any output (see the module docstring)."""
    text = value if isinstance(value, str) else str(value)
    pattern = _UNSAFE if multiline else _UNSAFE_LINE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


def clean_tree(value: Any) -> Any:
    """A copy of a JSON-like document with every string (keys included) cleaned; newlines
    are kept. For outputs whose format cannot carry control characters at all (XML)."""
    if isinstance(value, str):
        return clean(value, multiline=True)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: clean_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_tree(v) for v in value]
    return value


def clean_model(value: T) -> T:
    """A copy of a model object (``Assessment``, ``Component``...; frozen dataclasses,
    tuples, lists, dicts) with every string cleaned as :func:`clean_tree` cleans them."""
    return cast(T, _clean_any(value, check=False))


def _clean_any(value: Any, check: bool = True) -> Any:
    """``value`` cleaned; the very same object when nothing in it needed cleaning (most
    documents: then the walk allocates nothing). A dict or dataclass that :func:`_safe`
    finds clean is not walked; the top one is not asked (its records are: one string to
    clean in a record would otherwise have the whole document written twice)."""
    if isinstance(value, str):
        return clean(value, multiline=True) if _UNSAFE.search(value) else value
    if isinstance(value, Enum | int | float | bool) or value is None:
        return value
    walked = isinstance(value, dict) or (is_dataclass(value) and not isinstance(value, type))
    if walked and check and _safe(value):
        return value
    if isinstance(value, dict):
        items = [(_clean_any(k), _clean_any(v)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, value.items(), strict=True)):
            return value
        return dict(items)
    if isinstance(value, list | tuple):
        cleaned = [_clean_any(v) for v in value]
        if all(a is b for a, b in zip(cleaned, value, strict=True)):
            return value
        return cleaned if isinstance(value, list) else tuple(cleaned)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in fields(value):
            old = getattr(value, f.name)
            new = _clean_any(old)
            if new is not old:
                changes[f.name] = new
        return replace(value, **changes) if changes else value
    return value


def _safe(value: Any) -> bool:
    """Whether no string in ``value`` (a tree of dicts, lists, tuples and dataclasses) needs
    cleaning, told from its compact JSON by orjson and a few passes in C over those bytes:
    the walk in Python took ~40 ms for the 97,000 values of the WR703N's assessment, this
    ~3 ms. False also when that cannot be told (a lone surrogate, a key that is not a string,
    a type orjson does not write): the walk then decides, value by value."""
    try:  # a dataclass as all its attributes (orjson's own leaves out those named with _)
        data = orjson.dumps(value, default=vars, option=orjson.OPT_PASSTHROUGH_DATACLASS)
    except TypeError:  # orjson.JSONEncodeError is one
        return False
    if _UNSAFE_ESCAPE.search(data):
        return False
    beyond_ascii = data.translate(None, _ASCII).decode()  # whole characters, DEL included
    return _UNSAFE.search(beyond_ascii) is None


def terminal(value: Any) -> str:
    """Text for ``rich`` console output: cleaned and with rich markup (``[bold]``) escaped."""
    return _rich_escape(clean(value))


def image_path(path: str, roots: Iterable[str] = ()) -> str:
    """A path as shown to people: inside the image when it lies under one of the ``roots``
    (the root filesystems as listed in ``facts["rootfs"]``), else from the first extraction
    directory on (``/firmware.bin_extract/...``), never the server's work directory."""
    text = clean(path)
    for root in sorted((r for r in roots if r and r != "/"), key=len, reverse=True):
        at = text.find(root.rstrip("/"))
        if at >= 0:
            rest = text[at + len(root.rstrip("/")) :]
            if not rest or rest.startswith("/"):
                return rest or "/"
    if not text.startswith("/"):
        return text
    shown = _EXTRACT_PART.sub(r"\1", text, count=1)
    return shown if shown != text else _WORK_DIR.sub("", text)


def problem_text(message: str, roots: Iterable[str] = ()) -> str:
    """A problem message in one line: a traceback is replaced by the error it ends with (or,
    cut before its end, by "traceback cut"), and paths under the work directory are shown as
    :func:`image_path` shows them; source paths of a traceback never appear."""
    lines = [line for line in message.splitlines() if line.strip()]
    at = next((n for n, line in enumerate(lines) if _TRACEBACK in line), -1)
    if at >= 0:
        prefix = lines[at].split(_TRACEBACK, 1)[0].strip()
        body = lines[at + 1 :]
        errors = [line for line in body if not line.startswith((" ", "\t"))]
        ending = errors[-1].strip() if errors else "an internal error (traceback cut)"
        lines = [f"{prefix} {ending}".strip()]
    text = clean(" ".join(line.strip() for line in lines))
    roots = list(roots)
    return re.sub(r"/[^\s'\"]+", lambda m: image_path(m.group(), roots), text)
