"""The one explicit list of built-in checks: each id bound to its function.

Metadata comes from ``data/checks.yaml``; a test makes sure every id there has a function
here and the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from assay.checks import access, credentials, files, hardening, secrets, services, updates
from assay.checks.interface import FunctionCheck, Outcome, load_metadata
from assay.checks.vendor_defaults import vendor_defaults
from assay.errors import UsageError

FUNCTIONS: dict[str, Callable[[Any], Outcome]] = {
    "credentials.empty-password": credentials.empty_password,
    "credentials.default-password": credentials.default_password,
    "credentials.weak-hash": credentials.weak_hash,
    "credentials.extra-uid0": credentials.extra_uid0,
    "credentials.vendor-defaults": vendor_defaults,
    "credentials.serial-console": credentials.serial_console,
    "secrets.private-key": secrets.private_key,
    "secrets.duplicate-key": secrets.duplicate_key,
    "secrets.certificate": secrets.certificate,
    "services.telnet": services.telnet,
    "services.ftp": services.ftp,
    "services.tftp": services.tftp,
    "services.upnp": services.upnp,
    "services.debug-daemon": services.debug_daemon,
    "services.http-admin": access.http_admin,
    "services.ssh-root-login": access.ssh_root_login,
    "services.ssh-password-auth": access.ssh_password_auth,
    "updates.mechanism": updates.mechanism,
    "updates.signature": updates.signature,
    "updates.channel": updates.channel,
    "hardening.elf": hardening.elf_hardening,
    "files.world-writable": files.world_writable,
    "files.setuid": files.setuid,
    "files.debug-tools": files.debug_tools,
}


@cache
def builtin_checks() -> tuple[FunctionCheck, ...]:
    """Every built-in check, in the order of checks.yaml."""
    meta = load_metadata()
    return tuple(FunctionCheck(info, FUNCTIONS[check_id]) for check_id, info in meta.items())


def get_check(check_id: str) -> FunctionCheck:
    for check in builtin_checks():
        if check.id == check_id:
            return check
    raise UsageError(
        f"no check with id {check_id!r}", hint="run `assay checks list` to see the check ids"
    )
