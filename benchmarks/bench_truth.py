"""Component recall and precision (exact versions) of Assay over the labelled corpus.

Run: ``.venv/bin/python benchmarks/bench_truth.py [--only ID ...] [--cve-bin-tool PATH]``.

Each ``tests/truth/<id>.yaml`` names an image (read where it lies: vendor firmware stays in
``../shared``, it is never copied) and the components a person found in it by reading the
files. Every image is scanned by a fresh ``assay scan --no-vulns`` process (as a user runs
it); a truth item or its ``kernel`` may name another image of the same device (``image:``,
e.g. a ``/usr`` partition or a separate kernel file), which is scanned too and counted with it.

- recall: truth items (and the kernel) found with exactly their version (``null`` = present,
  no version: the component must carry no version either);
- precision: components Assay reports that match a truth item with exactly its version;
- ``hand-read``: recall over the items of the corpus's own SOURCES.md only (items marked
  "hand-checked" were added by the inventory helper after reading the bytes themselves).

When ``benchmarks/truth_checks.py`` exists (the checks helper's), its
``check_agreement(assessment, truth)`` is called for each image and printed.

cve-bin-tool (GPL) is run as a separate program, never imported, on the tree Assay extracted,
when ``--cve-bin-tool`` names its executable (or ``cve-bin-tool`` is on PATH); it gets the same
recall/precision, side by side.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TRUTH = ROOT / "tests" / "truth"
ASSAY = Path(sys.executable).parent / "assay"
# names a person and a tool may give the same product (beyond an equal CPE vendor:product)
ALIASES = {
    "ntp": {"ntpd"},
    "wpa_supplicant": {"wpasupplicant"},
    "libstdc++": {"libstdcxx"},
    "libupnp": {"pupnp"},
    "pppd": {"ppp", "pointtopointprotocol"},
    "isc-dhcp": {"iscdhcp", "dhcpd"},
    "twonky": {"twonkyserver", "twonkymediaserver"},
}


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9+]", "", name.lower())


@dataclass
class Item:
    name: str
    version: str  # "" = present, no version
    cpe: str = ""  # vendor:product
    image: str = ""
    hand_read: bool = True


@dataclass
class Score:
    items: int = 0
    found: int = 0
    hand_items: int = 0
    hand_found: int = 0
    reported: int = 0
    correct: int = 0
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in ("items", "found", "hand_items", "hand_found", "reported", "correct"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def recall(self) -> float:
        return self.found / self.items if self.items else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.reported if self.reported else 1.0


def truth_items(truth: dict[str, Any]) -> list[Item]:
    items = [
        Item(
            name=str(c["name"]),
            version="" if c.get("version") is None else str(c["version"]),
            cpe=str(c.get("cpe", "")),
            image=str(c.get("image", "")),
            hand_read="hand-checked" not in str(c.get("evidence", "")),
        )
        for c in truth.get("components") or []
    ]
    kernel = truth.get("kernel")
    if kernel:
        version, image = str(kernel["version"]), str(kernel.get("image", ""))
        items.append(Item("linux-kernel", version, "linux:linux_kernel", image))
    return items


def cpe_product(cpe: str) -> str:
    parts = cpe.split(":")
    return f"{parts[3]}:{parts[4]}" if len(parts) > 5 else ""


def versions_of(comp: dict[str, Any]) -> set[str]:
    """The versions a component shows: its own, its CPE's, its upstream one."""
    out = {comp.get("version") or ""}
    parts = (comp.get("cpe") or "").split(":")
    if len(parts) > 6 and parts[5] not in ("*", "-"):
        update = parts[6] if parts[6] not in ("*", "-") else ""
        out.add(parts[5].replace("\\", "") + update)
    props = comp.get("properties") or {}
    if props.get("upstream_version"):
        out.add(props["upstream_version"])
    return out


def matches(item: Item, comp: dict[str, Any]) -> bool:
    names = {norm(item.name)} | ALIASES.get(item.name, set())
    same = norm(comp["name"]) in names or (
        bool(item.cpe) and cpe_product(comp.get("cpe") or "") == item.cpe
    )
    # a package's revision ("1.19.4-6") is the packager's: its upstream version is exact too
    wanted = {item.version, re.sub(r"-\d+$", "", item.version)}
    return same and bool(wanted & versions_of(comp))


def score(items: list[Item], comps: list[dict[str, Any]]) -> Score:
    s = Score(items=len(items), reported=len(comps))
    for item in items:
        hit = any(matches(item, c) for c in comps)
        s.found += hit
        s.hand_items += item.hand_read
        s.hand_found += hit and item.hand_read
        if not hit:
            s.missed.append(f"{item.name} {item.version or '(no version)'}")
    for comp in comps:
        if any(matches(item, comp) for item in items):
            s.correct += 1
        else:
            s.extra.append(f"{comp['name']} {comp.get('version') or '(no version)'}")
    return s


def scan(image: Path, out: Path, work: Path) -> dict[str, Any] | None:
    cmd = [str(ASSAY), "scan", str(image), "--out", str(out), "--no-vulns", "-q"]
    cmd += ["--work-dir", str(work), "--keep-work"]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        print(f"    assay exit {run.returncode}: {run.stderr.strip()[:200]}")
        return None
    data: dict[str, Any] = json.loads((out / "assessment.json").read_text())
    return data


def cve_bin_tool(exe: str, home: str, tree: Path, out: Path) -> list[dict[str, Any]] | None:
    """Products and versions cve-bin-tool finds in a tree, from its CycloneDX SBOM output
    (None: it could not run). Its JSON report lists only products with CVEs, and the offline
    database set up by setup_cve_bin_tool.sh holds none, so the SBOM is what it identified."""
    sbom = out / "cbt.cdx.json"
    cmd = [exe, "--offline", "--update", "never", "--disable-version-check"]
    cmd += ["--sbom-output", str(sbom), "--sbom-type", "cyclonedx", "--sbom-format", "json"]
    env = {**os.environ, "HOME": home} if home else None
    run = subprocess.run(cmd + [str(tree)], capture_output=True, text=True, timeout=1800, env=env)
    if not sbom.exists() and run.returncode == 0:
        return []  # it ran and identified nothing, so it wrote no SBOM
    if not sbom.exists():
        tail = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["(no output)"]
        print(f"    cve-bin-tool wrote no SBOM (exit {run.returncode}): {tail[0][:160]}")
        return None
    found = json.loads(sbom.read_text()).get("components", [])
    seen = {
        (c.get("name", ""), c.get("version", ""), c.get("cpe", ""))
        for c in found
        if c.get("version")
    }
    return [
        {"name": name, "version": version, "cpe": cpe.replace("cpe:/", "cpe:2.3:") + ":*"}
        for name, version, cpe in sorted(seen)
    ]


def checks_module() -> Any:
    path = ROOT / "benchmarks" / "truth_checks.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("truth_checks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="image ids (default: every truth file)")
    default_dir = Path.home() / ".cache" / "assay-bench"
    default_cbt = default_dir / "cve-bin-tool-venv" / "bin" / "cve-bin-tool"
    parser.add_argument(
        "--cve-bin-tool",
        default=str(default_cbt) if default_cbt.exists() else shutil.which("cve-bin-tool") or "",
        help="cve-bin-tool's program (set it up with benchmarks/setup_cve_bin_tool.sh)",
    )
    parser.add_argument(
        "--cve-bin-tool-home",
        default=str(default_dir / "cve-bin-tool-home"),
        help="HOME for cve-bin-tool (where setup_cve_bin_tool.sh put its offline cache)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="list misses and extras")
    args = parser.parse_args()
    checks = checks_module()
    if not args.cve_bin_tool:
        print(
            "cve-bin-tool: not found. It is GPL and runs only as a separate program: set it up "
            "with `sh benchmarks/setup_cve_bin_tool.sh` or give --cve-bin-tool PATH"
        )
    else:
        print(
            f"cve-bin-tool: {args.cve_bin_tool} (offline: empty CVE database, empty sqlite "
            "version map; compared on the tree Assay extracted)"
        )
    total, total_cbt = Score(), Score()
    vendor, vendor_cbt = Score(), Score()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-truth-") as tmp:
        for path in sorted(TRUTH.glob("*.yaml")):
            truth = yaml.safe_load(path.read_text())
            if args.only and truth["id"] not in args.only:
                continue
            items = truth_items(truth)
            images = [truth["image"]] + sorted({i.image for i in items if i.image} - {""})
            comps: list[dict[str, Any]] = []
            cbt: list[dict[str, Any]] | None = [] if args.cve_bin_tool else None
            main_assessment = None
            for n, image in enumerate(images):
                out, work = Path(tmp) / f"{truth['id']}-{n}", Path(tmp) / f"{truth['id']}-{n}-w"
                assessment = scan(ROOT / image, out, work)
                if cbt is not None:
                    tree = work if work.exists() else ROOT / image
                    more = cve_bin_tool(args.cve_bin_tool, args.cve_bin_tool_home, tree, out)
                    cbt = None if more is None else cbt + more
                if assessment is None:
                    continue
                main_assessment = main_assessment or assessment
                comps += assessment["components"]
            s = score(items, comps)
            c = score(items, cbt) if cbt is not None else None
            is_vendor = "vendor-corpus" in truth["image"]
            for agg, agg_cbt in ((total, total_cbt), (vendor, vendor_cbt))[: 1 + is_vendor]:
                agg.add(s)
                if c is not None:
                    agg_cbt.add(c)
            rows.append((truth["id"], s, c))
            line = _row(truth["id"], s, c)
            print(line)
            if args.verbose:
                print(f"      missed: {', '.join(s.missed) or '-'}")
                print(f"      extra:  {', '.join(s.extra) or '-'}")
            if checks is not None and main_assessment is not None:
                print(f"      checks: {checks.check_agreement(main_assessment, truth)}")
    print(_row("vendor corpus", vendor, vendor_cbt if args.cve_bin_tool else None))
    print(_row("overall", total, total_cbt if args.cve_bin_tool else None))
    return 0


def _row(name: str, s: Score, c: Score | None) -> str:
    hand = f"{s.hand_found}/{s.hand_items}"
    ours = (
        f"{name:22} recall {s.recall:5.2f} ({s.found}/{s.items}, hand-read {hand:>5})  "
        f"precision {s.precision:5.2f} ({s.correct}/{s.reported})"
    )
    if c is None:
        return ours + "  | cve-bin-tool: -"
    return ours + f"  | cve-bin-tool recall {c.recall:4.2f} precision {c.precision:4.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
