"""The extraction worker: ``python -m assay.extract.worker REQUEST.json``.

It runs in its own process group so that the parent can bound its time and the size it
writes, and it confines itself with Landlock (through unblob's sandbox) so that nothing it
or the external extractors do can write outside the extraction directory. It writes the
problems it met as JSON next to the request and exits 0, or exits non-zero on a crash.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(request_path: str) -> int:
    request = json.loads(Path(request_path).read_text())
    image = Path(request["image"])
    extract_root = Path(request["extract_root"])
    extract_root.mkdir(parents=True, exist_ok=True)
    # import everything (libmagic, lief...) before the sandbox closes the rest of the disk
    from assay.extract.unblob_adapter import run_unblob

    sandboxed = _enter_sandbox(extract_root, Path(request["result"]).parent)
    problems = run_unblob(image, extract_root, request["max_depth"], request["processes"])
    if not sandboxed:
        problems.append(
            {
                "path": "",
                "message": "Landlock sandbox unavailable on this kernel",
                "resolution": "extracted without file-system confinement",
            }
        )
    Path(request["result"]).write_text(json.dumps(problems))
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
