"""The ``assay`` command line: parse, call the library, render, map errors to exit codes.

Each command group lives in its own module and is listed in ``COMMAND_MODULES``; each module
exposes a click command or group named ``command``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from assay import __version__
from assay.errors import AssayError

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


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="assay")
def cli() -> None:
    """Assay: security assurance for connected products."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (see README "Exit codes")."""
    try:
        code = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except AssayError as err:
        click.echo(f"assay: error: {err.diagnostics()}", err=True)
        return err.exit_code
    except click.exceptions.Abort:
        click.echo("assay: aborted", err=True)
        return 130
    except click.ClickException as err:
        err.show()
        return 2
    except click.exceptions.Exit as err:
        return int(err.exit_code)
    except SystemExit as err:  # click's return of a command's exit code
        return int(err.code or 0)
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
