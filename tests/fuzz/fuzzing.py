"""Strategies shared by the fuzz tests: hostile scalars, JSON-like values in a format's own
vocabulary, and mutations of real documents."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

# Scalars a hostile document would use: odd numbers, odd text, very long text.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["", "CVE-2024-0001", "cpe:2.3:a:openssl:openssl:1.0.1:*:*:*:*:*:*:*",
                     "pkg:deb/debian/openssl@1.0.1", "2024-01-01T00:00:00Z", "9" * 5000,
                     "\x00\x1b[2J"]),
)  # fmt: skip


def json_values(keys: list[str], max_leaves: int = 30) -> st.SearchStrategy[Any]:
    """JSON-like values whose mapping keys are mostly the format's own vocabulary."""
    key = st.one_of(st.sampled_from(keys), st.text(max_size=8))
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=5)
        ),
        max_leaves=max_leaves,
    )


@st.composite
def mutated(draw: st.DrawFn, seed: Any, keys: list[str]) -> Any:
    """A copy of ``seed`` with a few values, somewhere in it, replaced by hostile ones."""
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        node, parent_key, parent = doc, None, None
        while isinstance(node, dict | list) and node and draw(st.booleans()):
            index = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else
                                         list(range(len(node)))))  # fmt: skip
            parent, parent_key, node = node, index, node[index]
        replacement = draw(json_values(keys, max_leaves=8))
        if parent is None:
            doc = replacement
        elif draw(st.booleans()) or not isinstance(parent, dict):
            parent[parent_key] = replacement
        else:
            del parent[parent_key]
    return doc
