"""A real store and registry for re-audit tests: NVD records split by publication year,
the WR703N's real package list, assessments made by the real matcher."""

from __future__ import annotations

import hashlib
import json
import lzma
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from realdata import identity, opkg_components

from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment, Target
from assay.model.component import Component
from assay.model.vulnerability import VulnerabilityMatch
from assay.present.vex import ProductRef, Status, VexStatement
from assay.registry import Registry
from assay.vulns.counts import counting, counts
from assay.vulns.kernel import gather
from assay.vulns.matching import match_components
from assay.vulns.store import Store

SUBSET = "vulns/nvd/iot-subset/nvd_iot_subset.json.xz"
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _feed(records: list[dict[str, Any]], path: Path) -> Path:
    envelope = {
        "resultsPerPage": len(records),
        "startIndex": 0,
        "totalResults": len(records),
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2024-10-25T00:00:00.000",
        "vulnerabilities": records,
    }
    path.write_text(json.dumps(envelope))
    return path


class World:
    def __init__(self, tmp: Path, rootfs: RootFS, early: Path, url: str = "") -> None:
        self.store = Store.open(tmp / "vulns.sqlite", create=True)
        self.store.import_paths([early])
        self.registry = Registry.open(url or f"sqlite:///{tmp / 'registry.sqlite'}")
        self.components = opkg_components(rootfs.root)
        self.identity = identity(rootfs.root, "TP-Link", "TL-WR703N")
        # what the root filesystem shows of the kernel (architecture, modules, their
        # symbols), as the scan gathers it: it settles kernel CVEs
        self.kernel = gather([rootfs], [])

    def rematch(self, comps: Any = None, model: str = "TL-WR703N") -> list[VulnerabilityMatch]:
        """What a full re-match finds now and counts (the rule of the label and clocks)."""
        ident = replace(self.identity, model=model)
        found = match_components(comps or self.components, self.store, ident, self.kernel)
        return counting(found)

    def with_dropbear(self, version: str) -> list[Component]:
        """The WR703N's components with dropbear (2011.54-2 in the image) at ``version``."""
        return [
            c
            if c.name != "dropbear"
            else replace(c, version=version, purl=c.purl.replace("2011.54-2", version))
            for c in self.components
        ]

    def with_kernel(self, version: str) -> list[Component]:
        """The WR703N's components with its kernel (3.3.8, as the opkg package and as the
        banner's Linux) at ``version``."""
        out = []
        for c in self.components:
            if c.name in ("kernel", "linux"):
                c = replace(
                    c,
                    version=c.version.replace("3.3.8", version),
                    purl=c.purl.replace("3.3.8", version),
                    cpe=c.cpe.replace("3.3.8", version),
                )
            out.append(c)
        return out

    def kernel_statement(self, vulnerability: str, impact: str) -> VexStatement:
        """A manufacturer's VEX statement: the kernel is not affected by ``vulnerability``."""
        kernel = next(c for c in self.components if c.name == "linux")
        return VexStatement(
            vulnerability,
            ProductRef(kernel.cpe, "linux", cpe=kernel.cpe),
            Status.NOT_AFFECTED,
            justification="vulnerable_code_not_present",
            impact=impact,
            source="openvex:test",
        )

    def scan(
        self, model: str = "TL-WR703N", build: str = "r36088", comps: Any = None
    ) -> dict[str, Any]:
        """What a scan would store: the real matcher's matches, with the store revision."""
        ident = replace(self.identity, model=model, os_build=build)
        components = comps or self.components
        matches = match_components(components, self.store, ident, self.kernel)
        return Assessment(
            target=Target(
                path=f"{model}-{build}.bin",
                kind="image",
                sha256=hashlib.sha256((model + build).encode()).hexdigest(),
            ),
            tool_version="test",
            created=T0.isoformat(),
            identity=ident,
            components=components,
            vulnerabilities=matches,
            facts={  # as assay.pipeline records them
                "kernel_evidence": self.kernel.summary(),
                "vulnerability_store": {
                    "location": str(self.store.location),
                    "origin": self.store.origin,
                    "revision": self.store.revision(),
                },
            },
        ).to_dict()


def split_feeds(shared_data: Path, work: Path) -> tuple[Path, Path]:
    """The real NVD IoT subset split by publication year: up to 2012, and 2013-2016."""
    data = json.loads(lzma.decompress((shared_data / SUBSET).read_bytes()))
    early = [v for v in data["vulnerabilities"] if v["cve"]["published"][:4] <= "2012"]
    late = [v for v in data["vulnerabilities"] if "2013" <= v["cve"]["published"][:4] <= "2016"]
    return _feed(early, work / "nvd-upto-2012.json"), _feed(late, work / "nvd-2013-2016.json")


def counted(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The assessment's matches that count, which alone become the registry's findings."""
    return [v for v in doc["vulnerabilities"] if counts(v)]
