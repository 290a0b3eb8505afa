"""The thin adapter around unblob (pinned in pyproject). Runs inside the extraction worker.

unblob's SquashFS handlers call ``sasquatch``, which Debian does not ship. Standard SquashFS
(v3 LE/BE and v4 LE, any compressor squashfs-tools was built with) is extracted here with
Debian's ``unsquashfs``; vendor-modified variants (DD-WRT, Broadcom, "non-standard" magic, v4
big-endian, legacy LZMA) are reported per chunk as unsupported, and the rest of the image is
still extracted.
"""

from __future__ import annotations

import logging
import signal
import struct
from pathlib import Path
from typing import Any

import structlog
from unblob import processing
from unblob.extractors import Command
from unblob.file_utils import File
from unblob.handlers import BUILTIN_HANDLERS
from unblob.handlers.filesystem import squashfs
from unblob.models import ExtractError, Extractor
from unblob.processing import ExtractionConfig, process_file
from unblob.report import ExtractCommandFailedReport, ExtractionProblem

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


def _stderr(err: ExtractError) -> str:
    for report in err.reports:
        if isinstance(report, ExtractCommandFailedReport):
            text = report.stderr.decode("utf-8", "replace").strip().splitlines()
            return text[-1][:200] if text else f"exit code {report.exit_code}"
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


def _patched_handlers() -> tuple[Any, ...]:
    """unblob's built-in handlers, SquashFS ones re-pointed at unsquashfs."""
    replace = {
        squashfs.SquashFSv3Handler,
        squashfs.SquashFSv4LEHandler,
        squashfs.SquashFSv4BEHandler,
    }
    handlers = []
    for handler in BUILTIN_HANDLERS:
        if handler in replace:
            handler = type(
                handler.__name__,
                (handler,),
                {"EXTRACTOR": UnsquashfsExtractor(handler.NAME)},
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


def run_unblob(
    image: Path, extract_root: Path, max_depth: int, processes: int
) -> list[dict[str, Any]]:
    """Unpack ``image`` under ``extract_root``; return problems as plain dicts."""
    # unblob logs through structlog; unconfigured, it renders every debug line with rich
    # tracebacks, which costs more than the extraction itself. Keep only real failures.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    _skip_mime_types()
    config = ExtractionConfig(
        extract_root=extract_root,
        randomness_depth=0,
        max_depth=max_depth,
        process_num=processes,
        handlers=_patched_handlers(),
        verbose=0,
    )
    result = process_file(config, image)
    problems: list[dict[str, Any]] = []
    for task_result in result.results:
        where = _rel(task_result.task.path, extract_root, image)
        for report in _flatten(task_result.reports):
            problem = _describe(report)
            if problem:
                problems.append({"path": where, **problem})
    return problems


def _flatten(reports: list[Any]) -> list[Any]:
    out = []
    for report in reports:
        out.append(report)
        out.extend(_flatten(getattr(report, "extraction_reports", []) or []))
    return out


def _describe(report: Any) -> dict[str, str] | None:
    name = type(report).__name__
    if isinstance(report, ExtractionProblem):
        return {"message": report.problem, "resolution": report.resolution}
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
            "message": f"{report.command.split()[0]} output exceeded the size bound "
            "(a decompression bomb, or a genuine image larger than --max-size)",
            "resolution": "output truncated at the bound; raise --max-size if genuine",
        }
    if name == "ExtractCommandFailedReport":
        err = report.stderr.decode("utf-8", "replace").strip().splitlines()
        return {
            "message": f"extractor failed: {report.command.split()[0]} exited "
            f"{report.exit_code}: {err[-1][:160] if err else ''}",
            "resolution": "chunk partly or not extracted",
        }
    if name == "ExtractorTimedOut":
        return {"message": "extractor timed out", "resolution": "chunk partly extracted"}
    if name == "MaliciousSymlinkRemoved":
        return {"message": f"symlink pointing outside removed: {report.link}", "resolution": ""}
    if name.endswith("ExceptionReport") or name == "UnknownError":
        return {
            "message": f"unblob error: {getattr(report, 'exception', name)}"[:300],
            "resolution": "part of the input left unextracted",
        }
    if name == "OutputDirectoryExistsReport":
        return {"message": "output directory already exists", "resolution": "skipped"}
    return None


def _rel(path: Path, root: Path, image: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return image.name


__all__ = ["File", "run_unblob"]
