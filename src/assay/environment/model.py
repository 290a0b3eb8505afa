"""The environment model: what is deployed where, how it is connected, what it is for.

An environment is a graph. Its vertices are network *nodes* (gateways, switches, mesh routers,
uplinks) and *devices* (the connected products, each with the inventory Assay measured); its
edges are *links*. *Uplinks* are the ways out (to the internet, to a controller); a device that
has no path to any uplink has lost its connectivity. *Functions* (lighting, access control,
video...) are what the devices are for, each with a criticality; *services* are the cloud
endpoints and controllers devices depend on. The same types serve every importer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

CRITICALITY_WEIGHT = {"low": 1, "medium": 2, "high": 4, "critical": 8}


@dataclass(frozen=True)
class Finding:
    """A vulnerability a device's firmware carries (from its assessment or the registry)."""

    id: str
    component: str  # name@version
    kev: bool = False
    severity: str = "unknown"


@dataclass(frozen=True)
class Device:
    """One deployed product instance."""

    id: str
    name: str = ""
    zone: str = ""
    vendor: str = ""
    product: str = ""  # the product (slug, model) the device is an instance of
    source: str = ""  # where its inventory came from: assessment path, slug@version, sbom
    components: tuple[tuple[str, str], ...] = ()  # (name, version)
    findings: tuple[Finding, ...] = ()
    functions: tuple[str, ...] = ()
    services: tuple[str, ...] = ()  # ids of services it depends on
    support_end: date | None = None

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Node:
    """A piece of network infrastructure (or a hub) that is not itself an assessed device."""

    id: str
    kind: str = "switch"  # gateway | switch | router | mesh | hub | controller | uplink | ...
    name: str = ""
    zone: str = ""
    vendor: str = ""


@dataclass(frozen=True)
class Link:
    a: str
    b: str
    kind: str = "ethernet"  # ethernet | wifi | zigbee | thread | ble | fibre | feeds | ...


@dataclass(frozen=True)
class Function:
    id: str
    name: str = ""
    criticality: str = "medium"  # low | medium | high | critical

    @property
    def weight(self) -> int:
        return CRITICALITY_WEIGHT.get(self.criticality, 2)


@dataclass(frozen=True)
class Service:
    """Something devices depend on beyond the network: a cloud endpoint or a controller."""

    id: str
    endpoint: str = ""  # DNS name or URL
    kind: str = "cloud"  # cloud | controller | ntp | dns | ...
    provider: str = ""  # who runs it (e.g. the registrable domain)


@dataclass(frozen=True)
class Zone:
    id: str
    name: str = ""
    site: str = ""


@dataclass
class Environment:
    """A whole deployment. ``problems`` records what an importer could not use, and why."""

    name: str = ""
    zones: dict[str, Zone] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    functions: dict[str, Function] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    uplinks: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)

    def vertex_ids(self) -> set[str]:
        return set(self.devices) | set(self.nodes)

    def function(self, fid: str) -> Function:
        return self.functions.get(fid) or Function(fid, fid)

    def zone_of(self, vid: str) -> str:
        item = self.devices.get(vid) or self.nodes.get(vid)
        return item.zone if item else ""
