"""The target of a verification: an image/rootfs to scan now, or an assessment.json."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assay.errors import InputError
from assay.supply.inventory import Inventory


def is_assessment(path: Path) -> bool:
    """An ``assessment.json`` (read, not scanned) rather than an image."""
    if path.suffix != ".json" or not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    return '"schema_version"' in head or '"target"' in head


@contextmanager
def measured(target: Path, work_dir: Path | None = None) -> Iterator[Inventory]:
    """The measured inventory of ``target``; for an image the unpacked trees stay readable
    (for hashing) until the block ends, then a temporary work directory is removed."""
    if not target.exists():
        raise InputError(f"target {target} does not exist", "give an image, rootfs or assessment")
    if is_assessment(target):
        yield Inventory.from_file(target)
        return
    from assay.pipeline import ScanOptions, assess

    temp = None
    if work_dir is None:
        temp = Path(tempfile.mkdtemp(prefix="assay-verify-"))
        work_dir = temp
    try:
        options = ScanOptions(work_dir=work_dir, match_vulnerabilities=False, run_checks=False)
        result = assess(target, options)
        data = json.loads(json.dumps(result.assessment.to_dict()))
        yield Inventory.from_assessment(data, result.rootfs)
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file (the image, for provenance subjects)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def target_only(target: Path) -> Inventory:
    """The target's identity without a scan (enough for signatures and provenance)."""
    if not target.exists():
        raise InputError(f"target {target} does not exist", "give an image, rootfs or assessment")
    if is_assessment(target):
        return Inventory.from_file(target)
    if target.is_dir():
        return Inventory({"name": target.name, "kind": "directory", "sha256": "", "size": 0}, [])
    info = {
        "name": target.name,
        "kind": "file",
        "sha256": sha256_of(target),
        "size": target.stat().st_size,
    }
    return Inventory(info, [])
