"""The task a Dask worker runs: one image, its own work directory, the usual bounds.

It returns the assessment, or a failure with its reason when Assay itself refuses the image
(not a firmware image, a bound hit...): those are final, not retried. Anything else raised is a
crash: Dask retries the task once, then the client records it as failed with the reason. The
pipeline is imported once per worker process and stays loaded, and the extraction workers are
forked from a server that has imported unblob (``assay.extract.forkserver``): the start-up a
per-image process would pay every time is paid once.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def declaration_for(image: Path, default: str | None) -> Path | None:
    """The declaration beside the image (``IMAGE.declaration.yaml``, ``.yml`` or ``.json``),
    else the one given for the whole corpus."""
    for suffix in (".declaration.yaml", ".declaration.yml", ".declaration.json"):
        candidate = image.with_name(image.name + suffix)
        if candidate.is_file():
            return candidate
    return Path(default) if default else None


_registries: dict[str, Any] = {}  # url -> Registry, opened once per worker process


def scan_image(
    path: str, sha256: str, options: dict[str, Any], registry_url: str | None = None
) -> dict[str, Any]:
    """Scan one image; return ``{"status": "ok", "document": ...}`` or a failure record.

    With ``registry_url`` the worker stores the assessment (and the ledger row) itself and
    returns ``{"status": "stored", "slug": ...}``: the client then has nothing to write."""
    from assay.errors import AssayError
    from assay.extract import forkserver
    from assay.extract.scratch import make_work_dir
    from assay.pipeline import ScanOptions, assess

    forkserver.enable()  # once per worker process: unblob's start-up is paid once, not per image

    started = time.perf_counter()
    root = options.get("work_root")
    max_size = int(options.get("max_size", 2 * 1024**3))
    work = make_work_dir("assay-corpus-", max_size, base=Path(root) if root else None)
    try:
        scan = ScanOptions(
            work_dir=work,
            declaration=declaration_for(Path(path), options.get("declaration")),
            timeout=float(options.get("timeout", 600.0)),
            max_size=max_size,
            store=Path(options["store"]) if options.get("store") else None,
        )
        try:
            document = assess(Path(path), scan).assessment.to_dict()
        except AssayError as err:
            return {
                "status": "failed",
                "sha256": sha256,
                "path": path,
                "reason": err.diagnostics(),
                "seconds": time.perf_counter() - started,
            }
        if registry_url:
            return _store(registry_url, path, sha256, document, time.perf_counter() - started)
        return {
            "status": "ok",
            "sha256": sha256,
            "path": path,
            "document": document,
            "seconds": time.perf_counter() - started,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _store(
    url: str, path: str, sha256: str, document: dict[str, Any], seconds: float
) -> dict[str, Any]:
    """Write the assessment and its ledger row into the registry from this worker."""
    from assay.corpus import ledger
    from assay.errors import AssayError
    from assay.registry import Registry

    if url not in _registries:
        _registries[url] = Registry.open(url)
    registry = _registries[url]
    began = time.perf_counter()
    with one_writer(registry.engine.url.database if url.startswith("sqlite") else None):
        try:
            stored = registry.add(document)
        except AssayError as err:
            return {
                "status": "failed",
                "sha256": sha256,
                "path": path,
                "reason": f"not stored: {err.diagnostics()}",
                "seconds": seconds,
            }
        slug = str(getattr(stored, "slug", ""))
        ledger.record(registry.engine, sha256, path, "done", seconds=seconds, slug=slug)
    return {
        "status": "stored",
        "sha256": sha256,
        "path": path,
        "slug": slug,
        "seconds": seconds,
        "store_seconds": time.perf_counter() - began,
    }


@contextmanager
def one_writer(database: str | None) -> Iterator[None]:
    """With SQLite, one worker writes at a time (a lock file beside the database): SQLite
    refuses, rather than waits for, a transaction that read before another one wrote."""
    if not database:
        yield
        return
    import fcntl

    with open(f"{database}.writer-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
