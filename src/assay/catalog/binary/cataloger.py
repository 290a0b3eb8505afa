"""The ``binary-signature`` cataloger: components from version strings inside binaries."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

from assay.catalog.binary.engine import Hit, SignatureEngine
from assay.catalog.binary.signatures import Signature, load_signatures
from assay.catalog.interface import CatalogResult
from assay.extract.rootfs import FileEntry, RootFS
from assay.model.component import Component
from assay.model.problem import Problem

NAME = "binary-signature"
MIN_SIZE = 64  # smaller files cannot hold a version string worth trusting
MAX_SIZE = 64 * 1024 * 1024  # larger files are skipped (and said so)

# The bundled signatures, loaded and compiled once per thread (a process that scans many
# images, such as a corpus worker, pays the ~0.5 s hyperscan compilation once; a compiled
# database keeps scratch space of its own, so threads do not share one).
_BUNDLED = threading.local()


def _bundled(backend: str) -> tuple[list[Signature], SignatureEngine]:
    cache: dict[str, tuple[list[Signature], SignatureEngine]] = _BUNDLED.__dict__
    if backend not in cache:
        signatures = load_signatures(None)
        cache[backend] = (signatures, SignatureEngine(signatures, backend=backend))
    return cache[backend]


class BinaryCataloger:
    """Finds products by byte signatures in the files their globs name.

    The signature data is loaded and compiled once, in the constructor; ``parse`` reads a
    file once and runs all signatures over it in a single pass.
    """

    name = NAME

    def __init__(
        self,
        signatures: list[Signature] | None = None,
        *,
        signature_file: Path | None = None,
        backend: str = "auto",
        max_size: int = MAX_SIZE,
    ) -> None:
        if signatures is None and signature_file is None:
            self.signatures, self.engine = _bundled(backend)
        else:
            self.signatures = (
                signatures if signatures is not None else load_signatures(signature_file)
            )
            self.engine = SignatureEngine(self.signatures, backend=backend)
        self.max_size = max_size

    def wants(self, entry: FileEntry) -> bool:
        """Regular files of a plausible size whose path some signature's globs take."""
        return (
            stat.S_ISREG(entry.mode)
            and entry.size >= MIN_SIZE
            and self.engine.wants_path(entry.path)
        )

    def parse(self, rootfs: RootFS, entry: FileEntry) -> CatalogResult:
        result = CatalogResult()
        if entry.size > self.max_size:
            result.problems.append(
                Problem(
                    stage="catalog",
                    path=entry.path,
                    message=f"{entry.size} bytes is over the binary-signature limit "
                    f"of {self.max_size} bytes; not scanned",
                    resolution="raise the cataloger's max_size to scan it",
                )
            )
            return result
        try:
            data = rootfs.read_bytes(entry.path, limit=self.max_size)
        except OSError as exc:
            result.problems.append(
                Problem("catalog", entry.path, f"cannot read file: {exc.strerror}", "skipped")
            )
            return result
        if data is None:
            return result
        result.components.extend(
            component_for(hit, entry.path) for hit in self.engine.scan(data, entry.path)
        )
        return result

    def scan_bytes(self, data: bytes, path: str, blob: bool = False) -> list[Component]:
        """Components from bytes already in memory (e.g. a kernel the extractor unpacked);
        ``blob``: the bytes are a whole single-blob image (blob and any-format signatures)."""
        only = self.engine.blob_indices() if blob else None
        hits = self.engine.scan(data, path, only=only, check_format=not blob)
        return [component_for(hit, path) for hit in hits]


def confidence(sig: Signature) -> str:
    """How sure a hit of this signature is, and why."""
    if sig.basis:
        return sig.basis
    if sig.presence:
        return "low: the product's own strings, no version in the file"
    if sig.path_version:
        return "medium: version from the file name, product confirmed by its strings"
    return "high: version string inside the file"


def component_for(hit: Hit, path: str) -> Component:
    sig = hit.signature
    inside = (("found_inside", path), ("linkage", "static")) if sig.inside else ()
    return Component(
        name=sig.name,
        version=hit.version,
        type=sig.type,
        purl=sig.purl_for(hit.version),
        cpe=sig.cpe_for(hit.version) if hit.version else "",  # no CPE without a version
        found_by=(NAME,),
        locations=(path,),
        properties=(
            ("evidence", hit.excerpt),
            ("evidence.offset", hex(hit.offset)),
            ("confidence", confidence(sig)),
            ("signature", sig.id),
            *inside,
        ),
    )
