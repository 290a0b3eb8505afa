"""SPDX 3 JSON-LD checked by the SPDX project's bindings (``spdx-python-model``).

Assay writes SPDX 3 as plain data; :func:`check` has the bindings read a document, encode
what they read again (their encoder refuses a missing required property, a wrong type or a
value out of its range) and asserts that the graph they write is the graph Assay wrote, node
for node. It returns the objects read, for the tests to look into.
"""

from __future__ import annotations

import io
import json
from typing import Any


def check(text: str) -> Any:
    from spdx_python_model import v3_0_1 as spdx

    written = json.loads(text)
    assert written["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.BytesIO(text.encode()), objects)
    encoded = spdx.JSONLDSerializer().serialize_data(objects)
    assert encoded["@context"] == written["@context"]
    assert _nodes(encoded) == _nodes(written)
    return objects


def _nodes(document: dict[str, Any]) -> dict[str, Any]:
    nodes = {n.get("spdxId", n.get("@id")): n for n in document["@graph"]}
    assert len(nodes) == len(document["@graph"]), "every node has its own id"
    return nodes
