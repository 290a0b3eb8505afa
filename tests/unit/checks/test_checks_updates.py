"""Update mechanism, signature verification and channel on crafted trees."""

from __future__ import annotations

from checks_helpers import Tree, paths, run

from assay.model.check import Verdict

SYSUPGRADE_OLD = "#!/bin/sh\n. /lib/functions.sh\n-F|--force) export FORCE=1;;\n"
PLATFORM_OLD = 'platform_check_image() {\n\t[ "$ARGC" -gt 1 ] && return 1\n}\n'
# what OpenWrt 18.06+ does: check the image's usign signature with fwtool
FWTOOL = (
    "fwtool_check_signature() {\n"
    '\tusign -V -q -m "$1.data" -x "$1.sig" -P /etc/opkg/keys || return 1\n}\n'
)


def test_sysupgrade_without_signature_fails(tree: Tree) -> None:
    r = tree({"/sbin/sysupgrade": SYSUPGRADE_OLD, "/lib/upgrade/platform.sh": PLATFORM_OLD})
    f = run("updates.signature", r)
    assert f.verdict == Verdict.FAIL
    assert paths(f) == {"/sbin/sysupgrade", "/lib/upgrade/platform.sh"}
    assert run("updates.mechanism", r).verdict == Verdict.PASS


def test_sysupgrade_with_fwtool_signature_passes(tree: Tree) -> None:
    r = tree(
        {
            "/sbin/sysupgrade": SYSUPGRADE_OLD,
            "/lib/upgrade/platform.sh": PLATFORM_OLD,
            "/lib/upgrade/fwtool.sh": FWTOOL,
        }
    )
    f = run("updates.signature", r)
    assert f.verdict == Verdict.PASS
    assert (f.evidence[0].path, f.evidence[0].line) == ("/lib/upgrade/fwtool.sh", 1)


def test_other_updaters(tree: Tree) -> None:
    rauc = tree({"/usr/bin/rauc": b"\x7fELF", "/etc/rauc/system.conf": "[keyring]\npath=ca.pem\n"})
    assert run("updates.signature", rauc).verdict == Verdict.PASS
    mender = tree({"/usr/bin/mender": b"\x7fELF", "/etc/mender/mender.conf": "{}\n"})
    assert run("updates.signature", mender).verdict == Verdict.FAIL
    signed = tree(
        {
            "/usr/bin/mender": b"\x7fELF",
            "/etc/mender/mender.conf": '{"ArtifactVerifyKey": "/etc/mender/key.pem"}\n',
        }
    )
    assert run("updates.signature", signed).verdict == Verdict.PASS
    swu = tree({"/usr/bin/swupdate": b"\x7fELF...sw-description.sig\0"})
    assert run("updates.signature", swu).verdict == Verdict.PASS
    fwupd = tree({"/usr/bin/fwupdmgr": b"\x7fELF"})
    assert run("updates.signature", fwupd).verdict == Verdict.INCONCLUSIVE


def test_no_update_mechanism(tree: Tree) -> None:
    r = tree({"/bin/busybox": b"\x7fELF"})
    # nothing recognised is not "no mechanism": a compiled program or another processor may
    # update the device, so the check does not fail on absence
    f = run("updates.mechanism", r)
    assert f.verdict == Verdict.INCONCLUSIVE
    assert "another processor" in f.summary
    assert run("updates.signature", r).verdict == Verdict.INCONCLUSIVE
    vendor = tree({"/usr/sbin/fw_upgrade": b"\x7fELF"})
    f = run("updates.mechanism", vendor)
    assert f.verdict == Verdict.INCONCLUSIVE
    assert paths(f) == {"/usr/sbin/fw_upgrade"}
    packages_only = tree({"/bin/opkg": b"\x7fELF"})
    assert run("updates.mechanism", packages_only).verdict == Verdict.INCONCLUSIVE


def test_opkg_channel(tree: Tree) -> None:
    http = "src/gz core http://downloads.openwrt.org/releases/packages\ndest root /\n"
    f = run("updates.channel", tree({"/etc/opkg.conf": http}))
    assert f.verdict == Verdict.FAIL
    assert (f.evidence[0].path, f.evidence[0].line) == ("/etc/opkg.conf", 1)
    signed = tree({"/etc/opkg.conf": "option check_signature\n", "/etc/opkg/feeds.conf": http})
    assert run("updates.channel", signed).verdict == Verdict.PASS
    https = "src/gz core https://downloads.openwrt.org/releases/packages\n"
    assert run("updates.channel", tree({"/etc/opkg.conf": https})).verdict == Verdict.PASS
    assert run("updates.channel", tree({"/etc/hosts": ""})).verdict == Verdict.NOT_APPLICABLE


def test_apt_channel(tree: Tree) -> None:
    ok = "deb http://deb.debian.org/debian bookworm main\n"
    assert run("updates.channel", tree({"/etc/apt/sources.list": ok})).verdict == Verdict.PASS
    bad = "deb [trusted=yes] http://vendor.example/repo stable main\n"
    assert run("updates.channel", tree({"/etc/apt/sources.list": bad})).verdict == Verdict.FAIL


def test_vendor_update_url_over_plain_http(tree: Tree) -> None:
    script = "#!/bin/sh\nwget -O /tmp/fw.bin http://update.vendor.example/cam/firmware.bin\n"
    r = tree({"/usr/sbin/check_update": script, "/etc/config/system": "config system\n"})
    f = run("updates.channel", r)
    assert f.verdict == Verdict.FAIL
    assert (f.evidence[0].path, f.evidence[0].line) == ("/usr/sbin/check_update", 2)
    https = "#!/bin/sh\nwget -O /tmp/fw.bin https://update.vendor.example/cam/firmware.bin\n"
    f = run("updates.channel", tree({"/usr/sbin/check_update": https}))
    assert f.verdict == Verdict.NOT_APPLICABLE
    # with signature-checked images, a plain-HTTP download is not a hole
    signed = tree(
        {
            "/usr/sbin/check_update": script,
            "/sbin/sysupgrade": SYSUPGRADE_OLD,
            "/lib/upgrade/fwtool.sh": FWTOOL,
        }
    )
    f = run("updates.channel", signed)
    assert f.verdict == Verdict.PASS
    assert f.evidence[0].note.endswith("images are signature-checked")
