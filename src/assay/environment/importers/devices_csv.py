"""Device lists: one device a row, with a MAC address and optionally its product and zone.

Accepts comma- or tab-separated text with a header (``name,mac,product,zone,vendor``) and the
UNSW testbed's list (name, MAC, wired/wireless, tab-aligned). Two rows with one MAC are a
device seen only through its hub (the one named hub, bridge or gateway): it hangs off the
hub. The row whose name says "gateway" (or the ``device`` option) is the gateway every device
hangs off, and the uplink.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from assay.environment.model import Device, Environment, Link, Node

MAC = re.compile(r"\b([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})\b")


def merge(env: Environment, path: Path, options: dict[str, Any]) -> None:
    merge_text(env, path.read_text("utf-8", errors="replace"), path.name, options)


def merge_text(env: Environment, text: str, source: str, options: dict[str, Any]) -> None:
    """``merge`` of a list already read (other importers hand their lists here)."""
    zone = str(options.get("zone", ""))
    rows = _rows(text)
    gateway = str(options.get("device", "")) or next(
        (mac for name, mac, _ in rows if "gateway" in name.lower()), "gateway"
    )
    by_mac: dict[str, str] = {}
    for name, mac, extra in rows:
        if mac in by_mac:
            _behind_hub(env, by_mac[mac], name, mac, zone, source)
            continue
        by_mac[mac] = name
        if mac == gateway:
            env.nodes[mac] = Node(mac, "gateway", name, zone, extra.get("vendor", ""))
            continue
        env.devices.setdefault(
            mac,
            Device(
                id=mac,
                name=name,
                zone=extra.get("zone") or zone,
                vendor=extra.get("vendor", ""),
                product=extra.get("product", ""),
            ),
        )
        env.links.append(Link(mac, gateway, "lan"))
    if gateway not in env.vertex_ids():
        env.nodes[gateway] = Node(gateway, "gateway", gateway, zone)
    if not env.uplinks:
        env.uplinks = (gateway,)


HUB = re.compile(r"hub|bridge|gateway|link\b|base", re.I)


def _behind_hub(env: Environment, first: str, name: str, mac: str, zone: str, source: str) -> None:
    """Two rows with one MAC: a device seen only through its hub (a Zigbee door sensor behind
    its home hub). The row whose name says hub, bridge or gateway is the hub; the other is a
    device of its own, reached only through it."""
    hub_first = bool(HUB.search(first)) or not HUB.search(name)
    hub_name, dependent = (first, name) if hub_first else (name, first)
    did = f"{mac}/{dependent}"
    if not hub_first:  # the device was registered under the MAC: the MAC is the hub's
        moved = env.devices.pop(mac)
        env.devices[did] = Device(id=did, name=dependent, zone=moved.zone, vendor=moved.vendor)
        env.devices[mac] = Device(id=mac, name=hub_name, zone=moved.zone)
    else:
        env.devices[did] = Device(id=did, name=dependent, zone=zone)
    env.links.append(Link(did, mac, "behind-hub"))
    env.problems.append(
        f"{source}: {dependent} shares MAC {mac} with {hub_name}: reached only through {hub_name}"
    )


def _rows(text: str) -> list[tuple[str, str, dict[str, str]]]:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines and "," in lines[0] and "mac" in lines[0].lower():
        reader = csv.DictReader(io.StringIO("\n".join(lines)))
        out = []
        for row in reader:
            low = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if low.get("mac") and low.get("name"):
                out.append((low["name"], low["mac"].lower(), low))
        return out
    out = []
    for line in lines:
        found = MAC.search(line)
        if not found:
            continue  # header or blank
        name = line[: found.start()].strip()
        if name:
            out.append((name, found.group(1).lower(), {}))
    return out
