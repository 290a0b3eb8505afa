"""Credentials: empty and default passwords, weak hashes, extra root accounts, serial shells."""

from __future__ import annotations

import re

from assay.checks.context import CheckContext, ImageView
from assay.checks.interface import Outcome, failed, inconclusive, not_applicable, passed
from assay.checks.views.accounts import WEAK_SCHEMES, Account, hash_shape
from assay.checks.views.passwords import VERIFIABLE, guess
from assay.model.check import Evidence

NO_LOGIN_SHELLS = ("/bin/false", "/sbin/nologin", "/usr/sbin/nologin", "/bin/nologin", "")
# programs that let a remote or local user log in with an account's password
# (SSH servers refuse empty passwords unless told otherwise, so they are not listed)
LOGIN_SERVICES = ("telnetd", "utelnetd", "in.telnetd", "getty", "agetty", "login")
# serial console device names (tty1..tty63 are virtual consoles on a screen, not serial)
SERIAL_TTY = re.compile(
    r"^(tty(S|AMA|SAC|SAK|HS|HSL|ATH|MSM|mxc|O|PS|LP|MV|UL|USB|GS|AS|AML|FIQ|SC|MT)\d*"
    r"|tts/\d+|console|ttyS)$"
)
SHELL = re.compile(r"^-?(/usr)?/bin/(ash|sh|bash|hush|msh|zsh)\b")
SHELL_LINE_IN_SCRIPT = re.compile(r"::(askfirst|respawn|once|wait):-?(/usr)?/bin/(ash|sh|bash)\b")


def _no_passwd(ctx: CheckContext) -> Outcome | None:
    if not any(a.kind == "login" for v in ctx for a in v.accounts):
        where = ", ".join(v.rootfs.label for v in ctx) or "no root filesystem"
        return inconclusive(
            f"No passwd or shadow file found or readable ({where}); accounts may live on a "
            "partition that was not unpacked or be created at run time."
        )
    return None


def _account_evidence(view: ImageView, acc: Account, note: str) -> Evidence:
    return view.evidence(acc.source, acc.line, acc.text, note)


def empty_password(ctx: CheckContext) -> Outcome:
    missing = _no_passwd(ctx)
    if missing:
        return missing
    evidence: list[Evidence] = []
    names: list[str] = []
    for view in ctx:
        empty = [
            a
            for a in view.accounts
            if view.password_is_empty(a)
            and a.shell not in NO_LOGIN_SHELLS
            and not a.shell.endswith("nologin")
        ]
        for acc in empty:
            names.append(acc.name)
            note = "empty password field"
            if acc.password:
                note = f"'{acc.password}' is read as 'no password set' by this image"
            evidence.append(_account_evidence(view, acc, note))
        if any(a.password for a in empty) and view.placeholder_empty:
            path, line, text = view.placeholder_empty
            evidence.append(view.evidence(path, line, text, "treats x or ! as no password"))
        if empty:
            for b in view.boot.find(LOGIN_SERVICES):
                via = f" (started by {b.link})" if b.link else ""
                evidence.append(view.evidence(b.path, b.line, b.text, f"login service{via}"))
                if b.link:
                    evidence.append(view.evidence(b.link, None, f"-> {b.path}", "enabled at boot"))
    if names:
        return failed(
            f"{len(names)} account(s) with a login shell have no password: {', '.join(names)}.",
            *evidence,
        )
    unseen = _unseen(ctx)
    if unseen:
        return inconclusive(
            "The password fields of some accounts are in a shadow file the image does not hold.",
            *unseen,
        )
    total = sum(len(v.accounts) for v in ctx)
    return passed(f"All {total} accounts have a password or are locked ({_read(ctx)}).")


def _read(ctx: CheckContext) -> str:
    """The account files that were read, for the summary."""
    files = sorted({a.source for v in ctx for a in v.accounts})
    return (
        "read: " + ", ".join(files[:6]) + (f" and {len(files) - 6} more" if len(files) > 6 else "")
    )


def _unseen(ctx: CheckContext) -> list[Evidence]:
    """Login accounts whose passwd field says "see shadow" while there is no shadow entry."""
    out = []
    for view in ctx:
        for acc in view.accounts:
            if acc.kind == "login" and acc.password == "x" and acc.source.endswith("/passwd"):
                if acc.shell in NO_LOGIN_SHELLS or acc.shell.endswith("nologin"):
                    continue
                if view.password_is_empty(acc):
                    continue
                note = f"{acc.name}: password in shadow, which is missing"
                out.append(view.evidence(acc.source, acc.line, acc.text, note))
    return out[:10]


def default_password(ctx: CheckContext) -> Outcome:
    missing = _no_passwd(ctx)
    if missing:
        return missing
    hits: list[Evidence] = []
    partial: list[str] = []
    checked = 0
    for view in ctx:
        for acc in view.accounts:
            if acc.scheme not in VERIFIABLE:
                continue
            checked += 1
            result = guess(acc.password, acc.name, plain=acc.scheme == "plain")
            if result.password is not None:
                shown = acc.text.replace(acc.password, acc.password[:12] + "...")
                what = "web login" if acc.kind == "web" else "password"
                note = f"{what} of {acc.name} is '{result.password}' ({acc.scheme})"
                hits.append(view.evidence(acc.source, acc.line, shown, note))
            elif not result.supported:
                partial.append(f"{acc.name} ({acc.scheme} not supported here)")
            elif result.tried < result.total:
                partial.append(f"{acc.name} ({result.tried}/{result.total} tried)")
    unknown = _unknown_hashes(ctx)
    if hits:
        return failed(f"{len(hits)} account(s) use a well-known default password.", *hits)
    if unknown:
        return inconclusive(
            "No default password found, but some hashes are in a scheme Assay does not know.",
            *unknown,
        )
    if checked == 0 and _unseen(ctx):
        return inconclusive("No password hash to test: the shadow file is missing.", *_unseen(ctx))
    if checked == 0:
        return not_applicable("No account has a password hash to test.")
    if partial:
        return inconclusive(
            f"No default password found, but not every candidate was tried: {'; '.join(partial)}."
        )
    return passed(
        f"None of {checked} password hash(es) is a well-known default password ({_read(ctx)})."
    )


def weak_hash(ctx: CheckContext) -> Outcome:
    missing = _no_passwd(ctx)
    if missing:
        return missing
    evidence: list[Evidence] = []
    hashed = 0
    for view in ctx:
        for acc in view.accounts:
            if acc.scheme in ("locked", "empty"):
                continue
            hashed += 1
            if acc.scheme in WEAK_SCHEMES:
                shown = acc.text.replace(acc.password, acc.password[:6] + "...")
                what = "clear text" if acc.scheme == "plain" else f"{acc.scheme} crypt"
                evidence.append(view.evidence(acc.source, acc.line, shown, f"{acc.name}: {what}"))
    if evidence:
        return failed(
            f"{len(evidence)} password(s) stored in clear text or hashed with DES or MD5.",
            *evidence,
        )
    unknown = _unknown_hashes(ctx)
    if unknown:
        return inconclusive("Some password hashes are in a scheme Assay does not know.", *unknown)
    if hashed == 0 and _unseen(ctx):
        return inconclusive("No password hash to judge: the shadow file is missing.", *_unseen(ctx))
    if hashed == 0:
        return not_applicable("No account has a password hash.")
    return passed(
        f"All {hashed} password hash(es) use a strong scheme (SHA-512, bcrypt...; {_read(ctx)})."
    )


def _unknown_hashes(ctx: CheckContext) -> list[Evidence]:
    return [
        view.evidence(
            acc.source, acc.line, "", f"{acc.name}: unknown scheme ({hash_shape(acc.password)})"
        )
        for view in ctx
        for acc in view.accounts
        if acc.scheme == "unknown"
    ]


def extra_uid0(ctx: CheckContext) -> Outcome:
    missing = _no_passwd(ctx)
    if missing:
        return missing
    evidence = [
        view.evidence(
            acc.source.rsplit("/", 1)[0] + "/passwd",
            acc.passwd_line,
            f"{acc.name}:...:0:...",
            "uid 0",
        )
        for view in ctx
        for acc in view.accounts
        if acc.uid == 0 and acc.name != "root" and acc.kind == "login"
    ]
    if evidence:
        return failed(f"{len(evidence)} account(s) other than root have user id 0.", *evidence)
    return passed("Only root has user id 0.")


def serial_console(ctx: CheckContext) -> Outcome:
    evidence: list[Evidence] = []
    looked = False
    for view in ctx:
        inittab = next((p for p in view.boot.sources if p.endswith("/inittab")), "/etc/inittab")
        for n, line in view.lines(inittab):
            looked = True
            fields = line.strip().split(":", 3)
            if len(fields) != 4 or line.lstrip().startswith("#"):
                continue
            tty, action, process = fields[0], fields[2], fields[3].strip()
            if action not in ("askfirst", "respawn", "once", "wait"):
                continue
            serial = tty == "" or SERIAL_TTY.match(tty.removeprefix("/dev/")) is not None
            autologin = "getty" in process and re.search(r"\s(-n|--autologin)\b", process)
            if serial and (SHELL.match(process) or autologin):
                where = f"serial console {tty}" if tty else "the console (/dev/console)"
                note = f"shell on {where}, no login"
                evidence.append(view.evidence(inittab, n, line.strip(), note))
        for path in _first_boot_scripts(view):
            for n, line in view.lines(path, limit=1 << 16):
                if SHELL_LINE_IN_SCRIPT.search(line):
                    looked = True
                    note = "adds a shell on the serial console to /etc/inittab"
                    evidence.append(view.evidence(path, n, line.strip(), note))
    if evidence:
        return failed(
            "A shell is started on a serial console without asking for a password.", *evidence
        )
    if not looked:
        return not_applicable("No /etc/inittab and no script that writes one.")
    return passed("No serial console starts a shell without a login.")


def _first_boot_scripts(view: ImageView) -> list[str]:
    out = []
    for folder in ("/etc/uci-defaults", "/etc/init.d", "/lib/preinit", "/etc/preinit"):
        out += [f"{folder}/{name}" for name in view.rootfs.listdir(folder)]
    return out
