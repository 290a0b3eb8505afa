"""The extraction worker: ``python -m assay.extract.worker REQUEST.json``.

Everything Assay unpacks is unpacked here: tar archives by ``safe_tar``, everything else by
unblob. The worker runs in its own session so that the parent can bound its time and the size
it writes and kill it with every process it started; it confines itself with Landlock
(through unblob's sandbox) before it reads the target, so that nothing it or the external
extractors do can write outside the extraction directory. It writes what it found (the kind
of target and the problems met) as JSON next to the request and exits 0, or exits non-zero
on a crash.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def main(request_path: str) -> int:
    request = json.loads(Path(request_path).read_text())
    image = Path(request["image"])
    extract_root = Path(request["extract_root"])
    extract_root.mkdir(parents=True, exist_ok=True)
    result_path = Path(request["result"])
    from assay.extract.safe_tar import is_tar, unpack_tar

    sandboxed = _enter_sandbox(extract_root, result_path.parent)
    problems: list[dict[str, Any]] = []
    if not sandboxed:
        problems.append(
            {
                "path": "",
                "message": "Landlock sandbox unavailable on this kernel",
                "resolution": "extracted without file-system confinement",
            }
        )
    if is_tar(image):
        kind = "archive"
        result_path.write_text(json.dumps({"kind": kind, "problems": problems}))
        problems += unpack_tar(
            image,
            extract_root / "archive",
            Path(request["modes_log"]),
            request["max_size"],
            request["max_entries"],
        )
    else:
        kind = "image"
        result_path.write_text(json.dumps({"kind": kind, "problems": problems}))
        from assay.extract.unblob_adapter import Bounds, run_unblob

        bounds = Bounds(request["max_depth"], request["max_entries"], request["max_fanout"])
        handlers_log = Path(request["handlers_log"])
        problems += run_unblob(image, extract_root, bounds, request["processes"], handlers_log)
    result_path.write_text(json.dumps({"kind": kind, "problems": problems}))
    return 0


def _enter_sandbox(extract_root: Path, result_dir: Path) -> bool:
    from unblob._rust.sandbox import AccessFS, SandboxError, restrict_access

    try:
        restrict_access(
            AccessFS.read("/"),
            AccessFS.read_write("/dev/shm"),
            AccessFS.read_write(str(extract_root)),
            AccessFS.remove_dir(str(extract_root)),
            AccessFS.remove_file(str(extract_root)),
            AccessFS.read_write(str(result_dir)),
        )
    except SandboxError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
