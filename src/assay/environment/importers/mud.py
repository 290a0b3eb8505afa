"""RFC 8520 MUD files: the cloud endpoints and local controllers a device talks to.

``merge`` reads one MUD file (or every ``*.json`` below a folder) and attaches, to the device
named by the ``device`` option (or a device created from the MUD's ``systeminfo``), one service
per DNS name in its ACLs, with the registrable domain as the provider. The MUD "controller" and
"my-controller" matches become a dependency on a local controller service.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from assay.environment.model import Device, Environment, Service
from assay.errors import InputError

DNS_KEYS = ("ietf-acldns:dst-dnsname", "ietf-acldns:src-dnsname")


def merge(env: Environment, path: Path, options: dict[str, Any]) -> None:
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    for file in files:
        doc = _read(file)
        mud = doc.get("ietf-mud:mud") if isinstance(doc, dict) else None
        if not isinstance(mud, dict):
            env.problems.append(f"{file.name}: not a MUD file, skipped")
            continue
        names, controllers = endpoints(doc)
        did = str(options.get("device") or mud.get("systeminfo") or file.stem)
        device = env.devices.get(did) or Device(id=did, name=str(mud.get("systeminfo", did)))
        services = list(device.services)
        for name in sorted(names):
            env.services.setdefault(name, Service(name, name, "cloud", provider(name)))
            services.append(name)
        for ctrl in sorted(controllers):
            env.services.setdefault(ctrl, Service(ctrl, ctrl, "controller", "local"))
            services.append(ctrl)
        env.devices[did] = replace(device, services=tuple(dict.fromkeys(services)))


def endpoints(doc: dict[str, Any]) -> tuple[set[str], set[str]]:
    """DNS names and controller URNs named by a MUD file's ACL entries."""
    names: set[str] = set()
    controllers: set[str] = set()
    acls = acl_list(doc)
    for acl in acls:
        for ace in (acl.get("aces") or {}).get("ace", []):
            matches = ace.get("matches") or {}
            for family in ("ipv4", "ipv6"):
                for key in DNS_KEYS:
                    value = (matches.get(family) or {}).get(key)
                    if value:
                        names.add(str(value).lower().rstrip("."))
            mudm = matches.get("ietf-mud:mud") or {}
            if "controller" in mudm:
                controllers.add(str(mudm["controller"]))
            if mudm.get("my-controller") is not None:
                controllers.add("my-controller")
    return names, controllers


def acl_list(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The ACLs of a MUD file: RFC 8519's ``acls`` container, or ``access-lists`` as older
    generators (MUDgee) wrote it."""
    container = (
        doc.get("ietf-access-control-list:acls")
        or doc.get("ietf-access-control-list:access-lists")
        or {}
    )
    acls = container.get("acl", []) if isinstance(container, dict) else []
    return [a for a in acls if isinstance(a, dict)]


def provider(name: str) -> str:
    """The registrable domain, approximated by the last two labels (three for ``co.uk``-like)."""
    labels = name.split(".")
    if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as err:
        raise InputError(
            f"{path.name}: not readable JSON", "give the MUD file as published"
        ) from err
