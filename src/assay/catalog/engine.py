"""Walk each root filesystem once, offer every file to the catalogers, merge the evidence.

Merging rules (each documented because they decide what the SBOM says):

1. The same package seen twice (``status`` and ``info/*.control``) is one component (same PURL).
2. A component found in a file that a package owns (a binary signature on ``/usr/sbin/dropbear``,
   owned by opkg's ``dropbear``) is merged into that package when the package's upstream
   version equals the version the binary shows; otherwise
   it stays a component of its own, linked to the package (property ``package``), so that a
   multi-product package (``wpad-mini`` ships hostapd and wpa_supplicant) is not flattened.
3. Any other components with the same NVD product and version (or name and version) are one.
4. A component seen without a version (a presence signature, a bare file name) is dropped
   when the same product was also seen with one: its evidence joins that component.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from assay.catalog.control import upstream_version
from assay.catalog.digests import with_digests
from assay.catalog.interface import PACKAGE_SOURCES, Cataloger, CatalogResult
from assay.catalog.kernel import kernel_component, reconcile
from assay.extract.rootfs import RootFS
from assay.model.component import Component
from assay.model.problem import Problem


def catalog(
    rootfs_list: Iterable[RootFS],
    catalogers: list[Cataloger],
    kernels: Iterable[tuple[Path, str]] = (),
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Component], list[Problem]]:
    """All components in the given trees and kernel images, merged; plus problems."""
    found: list[Component] = []
    problems: list[Problem] = []
    roots = list(rootfs_list)
    for rootfs in roots:
        if progress:
            progress(f"cataloging {rootfs.label}")
        for entry in rootfs.walk():
            for cataloger in catalogers:
                if not cataloger.wants(entry):
                    continue
                try:
                    result = cataloger.parse(rootfs, entry)
                except (OSError, ValueError, UnicodeError) as err:
                    result = CatalogResult(
                        problems=[Problem("catalog", entry.path, f"{cataloger.name}: {err}", "")]
                    )
                found.extend(result.components)
                problems.extend(result.problems)
        for cataloger in catalogers:
            finish = getattr(cataloger, "finish", None)
            if finish is not None:
                result = finish(rootfs)
                found.extend(result.components)
                problems.extend(result.problems)
    images = {shown_as: path for path, shown_as in kernels}
    for shown_as, path in images.items():
        component = kernel_component(path, shown_as)
        if component is not None:
            found.append(component)
    components, conflicts = reconcile(merge(found))
    return with_digests(components, roots, images), problems + conflicts


def _is_package(c: Component) -> bool:
    return any(s in PACKAGE_SOURCES for s in c.found_by)


def _product(c: Component) -> str:
    """``vendor:product`` of the component's CPE, or ""."""
    parts = c.cpe.split(":")
    return f"{parts[3]}:{parts[4]}" if len(parts) > 5 else ""


def _cpe_version(c: Component) -> str:
    parts = c.cpe.split(":")
    return parts[5] if len(parts) > 5 else ""


def kernel_version(components: list[Component]) -> str:
    """The Linux kernel's upstream version among merged components, whatever name the merge
    kept (the kernel package's, the banner's or a binary signature's): its CPE's version."""
    for c in components:
        if _product(c) == "linux:linux_kernel" and _cpe_version(c) not in ("", "*", "-"):
            return _cpe_version(c)
    return ""


def merge(components: list[Component]) -> list[Component]:
    """Apply the three merging rules; return components sorted for stable output."""
    packages: dict[str, Component] = {}
    others: list[Component] = []
    for comp in components:
        if _is_package(comp):
            key = comp.purl
            packages[key] = packages[key].with_evidence(comp) if key in packages else comp
        else:
            others.append(comp)

    owner: dict[str, str] = {}
    for pkg_key, pkg in packages.items():
        for path in pkg.files:
            owner.setdefault(path, pkg_key)

    loose: dict[tuple[str, str], Component] = {}
    for comp in others:
        owners = sorted({owner[loc] for loc in comp.locations if loc in owner})
        pkg_key = owners[0] if owners else ""
        owning = packages.get(pkg_key)
        if owning is not None and _belongs_to(comp, owning):
            packages[pkg_key] = _absorb(owning, comp)
            continue
        if owning is not None:
            linked = {*comp.properties, ("package", owning.name)}
            comp = replace(comp, properties=tuple(sorted(linked)))
        loose_key = (_product(comp) or comp.name, comp.version)
        loose[loose_key] = loose[loose_key].with_evidence(comp) if loose_key in loose else comp

    # rule 3 also across packages: a kernel image and the opkg "kernel" package are one
    for loose_key, comp in list(loose.items()):
        product = _product(comp)
        if not product:
            continue
        for pkg_key, pkg in packages.items():
            if _product(pkg) == product and _cpe_version(pkg) == _cpe_version(comp):
                packages[pkg_key] = _absorb(pkg, comp)
                del loose[loose_key]
                break

    merged = _fold_unversioned(list(packages.values()) + list(loose.values()))
    return sorted(merged, key=lambda c: (c.name, c.version, c.purl))


def _fold_unversioned(components: list[Component]) -> list[Component]:
    """Rule 4: an unversioned sighting joins a versioned component of the same name."""
    versioned = {c.name: c for c in components if c.version}
    folded = {c.name: c for c in versioned.values()}
    kept = []
    for c in components:
        home = versioned.get(c.name) if not c.version else None
        if home is None:
            kept.append(c)
        else:
            seen = replace(c, purl="", cpe="", properties=(("seen_without_version", c.ref),))
            folded[home.name] = folded[home.name].with_evidence(seen)
    return [folded[c.name] if c is versioned.get(c.name) else c for c in kept]


def _belongs_to(comp: Component, pkg: Component) -> bool:
    """The binary shows the version the package declares (upstream part)."""
    return upstream_version(pkg.version) == comp.version


def _absorb(pkg: Component, comp: Component) -> Component:
    """The package, with the binary evidence (and the binary's CPE when it names the product)."""
    merged = pkg.with_evidence(replace(comp, cpe="", purl=""))
    extra = {("upstream_version", comp.version)}
    if comp.cpe and _product(comp) != _product(pkg):
        extra.add(
            (
                "cpe_from",
                "binary-signature" if not pkg.cpe else "binary-signature (over package map)",
            )
        )
        merged = replace(merged, cpe=comp.cpe)
    elif not pkg.cpe:
        merged = replace(merged, cpe=comp.cpe)
    return replace(merged, properties=tuple(sorted(set(merged.properties) | extra)))
