"""Web admin over HTTP and SSH password/root login on crafted trees."""

from __future__ import annotations

from checks_helpers import Tree, run

from assay.checks import CheckContext, get_check
from assay.model.check import Verdict
from assay.model.component import Component

RC = "#!/bin/sh /etc/rc.common\nSTART=50\n"
UHTTPD = {
    "/etc/init.d/uhttpd": RC + 'BIN="/usr/sbin/uhttpd"\nstart() {\n\tservice_start $BIN -f\n}\n',
    "/etc/rc.d/S50uhttpd": "->../init.d/uhttpd",
}
DROPBEAR = {
    "/etc/init.d/dropbear": RC
    + "start() {\n\tservice_start /usr/sbin/dropbear -P /var/run/db\n}\n",
    "/etc/rc.d/S50dropbear": "->../init.d/dropbear",
}
WANTS = "/etc/systemd/system/multi-user.target.wants/"


def test_uhttpd_plain_http_fails(tree: Tree) -> None:
    conf = "config uhttpd main\n\tlist listen_http 0.0.0.0:80\n\tlist listen_https 0.0.0.0:443\n"
    f = run("services.http-admin", tree(UHTTPD | {"/etc/config/uhttpd": conf}))
    assert f.verdict == Verdict.FAIL
    assert (f.evidence[0].path, f.evidence[0].line) == ("/etc/config/uhttpd", 2)
    started = next(e for e in f.evidence if e.path == "/etc/init.d/uhttpd")
    assert started.excerpt == "service_start $BIN -f"  # found through the $BIN variable


def test_uhttpd_https_only_or_redirect_passes(tree: Tree) -> None:
    https = "config uhttpd main\n\tlist listen_https 0.0.0.0:443\n"
    f = run("services.http-admin", tree(UHTTPD | {"/etc/config/uhttpd": https}))
    assert f.verdict == Verdict.PASS
    redirect = (
        "config uhttpd main\n\tlist listen_http 0.0.0.0:80\n\tlist listen_https 0.0.0.0:443\n"
        "\toption redirect_https '1'\n"
    )
    f = run("services.http-admin", tree(UHTTPD | {"/etc/config/uhttpd": redirect}))
    assert f.verdict == Verdict.PASS


def test_busybox_httpd_is_plain_http_and_no_server_is_na(tree: Tree) -> None:
    f = run("services.http-admin", tree({"/etc/init.d/rcS": "#!/bin/sh\nhttpd -p 8080 -h /www\n"}))
    assert f.verdict == Verdict.FAIL
    assert "port 8080" in f.evidence[0].note
    # start-up that runs a program of its own, none of them a web server: NOT_APPLICABLE
    none = tree({"/etc/init.d/rcS": "#!/bin/sh\nmount -a\n/bin/app\n", "/bin/app": b"\x7fELF"})
    assert run("services.http-admin", none).verdict == Verdict.NOT_APPLICABLE
    # start-up that runs nothing of its own: the services start some other way
    opaque = tree({"/etc/init.d/rcS": "#!/bin/sh\nmount -a\n", "/usr/sbin/vendord": b"\x7fELF"})
    f = run("services.http-admin", opaque)
    assert f.verdict == Verdict.INCONCLUSIVE
    assert "start no program of their own" in f.summary


def test_dropbear_uci_defaults_allow_root_password_login(tree: Tree) -> None:
    conf = "config dropbear\n\toption Port '22'\n"
    r = tree(DROPBEAR | {"/etc/config/dropbear": conf})
    f = run("services.ssh-root-login", r)
    assert f.verdict == Verdict.FAIL
    assert all("default is on" in e.note for e in f.evidence)
    assert run("services.ssh-password-auth", r).verdict == Verdict.FAIL


def test_dropbear_root_password_off_passes(tree: Tree) -> None:
    conf = "config dropbear\n\toption PasswordAuth 'on'\n\toption RootPasswordAuth 'off'\n"
    r = tree(DROPBEAR | {"/etc/config/dropbear": conf})
    assert run("services.ssh-root-login", r).verdict == Verdict.PASS
    assert run("services.ssh-password-auth", r).verdict == Verdict.FAIL
    conf = "config dropbear\n\toption PasswordAuth 'off'\n"
    r = tree(DROPBEAR | {"/etc/config/dropbear": conf})
    assert run("services.ssh-root-login", r).verdict == Verdict.PASS
    assert run("services.ssh-password-auth", r).verdict == Verdict.PASS


def test_dropbear_command_line_flags(tree: Tree) -> None:
    plain = tree({"/etc/init.d/rcS": "#!/bin/sh\n/usr/sbin/dropbear -R\n"})
    assert run("services.ssh-root-login", plain).verdict == Verdict.FAIL
    no_root = tree({"/etc/init.d/rcS": "#!/bin/sh\n/usr/sbin/dropbear -R -g\n"})
    assert run("services.ssh-root-login", no_root).verdict == Verdict.PASS
    assert run("services.ssh-password-auth", no_root).verdict == Verdict.FAIL


def test_openssh_config(tree: Tree) -> None:
    unit = {
        "/lib/systemd/system/ssh.service": "[Service]\nExecStart=/usr/sbin/sshd -D\n",
        WANTS + "ssh.service": "->/lib/systemd/system/ssh.service",
    }
    yes = tree(unit | {"/etc/ssh/sshd_config": "PermitRootLogin yes\n"})
    f = run("services.ssh-root-login", yes)
    assert f.verdict == Verdict.FAIL
    assert f.evidence[0].excerpt == "PermitRootLogin yes"
    unset = tree(unit | {"/etc/ssh/sshd_config": "Port 22\n"})
    assert run("services.ssh-root-login", unset).verdict == Verdict.PASS  # 7.0+: keys only
    old = CheckContext(rootfs=[unset], components=[Component("openssh", "6.6p1")])
    f = get_check("services.ssh-root-login").run(old)
    assert f.verdict == Verdict.FAIL
    assert "OpenSSH 6.6p1 (before 7.0) defaults to yes" in f.evidence[0].note
    keys_only = tree(unit | {"/etc/ssh/sshd_config": "PasswordAuthentication no\n"})
    assert run("services.ssh-root-login", keys_only).verdict == Verdict.PASS
    assert run("services.ssh-password-auth", keys_only).verdict == Verdict.PASS


def test_no_ssh_server_is_not_applicable(tree: Tree) -> None:
    rcs = "#!/bin/sh\nmount -a\n/bin/app.sh &\n"
    app = "#!/bin/sh\necho hello\n"
    r = tree({"/etc/init.d/rcS": rcs, "/usr/sbin/dropbear": b"\x7fELF", "/bin/app.sh": app})
    assert run("services.ssh-root-login", r).verdict == Verdict.NOT_APPLICABLE
    # a compiled vendor program run at boot may start the SSH server that is in the image
    vendor = tree(
        {
            "/etc/init.d/rcS": "#!/bin/sh\n/bin/app &\n",
            "/usr/sbin/dropbear": b"\x7fELF",
            "/bin/app": b"\x7fELF",
        }
    )
    assert run("services.ssh-root-login", vendor).verdict == Verdict.INCONCLUSIVE
