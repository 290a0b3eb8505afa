"""The extraction worker: ``python -m assay.extract.worker REQUEST.json``.

Everything Assay unpacks is unpacked here: tar archives by ``safe_tar`` (container image
archives layer by layer, by ``container``), everything else by unblob. The worker runs in a
session of its own so that the parent can bound its time and the size it writes and kill it
with every process it started. Before it reads the target it
confines itself with Landlock (through unblob's sandbox): from then on nothing it or the
external extractors do can write anywhere but the extraction tree and its temporary folder.
What it reports (the kind of target, the problems met, the archive's modes, which handler
unpacked what) goes to handles the parent opened, outside the writable area, so that no
unpacked file can overwrite it. It exits 0, or non-zero on a crash.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
from pathlib import Path
from typing import Any

from assay import sonames

TAR_MEMORY = 1 << 30  # heap for reading a tar archive (tarfile holds one header at a time)


def main(request_path: str) -> int:
    return run(json.loads(Path(request_path).read_text()))


def run(request: dict[str, Any]) -> int:
    """Unpack what ``request`` names (the handles it gives are open in this process)."""
    sonames.install()  # libmagic without gcc runs (unblob imports python-magic)
    image = Path(request["image"])
    extract_root = Path(request["extract_root"])
    extract_root.mkdir(parents=True, exist_ok=True)
    from assay.extract.safe_tar import is_tar, unpack_tar

    sandboxed = _enter_sandbox(extract_root, Path(request["tmp"]))
    problems: list[dict[str, Any]] = []
    if not sandboxed:
        problems.append(
            {
                "path": "",
                "message": "Landlock sandbox unavailable on this kernel",
                "resolution": "extracted without file-system confinement",
            }
        )
    result_fd = request["result_fd"]
    usual = resource.getrlimit(resource.RLIMIT_DATA)
    resource.setrlimit(resource.RLIMIT_DATA, (min(TAR_MEMORY, usual[1]), usual[1]))
    if image.is_dir() or is_tar(image):  # a directory comes here only as an image layout
        from assay.extract.container import find_layout, unpack_image

        layout = find_layout(image)
        kind = "archive" if layout is None else "container"
        _report(result_fd, kind, problems)
        if layout is None:
            problems += unpack_tar(
                image,
                extract_root / "archive",
                request["modes_fd"],
                request["max_size"],
                request["max_entries"],
            )
        else:  # docker save or OCI layout: the layers applied in order, as one tree
            problems += unpack_image(
                image,
                layout,
                extract_root / "rootfs",
                request["modes_fd"],
                request["max_size"],
                request["max_entries"],
            )
    else:
        resource.setrlimit(resource.RLIMIT_DATA, usual)  # unblob and its extractors need more
        kind = "image"
        _report(result_fd, kind, problems)
        from assay.extract import lazy_lief

        lazy_lief.defer()  # most images never need it (assay.extract.elf_handlers)
        gc.disable()  # unblob's modules and pattern database: objects that stay to the end
        from assay.extract.unblob_adapter import Bounds, patterns, run_unblob

        patterns()
        gc.freeze()  # later collections skip them
        gc.enable()

        bounds = Bounds(request["max_depth"], request["max_entries"], request["max_fanout"])
        handlers_fd = request["handlers_fd"]
        problems += run_unblob(image, extract_root, bounds, request["processes"], handlers_fd)
    _report(result_fd, kind, problems)
    return 0


def _report(fd: int, kind: str, problems: list[dict[str, Any]]) -> None:
    """Replace what the result handle holds."""
    data = json.dumps({"kind": kind, "problems": problems}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _enter_sandbox(extract_root: Path, tmp: Path) -> bool:
    from unblob._rust.sandbox import AccessFS, SandboxError, restrict_access

    try:
        restrict_access(
            AccessFS.read("/"),
            AccessFS.read_write("/dev/shm"),
            AccessFS.read_write(str(extract_root)),
            AccessFS.remove_dir(str(extract_root)),
            AccessFS.remove_file(str(extract_root)),
            AccessFS.read_write(str(tmp)),
            AccessFS.remove_dir(str(tmp)),
            AccessFS.remove_file(str(tmp)),
        )
    except SandboxError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
