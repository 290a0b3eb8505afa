"""Build the bundled snapshot (``data/snapshot.json.xz``) from real feed files.

The snapshot holds NVD records that name common embedded components (every vendor:product
in ``data/packages.yaml`` and ``data/aliases.yaml``, plus device firmware), trimmed to what
matching and reports use, with the KEV entries and EPSS scores of those CVEs::

    python -m assay.vulns.snapshot --nvd NVD.json[.xz]... --kev KEV.json --epss DIR_OR_CSV... \\
        [--overrides FOLDER...] --out src/assay/vulns/data/snapshot.json.xz
"""

from __future__ import annotations

import argparse
import json
import lzma
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assay.vulns.cpe import parse_cpe
from assay.vulns.feeds import read_path
from assay.vulns.feeds.detect import open_text
from assay.vulns.keys import alias_table, package_table
from assay.vulns.records import EpssScore, KevEntry

KEEP = ("id", "published", "lastModified", "vulnStatus", "descriptions", "metrics")


def embedded_names() -> set[tuple[str, str]]:
    names: set[tuple[str, str]] = set(alias_table())
    for entry in package_table()["packages"].values():
        rules = entry if entry and isinstance(entry[0], dict) else [{"cpe": entry}]
        for rule in rules:
            for text in rule["cpe"]:
                vendor, _, product = text.partition(":")
                names.add((vendor, product))
    return names


def _wanted(cve: dict[str, Any], names: set[tuple[str, str]]) -> bool:
    for conf in cve.get("configurations", ()):
        for node in conf.get("nodes", ()):
            for m in node.get("cpeMatch", ()):
                cpe = parse_cpe(m.get("criteria", ""))
                if cpe is None or not m.get("vulnerable"):
                    continue
                if cpe.key in names or (cpe.part == "o" and cpe.product.endswith("_firmware")):
                    return True
    return False


def _trim(cve: dict[str, Any]) -> dict[str, Any]:
    out = {k: cve[k] for k in KEEP if k in cve}
    out["descriptions"] = [d for d in cve.get("descriptions", ()) if d.get("lang") == "en"]
    out["weaknesses"] = cve.get("weaknesses", [])
    out["configurations"] = cve.get("configurations", [])
    out["references"] = [{"url": r["url"]} for r in cve.get("references", ())[:3]]
    for key in ("cisaExploitAdd", "cisaActionDue", "cisaVulnerabilityName"):
        if key in cve:
            out[key] = cve[key]
    return out


def _nvd_records(paths: Iterable[Path], names: set[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    chosen: dict[str, dict[str, Any]] = {}
    for path in paths:
        with open_text(path) as fh:
            doc = json.load(fh)
        for wrapper in doc["vulnerabilities"]:
            cve = wrapper["cve"]
            if not _wanted(cve, names):
                continue
            old = chosen.get(cve["id"])
            if old is None or old["lastModified"] < cve["lastModified"]:
                chosen[cve["id"]] = _trim(cve)
    return chosen


def _overrides(paths: Iterable[Path], names: set[tuple[str, str]]) -> list[dict[str, Any]]:
    chosen: list[dict[str, Any]] = []
    for folder in paths:
        for path in sorted(folder.rglob("CVE-*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            if _wanted(doc["cve"], names):
                note = doc["_annotation"]
                keep = ("cve_id", "cna", "description", "published", "modified", "reason")
                chosen.append(
                    {
                        "_annotation": {k: note[k] for k in keep if k in note},
                        "cve": {"configurations": doc["cve"]["configurations"]},
                    }
                )
    return chosen


def build(
    nvd: list[Path], kev: Path, epss: list[Path], out: Path, overrides: list[Path] | None = None
) -> dict[str, int]:
    names = embedded_names()
    records = _nvd_records(nvd, names)
    extra = _overrides(overrides or [], names)
    ids = set(records) | {o["_annotation"]["cve_id"] for o in extra}
    kev_rows: list[dict[str, str]] = []
    for doc in read_path(kev):
        kev_rows.extend(
            {
                "cveID": item.cve,
                "vendorProject": item.vendor,
                "product": item.product,
                "vulnerabilityName": item.name,
                "dateAdded": item.date_added,
                "dueDate": item.due_date,
                "knownRansomwareCampaignUse": item.ransomware,
                "requiredAction": item.required_action,
            }
            for item in doc.items
            if isinstance(item, KevEntry) and item.cve in ids
        )
    scores: dict[str, list[Any]] = {}
    for path in epss:
        for doc in read_path(path):
            for item in doc.items:
                if isinstance(item, EpssScore) and item.cve in ids:
                    scores[item.cve] = [item.cve, item.epss, item.percentile]
    snapshot = {
        "format": "assay-snapshot",
        "version": 1,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sources": [p.name for p in [*nvd, kev, *epss]],
        "nvd": [records[k] for k in sorted(records)],
        "overrides": extra,
        "kev": sorted(kev_rows, key=lambda r: r["cveID"]),
        "epss": [scores[k] for k in sorted(scores)],
    }
    data = json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False).encode()
    out.write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
    return {
        "nvd": len(records),
        "overrides": len(extra),
        "kev": len(kev_rows),
        "epss": len(scores),
        "bytes": out.stat().st_size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nvd", type=Path, nargs="+", required=True)
    parser.add_argument("--kev", type=Path, required=True)
    parser.add_argument("--epss", type=Path, nargs="+", default=[])
    parser.add_argument("--overrides", type=Path, nargs="*", default=[], help="folders")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    print(build(args.nvd, args.kev, args.epss, args.out, args.overrides))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
