"""A Zigbee2MQTT network map (``bridge/response/networkmap``, raw form), with the bridge's
device list when it lies beside it (``onConnect.json`` or a ``bridge/devices`` message).

The coordinator becomes the uplink; routers and end devices become devices, each with its
vendor, model and firmware build as a component (the firmware is what a vulnerability would
be matched against). A device listed with no link in the map is recorded as unreachable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assay.environment.model import Device, Environment, Link, Node
from assay.errors import InputError


def merge(env: Environment, path: Path, options: dict[str, Any]) -> None:
    value = _map(_read(path), path)
    zone = str(options.get("zone", ""))
    known = _bridge_devices(path.parent / "onConnect.json")
    linked: set[str] = set()
    coordinator = ""
    for node in value.get("nodes", []):
        ieee = str(node.get("ieeeAddr", ""))
        kind = str(node.get("type", ""))
        if kind == "Coordinator":
            coordinator = ieee
            env.nodes[ieee] = Node(ieee, "coordinator", "Zigbee coordinator", zone)
            continue
        definition = node.get("definition") or {}
        extra = known.get(ieee, {})
        build = str(extra.get("software_build_id") or extra.get("date_code") or "")
        model = str(definition.get("model") or extra.get("model_id") or "")
        vendor = str(definition.get("vendor") or extra.get("manufacturer") or "")
        env.devices[ieee] = Device(
            id=ieee,
            name=str(node.get("friendlyName") or ieee),
            zone=zone,
            vendor=vendor,
            product=model,
            source=path.name,
            components=((f"{vendor} {model} firmware".strip(), build),) if model else (),
        )
    seen: set[frozenset[str]] = set()
    for link in value.get("links", []):
        a = str(link.get("sourceIeeeAddr") or (link.get("source") or {}).get("ieeeAddr", ""))
        b = str(link.get("targetIeeeAddr") or (link.get("target") or {}).get("ieeeAddr", ""))
        if not a or not b or a == b or frozenset((a, b)) in seen:
            continue
        seen.add(frozenset((a, b)))
        linked.update((a, b))
        env.links.append(Link(a, b, "zigbee"))
    for ieee, device in env.devices.items():
        if device.source == path.name and ieee not in linked:
            env.problems.append(f"{path.name}: {device.label} has no link in the network map")
    if coordinator:
        env.uplinks = (*env.uplinks, coordinator)


def _map(doc: Any, path: Path) -> dict[str, Any]:
    value = doc
    for key in ("payload", "data", "value"):
        if isinstance(value, dict) and key in value:
            value = value[key]
    if not isinstance(value, dict) or "nodes" not in value:
        raise InputError(
            f"{path.name}: not a Zigbee2MQTT raw network map",
            "give the bridge/response/networkmap message (type raw)",
        )
    return value


def _bridge_devices(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    doc = _read(path)
    messages = doc if isinstance(doc, list) else [doc]
    for message in messages:
        if isinstance(message, dict) and message.get("topic") == "bridge/devices":
            return {
                str(d.get("ieee_address")): d
                for d in message.get("payload", [])
                if isinstance(d, dict)
            }
    return {}


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as err:
        raise InputError(f"{path.name}: not readable JSON", "give the file as saved") from err
