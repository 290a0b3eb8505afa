"""The checks on real vendor firmware (../shared/data/firmware/vendor-corpus), against the facts
read by hand in its SOURCES.md: what they must find, and what they must not claim."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import unpack

from assay.checks import CheckContext, run_context
from assay.model.check import Finding, Verdict

Findings = dict[str, Finding]


def _run(shared: Path, image_id: str, tmp: pytest.TempPathFactory) -> Findings:
    roots = unpack(shared, image_id, tmp.mktemp(image_id))
    return {f.check: f for f in run_context(CheckContext(rootfs=roots))}


@pytest.fixture(scope="module")
def anyka(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Findings:
    return _run(shared_data, "anyka-ipcam", tmp_path_factory)


@pytest.fixture(scope="module")
def hilink(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Findings:
    return _run(shared_data, "hilink-hlk-rm04", tmp_path_factory)


@pytest.fixture(scope="module")
def irz(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Findings:
    return _run(shared_data, "irz-ruh2b", tmp_path_factory)


@pytest.fixture(scope="module")
def sitecom(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Findings:
    return _run(shared_data, "sitecom-md253", tmp_path_factory)


@pytest.fixture(scope="module")
def belkin(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Findings:
    return _run(shared_data, "belkin-f9k1015", tmp_path_factory)


def _ev(f: Finding, path: str) -> list[tuple[int | None, str, str]]:
    return [(e.line, e.excerpt, e.note) for e in f.evidence if e.path == path]


# --- start-up graph (item 3) ----------------------------------------------------------------


def test_anyka_telnet_and_write_enabled_ftp_are_started(anyka: Findings) -> None:
    telnet = anyka["services.telnet"]
    assert telnet.verdict == Verdict.FAIL
    assert _ev(telnet, "/etc/init.d/rcS")[0][:2] == (8, "telnetd &")
    ftp = anyka["services.ftp"]
    assert ftp.verdict == Verdict.FAIL
    line, excerpt, _ = _ev(ftp, "/etc/init.d/rc.local")[0]
    assert excerpt == "/usr/bin/tcpsvd 0 21 ftpd -w / -t 600 &"
    # the start-up chain is evidence: inittab runs rcS, whose last line runs rc.local
    chain = [(e.path, e.line) for e in ftp.evidence if "start-up chain" in e.note]
    assert ("/etc/inittab", 17) in chain
    assert ("/etc/init.d/rcS", 31) in chain


def test_hilink_commented_telnetd_is_not_started(hilink: Findings) -> None:
    telnet = hilink["services.telnet"]
    # "#telnetd" in /etc_ro/rcS is a comment; only goahead's strings hold "telnetd &" (a
    # switch of its web UI), so the check may not say FAIL and may not say PASS either
    assert telnet.verdict == Verdict.INCONCLUSIVE
    assert all(e.path != "/etc_ro/rcS" or e.line != 10 for e in telnet.evidence)
    assert any(e.path == "/bin/goahead" and e.excerpt == "telnetd &" for e in telnet.evidence)
    web = hilink["services.http-admin"]
    assert web.verdict == Verdict.FAIL
    assert _ev(web, "/etc_ro/rcS")[0][:2] == (6, "goahead&")
    assert ("/etc_ro/inittab", 1) in [(e.path, e.line) for e in web.evidence]


def test_belkin_services_start_from_the_login_shells_profile(belkin: Findings) -> None:
    web = belkin["services.http-admin"]
    assert web.verdict == Verdict.FAIL
    assert _ev(web, "/bin/init.sh")[0][1] == "webs &"
    chain = {e.path for e in web.evidence if "start-up chain" in e.note}
    assert {"/etc/inittab", "/etc/profile"} <= chain


def test_irz_telnet_and_ssh_enabled(irz: Findings) -> None:
    assert irz["services.telnet"].verdict == Verdict.FAIL
    assert "/etc/init.d/S65telnetd" in {e.path for e in irz["services.telnet"].evidence}
    settings = {(e.path, e.excerpt) for e in irz["services.telnet"].evidence}
    assert ("/etc/defaults/settings.remote", "REMOTE_TELNET=1") in settings
    assert irz["services.ssh-password-auth"].verdict == Verdict.FAIL


def test_sitecom_services_named_at_run_time_are_inconclusive(sitecom: Findings) -> None:
    # rc.sysinit runs "service_${i}_start" for i in crond smb ftp http btpd: not followable
    for check in ("services.ftp", "services.telnet", "services.http-admin"):
        assert sitecom[check].verdict == Verdict.INCONCLUSIVE, check


# --- passwords (item 2) ---------------------------------------------------------------------


def test_irz_root_password_is_root_in_etc_defaults(irz: Findings) -> None:
    f = irz["credentials.default-password"]
    assert f.verdict == Verdict.FAIL
    notes = {(e.path, e.note) for e in f.evidence}
    assert ("/etc/defaults/shadow", "password of root is 'root' (md5)") in notes
    assert ("/etc/defaults/httpd.conf", "web login of root is 'root' (md5)") in notes
    assert irz["credentials.weak-hash"].verdict == Verdict.FAIL


def test_sitecom_toor_and_admin(sitecom: Findings) -> None:
    assert sitecom["credentials.extra-uid0"].verdict == Verdict.FAIL
    assert "toor" in sitecom["credentials.extra-uid0"].evidence[0].excerpt
    f = sitecom["credentials.default-password"]
    assert f.verdict == Verdict.FAIL
    assert any("web login of admin is 'admin' (plain)" in e.note for e in f.evidence)


def test_belkin_passwd_without_shadow_is_inconclusive(belkin: Findings) -> None:
    for check in ("credentials.empty-password", "credentials.weak-hash"):
        assert belkin[check].verdict == Verdict.INCONCLUSIVE, check
    assert belkin["credentials.vendor-defaults"].verdict == Verdict.INCONCLUSIVE
    assert "/etc/config.bin" in {e.path for e in belkin["credentials.vendor-defaults"].evidence}


# --- updates (item 4) -----------------------------------------------------------------------


def test_anyka_sd_card_update_checks_only_md5(anyka: Findings) -> None:
    f = anyka["updates.signature"]
    assert f.verdict == Verdict.FAIL
    assert "checks only a checksum" in f.summary
    assert any("md5" in e.excerpt.lower() for e in f.evidence if e.path == "/sbin/update.sh")
    assert anyka["updates.mechanism"].verdict == Verdict.PASS


def test_hilink_upload_cgi_flashes_without_signature(hilink: Findings) -> None:
    f = hilink["updates.signature"]
    assert f.verdict == Verdict.FAIL
    assert "/etc_ro/web/cgi-bin/upload.cgi" in {e.path for e in f.evidence}


def test_irz_firmware_update_checks_only_md5(irz: Findings) -> None:
    f = irz["updates.signature"]
    assert f.verdict == Verdict.FAIL
    assert "/usr/bin/firmware_update checks only a checksum" in f.summary


# --- vendor defaults (item 5) ---------------------------------------------------------------


def test_hilink_admin_admin_and_default_wifi_passphrase(hilink: Findings) -> None:
    f = hilink["credentials.vendor-defaults"]
    assert f.verdict == Verdict.FAIL
    path = "/etc_ro/Wireless/RT2860AP/RT2860_default_vlan"
    found = {(line, note) for line, _, note in _ev(f, path)}
    assert (6, "clear-text password, a well-known default ('ad***')") in found
    assert (132, "clear-text Wi-Fi passphrase, a well-known default ('12******')") in found


def test_anyka_soft_ap_passphrase_and_no_nsswitch(anyka: Findings) -> None:
    f = anyka["credentials.vendor-defaults"]
    assert f.verdict == Verdict.FAIL
    lines = {(e.line, e.note) for e in f.evidence if e.path == "/local/factory_cfg.ini"}
    assert (25, "[mtdblock2] clear-text password, a well-known default ('hd******')") in lines
    assert "/etc/nsswitch.conf" not in {e.path for e in f.evidence}  # "passwd: files"
