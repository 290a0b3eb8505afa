"""One error root for everything Assay raises on purpose.

::

    AssayError                 exit 2  (generic: cannot continue)
    ├── UsageError             exit 2  (bad option or argument)
    ├── InputError             exit 3  (the target/declaration/SBOM cannot be read)
    │   └── ExtractError       exit 3  (the image cannot be unpacked at all)
    ├── LimitExceeded          exit 4  (time, depth or size bound hit; raise it with an option)
    ├── FeedError              exit 5  (a vulnerability feed cannot be read or imported)
    ├── StoreError             exit 6  (the vulnerability store or registry is unusable)
    └── ToolMissing            exit 7  (an external extractor is not installed)

    (anything else)            exit 2  "internal error: ..." (a bug: please report it)
    (Ctrl-C)                   exit 130

Exit 0 means the job ran and nothing at or above the ``--fail-on`` threshold was found;
exit 1 means only that: it ran and ``--fail-on`` tripped (the items that tripped it are
printed). Every error carries a one-line message that names the problem and a ``hint`` that
says what to do; the command line prints that line and no traceback (``--debug`` or
``ASSAY_DEBUG=1`` adds it). Exceptions that are not ``AssayError`` are mapped by
:func:`internal_error`: an unreadable or unwritable file (``OSError``) is exit 2 with the
system's reason, input nested too deeply (``RecursionError``) exit 3, memory exhausted
(``MemoryError``) exit 4, anything else exit 2 as an internal error.
"""

from __future__ import annotations


class AssayError(Exception):
    """Root of all deliberate errors. ``str(e)`` is one line; ``hint`` says what to do."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """The one-line message, plus the hint when there is one."""
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(AssayError):
    """An option or argument is wrong."""


class InputError(AssayError):
    """A file the user gave cannot be read as what it claims to be."""

    exit_code = 3


class ExtractError(InputError):
    """The image cannot be unpacked at all (a partial unpack is not an error)."""


class LimitExceeded(AssayError):
    """A safety bound (time, depth, extracted size) was hit."""

    exit_code = 4


class FeedError(AssayError):
    """A vulnerability feed cannot be read or imported."""

    exit_code = 5


class StoreError(AssayError):
    """The vulnerability store or the registry cannot be used."""

    exit_code = 6


class ToolMissing(AssayError):
    """An external program Assay needs is not installed."""

    exit_code = 7


EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INTERNAL = 2
EXIT_INTERRUPTED = 130
REPORT_HINT = "please report it, with the output of `assay --debug ...`"


def internal_error(err: BaseException) -> AssayError:
    """An exception Assay did not raise on purpose, as a one-line ``AssayError``."""
    if isinstance(err, AssayError):
        return err
    if isinstance(err, RecursionError):
        return InputError("the input is nested too deeply to read", "check the file you gave")
    if isinstance(err, MemoryError):
        return LimitExceeded("ran out of memory", "scan on a machine with more memory")
    if isinstance(err, OSError) and err.strerror:
        where = f": {err.filename}" if err.filename else ""
        return AssayError(f"{err.strerror}{where}", "check the path and its permissions")
    text = " ".join(str(err).split())[:200]
    detail = f"{type(err).__name__}: {text}" if text else type(err).__name__
    return AssayError(f"internal error: {detail}", REPORT_HINT)
