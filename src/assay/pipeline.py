"""``assess()``: the only module that knows every stage. It does no I/O of its own beyond
handing the work directory to the stages.

    extract -> catalog -> vulns -> checks -> norms        (present is called by the edges)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay import __version__
from assay.catalog.interface import Cataloger
from assay.errors import InputError
from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment, Target
from assay.model.identity import Identity

if TYPE_CHECKING:
    from assay.extract.unpack import Unpacked
    from assay.present.suppression import Suppression
    from assay.vulns import Store
    from assay.vulns.kernel import KernelEvidence

# extraction problems that make a result partial (a bound hit, a worker stopped, a truncation)
_CUT_SHORT = re.compile(r"\bbound\b|\blimit\b|stopped|truncated")

# An observer gets (stage, message) as the work goes on; the CLI draws a progress line.
Observer = Callable[[str, str], None]


def _silent(stage: str, message: str) -> None:
    return None


@dataclass(frozen=True)
class ScanOptions:
    """Everything that changes how a scan runs."""

    work_dir: Path
    timeout: float = 600.0  # seconds for the whole extraction
    max_depth: int = 10  # nesting depth of archives inside archives
    max_size: int = 2 * 1024**3  # bytes extracted in all
    declaration: Path | None = None
    store: Path | None = None  # vulnerability store; None = Assay's default
    match_vulnerabilities: bool = True
    run_checks: bool = True
    vex: tuple[Path, ...] = ()  # VEX documents whose statements suppress matches
    ignore: Path | None = None  # an ignore file (present.suppression)
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class ScanResult:
    """The assessment plus the unpacked trees (valid while the work directory exists)."""

    assessment: Assessment
    rootfs: list[RootFS]


def sha256_of(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _merge_identity(*parts: Identity) -> Identity:
    """Earlier parts win field by field; evidence is kept from all."""
    fields: dict[str, str] = {}
    evidence: list[str] = []
    for part in parts:
        for key, value in part.to_dict().items():
            if key == "evidence":
                evidence.extend(v for v in value if v not in evidence)
            elif value and not fields.get(key):
                fields[key] = value
    return Identity(**fields, evidence=tuple(evidence))


def suppression_of(options: ScanOptions) -> Suppression | None:
    """The VEX statements and ignore entries to apply at scan time (None: none given)."""
    if not options.vex and options.ignore is None:
        return None
    from assay.present.suppression import Suppression

    return Suppression.load(options.vex, options.ignore)


def assess(target: Path, options: ScanOptions, observer: Observer = _silent) -> ScanResult:
    """Run every stage on ``target``; return the assessment and the unpacked trees. An SBOM
    as the target is assessed without unpacking (``assay.ingest``)."""
    from assay.ingest import assess_sbom, refuse_document, sbom_format

    if target.is_file() and sbom_format(target):
        return assess_sbom(target, options, observer)
    if target.is_file():
        refuse_document(target)
    from assay.catalog.binary import BinaryCataloger
    from assay.catalog.blobs import read_blob
    from assay.catalog.engine import catalog, kernel_version
    from assay.catalog.identity import identify_rootfs, os_component
    from assay.catalog.kernel import KernelModulesCataloger
    from assay.catalog.libnames import LibraryNameCataloger
    from assay.catalog.packages import ApkDbCataloger, ControlDbCataloger
    from assay.extract.headers import identify_image
    from assay.extract.unpack import unpack

    declaration = None
    if options.declaration is not None:
        from assay.declaration import load as load_declaration

        declaration = load_declaration(options.declaration)
    suppression = suppression_of(options)  # read now: a bad file stops the scan here

    observer("extract", f"unpacking {target.name}")
    ready: dict[str, Any] = {}

    def warm_up() -> None:
        """Build what the later stages need while the extraction worker runs."""
        ready["catalogers"] = [
            ControlDbCataloger(),
            ApkDbCataloger(),
            BinaryCataloger(),
            KernelModulesCataloger(),
            LibraryNameCataloger(),
        ]
        if options.match_vulnerabilities:
            from assay.vulns import open_store

            ready["store"] = open_store(options.store)
        from assay.norms import load_catalog

        load_catalog()
        if options.run_checks:
            import assay.checks  # noqa: F401

    unpacked = unpack(
        target,
        options.work_dir,
        timeout=options.timeout,
        max_depth=options.max_depth,
        max_size=options.max_size,
        meanwhile=warm_up,
    )
    if target.is_file():
        sha, size = sha256_of(target)
        header = identify_image(target, unpacked.extract_dir)
    else:
        sha, size, header = "", 0, None
    assessment = Assessment(
        target=Target(path=target.name, kind=unpacked.kind, sha256=sha, size=size),
        tool_version=__version__,
        created=datetime.now(UTC).replace(microsecond=0).isoformat(),
        declaration=declaration,
    )
    assessment.problems.extend(unpacked.problems)
    base = unpacked.extract_dir
    assessment.facts["rootfs"] = [_shown(r.root, base) for r in unpacked.rootfs]
    assessment.facts["kernels"] = [_shown(k, base) for k in unpacked.kernels]

    observer("catalog", "reading package databases and binaries")
    catalogers: list[Cataloger] = ready["catalogers"]
    kernels = [(k, "image:" + _shown(k, base)) for k in unpacked.kernels]
    blob = None  # single-blob firmware (no file system): its header and bytes
    if target.is_file() and all(r.label == "extracted" for r in unpacked.rootfs):
        blob = read_blob(target, catalogers)
        if blob is not None:
            kernels += blob.kernels
            assessment.facts["blob"] = blob.facts
            assessment.problems.extend(blob.problems)
    components, problems = catalog(unpacked.rootfs, catalogers, kernels)
    assessment.components = components + (blob.components if blob else [])
    assessment.problems.extend(problems)
    if not assessment.components and not unpacked.kernels and blob is None:
        _refuse_unrecognised(target, unpacked)
    idents = [identify_rootfs(r) for r in unpacked.rootfs] + ([blob.identity] if blob else [])
    kernel_ident = Identity(kernel_version=kernel_version(components))
    assessment.identity = _merge_identity(*idents, header or Identity(), kernel_ident)
    distribution = os_component(assessment.identity)
    if distribution is not None:
        assessment.components.append(distribution)

    if options.match_vulnerabilities:
        observer("vulns", "matching known vulnerabilities")
        from assay.vulns.kernel import gather

        kernel = gather(unpacked.rootfs, unpacked.kernels)
        assessment.facts["kernel_evidence"] = kernel.summary()
        match_into(assessment, ready["store"], kernel)
        if suppression is not None:
            observer("vulns", "applying VEX statements and ignore entries")
            suppression.apply(assessment)
    if options.run_checks and unpacked.rootfs:
        from assay.checks import run_checks

        observer("checks", "checking security by default")
        assessment.findings = run_checks(unpacked.rootfs, assessment)
    from assay.norms import evaluate

    observer("norms", "judging against the norms")
    assessment.verdicts = evaluate(assessment)
    return ScanResult(assessment=assessment, rootfs=unpacked.rootfs)


def match_into(assessment: Assessment, store: Store, kernel: KernelEvidence | None = None) -> None:
    from assay.vulns import match_assessment

    # not closed here: the bundled snapshot is one shared in-memory store per process, and
    # a file store's connection closes when the Store is collected
    assessment.vulnerabilities = match_assessment(assessment, store, kernel)
    from assay.vulns.currency import data_used
    from assay.vulns.layers import snapshot_fallback

    # the store and the data under it, their dates, and a warning when they are old
    assessment.facts["vulnerability_store"] = data_used(store, snapshot_fallback(store))


def _refuse_unrecognised(target: Path, unpacked: Unpacked) -> None:
    """Nothing to assess: no root filesystem, kernel, software or /etc (which the checks
    read) was recognised, and no bound cut the extraction short (that is a partial result)."""
    if any(r.label != "extracted" or r.is_dir("/etc") for r in unpacked.rootfs):
        return
    if any(_CUT_SHORT.search(p.message) for p in unpacked.problems if p.stage == "extract"):
        return
    if unpacked.kind == "image" and _extracted_anything(unpacked):
        # a firmware file unblob carved into known formats, with no Linux inside (an
        # obfuscated RTOS image): a partial result whose checks say INCONCLUSIVE, not an error
        return
    what = "directory" if target.is_dir() else "file"
    raise InputError(
        f"{target.name}: nothing recognisable in this {what}: no root filesystem, kernel, "
        "package database or known program was found",
        "give a firmware image, the root filesystem of a device (a folder with /etc and "
        "/bin or a package database), a container image archive, or an SBOM",
    )


def _extracted_anything(unpacked: Unpacked) -> bool:
    """Whether the extraction wrote any regular file."""
    base = unpacked.extract_dir
    return base is not None and any(p.is_file() for p in base.rglob("*"))


def _shown(path: Path, base: Path | None) -> str:
    """A path as shown in outputs: relative to the extraction directory when inside it."""
    if base is not None:
        try:
            return "/" + path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            pass
    return path.name
