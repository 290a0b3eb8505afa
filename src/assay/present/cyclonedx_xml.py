"""CycloneDX XML from the JSON form of the same document (``present.cyclonedx_versions``).

The JSON document is written with its keys in the order of the XML schema's sequences, so
the mapping is mechanical: a list becomes a wrapper element around one element per item
(``components`` → ``<components><component>``), except the few that the XML schema repeats
without a wrapper (an entity's ``url`` and ``contact``, 1.6's ``identity`` evidence, a
dependency's ``dependsOn``); ``bom-ref``, a component's ``type``, a hash's ``alg``, a
property's ``name`` and a dependency's ``ref`` are attributes. The tests validate the result
against the official XML schemas.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

WRAPPED = {
    "components": "component",
    "hashes": "hash",
    "properties": "property",
    "vulnerabilities": "vulnerability",
    "references": "reference",
    "ratings": "rating",
    "cwes": "cwe",
    "advisories": "advisory",
    "affects": "target",
    "versions": "version",
    "occurrences": "occurrence",
    "methods": "method",
    "lifecycles": "lifecycle",
    "authors": "author",
    "tools": "tool",
}
REPEATED = {"url", "contact", "identity"}
ATTRIBUTES = {"bom-ref", "type"}
SKIPPED = {"$schema", "bomFormat", "specVersion", "serialNumber", "version"}


def render_xml(doc: dict[str, Any]) -> str:
    """The XML text of a CycloneDX JSON document (of its own ``specVersion``)."""
    root = ET.Element(
        "bom",
        {
            "xmlns": f"http://cyclonedx.org/schema/bom/{doc['specVersion']}",
            "serialNumber": doc["serialNumber"],
            "version": str(doc["version"]),
        },
    )
    for key, value in doc.items():
        if key in SKIPPED:
            continue
        if key == "dependencies":
            root.append(_dependencies(value))
        else:
            _add(root, key, value)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _add(parent: ET.Element, key: str, value: Any) -> None:
    if isinstance(value, list):
        if key in REPEATED:
            for item in value:
                _add(parent, key, item)
        elif key == "licenses":
            wrapper = ET.SubElement(parent, "licenses")
            for choice in value:
                for name, inner in choice.items():  # {"license": {...}} or {"expression": "..."}
                    _add(wrapper, name, inner)
        else:
            wrapper = ET.SubElement(parent, key)
            for item in value:
                _add(wrapper, WRAPPED[key], item)
    elif isinstance(value, dict):
        if key == "hash":
            ET.SubElement(parent, "hash", alg=value["alg"]).text = value["content"]
        elif key == "property":
            ET.SubElement(parent, "property", name=value["name"]).text = value["value"]
        elif key == "tools" and "components" in value:  # 1.5 and 1.6: tools as components
            _add(ET.SubElement(parent, "tools"), "components", value["components"])
        else:
            attrs = {k: str(v) for k, v in value.items() if k in ATTRIBUTES}
            element = ET.SubElement(parent, key, attrs)
            for name, inner in value.items():
                if name not in ATTRIBUTES:
                    _add(element, name, inner)
    else:
        ET.SubElement(parent, key).text = _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _dependencies(value: list[dict[str, Any]]) -> ET.Element:
    wrapper = ET.Element("dependencies")
    for dependency in value:
        element = ET.SubElement(wrapper, "dependency", ref=dependency["ref"])
        for ref in dependency.get("dependsOn", []):
            ET.SubElement(element, "dependency", ref=ref)
    return wrapper
