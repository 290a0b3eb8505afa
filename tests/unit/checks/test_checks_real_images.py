"""The checks on the real OpenWrt 12.09 images (TL-WR703N bundled, TL-MR3020 shared data)."""

from __future__ import annotations

import pytest

from assay.checks import CheckContext, run_context
from assay.extract.rootfs import RootFS
from assay.model.check import Finding, Verdict


@pytest.fixture(scope="module", params=["wr703n", "mr3020"])
def findings(request: pytest.FixtureRequest) -> dict[str, Finding]:
    rootfs: RootFS = request.getfixturevalue(f"{request.param}_rootfs")
    return {f.check: f for f in run_context(CheckContext(rootfs=[rootfs]))}


def _ev(finding: Finding, path: str) -> list[str]:
    return [e.excerpt for e in finding.evidence if e.path == path]


def test_root_has_no_password_and_telnet_gives_a_shell(findings: dict[str, Finding]) -> None:
    f = findings["credentials.empty-password"]
    assert f.verdict == Verdict.FAIL
    assert "root" in f.summary
    assert _ev(f, "/etc/shadow") == ["root:x:0:0:99999:7:::"]
    shadow = next(e for e in f.evidence if e.path == "/etc/shadow")
    assert shadow.line == 1
    # the image itself says "x" means no password: /bin/login.sh hands out a shell then
    assert any("root:[!x]" in x for x in _ev(f, "/bin/login.sh"))
    assert _ev(f, "/etc/init.d/telnet") == ["service_start /usr/sbin/telnetd -l /bin/login.sh"]
    assert _ev(f, "/etc/rc.d/S50telnet") == ["-> /etc/init.d/telnet"]


def test_telnet_starts_because_root_has_no_password(findings: dict[str, Finding]) -> None:
    f = findings["services.telnet"]
    assert f.verdict == Verdict.FAIL
    assert "because root has no password" in f.summary
    telnet = next(e for e in f.evidence if e.path == "/etc/init.d/telnet")
    assert telnet.line == 31
    assert "port 23/tcp" in telnet.note
    assert _ev(f, "/etc/rc.d/S50telnet") == ["-> /etc/init.d/telnet"]
    assert _ev(f, "/etc/shadow") == ["root:x:0:0:99999:7:::"]


def test_dropbear_allows_root_password_login(findings: dict[str, Finding]) -> None:
    f = findings["services.ssh-root-login"]
    assert f.verdict == Verdict.FAIL
    lines = {(e.line, e.excerpt) for e in f.evidence if e.path == "/etc/config/dropbear"}
    assert (2, "option PasswordAuth 'on'") in lines
    assert (3, "option RootPasswordAuth 'on'") in lines
    assert all("listens on port 22 on all interfaces" in e.note for e in f.evidence)
    assert findings["services.ssh-password-auth"].verdict == Verdict.FAIL


def test_web_interface_listens_on_plain_http(findings: dict[str, Finding]) -> None:
    f = findings["services.http-admin"]
    assert f.verdict == Verdict.FAIL
    http = [e for e in f.evidence if e.path == "/etc/config/uhttpd"]
    assert [(e.line, e.excerpt) for e in http] == [(5, "list listen_http\t0.0.0.0:80")]
    assert "/etc/rc.d/S50uhttpd" in {e.path for e in f.evidence}


def test_empty_dropbear_host_keys_are_placeholders_not_keys(
    findings: dict[str, Finding],
) -> None:
    f = findings["secrets.private-key"]
    assert f.verdict == Verdict.PASS
    placeholders = {e.path for e in f.evidence}
    assert placeholders == {
        "/etc/dropbear/dropbear_dss_host_key",
        "/etc/dropbear/dropbear_rsa_host_key",
    }
    assert all("not a key" in e.note for e in f.evidence)
    assert findings["secrets.duplicate-key"].verdict == Verdict.NOT_APPLICABLE


def test_sysupgrade_does_not_verify_a_signature(findings: dict[str, Finding]) -> None:
    f = findings["updates.signature"]
    assert f.verdict == Verdict.FAIL
    assert "without verifying a signature" in f.summary
    paths = {e.path for e in f.evidence}
    assert {"/sbin/sysupgrade", "/lib/upgrade/platform.sh"} <= paths
    assert findings["updates.mechanism"].verdict == Verdict.PASS
    channel = findings["updates.channel"]
    assert channel.verdict == Verdict.FAIL
    assert channel.evidence[0].path == "/etc/opkg.conf"
    assert channel.evidence[0].excerpt.startswith("src/gz attitude_adjustment http://")


def test_the_other_real_findings(findings: dict[str, Finding]) -> None:
    """Everything else the checks say about OpenWrt 12.09, verified by hand on the image."""
    verdicts = {check: str(f.verdict) for check, f in findings.items()}
    assert verdicts == {
        "credentials.empty-password": "FAIL",
        "credentials.default-password": "NOT_APPLICABLE",  # no password hash at all
        "credentials.weak-hash": "NOT_APPLICABLE",
        "credentials.extra-uid0": "PASS",
        "credentials.vendor-defaults": "PASS",
        # /etc/uci-defaults/inittab-console-fixup adds "ttyS0::askfirst:/bin/ash --login"
        "credentials.serial-console": "FAIL",
        "secrets.private-key": "PASS",
        "secrets.duplicate-key": "NOT_APPLICABLE",
        "secrets.certificate": "NOT_APPLICABLE",
        "services.telnet": "FAIL",
        "services.ftp": "PASS",
        "services.tftp": "PASS",  # dnsmasq can serve TFTP, but /etc/config/dhcp does not ask
        "services.upnp": "PASS",
        "services.debug-daemon": "PASS",
        "services.http-admin": "FAIL",
        "services.ssh-root-login": "FAIL",
        "services.ssh-password-auth": "FAIL",
        "updates.mechanism": "PASS",
        "updates.signature": "FAIL",
        "updates.channel": "FAIL",
        "hardening.elf": "FAIL",  # MIPS uClibc 2013: no NX, PIE, canary or FORTIFY
        "files.world-writable": "PASS",  # only /tmp, which has the sticky bit
        "files.setuid": "PASS",
        "files.debug-tools": "FAIL",  # BusyBox nc and telnetd applets
    }
    serial = findings["credentials.serial-console"].evidence[0]
    assert serial.path == "/etc/uci-defaults/inittab-console-fixup"
    assert "::askfirst:/bin/ash --login" in serial.excerpt
    assert findings["hardening.elf"].summary.startswith("45 ELF files (21 programs, 24 libraries)")
    tools = {e.path for e in findings["files.debug-tools"].evidence}
    assert tools == {"/usr/bin/nc", "/usr/sbin/telnetd"}
