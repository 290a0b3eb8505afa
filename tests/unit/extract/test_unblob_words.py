"""unblob's problems in our words: one line, no traceback, no path of the server."""

from __future__ import annotations

import signal
import traceback
from pathlib import Path

from unblob.report import (
    CalculateChunkExceptionReport,
    ExtractCommandFailedReport,
    ExtractionProblem,
    MaliciousSymlinkRemoved,
    UnknownError,
)

from assay.extract.unblob_adapter import _describe, own_words

ROOT = Path("/srv/assay/jobs/7/work/extracted")


def _traceback_text() -> str:
    try:
        open("/srv/assay/secret/config.yaml")  # noqa: SIM115
    except OSError:
        return traceback.format_exc()
    raise AssertionError("the file should not exist")


def clean(text: str) -> None:
    assert "\n" not in text
    assert "Traceback" not in text
    assert str(ROOT) not in text and "/srv/assay" not in text


def test_exceptions_become_their_kind_only() -> None:
    for report in (
        UnknownError(exception=FileNotFoundError(2, "No such file", "/srv/assay/secret/x")),
        UnknownError(exception=_traceback_text()),
        CalculateChunkExceptionReport(
            exception=ValueError(f"{ROOT}/a.bin: bad"), start_offset=0, handler="zip"
        ),
    ):
        described = _describe(report, ROOT)
        assert described is not None
        clean(described["message"])
        assert "could not process part of the input" in described["message"]
    traced = _describe(UnknownError(exception=_traceback_text()), ROOT)
    assert traced is not None and "(FileNotFoundError)" in traced["message"]
    chunk = CalculateChunkExceptionReport(exception=ValueError("x"), start_offset=0, handler="zip")
    assert _describe(chunk, ROOT) == {
        "message": "the zip handler could not process part of the input (ValueError)",
        "resolution": "that part was left unextracted",
    }


def test_commands_links_and_problems_lose_the_server_paths() -> None:
    failed = ExtractCommandFailedReport(
        command="/usr/bin/7z x -p -y /srv/assay/jobs/7/upload.bin -o/srv/out",
        stdout=b"",
        stderr=b"ERROR: /srv/assay/jobs/7/upload.bin\nTraceback (most recent call last):\n",
        exit_code=2,
    )
    described = _describe(failed, ROOT)
    assert described is not None
    clean(described["message"])
    assert described["message"] == "extractor failed: 7z exited 2"
    bomb = ExtractCommandFailedReport(
        command="unsquashfs -d /srv/x", stdout=b"", stderr=b"", exit_code=-signal.SIGXFSZ
    )
    assert (_describe(bomb, ROOT) or {})["message"].startswith("unsquashfs output exceeded")
    link = MaliciousSymlinkRemoved(link=f"{ROOT}/fw.bin_extract/etc/x", target="/etc/passwd")
    assert (_describe(link, ROOT) or {})["message"] == (
        "symlink pointing outside removed: fw.bin_extract/etc/x"
    )
    problem = ExtractionProblem(
        problem=f"Path traversal attempt: {ROOT}/a/../../../etc/x\x1b[31m",
        resolution="Skipped.",
    )
    described = _describe(problem, ROOT)
    assert described is not None
    clean(described["message"])
    assert "\x1b" not in described["message"]


def test_own_words() -> None:
    assert own_words(f"cannot open {ROOT}/a/b.bin") == "cannot open b.bin"
    assert own_words(f"cannot open {ROOT}/a/b.bin", ROOT) == "cannot open a/b.bin"
    assert own_words("line one\nline two /etc/shadow") == "line two shadow"
    assert own_words("") == ""
    assert len(own_words("x" * 1000)) == 200
