"""Read an environment: the plain YAML/JSON format, validated against its schema.

A device's inventory comes from an ``assessment`` (an ``assessment.json`` Assay wrote), a
``registry`` reference (``SLUG@VERSION``, resolved by the caller's ``resolve`` function, so that
this module does not need the registry), a CycloneDX ``sbom``, or inline ``components`` and
``vulnerabilities``. ``import`` entries merge other formats (GraphML, Zigbee2MQTT, MUD, device
lists, Brick) through the importers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from assay.environment.inventory import from_assessment, from_sbom
from assay.environment.model import Device, Environment, Finding, Function, Link, Node, Service
from assay.environment.model import Zone as ZoneT
from assay.errors import InputError

MAX_BYTES = 16 * 1024 * 1024
Resolver = Callable[[str], tuple[tuple[tuple[str, str], ...], tuple[Finding, ...]]]


@cache
def schema() -> dict[str, Any]:
    text = (resources.files("assay.environment") / "environment.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def load(path: str | Path, resolve: Resolver | None = None) -> Environment:
    """The environment described by ``path`` (raises ``InputError`` naming the first problem)."""
    path = Path(path)
    return build(read_valid(path), path.parent, resolve)


def read_valid(path: Path) -> dict[str, Any]:
    """The document at ``path``, checked against the schema (``InputError`` on the first
    problem, with where it is)."""
    data = read_document(path)
    errors = sorted(
        Draft202012Validator(schema(), format_checker=FormatChecker()).iter_errors(data),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top)"
        raise InputError(
            f"environment {path.name}: {where}: {errors[0].message}",
            "see docs/environment.md for the format",
        )
    document: dict[str, Any] = data
    return document


def read_document(path: Path) -> Any:
    """YAML or JSON from ``path``, bounded in size, depth and aliases (``assay.safeload``)."""
    from assay.safeload import load_yaml, read_file

    return load_yaml(
        read_file(path, path.name, max_bytes=MAX_BYTES),
        f"environment {path.name}",
        hint="see docs/environment.md for the format",
        max_bytes=MAX_BYTES,
    )


def build(data: dict[str, Any], base: Path, resolve: Resolver | None = None) -> Environment:
    """Turn a validated document into an ``Environment``."""
    env = Environment(name=str(data.get("name", "")))
    for z in data.get("zones", []):
        env.zones[z["id"]] = ZoneT(z["id"], z.get("name", ""), z.get("site", ""))
    for f in data.get("functions", []):
        env.functions[f["id"]] = Function(
            f["id"], f.get("name", ""), f.get("criticality", "medium")
        )
    for s in data.get("services", []):
        env.services[s["id"]] = Service(
            s["id"], s.get("endpoint", ""), s.get("kind", "cloud"), s.get("provider", "")
        )
    for n in data.get("nodes", []):
        env.nodes[n["id"]] = Node(
            n["id"],
            n.get("kind", "switch"),
            n.get("name", ""),
            n.get("zone", ""),
            n.get("vendor", ""),
        )
    copies: dict[str, list[str]] = {}
    for d in data.get("devices", []):
        device = _device(d, base, resolve)
        count = int(d.get("count", 1))
        ids = [device.id] if count == 1 else [f"{device.id}-{i}" for i in range(1, count + 1)]
        copies[device.id] = ids
        for vid in ids:
            env.devices[vid] = replace(device, id=vid)
    for item in data.get("links", []):
        a, b, kind = (
            (item[0], item[1], "ethernet")
            if isinstance(item, list)
            else (item["a"], item["b"], item.get("kind", "ethernet"))
        )
        env.links.extend(Link(x, y, kind) for x in copies.get(a, [a]) for y in copies.get(b, [b]))
    env.uplinks = tuple(data.get("uplinks", []))
    for entry in data.get("import", []):
        from assay.environment.importers import merge_import

        merge_import(env, entry["format"], base / entry["path"], entry)
    _check_references(env)
    return env


def _device(d: dict[str, Any], base: Path, resolve: Resolver | None) -> Device:
    components: tuple[tuple[str, str], ...] = tuple(
        (c["name"], str(c.get("version", ""))) for c in d.get("components", [])
    )
    findings: tuple[Finding, ...] = tuple(
        Finding(v["id"], v.get("component", ""), bool(v.get("kev")), v.get("severity", "unknown"))
        for v in d.get("vulnerabilities", [])
    )
    source = "inline"
    meta: dict[str, str] = {}
    if "assessment" in d:
        source = d["assessment"]
        components, findings, meta = from_assessment(_inside(base, d["assessment"]))
    elif "sbom" in d:
        source = d["sbom"]
        components, findings = from_sbom(_inside(base, d["sbom"]))
    elif "registry" in d:
        source = d["registry"]
        if resolve is None:
            raise InputError(
                f"device {d['id']}: refers to the registry ({d['registry']})",
                "give --registry URL so registered firmware can be looked up",
            )
        components, findings = resolve(d["registry"])
    support = d.get("support_end") or meta.get("support_end")
    return Device(
        id=d["id"],
        name=d.get("name", ""),
        zone=d.get("zone", ""),
        vendor=d.get("vendor") or meta.get("vendor", ""),
        product=d.get("product") or meta.get("product", ""),
        source=source,
        components=components,
        findings=findings,
        functions=tuple(d.get("functions", [])),
        services=tuple(d.get("services", [])),
        support_end=dt.date.fromisoformat(support) if support else None,
    )


def _inside(base: Path, rel: str) -> Path:
    path = (base / rel).resolve()
    if not path.is_file():
        raise InputError(f"cannot read {rel} (relative to {base})", "check the path in the file")
    return path


def _check_references(env: Environment) -> None:
    known = env.vertex_ids()
    for link in env.links:
        for end in (link.a, link.b):
            if end not in known:
                raise InputError(
                    f"link {link.a} - {link.b}: {end!r} is neither a device nor a node",
                    "declare it under devices or nodes",
                )
    for up in env.uplinks:
        if up not in known:
            raise InputError(f"uplink {up!r} is neither a device nor a node", "declare it")
    for device in env.devices.values():
        for sid in device.services:
            if sid not in env.services:
                env.services[sid] = Service(sid, sid)
        if device.zone and device.zone not in env.zones:
            env.zones[device.zone] = ZoneT(device.zone, device.zone)


def add_link(env: Environment, a: str, b: str, kind: str) -> None:
    """Add a link once (importers may see both directions)."""
    env.links.append(Link(a, b, kind))


def ensure_node(env: Environment, node: Node) -> None:
    env.nodes.setdefault(node.id, node)
