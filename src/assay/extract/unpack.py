"""Turn a target (image file, archive, or directory) into root filesystems and kernels.

Files go to the extraction worker (tar archives unpacked by ``safe_tar``, anything else by
unblob, both in a Landlock sandbox, in a session of their own); this module watches its time,
the bytes it writes and the entries it makes, and at a bound kills the whole session (every
process the worker started), keeping what was extracted so far as a partial result.
Directories are read in place through ``RootFS``, whose links never leave the tree; a
directory holding a container image layout (OCI, or an unpacked ``docker save``) goes to the
worker like a file, which applies its layers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from assay.errors import ExtractError, InputError, LimitExceeded
from assay.extract import forkserver, modes
from assay.extract.container import is_layout_dir
from assay.extract.locate import find_kernels, find_rootfs, links_leaving, strip_special_files
from assay.extract.rootfs import RootFS
from assay.extract.session import Worker, kill_session
from assay.model.problem import Problem

POLL_SECONDS = 0.05
SMALL_IMAGE = 32 * 1024 * 1024  # bytes: unpacked by one unblob process
# seconds between walks of the extracted tree: doubling from the first to the last (between
# walks, the disk's used space still says when one is due at once)
WALK_FIRST, WALK_MAX = 0.125, 1.0
MAX_ENTRIES = 500_000  # files, directories and links made in all
MAX_FANOUT = 1_000  # archives unpacked at one nesting level


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
    max_entries: int = MAX_ENTRIES,
    max_fanout: int = MAX_FANOUT,
    meanwhile: Callable[[], None] | None = None,
) -> Unpacked:
    """Unpack ``target`` inside ``work_dir`` (created if needed).

    ``timeout`` bounds the extraction's wall time; ``max_size`` the bytes it writes;
    ``max_entries`` the entries it makes; ``max_depth`` and ``max_fanout`` how deep archives
    in archives are unpacked and how many at each level. ``meanwhile`` runs in this process
    while the extraction worker works (the caller warms up the later stages there, using the
    second core); it runs once when unpacking succeeds.
    """
    once = _Once(meanwhile)
    bounds = _Bounds(timeout, max_depth, max_size, max_entries, max_fanout)
    result = _unpack(target, work_dir, bounds, once)
    once()  # directories have no worker to wait for
    return result


@dataclass(frozen=True)
class _Bounds:
    timeout: float
    max_depth: int
    max_size: int
    max_entries: int
    max_fanout: int


class _Once:
    """Call a function at most once."""

    def __init__(self, fn: Callable[[], None] | None) -> None:
        self.fn = fn

    def __call__(self) -> None:
        fn, self.fn = self.fn, None
        if fn is not None:
            fn()


def _unpack(target: Path, work_dir: Path, bounds: _Bounds, meanwhile: _Once) -> Unpacked:
    if not target.exists():
        raise InputError(f"{target}: no such file or directory", "check the path")
    if target.is_dir() and not is_layout_dir(target):
        return _directory(target)
    if not target.is_file() and not target.is_dir():
        raise InputError(f"{target}: not a regular file or directory", "give an image file")
    if target.is_file() and target.stat().st_size == 0:
        raise InputError(f"{target.name}: the file is empty", "give a firmware image")
    work_dir.mkdir(parents=True, exist_ok=True)
    extract_dir = work_dir / "extracted"
    if extract_dir.exists() and any(extract_dir.iterdir()):
        raise InputError(
            f"{extract_dir}: the work directory already holds an extraction",
            "give an empty --work-dir or remove it",
        )
    kind, problems = _run_worker(target, extract_dir, work_dir, bounds, meanwhile)
    result = Unpacked(extract_dir=extract_dir, problems=problems, kind=kind)
    result.problems.extend(strip_special_files(extract_dir))
    result.problems.extend(_depth_reached(extract_dir, bounds.max_depth))
    seen = _ModeSources(work_dir, extract_dir, kind)
    result.rootfs = [seen.rootfs(p) for p in find_rootfs(extract_dir)]
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

            if target.is_file() and recognise(target) is not None:
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
        result.rootfs = [seen.rootfs(extract_dir, label="extracted")]
    return result


class _ModeSources:
    """Root filesystems with the image's modes: from the archive's headers for a tar
    archive, else from the files, when the extractor that made them keeps modes."""

    def __init__(self, work_dir: Path, extract_dir: Path, kind: str) -> None:
        self.extract_dir = extract_dir
        self.archive = kind in ("archive", "container")
        self.recorded = modes.load(work_dir / modes.LOG_NAME) if self.archive else {}
        self.handlers = modes.load_handlers(work_dir / modes.HANDLERS_LOG_NAME)

    def rootfs(self, root: Path, label: str = "") -> RootFS:
        if self.archive:
            recorded = modes.for_root(self.recorded, self.extract_dir, root)
            return RootFS(root, label, recorded=recorded)
        known = modes.modes_known(self.handlers, self.extract_dir, root)
        return RootFS(root, label, modes_known=known)


def _directory(target: Path) -> Unpacked:
    root = target.resolve()
    found = find_rootfs(root)
    rootfs = [RootFS(p) for p in found] or [RootFS(root, label="extracted")]
    problems = []
    leaving = links_leaving(root)
    if leaving:
        shown = ", ".join(f"{path} -> {link}" for path, link in leaving[:3])
        problems.append(
            Problem(
                "extract",
                leaving[0][0],
                f"{len(leaving)} symbolic link(s) would lead out of the directory if followed "
                f"on this machine ({shown})",
                "read as the device would read them, inside the image only; never followed",
            )
        )
    kernels = find_kernels(root, deep=False)
    return Unpacked(rootfs=rootfs, kernels=kernels, kind="directory", problems=problems)


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
    image: Path, extract_dir: Path, work_dir: Path, bounds: _Bounds, meanwhile: _Once
) -> tuple[str, list[Problem]]:
    request = work_dir / "extract-request.json"
    result = work_dir / "extract-result.json"
    tmp = work_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ)
    # jefferson and ubireader are console scripts installed next to our interpreter
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TMPDIR"] = str(tmp.resolve())
    request_data = {
        "image": str(image.resolve()),
        "extract_root": str(extract_dir.resolve()),
        "tmp": str(tmp.resolve()),
        "max_depth": bounds.max_depth,
        "max_size": bounds.max_size,
        "max_entries": bounds.max_entries,
        "max_fanout": bounds.max_fanout,
        "processes": _processes(image),
    }
    reports = {
        "result": (result, os.O_TRUNC),
        "modes": (work_dir / modes.LOG_NAME, os.O_APPEND),
        "handlers": (work_dir / modes.HANDLERS_LOG_NAME, os.O_APPEND),
    }
    with ExitStack() as stack:
        server = forkserver.current()
        started = time.monotonic()
        proc: subprocess.Popen[bytes] | forkserver.Forked | None = None
        if server is not None:  # the same worker, forked from a server that imported unblob
            paths = {f"{key}_path": str(path.resolve()) for key, (path, _) in reports.items()}
            log_path = str((work_dir / "extract.log").resolve())
            env_part = {"PATH": env["PATH"], "TMPDIR": env["TMPDIR"]}
            # a process scanning many images runs several at once: one unblob process each
            try:
                proc = server.spawn(
                    {**request_data, **paths, "processes": 1, "log": log_path, "env": env_part}
                )
            except OSError:
                forkserver.disable()  # a broken server: this image gets a fresh worker
        if proc is None:
            # the worker reports through handles opened here: it cannot write to these files
            fds = {f"{key}_fd": _open(path, flag, stack) for key, (path, flag) in reports.items()}
            request.write_text(json.dumps({**request_data, **fds}))
            log = stack.enter_context((work_dir / "extract.log").open("wb"))
            started = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-m", "assay.extract.worker", str(request)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                pass_fds=tuple(fds.values()),
                preexec_fn=lambda: _limit_file_size(bounds.max_size),
            )
        try:
            meanwhile()
        except BaseException:
            kill_session(proc)
            raise
        exceeded = _watch(proc, extract_dir, bounds, started)
        kill_session(proc)  # whatever the worker left running (extractors it started)
    kind, problems = _read_result(result, image)
    if exceeded:
        problems.append(Problem("extract", image.name, exceeded, "extraction stopped; partial"))
        if not any(extract_dir.rglob("*")):
            raise LimitExceeded(
                f"{image.name}: {exceeded} before anything was extracted",
                "raise --timeout or --max-size",
            )
    elif proc.returncode != 0:
        problems.append(
            Problem(
                "extract",
                image.name,
                f"the extraction worker stopped unexpectedly (exit code {proc.returncode})",
                "partial result; extract.log in the work directory (--keep-work) says why",
            )
        )
    return kind, problems


def _processes(image: Path) -> int:
    """unblob's processes: one for a small image (a second would cost more start-up CPU than
    it saves time), up to two for a larger one."""
    if image.stat().st_size < SMALL_IMAGE:
        return 1
    return max(1, min(2, os.cpu_count() or 1))


def _open(path: Path, flag: int, stack: ExitStack) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | flag, 0o644)
    stack.callback(os.close, fd)
    return fd


def _read_result(result: Path, image: Path) -> tuple[str, list[Problem]]:
    """What the worker wrote: the kind of target and the problems it met."""
    try:
        data = json.loads(result.read_text())
    except (OSError, ValueError):
        return "image", []
    problems = [
        Problem("extract", item["path"] or image.name, item["message"], item["resolution"])
        for item in data.get("problems", [])
    ]
    return str(data.get("kind", "image")), problems


def _watch(proc: Worker, root: Path, bounds: _Bounds, start: float) -> str:
    """Wait for the worker; kill its whole session if it runs too long, writes too much or
    makes too many entries. The time counts from ``start`` (the worker's launch). The tree is
    walked less often as time passes and as it grows (a walk of a large tree must not take the
    worker's time); between walks, the disk's used space says when one is due at once."""
    next_check, spacing = 0.0, WALK_FIRST
    disk_before = _disk_used(root.parent)
    while proc.poll() is None:
        elapsed = time.monotonic() - start
        if elapsed > bounds.timeout:
            kill_session(proc)
            return f"time limit of {bounds.timeout:g} s reached"
        if elapsed >= next_check or _disk_used(root.parent) - disk_before > bounds.max_size:
            began = time.monotonic()
            size, entries = _tree_size(root, bounds.max_entries)
            if size > bounds.max_size:
                kill_session(proc)
                return f"extracted size limit of {bounds.max_size} bytes reached"
            if entries > bounds.max_entries:
                kill_session(proc)
                return f"more than {bounds.max_entries} entries: the entry bound was reached"
            walk = time.monotonic() - began
            spacing = min(WALK_MAX, spacing * 2)
            next_check = time.monotonic() - start + max(spacing, 4 * walk)
        _pause(proc, POLL_SECONDS)
    return ""


def _pause(proc: Worker, seconds: float) -> None:
    """Wait up to ``seconds``, returning as soon as the worker ends (not at the next tick)."""
    if isinstance(proc, forkserver.Forked):
        proc.wait_for(seconds)
    elif isinstance(proc, subprocess.Popen):
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            pass
    else:
        time.sleep(seconds)


def _disk_used(path: Path) -> int:
    """Bytes in use on the file system holding ``path`` (cheap; other writers count too)."""
    try:
        st = os.statvfs(path)
    except OSError:
        return 0
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def _limit_file_size(max_size: int) -> None:
    """No single file the worker (or an extractor it runs) writes may exceed the bound."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (max_size, max_size))


def _tree_size(root: Path, max_entries: int) -> tuple[int, int]:
    """Bytes on disk and entries under ``root`` (counting stops past ``max_entries``)."""
    total = entries = 0
    for dirpath, dirs, files in os.walk(root):
        entries += len(dirs) + len(files)
        if entries > max_entries:
            break
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                continue
    return total, entries
