"""Device lists: one device a row, with a MAC address and optionally its product and zone.

Accepts comma- or tab-separated text with a header (``name,mac,product,zone,vendor``) and the
UNSW testbed's list (name, MAC, wired/wireless, tab-aligned). A row whose MAC equals an
earlier row's is recorded as a problem (the same box listed twice). The row whose name says
"gateway" (or the ``device`` option) is the gateway every device hangs off, and the uplink.
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
    text = path.read_text("utf-8", errors="replace")
    zone = str(options.get("zone", ""))
    rows = _rows(text)
    gateway = str(options.get("device", "")) or next(
        (mac for name, mac, _ in rows if "gateway" in name.lower()), "gateway"
    )
    by_mac: dict[str, str] = {}
    for name, mac, extra in rows:
        if mac in by_mac:
            env.problems.append(f"{path.name}: {name} shares MAC {mac} with {by_mac[mac]}")
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
