"""Turn a target (image file, archive, or directory) into root filesystems and kernels.

Images go to the extraction worker (unblob in a Landlock sandbox, in its own process group);
this module watches its time and the bytes it writes and stops it at the bounds, keeping what
was extracted so far as a partial result.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assay.errors import ExtractError, InputError, LimitExceeded
from assay.extract.locate import find_kernels, find_rootfs, strip_special_files
from assay.extract.rootfs import RootFS
from assay.extract.safe_tar import is_tar, unpack_tar
from assay.model.problem import Problem

POLL_SECONDS = 0.05


@dataclass
class Unpacked:
    """What the target turned into."""

    rootfs: list[RootFS] = field(default_factory=list)
    kernels: list[Path] = field(default_factory=list)  # decompressed kernel images
    extract_dir: Path | None = None
    problems: list[Problem] = field(default_factory=list)
    kind: str = "image"


def unpack(
    target: Path,
    work_dir: Path,
    *,
    timeout: float,
    max_depth: int,
    max_size: int,
    meanwhile: Callable[[], None] | None = None,
) -> Unpacked:
    """Unpack ``target`` inside ``work_dir`` (created if needed).

    ``meanwhile`` runs in this process while the extraction worker works (the caller warms up
    the later stages there, using the second core); it runs once when unpacking succeeds.
    """
    once = _Once(meanwhile)
    result = _unpack(target, work_dir, timeout, max_depth, max_size, once)
    once()  # directories and tar archives have no worker to wait for
    return result


class _Once:
    """Call a function at most once."""

    def __init__(self, fn: Callable[[], None] | None) -> None:
        self.fn = fn

    def __call__(self) -> None:
        fn, self.fn = self.fn, None
        if fn is not None:
            fn()


def _unpack(
    target: Path,
    work_dir: Path,
    timeout: float,
    max_depth: int,
    max_size: int,
    meanwhile: _Once,
) -> Unpacked:
    if not target.exists():
        raise InputError(f"{target}: no such file or directory", "check the path")
    if target.is_dir():
        return _directory(target)
    if not target.is_file():
        raise InputError(f"{target}: not a regular file or directory", "give an image file")
    if target.stat().st_size == 0:
        raise InputError(f"{target.name}: the file is empty", "give a firmware image")
    work_dir.mkdir(parents=True, exist_ok=True)
    extract_dir = work_dir / "extracted"
    if extract_dir.exists() and any(extract_dir.iterdir()):
        raise InputError(
            f"{extract_dir}: the work directory already holds an extraction",
            "give an empty --work-dir or remove it",
        )
    if is_tar(target):
        problems = unpack_tar(target, extract_dir / "archive", max_size)
        result = Unpacked(extract_dir=extract_dir, problems=problems, kind="archive")
    else:
        result = Unpacked(extract_dir=extract_dir, kind="image")
        result.problems.extend(
            _run_worker(target, extract_dir, work_dir, timeout, max_depth, max_size, meanwhile)
        )
    result.problems.extend(strip_special_files(extract_dir))
    result.problems.extend(_depth_reached(extract_dir, max_depth))
    result.rootfs = [RootFS(p) for p in find_rootfs(extract_dir)]
    result.kernels = find_kernels(extract_dir)
    if not result.rootfs and result.kernels:
        result.problems.append(
            Problem(
                "extract",
                target.name,
                "a kernel but no root filesystem was found (the image may be truncated, "
                "encrypted or in an unsupported format)",
                "only the kernel was cataloged",
            )
        )
    if not result.rootfs and not result.kernels:
        if not _has_content(extract_dir):
            from assay.extract.blob import recognise  # single-blob firmware (issue 11)

            if recognise(target) is not None:
                return result  # no file system: the pipeline reads its header and bytes
            if result.problems:
                first = result.problems[0]
                raise ExtractError(
                    f"{target.name}: nothing could be extracted: {first.message}",
                    first.resolution or "check the file",
                )
            raise ExtractError(
                f"{target.name}: no known format found in the file (not a firmware image, "
                "or an encrypted/unknown vendor format)",
                "check the file, or unpack it with the vendor's tools and scan the directory",
            )
        result.problems.append(
            Problem(
                "extract",
                target.name,
                "no root filesystem or kernel found in what could be extracted",
                "only the extracted files were cataloged",
            )
        )
        result.rootfs = [RootFS(extract_dir, label="extracted")]
    return result


def _directory(target: Path) -> Unpacked:
    root = target.resolve()
    found = find_rootfs(root)
    rootfs = [RootFS(p) for p in found] or [RootFS(root)]
    return Unpacked(rootfs=rootfs, kernels=find_kernels(root, deep=False), kind="directory")


def _depth_reached(extract_dir: Path, max_depth: int) -> list[Problem]:
    """unblob stops quietly at the depth bound; say so when the bound was reached."""
    for dirpath, _dirs, _files in os.walk(extract_dir):
        rel = Path(dirpath).relative_to(extract_dir)
        if sum(part.endswith("_extract") for part in rel.parts) >= max_depth:
            return [
                Problem(
                    "extract",
                    rel.as_posix(),
                    f"archives nested {max_depth} deep: the nesting bound was reached",
                    "anything nested deeper was not unpacked; raise --max-depth to go further",
                )
            ]
    return []


def _has_content(extract_dir: Path) -> bool:
    for _dirpath, _dirs, files in os.walk(extract_dir):
        for name in files:
            if not name.endswith((".unknown", ".padding")):
                return True
    return False


def _run_worker(
    image: Path,
    extract_dir: Path,
    work_dir: Path,
    timeout: float,
    max_depth: int,
    max_size: int,
    meanwhile: _Once,
) -> list[Problem]:
    request = work_dir / "extract-request.json"
    result = work_dir / "extract-problems.json"
    request.write_text(
        json.dumps(
            {
                "image": str(image.resolve()),
                "extract_root": str(extract_dir.resolve()),
                "max_depth": max_depth,
                "processes": max(1, min(2, os.cpu_count() or 1)),
                "result": str(result.resolve()),
            }
        )
    )
    env = dict(os.environ)
    # jefferson and ubireader are console scripts installed next to our interpreter
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    tmp = work_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp.resolve())
    with (work_dir / "extract.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assay.extract.worker", str(request)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: _limit_file_size(max_size),
        )
        try:
            meanwhile()
        except BaseException:
            _kill(proc)
            raise
        exceeded = _watch(proc, extract_dir, timeout, max_size)
    problems = []
    if result.exists():
        problems = [
            Problem("extract", item["path"], item["message"], item["resolution"])
            for item in json.loads(result.read_text())
        ]
    if exceeded:
        problems.append(Problem("extract", image.name, exceeded, "extraction stopped; partial"))
        if not any(extract_dir.rglob("*")):
            raise LimitExceeded(
                f"{image.name}: {exceeded} before anything was extracted",
                "raise --timeout or --max-size",
            )
    elif proc.returncode != 0:
        tail = (work_dir / "extract.log").read_text(errors="replace").strip().splitlines()[-1:]
        problems.append(
            Problem(
                "extract",
                image.name,
                f"extractor crashed: {' '.join(tail)[:200]}",
                "partial result",
            )
        )
    return problems


def _watch(proc: subprocess.Popen[bytes], root: Path, timeout: float, max_size: int) -> str:
    """Wait for the worker; kill its whole group if it runs too long or writes too much."""
    start = time.monotonic()
    next_size_check = 0.0
    while proc.poll() is None:
        elapsed = time.monotonic() - start
        if elapsed > timeout:
            _kill(proc)
            return f"time limit of {timeout:g} s reached"
        if elapsed >= next_size_check:
            size = _tree_size(root)
            if size > max_size:
                _kill(proc)
                return f"extracted size limit of {max_size} bytes reached"
            next_size_check = elapsed + 0.25
        time.sleep(POLL_SECONDS)
    return ""


def _limit_file_size(max_size: int) -> None:
    """No single file the worker (or an extractor it runs) writes may exceed the bound."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (max_size, max_size))


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _tree_size(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                continue
    return total
