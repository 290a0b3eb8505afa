"""How a component is looked up: its vendor:product names (with aliases) and its version.

The component's own CPE wins. Without one, its package name is mapped through
``data/packages.yaml``; every name found is widened through ``data/aliases.yaml``. Versions
from a package manager lose their epoch and distribution revision; git-snapshot dates are
turned into the upstream development version they precede (``20120910`` -> ``2.0-devel``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from packageurl import PackageURL

from assay.model.component import Component
from assay.safeload import packaged_yaml
from assay.vulns.cpe import ANY, NA, parse_cpe
from assay.vulns.versions import is_comparable, upstream_version

PACKAGE_TYPES = {"opkg", "ipk", "deb", "rpm", "apk", "alpm", "yocto", "openwrt"}
_SNAPSHOT_DATE = re.compile(r"^(19|20)\d{6}$")

Name = tuple[str, str]


@dataclass(frozen=True)
class Lookup:
    """What to look a component up under, and how we got there (for ``why``)."""

    names: frozenset[Name]
    part: str
    version: str  # the version compared against feed data
    basis: str  # where the names came from
    version_basis: str  # how the compared version was derived
    confidence: str  # high | medium


def _load(name: str) -> dict[str, Any]:
    text = resources.files("assay.vulns").joinpath("data", name).read_text(encoding="utf-8")
    data = packaged_yaml(text)
    assert isinstance(data, dict)
    return data


@lru_cache(maxsize=1)
def alias_table() -> dict[Name, frozenset[Name]]:
    table: dict[Name, frozenset[Name]] = {}
    for group in _load("aliases.yaml")["groups"]:
        names = frozenset(_name(n) for n in group["names"])
        for n in names:
            table[n] = table.get(n, frozenset()) | names
    return table


@lru_cache(maxsize=1)
def os_families() -> tuple[frozenset[str], frozenset[str]]:
    """(OS names that run Linux, OS names that do not), from aliases.yaml."""
    data = _load("aliases.yaml")
    return frozenset(data["linux_oses"]), frozenset(data["other_oses"])


@lru_cache(maxsize=1)
def package_table() -> dict[str, Any]:
    return _load("packages.yaml")


def _name(text: str) -> Name:
    vendor, _, product = str(text).partition(":")
    return (vendor.strip().lower(), product.strip().lower())


def with_aliases(names: set[Name]) -> frozenset[Name]:
    table = alias_table()
    out = set(names)
    for n in names:
        out |= table.get(n, frozenset())
    return frozenset(out)


def _purl(component: Component) -> PackageURL | None:
    if not component.purl:
        return None
    try:
        return PackageURL.from_string(component.purl)
    except ValueError:
        return None


def _from_package(name: str, version: str) -> tuple[set[Name], str]:
    entry = package_table()["packages"].get(name)
    if entry is None:
        return set(), ""
    if entry and isinstance(entry[0], dict):
        for rule in entry:
            if re.search(rule["when"], version):
                return {_name(n) for n in rule["cpe"]}, f" (rule for version /{rule['when']}/)"
        return set(), ""
    return {_name(n) for n in entry}, ""


def _snapshot_version(names: frozenset[Name], date: str) -> str:
    tables = package_table().get("snapshot_versions", {})
    for vendor, _product in sorted(names):
        cycles = tables.get(vendor)
        if not cycles:
            continue
        chosen = ""
        for start, version in cycles:
            if int(date) >= int(start):
                chosen = str(version)
        if chosen:
            return f"{chosen}-devel"
    return ""


def lookup(component: Component) -> Lookup | None:
    """The names and version to match ``component`` by, or ``None`` if it has no names."""
    purl = _purl(component)
    ptype = purl.type if purl else ""
    from_pm = ptype in PACKAGE_TYPES or any(
        f.endswith(("-db", "opkg", "dpkg", "rpm", "apk")) for f in component.found_by
    )
    raw_version = (purl.version if purl and purl.version else "") or component.version
    cpe = parse_cpe(component.cpe)
    if cpe is not None:
        names = with_aliases({cpe.key})
        version = cpe.effective_version if cpe.version not in (ANY, NA) else raw_version
        basis, part = f"component CPE {component.cpe}", cpe.part
        confidence = "high"
    else:
        pkg_name = (purl.name if purl else component.name).lower()
        base = upstream_version(raw_version) if from_pm else raw_version
        found, rule = _from_package(pkg_name, base)
        if not found:
            return None
        names = with_aliases(found)
        version = raw_version
        basis = f"package name {pkg_name!r} -> {', '.join(sorted(':'.join(n) for n in found))}"
        basis += f"{rule} (assay/vulns/data/packages.yaml)"
        part = "o" if ("linux", "linux_kernel") in names else "a"
        confidence = "high"
    compared = upstream_version(version) if from_pm else version
    how = "as found" if compared == version else f"{version} -> {compared} (package revision)"
    if _SNAPSHOT_DATE.match(compared):
        mapped = _snapshot_version(names, compared)
        if mapped:
            how = f"git snapshot {compared} -> {mapped} (snapshot_versions in packages.yaml)"
            compared, confidence = mapped, "medium"
    if not is_comparable(compared):
        return None
    return Lookup(names, part, compared, basis, how, confidence)
