"""MUD files (RFC 8520) for manufacturers: write one from what the firmware shows, and hold a
published one against it.

What the firmware shows comes from its assessment: the services it starts and the ports they
listen on (the ``services.*`` findings' evidence), the hosts its update mechanism fetches from
(``updates.channel``), and the cloud endpoints the manufacturer names (``--cloud``). A
generated file allows exactly those, each way, and nothing else; the checker reports what a
published file allows beyond them (an over-broad entry: any destination, any port, a port no
service listens on) and what the firmware does that the file would block.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker

from assay.environment.importers.mud import acl_list

PORT = re.compile(r"(?:port\s+|:)(\d{1,5})\b")
URL = re.compile(r"\b(?:https?|ftp)://[^\s'\"<>]+")
SERVICE_PORTS = {
    "services.telnet": 23,
    "services.ftp": 21,
    "services.tftp": 69,
    "services.upnp": 1900,
    "services.http-admin": 80,
    "services.ssh-root-login": 22,
    "services.ssh-password-auth": 22,
}
UDP_SERVICES = {"services.tftp", "services.upnp"}


@dataclass(frozen=True)
class Flow:
    """One allowed flow: to or from the device, a transport, a port, and the peer."""

    direction: str  # from-device | to-device
    protocol: int  # 6 tcp, 17 udp
    port: int | None
    peer: str  # a DNS name, or "local-networks"
    why: str


@cache
def schema() -> dict[str, Any]:
    text = (resources.files("assay.environment") / "mud.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate(doc: Any) -> list[str]:
    """Every way ``doc`` departs from the RFC 8520 / 8519 JSON shape, one line each."""
    checker = Draft202012Validator(schema(), format_checker=FormatChecker())
    errors = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
        for e in sorted(checker.iter_errors(doc), key=lambda e: list(e.absolute_path))
    ]
    if not errors:
        names = {a.get("name") for a in acl_list(doc)}
        mud = doc["ietf-mud:mud"]
        for policy in ("from-device-policy", "to-device-policy"):
            lists = ((mud.get(policy) or {}).get("access-lists") or {}).get("access-list", [])
            errors.extend(
                f"ietf-mud:mud/{policy}: names ACL {item['name']!r}, which is not defined"
                for item in lists
                if item.get("name") not in names
            )
    return errors


def firmware_flows(assessment: dict[str, Any], cloud: list[str]) -> list[Flow]:
    """The flows the firmware needs: its listening services, its update hosts, the clouds."""
    flows: list[Flow] = []
    for finding in assessment.get("findings", []):
        check = str(finding.get("check") or finding.get("id") or "")
        evidence = finding.get("evidence") or []
        if not evidence:
            continue
        if check in SERVICE_PORTS:
            port = SERVICE_PORTS[check]
            for e in evidence:
                found = PORT.search(f"{e.get('excerpt', '')} {e.get('note', '')}")
                if found and 0 < int(found.group(1)) < 65536:
                    port = int(found.group(1))
                    break
            proto = 17 if check in UDP_SERVICES else 6
            flows.append(
                Flow(
                    "to-device",
                    proto,
                    port,
                    "local-networks",
                    f"{check}: {evidence[0].get('path', '')}",
                )
            )
        elif check == "updates.channel":
            for e in evidence:
                for url in URL.findall(str(e.get("excerpt", ""))):
                    parts = urlsplit(url)
                    if parts.hostname:
                        port = parts.port or (443 if parts.scheme == "https" else 80)
                        flows.append(
                            Flow(
                                "from-device",
                                6,
                                port,
                                parts.hostname,
                                f"updates from {url} ({e.get('path', '')})",
                            )
                        )
    for item in cloud:
        host, _, given = item.partition(":")
        flows.append(
            Flow(
                "from-device",
                6,
                int(given) if given.isdigit() else 443,
                host.lower(),
                "cloud endpoint named by the manufacturer",
            )
        )
    unique: dict[tuple[str, int, int | None, str], Flow] = {}
    for f in flows:  # one flow per peer and port, whatever number of findings show it
        unique.setdefault((f.direction, f.protocol, f.port, f.peer), f)
    return sorted(unique.values(), key=lambda f: (f.direction, f.peer, f.protocol, f.port or 0))


def generate(
    assessment: dict[str, Any], mud_url: str, cloud: list[str], now: dt.datetime | None = None
) -> dict[str, Any]:
    """A MUD file allowing exactly the flows the firmware needs."""
    identity = assessment.get("identity") or {}
    model = " ".join(x for x in (identity.get("vendor"), identity.get("model")) if x)
    flows = firmware_flows(assessment, cloud)
    acls = []
    for direction, suffix in (("from-device", "fr"), ("to-device", "to")):
        aces = [
            _ace(f, i, suffix)
            for i, f in enumerate(fl for fl in flows if fl.direction == direction)
        ]
        acls.append({"name": f"assay-v4{suffix}", "type": "ipv4-acl-type", "aces": {"ace": aces}})
    when = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat()
    return {
        "ietf-mud:mud": {
            "mud-version": 1,
            "mud-url": mud_url,
            "last-update": when,
            "cache-validity": 48,
            "is-supported": bool(assessment.get("declaration")),
            "systeminfo": (model or "device")[:60],
            "mfg-name": str(identity.get("vendor") or ""),
            "model-name": str(identity.get("model") or ""),
            "firmware-rev": str(identity.get("os_version") or ""),
            "from-device-policy": {"access-lists": {"access-list": [{"name": "assay-v4fr"}]}},
            "to-device-policy": {"access-lists": {"access-list": [{"name": "assay-v4to"}]}},
        },
        "ietf-access-control-list:acls": {"acl": acls},
    }


def _ace(flow: Flow, index: int, suffix: str) -> dict[str, Any]:
    transport = "tcp" if flow.protocol == 6 else "udp"
    ports: dict[str, Any] = {"ietf-mud:direction-initiated": flow.direction}
    if flow.port is not None:
        ports["destination-port"] = {"operator": "eq", "port": flow.port}
    matches: dict[str, Any] = {"ipv4": {"protocol": flow.protocol}, transport: ports}
    if flow.peer == "local-networks":
        matches["ietf-mud:mud"] = {"local-networks": [None]}
    else:
        matches["ipv4"]["ietf-acldns:dst-dnsname"] = flow.peer
    return {"name": f"ace{index}-{suffix}", "matches": matches, "actions": {"forwarding": "accept"}}


def check(
    mud: dict[str, Any], assessment: dict[str, Any], cloud: list[str]
) -> list[dict[str, Any]]:
    """What a published MUD file allows beyond what the firmware needs, and what the
    firmware needs that the file would block; one row each, with the entry named."""
    needed = firmware_flows(assessment, cloud)
    rows: list[dict[str, Any]] = []
    allowed_local_ports: set[tuple[int, int]] = set()
    for acl in acl_list(mud):
        for ace in (acl.get("aces") or {}).get("ace", []):
            if str((ace.get("actions") or {}).get("forwarding", "")).endswith("accept"):
                rows.extend(_broad(acl, ace))
                allowed_local_ports.update(_local_ports(ace))
    blocked = [
        f
        for f in needed
        if f.direction == "to-device" and f.port and (f.protocol, f.port) not in allowed_local_ports
    ]
    rows.extend(
        {
            "kind": "not-allowed",
            "entry": "",
            "detail": f"the firmware listens on {_proto(f.protocol)}/{f.port} ({f.why}); "
            "no entry allows it",
            "severity": "low",
        }
        for f in blocked
    )
    served = {(f.protocol, f.port) for f in needed if f.direction == "to-device"}
    for proto, port in sorted(allowed_local_ports - served):
        rows.append(
            {
                "kind": "unneeded-port",
                "entry": "",
                "detail": f"{_proto(proto)}/{port} is allowed to the device, but no "
                "service in the firmware listens on it",
                "severity": "medium",
            }
        )
    return rows


def _broad(acl: dict[str, Any], ace: dict[str, Any]) -> list[dict[str, Any]]:
    matches = ace.get("matches") or {}
    ip = matches.get("ipv4") or matches.get("ipv6") or {}
    peer = any(
        k in ip
        for k in (
            "ietf-acldns:src-dnsname",
            "ietf-acldns:dst-dnsname",
            "source-ipv4-network",
            "destination-ipv4-network",
            "source-ipv6-network",
            "destination-ipv6-network",
        )
    )
    scoped = bool(matches.get("ietf-mud:mud")) or "eth" in matches
    name = f"{acl.get('name')}/{ace.get('name')}"
    out = []
    if not peer and not scoped:
        out.append(
            {
                "kind": "over-broad",
                "entry": name,
                "severity": "high",
                "detail": "accepts traffic to and from any host (no DNS name, network or "
                "MUD class)",
            }
        )
    for transport, proto in (("tcp", 6), ("udp", 17)):
        t = matches.get(transport)
        ported = isinstance(t, dict) and any(k in t for k in ("source-port", "destination-port"))
        if (t is not None or ip.get("protocol") == proto) and not ported:
            out.append(
                {
                    "kind": "any-port",
                    "entry": name,
                    "severity": "medium",
                    "detail": f"accepts every {transport.upper()} port",
                }
            )
    return out


def _local_ports(ace: dict[str, Any]) -> set[tuple[int, int]]:
    """(protocol, port) pairs an entry lets local hosts reach on the device."""
    matches = ace.get("matches") or {}
    mudm = matches.get("ietf-mud:mud") or {}
    if "local-networks" not in mudm and "same-manufacturer" not in mudm:
        return set()
    out = set()
    for transport, proto in (("tcp", 6), ("udp", 17)):
        t = matches.get(transport) or {}
        for key in ("destination-port", "source-port"):
            port = (t.get(key) or {}).get("port")
            if isinstance(port, int) and (
                key == "destination-port" or t.get("ietf-mud:direction-initiated") == "to-device"
            ):
                out.add((proto, port))
    return out


def _proto(proto: int) -> str:
    return {6: "tcp", 17: "udp"}.get(proto, str(proto))
