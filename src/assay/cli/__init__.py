"""The ``assay`` command line: parse, call the library, render, map errors to exit codes.

Each command group lives in its own module and is listed in ``COMMAND_MODULES``; each module
exposes a click command or group named ``command``.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

import click

from assay import __version__, sonames
from assay.errors import EXIT_INTERRUPTED, AssayError, internal_error

_DEBUG = {"on": False}
GC_THRESHOLDS = (50_000, 20, 10)  # new objects between collections; young, middle collections

COMMAND_MODULES = [
    "scan",
    "registry",
    "label",
    "serve",
    "norms",
    "declaration",
    "checks",
    "feeds",
    "diff",
    "vex",
    "verify",
    "environment",
    "mud",
    "keys",
    "corpus",
]


class _LazyGroup(click.Group):
    """Import a command's module only when that command runs (or help lists it): the web,
    registry and VEX stacks cost seconds to import, which a scan should not pay."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_MODULES:
            return None
        command: click.Command = importlib.import_module(f"assay.cli.{cmd_name}").command
        return command


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        _DEBUG["on"] = True
    return value


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="assay")
@click.option(
    "--debug",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_set_debug,
    help="Show the traceback of an internal error (also ASSAY_DEBUG=1).",
)
def cli() -> None:
    """Assay: security assurance for connected products."""


def _debugging() -> bool:
    return _DEBUG["on"] or os.environ.get("ASSAY_DEBUG", "").lower() in {"1", "true", "yes"}


def _error(err: AssayError) -> None:
    """The one line on stderr (cleaned: messages may quote what an image holds)."""
    from assay.present.text import clean

    click.echo(f"assay: error: {clean(err.diagnostics())}", err=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (see README "Exit codes"). Every failure is one line
    on stderr with its documented code; a traceback only with ``--debug``/``ASSAY_DEBUG=1``."""
    _DEBUG["on"] = False
    sonames.install()  # label.png's cairo without gcc runs
    # Python's cyclic collector, at its defaults, runs every 700 new objects; a scan leaves
    # almost nothing in cycles (1,611 objects for the WR703N) and those runs cost about a
    # tenth of its CPU (1.39 -> 1.25 s, median of 5). Young objects now every 50,000.
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        code = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except AssayError as err:
        _error(err)
        return err.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("assay: aborted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as err:
        err.show()
        return 2
    except click.exceptions.Exit as err:
        return int(err.exit_code)
    except SystemExit as err:  # click's return of a command's exit code
        return err.code if isinstance(err.code, int) else (0 if err.code is None else 2)
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, a code
        if _debugging():
            traceback.print_exc()
        mapped = internal_error(err)
        _error(mapped)
        return mapped.exit_code
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
