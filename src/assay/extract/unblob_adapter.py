"""The thin adapter around unblob (pinned in pyproject). Runs inside the extraction worker.

unblob's SquashFS handlers call ``sasquatch``, which Debian does not ship. Standard SquashFS
(v3 LE/BE and v4 LE, any compressor squashfs-tools was built with) is extracted here with
Debian's ``unsquashfs``; vendor-modified variants (DD-WRT, Broadcom, "non-standard" magic, v4
big-endian, legacy LZMA) with Debian's 7-Zip, which reads most of them; a chunk neither can read
is reported as unsupported, and the rest of the image is still extracted.

Bounds beyond unblob's own nesting depth are added here: the number of entries looked at in
all and the number of archives unpacked at each nesting level (fan-out). Problems are put in
our own words on one line, without tracebacks or the server's paths.
"""

from __future__ import annotations

import logging
import re
import signal
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import structlog
from unblob import processing
from unblob.extractors import Command
from unblob.file_utils import File
from unblob.handlers import BUILTIN_HANDLERS
from unblob.handlers.filesystem import squashfs
from unblob.models import ExtractError, Extractor, Task, TaskResult
from unblob.processing import ExtractionConfig, process_file
from unblob.report import ExtractCommandFailedReport, ExtractionProblem, HashReport

from assay.extract import elf_handlers
from assay.extract.modes import log_handler
from assay.extract.prescan import Prescan

ABSOLUTE_PATH = re.compile(r"(?<![\w.~-])(?:/[^\s/:'\"(),]+)+/?")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

SQUASHFS_COMPRESSORS = {1: "gzip", 2: "lzma", 3: "lzo", 4: "xz", 5: "lz4", 6: "zstd"}


class UnsquashfsExtractor(Extractor):
    """Extract standard SquashFS with Debian's unsquashfs; explain what it cannot read."""

    def __init__(self, variant: str) -> None:
        self.variant = variant

    def get_dependencies(self) -> list[str]:
        return ["unsquashfs"]

    def extract(self, inpath: Path, outdir: Path) -> None:
        header = inpath.open("rb").read(32)
        if self.variant == "squashfs_v4_be":
            _unsupported(inpath, "SquashFS 4 big-endian is a vendor variant (not standard)")
        if header[:4] == b"hsqs" and len(header) >= 22:
            comp = struct.unpack_from("<H", header, 20)[0]
            if comp not in SQUASHFS_COMPRESSORS:
                _unsupported(inpath, f"SquashFS compressor id {comp} is a vendor variant")
        command = Command(
            "unsquashfs", "-no-progress", "-no-xattrs", "-f", "-d", "{outdir}", "{inpath}"
        )
        try:
            command.extract(inpath, outdir)
        except ExtractError as err:
            reason = _stderr(err)
            _unsupported(inpath, f"unsquashfs could not read it ({reason})")


class SevenZipSquashfsExtractor(Extractor):
    """Vendor SquashFS variants (non-standard magic, Broadcom, DD-WRT, v4 big-endian, legacy
    LZMA) that unblob would hand to ``sasquatch``: Debian's 7-Zip reads most of them. What 7-Zip
    unpacks is kept even when it reports errors on some members (device nodes, odd links); a
    chunk it cannot read at all is reported as unsupported."""

    def __init__(self, variant: str) -> None:
        self.variant = variant

    def get_dependencies(self) -> list[str]:
        return ["7z"]

    def extract(self, inpath: Path, outdir: Path) -> None:
        import subprocess

        outdir.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(
                ["7z", "x", "-y", "-bd", f"-o{outdir}", str(inpath)],
                capture_output=True,
                timeout=600,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            _unsupported(inpath, f"7-Zip could not run ({type(err).__name__})")
        if done.returncode != 0 and not any(outdir.iterdir()):
            _unsupported(inpath, f"{self.variant}: 7-Zip could not read it either")


def _stderr(err: ExtractError) -> str:
    for report in err.reports:
        if isinstance(report, ExtractCommandFailedReport):
            text = report.stderr.decode("utf-8", "replace").strip().splitlines()
            return own_words(text[-1]) if text else f"exit code {report.exit_code}"
    return "unknown error"


def _unsupported(inpath: Path, why: str) -> None:
    raise ExtractError(
        ExtractionProblem(
            path=str(inpath),
            problem=f"unsupported SquashFS variant: {why}",
            resolution="chunk left unextracted; unpack it with the vendor's tools and scan the "
            "directory",
        )
    )


@cache
def _patched_handlers() -> tuple[Any, ...]:
    """unblob's built-in handlers, SquashFS ones re-pointed at unsquashfs (standard formats)
    or at 7-Zip (vendor variants that would need sasquatch)."""
    replace = {
        squashfs.SquashFSv3Handler,
        squashfs.SquashFSv4LEHandler,
    }
    handlers = []
    for handler in BUILTIN_HANDLERS:
        if handler in elf_handlers.REPLACED:  # lief only where it could change the outcome
            handler = elf_handlers.REPLACED[handler]
        elif handler in replace:
            handler = type(
                handler.__name__,
                (handler,),
                {"EXTRACTOR": UnsquashfsExtractor(handler.NAME)},
            )
        elif handler.NAME.startswith("squashfs_"):
            handler = type(
                handler.__name__,
                (handler,),
                {"EXTRACTOR": SevenZipSquashfsExtractor(handler.NAME)},
            )
        handlers.append(handler)
    return tuple(handlers)


def _skip_mime_types() -> None:
    """unblob asks libmagic twice per file: for the description (which decides what to skip)
    and for a MIME type that only goes into its own report, which we do not read. The second
    call is about a third of unblob's time on a typical root filesystem; answer it with ""."""
    original = processing.Processor.__init__

    def init(self: Any, config: ExtractionConfig) -> None:
        original(self, config)
        self._get_mime_type = lambda _path: ""

    processing.Processor.__init__ = init  # type: ignore[method-assign]


def _skip_hashes() -> None:
    """unblob reads every file it looks at once more to hash it three ways (MD5, SHA-1,
    SHA-256) for its own report, which we do not read (the SBOM hashes the root filesystem's
    files itself): the report is made with empty digests instead."""

    class Unhashed:
        @staticmethod
        def from_path(_path: Path) -> HashReport:
            return HashReport(md5="", sha1="", sha256="")

    processing.HashReport = Unhashed  # type: ignore[attr-defined,assignment]


@dataclass(frozen=True)
class Bounds:
    """How far unblob may go: nesting depth, entries looked at, archives per nesting level."""

    max_depth: int
    max_entries: int
    max_fanout: int


@dataclass
class _Limiter:
    """Drops the tasks beyond the entry and fan-out bounds; remembers what it dropped."""

    bounds: Bounds
    handlers_log: int | None = None  # an open handle
    prescan: Prescan | None = None  # leaves out entries where unblob could find nothing
    entries: int = 0
    per_level: Counter[int] = field(default_factory=Counter)
    notes: dict[str, dict[str, str]] = field(default_factory=dict)

    def keep(self, result: TaskResult, root: Path, image: Path) -> None:
        kept = []
        for task in result.subtasks:
            self.entries += 1
            if self.entries > self.bounds.max_entries:
                self._note(
                    "entries",
                    _rel(task.path, root, image),
                    f"more than {self.bounds.max_entries} entries: the entry bound was reached",
                    "the rest was not looked into",
                )
                continue
            if task.depth > result.task.depth:
                self.per_level[task.depth] += 1
                if self.per_level[task.depth] > self.bounds.max_fanout:
                    self._note(
                        f"fanout{task.depth}",
                        _rel(task.path, root, image),
                        f"more than {self.bounds.max_fanout} archives unpacked at nesting "
                        f"level {task.depth}: the fan-out bound was reached",
                        "the archives beyond it were not looked into",
                    )
                    continue
                self._log_handler(result, task, root, image)
            if self.prescan is None or self.prescan.wanted(task):
                kept.append(task)
        result.subtasks = kept

    def _log_handler(self, result: TaskResult, task: Task, root: Path, image: Path) -> None:
        """Which handler made this extraction directory (whether its modes are the image's)."""
        if self.handlers_log is None:
            return
        for report in result.reports:
            if getattr(report, "id", None) == task.blob_id and hasattr(report, "handler_name"):
                log_handler(self.handlers_log, _rel(task.path, root, image), report.handler_name)
                return

    def _note(self, key: str, path: str, message: str, resolution: str) -> None:
        self.notes.setdefault(key, {"path": path, "message": message, "resolution": resolution})


def _bounded_pool(limiter: _Limiter, root: Path, image: Path) -> None:
    """Put the limiter between unblob's workers and its task queue."""
    original = processing.make_pool  # type: ignore[attr-defined]

    def make_pool(
        process_num: int, handler: Callable[..., Any], result_callback: Callable[..., Any]
    ) -> Any:
        def callback(pool: Any, result: TaskResult) -> None:
            limiter.keep(result, root, image)
            result_callback(pool, result)

        return original(process_num=process_num, handler=handler, result_callback=callback)

    processing.make_pool = make_pool  # type: ignore[attr-defined]


def patterns() -> None:
    """Compile unblob's pattern database for our handlers now (unblob caches it by the handler
    tuple, which is built once)."""
    from unblob.finder import build_hyperscan_database

    build_hyperscan_database(_patched_handlers())


def warm_up() -> None:
    """The pattern database and lief, for a process that forks a worker per image."""
    from assay.extract import lazy_lief

    patterns()
    lazy_lief.load()


def run_unblob(
    image: Path, extract_root: Path, bounds: Bounds, processes: int, handlers_log: int
) -> list[dict[str, Any]]:
    """Unpack ``image`` under ``extract_root``; return problems as plain dicts. Which handler
    unpacked which directory is appended to the open handle ``handlers_log`` as it happens."""
    # unblob logs through structlog; unconfigured, it renders every debug line with rich
    # tracebacks, which costs more than the extraction itself. Keep only real failures, and
    # let each logger keep its filtering wrapper instead of building it at every call.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL),
        cache_logger_on_first_use=True,
    )
    _skip_mime_types()
    _skip_hashes()
    limiter = _Limiter(bounds, handlers_log, Prescan(_patched_handlers()))
    _bounded_pool(limiter, extract_root, image)
    config = ExtractionConfig(
        extract_root=extract_root,
        randomness_depth=0,
        max_depth=bounds.max_depth,
        process_num=processes,
        handlers=_patched_handlers(),
        verbose=0,
    )
    result = process_file(config, image)
    problems: list[dict[str, Any]] = []
    for task_result in result.results:
        where = _rel(task_result.task.path, extract_root, image)
        for report in _flatten(task_result.reports):
            problem = _describe(report, extract_root)
            if problem:
                problems.append({"path": where, **problem})
    # unblob meets them in the order the file system lists a directory, which differs between
    # file systems (ext4, tmpfs): the same scan gives them in the same order on any
    problems.sort(key=lambda p: (p["path"], p["message"]))
    return problems + list(limiter.notes.values())


def _flatten(reports: list[Any]) -> list[Any]:
    out = []
    for report in reports:
        out.append(report)
        out.extend(_flatten(getattr(report, "extraction_reports", []) or []))
    return out


def own_words(text: str, root: Path | None = None) -> str:
    """One short line without control characters or the server's paths (a path inside the
    extraction directory is shown relative to it, any other by its last component)."""
    if root is not None:
        text = text.replace(f"{root}/", "").replace(str(root), ".")
    text = ABSOLUTE_PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1] or "/", text)
    line = CONTROL.sub(" ", text.strip().splitlines()[-1] if text.strip() else "")
    return " ".join(line.split())[:200]


def _tool(command: str) -> str:
    return own_words(command.split()[0] if command.split() else "extractor")


def _describe(report: Any, root: Path) -> dict[str, str] | None:
    name = type(report).__name__
    if isinstance(report, ExtractionProblem):
        return {
            "message": own_words(report.problem, root),
            "resolution": own_words(report.resolution, root),
        }
    if name == "ExtractorDependencyNotFoundReport":
        deps = ", ".join(report.dependencies)
        return {
            "message": f"extractor not installed: {deps}",
            "resolution": "chunk left unextracted (vendor-modified format needs a tool Debian "
            "does not ship)"
            if "sasquatch" in deps
            else "install it (make setup) and scan again",
        }
    if name == "ExtractCommandFailedReport" and report.exit_code == -signal.SIGXFSZ:
        return {
            "message": f"{_tool(report.command)} output exceeded the size bound "
            "(a decompression bomb, or a genuine image larger than --max-size)",
            "resolution": "output truncated at the bound; raise --max-size if genuine",
        }
    if name == "ExtractCommandFailedReport":
        return {
            "message": f"extractor failed: {_tool(report.command)} exited {report.exit_code}",
            "resolution": "chunk partly or not extracted",
        }
    if name == "ExtractorTimedOut":
        return {"message": "extractor timed out", "resolution": "chunk partly extracted"}
    if name == "MaliciousSymlinkRemoved":
        return {
            "message": f"symlink pointing outside removed: {own_words(report.link, root)}",
            "resolution": "",
        }
    if name.endswith("ExceptionReport") or name == "UnknownError":
        handler = getattr(report, "handler", "")
        what = f"the {own_words(handler)} handler" if handler else "unblob"
        return {
            "message": f"{what} could not process part of the input ({_error_kind(report)})",
            "resolution": "that part was left unextracted",
        }
    if name == "OutputDirectoryExistsReport":
        return {"message": "output directory already exists", "resolution": "skipped"}
    return None


def _error_kind(report: Any) -> str:
    """The kind of error, never its text (which may hold a traceback or paths)."""
    exc = getattr(report, "exception", None)
    if isinstance(exc, BaseException):
        return type(exc).__name__
    lines = [line for line in str(exc or "").splitlines() if line.strip()]
    last = lines[-1] if lines else ""  # a traceback's last line names the exception
    match = re.match(r"\s*([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))", last)
    return match.group(1).rsplit(".", 1)[-1] if match else "internal error"


def _rel(path: Path, root: Path, image: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return image.name


__all__ = ["Bounds", "File", "own_words", "run_unblob"]
