"""Service checks on crafted trees: each start-up mechanism, each service, PASS and FAIL."""

from __future__ import annotations

from checks_helpers import Tree, paths, run

from assay.model.check import Verdict

RC_COMMON = "#!/bin/sh /etc/rc.common\nSTART=50\n"
TELNET_OPENWRT = RC_COMMON + (
    "start() {\n\tservice_start /usr/sbin/telnetd -l /bin/login.sh\n}\n"
    "stop() {\n\tservice_stop /usr/sbin/telnetd\n}\n"
)


def test_telnet_enabled_by_rc_link(tree: Tree) -> None:
    r = tree({"/etc/init.d/telnet": TELNET_OPENWRT, "/etc/rc.d/S50telnet": "->../init.d/telnet"})
    f = run("services.telnet", r)
    assert f.verdict == Verdict.FAIL
    assert paths(f) == {"/etc/init.d/telnet", "/etc/rc.d/S50telnet"}
    assert f.evidence[0].line == 4  # the start line, not the stop line
    assert "all interfaces port 23/tcp" in f.evidence[0].note


def test_telnet_script_without_rc_link_does_not_start(tree: Tree) -> None:
    r = tree({"/etc/init.d/telnet": TELNET_OPENWRT, "/etc/inittab": "::sysinit:/etc/init.d/rcS\n"})
    assert run("services.telnet", r).verdict == Verdict.PASS


def test_openwrt_telnet_waits_for_a_root_password(tree: Tree) -> None:
    script = RC_COMMON + (
        'has_root_pwd() {\n\tlocal pwd=$(cat "$1")\n\ttest -n "${pwd#[\\!x]}"\n}\n'
        "start() {\n\t! has_root_pwd /etc/shadow && service_start /usr/sbin/telnetd\n}\n"
    )
    files = {
        "/etc/init.d/telnet": script,
        "/etc/rc.d/S50telnet": "->../init.d/telnet",
        "/etc/passwd": "root:x:0:0:root:/root:/bin/ash\n",
    }
    dropbear = {
        "/etc/init.d/dropbear": RC_COMMON + "start() {\n\tservice_start /usr/sbin/dropbear\n}\n",
        "/etc/rc.d/S50dropbear": "->../init.d/dropbear",
    }
    hashed = {"/etc/shadow": "root:$6$salt$abcdefghijk:0:0:99999:7:::\n"}
    f = run("services.telnet", tree(files | hashed | dropbear))
    assert f.verdict == Verdict.PASS
    assert "only while root has no password" in f.summary
    # OpenWrt also starts telnet when no SSH server is enabled, password or not
    f = run("services.telnet", tree(files | hashed))
    assert f.verdict == Verdict.FAIL
    assert "no SSH server is enabled" in f.evidence[0].note
    without = tree(files | {"/etc/shadow": "root::0:0:99999:7:::\n"})
    f = run("services.telnet", without)
    assert f.verdict == Verdict.FAIL
    assert "because root has no password" in f.summary
    assert "/etc/shadow" in paths(f)


def test_telnet_from_inittab_rcs_inetd_xinetd_and_systemd(tree: Tree) -> None:
    cases = {
        "inittab": {"/etc/inittab": "::respawn:/usr/sbin/telnetd -F -p 2323\n"},
        "rcS": {"/etc/init.d/rcS": "#!/bin/sh\nmount -a\n/usr/sbin/telnetd -b 0.0.0.0 &\n"},
        "inetd": {"/etc/inetd.conf": "telnet stream tcp nowait root /usr/sbin/telnetd telnetd\n"},
        "xinetd": {
            "/etc/xinetd.d/telnet": (
                "service telnet\n{\n\tsocket_type = stream\n"
                "\tserver = /usr/sbin/in.telnetd\n\tdisable = no\n}\n"
            )
        },
        "rc.d": {
            "/etc/init.d/telnet": RC_COMMON
            + "USE_PROCD=1\nstart_service() {\n\tprocd_open_instance\n"
            + "\tprocd_set_param command /usr/sbin/telnetd -F -l /bin/login.sh\n}\n",
            "/etc/rc.d/S50telnet": "->../init.d/telnet",
        },
        "systemd": {
            "/lib/systemd/system/telnetd.service": "[Service]\nExecStart=/usr/sbin/telnetd -F\n",
            "/etc/systemd/system/multi-user.target.wants/telnetd.service": (
                "->/lib/systemd/system/telnetd.service"
            ),
        },
    }
    for mechanism, files in cases.items():
        f = run("services.telnet", tree(files))
        assert f.verdict == Verdict.FAIL, mechanism
        assert f"({mechanism})" in f.evidence[0].note
    f = run("services.telnet", tree(cases["inittab"]))
    assert "port 2323/tcp" in f.evidence[0].note


def test_disabled_xinetd_service_does_not_count(tree: Tree) -> None:
    xinetd = "service telnet\n{\n\tserver = /usr/sbin/in.telnetd\n\tdisable = yes\n}\n"
    assert run("services.telnet", tree({"/etc/xinetd.d/telnet": xinetd})).verdict == Verdict.PASS


def test_a_guard_is_not_a_start(tree: Tree) -> None:
    rcs = "#!/bin/sh\n[ -x /usr/sbin/telnetd ] || echo no telnet\n"
    assert run("services.telnet", tree({"/etc/init.d/rcS": rcs})).verdict == Verdict.PASS


def test_no_start_up_files_is_inconclusive(tree: Tree) -> None:
    f = run("services.telnet", tree({"/etc/hostname": "x\n"}))
    assert f.verdict == Verdict.INCONCLUSIVE


def test_ftp_tftp_upnp_debug(tree: Tree) -> None:
    rcs = {
        "services.ftp": "tcpsvd -vE 0.0.0.0 21 ftpd -w /srv &\n",
        "services.tftp": "/usr/sbin/in.tftpd -l -s /srv/tftp\n",
        "services.upnp": "miniupnpd -f /etc/miniupnpd.conf\n",
        "services.debug-daemon": "gdbserver --multi :1234 &\n",
    }
    quiet = tree({"/etc/init.d/rcS": "#!/bin/sh\nmount -a\n"})
    for check_id, line in rcs.items():
        f = run(check_id, tree({"/etc/init.d/rcS": "#!/bin/sh\n" + line}))
        assert f.verdict == Verdict.FAIL, check_id
        assert f.evidence[0].line == 2
        assert run(check_id, quiet).verdict == Verdict.PASS
    shell = "while true; do nc -l -p 4444 -e /bin/sh; done &\n"
    f = run("services.debug-daemon", tree({"/etc/init.d/rcS": "#!/bin/sh\n" + shell}))
    assert f.verdict == Verdict.FAIL


def test_dnsmasq_tftp_only_when_switched_on(tree: Tree) -> None:
    files = {
        "/etc/init.d/dnsmasq": RC_COMMON + "start() {\n\tservice_start /usr/sbin/dnsmasq\n}\n",
        "/etc/rc.d/S60dnsmasq": "->../init.d/dnsmasq",
    }
    off = tree(files | {"/etc/config/dhcp": "config dnsmasq\n\toption domain 'lan'\n"})
    assert run("services.tftp", off).verdict == Verdict.PASS
    on = tree(files | {"/etc/config/dhcp": "config dnsmasq\n\toption enable_tftp '1'\n"})
    f = run("services.tftp", on)
    assert f.verdict == Verdict.FAIL
    assert ("/etc/config/dhcp", 2) in {(e.path, e.line) for e in f.evidence}
