"""An SBOM as the scan target: its declared components are matched, judged and labelled.

The SBOM is read by the supplier-SBOM readers of ``assay.supply`` (the format is found from
the content). An SBOM lists software, not files: every check inspects the image's files, so
each one is INCONCLUSIVE and says why, and the assessment says which verdicts needed the
image (``target.kind`` is ``sbom``; ``facts["sbom"]`` and a problem say what was not seen).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from packageurl import PackageURL

from assay import __version__
from assay.errors import InputError
from assay.model.assessment import Assessment, Target
from assay.model.check import Finding, Verdict
from assay.model.component import Component
from assay.model.identity import Identity
from assay.model.problem import Problem

if TYPE_CHECKING:
    from assay.pipeline import Observer, ScanOptions, ScanResult
    from assay.supply.declared import Declared, SupplierSbom

HEAD_BYTES = 64 * 1024
MAX_JSON_BYTES = 512 * 1024**2  # a larger JSON file is not read whole to tell its kind
NO_FILES = "An SBOM has no files to inspect"
NOT_ASSESSED = (
    "the target is an SBOM: components are as it declares them; no file, configuration, "
    "account, service or binary of the product was inspected, so every check is "
    "INCONCLUSIVE and the requirements that need them are not settled"
)
_TAG_VALUE = re.compile(rb"^\s*SPDXVersion:\s*SPDX-", re.M)
_OPENWRT_LINE = re.compile(rb"^[A-Za-z0-9][A-Za-z0-9._+-]* - \S+$")
# the SBOM's own component types, as Assay's component types
_TYPES = {
    "application": "application",
    "library": "library",
    "framework": "library",
    "operating-system": "operating-system",
    "operatingsystem": "operating-system",
    "firmware": "firmware",
}
# what a CycloneDX BOM may also list that is not software (hardware, keys, data, models)
_NOT_SOFTWARE = {"device", "cryptographic-asset", "data", "machine-learning-model"}
_LIBRARY_PURLS = {"npm", "pypi", "maven", "golang", "cargo", "gem", "nuget", "composer", "pub"}


def sbom_format(path: Path) -> str:
    """The SBOM family ``path`` holds, judged from its first bytes ("" when it is no SBOM):
    ``json`` (CycloneDX, SPDX 2.x or SPDX 3 JSON), ``cyclonedx-xml``, ``spdx-tag-value``,
    ``spdx-rdf``, ``buildroot-manifest`` or ``openwrt-manifest``."""
    head = _head(path)
    if not head or b"\0" in head:
        return ""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = text[:4096].lower()
    if text.startswith(b"{"):
        return "json" if _json_sbom(path, head) else ""
    if text.startswith(b"<") and b"cyclonedx" in lower:
        return "cyclonedx-xml"
    if text.startswith(b"<") and b"spdx.org/rdf" in lower:
        return "spdx-rdf"
    if _TAG_VALUE.search(head):
        return "spdx-tag-value"
    if lower.startswith(b"package,version"):
        return "buildroot-manifest"
    first = text.split(b"\n", 1)[0].rstrip(b"\r")
    if _OPENWRT_LINE.match(first) and all(
        _OPENWRT_LINE.match(line.rstrip(b"\r")) for line in head.splitlines()[:-1] if line.strip()
    ):
        return "openwrt-manifest"
    return ""


def refuse_document(path: Path) -> None:
    """Raise a one-line ``InputError`` when ``path`` is a JSON or XML document that is not an
    SBOM (nothing in it can be scanned); return quietly for anything else."""
    head = _head(path).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        what = "JSON"
    elif head.startswith((b"<?xml", b"<!DOCTYPE", b"<html", b"<HTML")):
        what = "XML or HTML"
    else:
        return
    raise InputError(
        f"{path.name}: a {what} document that is not an SBOM (no CycloneDX bomFormat, "
        "no SPDX version) and not a firmware image",
        "give a firmware image, a root filesystem directory, a container image archive, "
        "or a CycloneDX/SPDX SBOM",
    )


def _json_sbom(path: Path, head: bytes) -> bool:
    """A JSON SBOM: its markers in the first bytes, else (keys written in alphabetical order
    put Trivy's ``spdxVersion`` last) its top-level keys once the whole document is read."""
    if any(key in head for key in (b'"bomFormat"', b'"spdxVersion"', b"spdx.org/rdf/3")):
        return True
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return False
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and ("spdxVersion" in data or "bomFormat" in data)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError:
        return b""


def assess_sbom(target: Path, options: ScanOptions, observer: Observer) -> ScanResult:
    """The assessment of an SBOM: its components, their vulnerabilities, every check
    INCONCLUSIVE for want of files, the norms judged on that."""
    from assay.pipeline import ScanResult, match_into, sha256_of
    from assay.supply.declared import load_sbom

    declaration = None
    if options.declaration is not None:
        from assay.declaration import load as load_declaration

        declaration = load_declaration(options.declaration)
    observer("catalog", f"reading the SBOM {target.name}")
    sbom = load_sbom(target)
    components = to_components(sbom)
    if not components:
        raise InputError(
            f"{target.name}: the {sbom.format} SBOM lists no software components",
            "give an SBOM that lists the product's components, or scan the image itself",
        )
    sha, size = sha256_of(target)
    assessment = Assessment(
        target=Target(path=target.name, kind="sbom", sha256=sha, size=size),
        tool_version=__version__,
        created=datetime.now(UTC).replace(microsecond=0).isoformat(),
        declaration=declaration,
        components=components,
    )
    assessment.identity = _identity(components, sbom)
    assessment.facts["sbom"] = {
        **sbom.to_dict(),
        "path": target.name,  # the file name only, as for every target
        "components": len(components),
        "image_verdicts": "not made: " + NOT_ASSESSED,
    }
    assessment.facts["rootfs"] = []
    assessment.facts["kernels"] = []
    assessment.problems.append(
        Problem(
            "extract",
            target.name,
            NOT_ASSESSED,
            "scan the firmware image itself for the checks; the SBOM's components were matched",
        )
    )
    assessment.problems.extend(
        Problem("catalog", target.name, warning, "read as far as possible")
        for warning in sbom.warnings
    )
    if options.match_vulnerabilities:
        observer("vulns", "matching known vulnerabilities")
        from assay.vulns import open_store

        match_into(assessment, open_store(options.store))
    if options.run_checks:
        observer("checks", "no files to check: every check is inconclusive")
        assessment.findings = declared_findings()
    from assay.norms import evaluate

    observer("norms", "judging against the norms")
    assessment.verdicts = evaluate(assessment)
    return ScanResult(assessment=assessment, rootfs=[])


def declared_findings() -> list[Finding]:
    """One INCONCLUSIVE finding per check: every built-in check reads the image's files."""
    from assay.checks import Outcome, builtin_checks

    reason = (
        f"{NO_FILES}: this check reads the image's files, which the SBOM does not contain; "
        "scan the firmware image to settle it."
    )
    return [check.finding(Outcome(Verdict.INCONCLUSIVE, reason)) for check in builtin_checks()]


def to_components(sbom: SupplierSbom) -> list[Component]:
    """The SBOM's declared components as Assay's components, one per distinct reference."""
    out: dict[str, Component] = {}
    for declared in sbom.components:
        if not declared.name.strip() or declared.kind.lower() in _NOT_SOFTWARE:
            continue
        component = _component(declared, sbom.format)
        key = component.ref
        out[key] = out[key].with_evidence(component) if key in out else component
    return sorted(out.values(), key=lambda c: (c.name.lower(), c.version, c.purl))


def _component(declared: Declared, fmt: str) -> Component:
    from assay.vulns.keys import lookup

    purl = _purl(declared.purl)
    props = [("sbom:ref", declared.where)] if declared.where else []
    upstream = purl.qualifiers.get("upstream", "") if purl and purl.qualifiers else ""
    if isinstance(upstream, str) and upstream:
        props.append(("sbom:upstream", upstream))
    component = Component(
        name=declared.name.strip(),
        version=declared.version.strip(),
        type=_type(declared.kind, purl),
        purl=declared.purl if purl else "",
        found_by=(f"sbom-{fmt}",),
        source_package=upstream if isinstance(upstream, str) else "",
        license=declared.license,
        properties=tuple(props),
    )
    # Assay's own name mapping first; a CPE the SBOM gives (often a tool's guess) is used
    # only when Assay knows no name for the package
    if declared.cpe.startswith("cpe:2.3:") and lookup(component) is None:
        from dataclasses import replace

        component = replace(component, cpe=declared.cpe)
    return component


def _purl(text: str) -> PackageURL | None:
    if not text:
        return None
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def _type(kind: str, purl: PackageURL | None) -> str:
    if kind.lower() in _TYPES:
        return _TYPES[kind.lower()]
    if purl is not None and purl.type in _LIBRARY_PURLS:
        return "library"
    return "application"


def _identity(components: list[Component], sbom: SupplierSbom) -> Identity:
    """What the SBOM says of the product: its operating system and kernel, when listed."""
    from assay.catalog.engine import kernel_version

    fields: dict[str, str] = {"kernel_version": kernel_version(components)}
    for c in components:
        if c.type == "operating-system" and c.name.lower() != "linux" and not fields.get("os_id"):
            fields.update(os_id=c.name.lower(), os_name=c.name, os_version=c.version)
    where = f"{Path(sbom.path).name} ({sbom.format})"
    return Identity(**fields, evidence=(where,))
