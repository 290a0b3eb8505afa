"""Bounded YAML and JSON loading for every document that comes from outside.

A hostile document can be tiny and still cost gigabytes: a YAML alias bomb (anchors that alias
anchors) expands exponentially when walked, and deep nesting makes recursive code fail with
``RecursionError``. These loaders refuse such documents before anything walks them:

* **size**: the text is refused above ``max_bytes``;
* **depth**: YAML nodes are counted while they are composed, JSON containers after parsing
  (orjson itself stops at 1024 levels);
* **aliases**: at most ``max_aliases`` alias uses, no alias that contains itself, and the
  document *as expanded* (every alias counted as a copy) holds at most ``max_nodes`` nodes.

Every refusal and every syntax error is raised as ``error(message, hint)`` with a one-line
message naming the document: ``InputError`` (exit 3) for documents, ``FeedError`` (exit 5)
for feeds. The YAML loader is PyYAML's safe loader (plain data only), composed by hand so
the limits apply before any Python object is built.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from assay.errors import AssayError, InputError

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 1000
MAX_NODES = 1_000_000
_HINT = "give a well-formed document"
REFUSED_HINT = "ordinary documents need neither deep nesting nor aliases of aliases; fix the file"


class _Refused(Exception):
    """A limit was hit while composing (turned into the caller's error class)."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that counts nesting and aliases while composing nodes."""

    def __init__(self, text: str, max_depth: int, max_aliases: int) -> None:
        super().__init__(text)
        self.max_depth, self.max_aliases = max_depth, max_aliases
        self.depth = self.aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > self.max_aliases:
                raise _Refused(f"uses more than {self.max_aliases} YAML aliases")
        self.depth += 1
        try:
            if self.depth > self.max_depth:
                raise _Refused(f"is nested deeper than {self.max_depth} levels")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def expanded_size(root: Node, limit: int) -> int:
    """How many nodes the tree under ``root`` holds with every alias expanded, computed
    without expanding (each shared node is sized once); stops early above ``limit``.
    Raises ``_Refused`` for an alias that contains itself."""
    size: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            total = 1 + sum(size[id(c)] for c in _children(node))
            size[key] = total
            if total > limit:
                return total
            continue
        if key in size:
            continue
        if key in active:
            raise _Refused("holds a YAML alias that contains itself")
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)
    return size[id(root)]


def _text(data: str | bytes, what: str, error: type[AssayError], max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise error(f"{what} is larger than {max_bytes // 1024} KiB", "is it the right file?")
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"{what} is not UTF-8 text", "save it as UTF-8") from None


def load_yaml(
    data: str | bytes,
    what: str,
    *,
    error: type[AssayError] = InputError,
    kind: str = "YAML",
    hint: str = _HINT,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_aliases: int = MAX_ALIASES,
    max_nodes: int = MAX_NODES,
) -> Any:
    """The plain data of one YAML document (JSON is YAML too), within the limits; ``what``
    names the document in messages (``declaration d.yaml``)."""
    text = _text(data, what, error, max_bytes)
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text, max_depth, max_aliases)  # it rejects control characters
        node = loader.get_single_node()
        if node is None:
            return None
        if loader.aliases and expanded_size(node, max_nodes) > max_nodes:
            raise _Refused(f"expands to more than {max_nodes} nodes through YAML aliases")
        return loader.construct_document(node)
    except _Refused as refused:
        raise error(f"{what} {refused} (refused as unsafe)", REFUSED_HINT) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or ""
        detail = f": {problem}" if problem else ""
        raise error(f"{what} is not valid {kind}{at}{detail}", hint) from None
    except (ValueError, TypeError, RecursionError) as err:  # a 5000-digit number, a bad date
        reason = _first_line(err)
        raise error(f"{what} holds a value that cannot be read ({reason})", hint) from None
    finally:
        if loader is not None:
            loader.dispose()


def load_json(
    data: str | bytes | bytearray | memoryview,
    what: str,
    *,
    error: type[AssayError] = InputError,
    hint: str = _HINT,
    max_bytes: int = MAX_BYTES,
    max_depth: int | None = MAX_DEPTH,
) -> Any:
    """The data of one JSON document, within the limits (``max_depth=None``: orjson's own
    limit of 1024 levels only, for big feeds where a second walk would cost seconds)."""
    if len(data) > max_bytes:
        raise error(f"{what} is larger than {max_bytes // 1024} KiB", "is it the right file?")
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as err:
        if "depth limit" in str(err):
            refused = f"{what} is nested deeper than 1024 levels (refused as unsafe)"
            raise error(refused, REFUSED_HINT) from None
        raise error(
            f"{what} is not JSON (line {err.lineno} column {err.colno}: {err.msg})", hint
        ) from None
    if max_depth is not None and depth(value, max_depth) > max_depth:
        refused = f"{what} is nested deeper than {max_depth} levels (refused as unsafe)"
        raise error(refused, REFUSED_HINT)
    return value


def plain(value: Any) -> Any:
    """YAML data made JSON-ready: dates and datetimes as ISO text, mapping keys as text,
    tuples and sets as lists (depth is already bounded by the loader)."""
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):  # !!binary
        return value.decode("latin-1")
    return value


def depth(value: Any, limit: int) -> int:
    """The nesting depth of parsed data (a scalar is 0), stopping early above ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level) for child in item if isinstance(child, dict | list))
    return deepest


def read_file(
    path: Path, what: str, *, error: type[AssayError] = InputError, max_bytes: int = MAX_BYTES
) -> bytes:
    """The bytes of a regular file, refused above ``max_bytes`` without reading more (a device
    or a FIFO is refused: ``/dev/zero`` never ends)."""
    try:
        if not path.is_file():
            missing = not path.exists()
            problem = "does not exist" if missing else "is not a regular file"
            raise error(f"{what} {problem}", "check the path")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise error(f"{what} cannot be read ({err.strerror})", "check the path") from None
    if len(data) > max_bytes:
        raise error(f"{what} is larger than {max_bytes // 1024} KiB", "is it the right file?")
    return data


def _first_line(err: BaseException) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:160]


def packaged_yaml(text: str | bytes) -> Any:
    """YAML that ships inside the package (signatures, norms, rules): trusted, so read with
    libyaml's fast safe loader when PyYAML was built with it, and without the bounds that
    outside input gets."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
