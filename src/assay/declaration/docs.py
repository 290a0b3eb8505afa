"""Render the declaration's field reference (``docs/declaration.md`` is this output, kept in
sync by a test): ``python -m assay.declaration.docs > docs/declaration.md``."""

from __future__ import annotations

from typing import Any

from assay.declaration.loader import schema
from assay.norms.catalog import load_catalog, referenced

HEADER = """# The manufacturer's declaration

Generated from `schema/declaration.schema.json` by `python -m assay.declaration.docs`; do not
edit by hand.

A firmware image cannot show who makes the product, until when it gets security updates, how to
report a vulnerability, what personal data it handles or which sensors it has. The declaration
is a short YAML (or JSON) file with those facts. Without it, the requirements that depend on
them are reported as **NEEDS_DECLARATION**, never as passed.

```sh
assay declaration init --out declaration.yaml   # a commented template
assay declaration check declaration.yaml        # one line per problem, naming the field
assay declaration check security.txt            # an RFC 9116 file on its own
assay scan IMAGE --declaration declaration.yaml
```

From Python: `assay.declaration.load(path) -> dict` (raises `InputError` naming the first bad
field), `assay.declaration.check(path)` (every problem), `assay.declaration.parse_security_txt`.

Rules worth knowing:

- Only `schema_version`, `manufacturer` and `product` are required; leave out what you do not
  know rather than guessing. An empty list (`sensors: []`, `special_categories: []`) is an
  answer: "none".
- Dates are `YYYY-MM-DD`; web addresses are `https://`; contacts are `mailto:`, `https://` or
  `tel:` URIs (as in security.txt).
- `vulnerability_disclosure.security_txt` may name a real security.txt file (path relative to
  the declaration). Its Contact, Expires, Policy, Encryption, Preferred-Languages, Canonical,
  Acknowledgments, Hiring and CSAF fields fill the disclosure section where it is silent. What
  is wrong with the file under RFC 9116 (no Contact, no or a passed Expires, a contact that is
  not a URI, http:// links) is reported as a finding and makes EN 303 645 5.2-1 and CRA II(6)
  fail. A security.txt alone does not satisfy UK PSTI: it asks for the acknowledgement and
  status-update timelines too.
- `statements` hold the manufacturer's word per requirement (`met`, `not-met`,
  `not-applicable`, with an explanation and optionally an evidence URL). A `not-met` statement
  makes the requirement FAIL; `not-applicable` is accepted only for conditional or recommended
  requirements. Ids are those of `assay norms list`.
- `data/declarations/openwrt-wr703n.sample.yaml` is a filled-in **sample** for the demo image.

## Hostile documents

Declarations come from outside (the command line and registry uploads), so they are read by
`assay.safeload`, the bounded loader every YAML or JSON document from outside goes through
(declarations, assessments, VEX/CSAF files, OSV YAML feeds). It refuses, with one line and
exit 3, before anything walks the document: more than 1 MiB (declarations), nesting deeper
than 64 levels, more than 1000 YAML aliases, an alias that contains itself, and aliases that
would expand the document past a million nodes. A 340-byte "billion laughs" file (nine
anchors of nine aliases each) is refused in a few milliseconds and under 50 MB; before, it
grew `assay declaration check` to 24 GB. A security.txt named by a declaration is read only
when it is a regular file of at most 64 KiB.

## Fields
"""


def render_markdown() -> str:
    root = schema()
    used = referenced(load_catalog(), "declared")
    for kind in ("declared_true", "declared_false", "declared_any", "declared_future_date"):
        used |= referenced(load_catalog(), kind)
    lines = [HEADER.rstrip("\n"), ""]
    lines += ["| field | type | required | meaning | decides |", "|---|---|---|---|---|"]
    for path, node, required in _walk(root, ""):
        deciders = sorted(u for u in used if u == path or u.startswith(path + "."))
        decides = "yes" if path in used else ("" if not deciders else "(parts)")
        lines.append(
            f"| `{path}` | {_type(node)} | {'yes' if required else ''} "
            f"| {node.get('description', '')} | {decides} |"
        )
    lines += [
        "",
        '"decides" marks fields the norms catalogue reads directly (see docs/norms.md).',
    ]
    return "\n".join(lines) + "\n"


def _walk(node: dict[str, Any], prefix: str) -> list[tuple[str, dict[str, Any], bool]]:
    out = []
    required = set(node.get("required", ()))
    for name, child in (node.get("properties") or {}).items():
        path = f"{prefix}{name}"
        out.append((path, child, name in required))
        if child.get("type") == "object" and "properties" in child:
            out.extend(_walk(child, path + "."))
        items = child.get("items") or {}
        if child.get("type") == "array" and "properties" in items:
            out.extend(_walk(items, path + "[]."))
        extra = child.get("additionalProperties")
        if isinstance(extra, dict) and "properties" in extra:
            out.extend(_walk(extra, path + ".<id>."))
    return out


def _type(node: dict[str, Any]) -> str:
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    kind = node.get("type", "")
    if kind == "array":
        items = node.get("items") or {}
        return "list of " + (_type(items) if items else "values")
    if node.get("format") == "date":
        return "date"
    pattern = node.get("pattern", "")
    if pattern == "^https://":
        return "https URL"
    if pattern.startswith("^(https://|mailto:"):
        return "URI"
    return {"boolean": "true/false", "integer": "whole number", "string": "text"}.get(
        str(kind), str(kind)
    )


if __name__ == "__main__":
    print(render_markdown(), end="")
