"""Single-blob firmware in the catalog: the header's identity and facts, the bytes scanned
with the signatures meant for whole images, a bare kernel handed to the kernel reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assay.catalog.binary import BinaryCataloger
from assay.catalog.interface import Cataloger
from assay.extract.blob import payload_bytes, recognise
from assay.model.component import Component
from assay.model.identity import Identity
from assay.model.problem import Problem


@dataclass
class BlobFindings:
    identity: Identity
    facts: dict[str, str]
    components: list[Component] = field(default_factory=list)
    kernels: list[tuple[Path, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_blob(target: Path, catalogers: list[Cataloger]) -> BlobFindings | None:
    """What a single-blob image says about itself, or None when ``target`` is none."""
    blob = recognise(target)
    if blob is None:
        return None
    found = BlobFindings(blob.identity, {"kind": blob.kind, **blob.facts})
    shown = "/" + target.name
    found.problems.append(
        Problem(
            "extract",
            target.name,
            f"single-blob firmware ({blob.kind}): no file system inside to look at",
            "its header was read into the identity and its bytes scanned for signatures; "
            "checks that need files cannot tell",
        )
    )
    if blob.kind == "linux-kernel":
        found.kernels.append((target, "image:" + shown))
        return found
    binary = next((c for c in catalogers if isinstance(c, BinaryCataloger)), None)
    if binary is not None:
        found.components = binary.scan_bytes(payload_bytes(target, blob), shown, blob=True)
    return found
