"""Rules of issue 12 on small crafted trees, each with its negative case: crypt schemes and
where accounts live, the start-up graph, vendor updaters, vendor defaults."""

from __future__ import annotations

import pytest
from checks_helpers import Tree, paths, run

from assay.checks.views.accounts import crypt_scheme, hash_shape
from assay.checks.views.passwords import crypt_hash, guess
from assay.model.check import Verdict

ELF = b"\x7fELF" + b"\0" * 60
RCS = "/etc/init.d/rcS"


# --- password hashes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "scheme"),
    [
        ("HHTiH8HW1Y2bU", "des"),
        ("_J9..K0AyUubDrfOgO4s", "bsdi"),
        ("$1$$oCLuEVgI1iAqOA8pwkzAg1", "md5"),
        ("$apr1$abcdefgh$0123456789012345678901", "apr1"),
        ("$2a$10$" + "a" * 53, "bcrypt"),
        ("$2b$10$" + "a" * 53, "bcrypt"),
        ("$2y$10$" + "a" * 53, "bcrypt"),
        ("$5$salt$" + "a" * 43, "sha256"),
        ("$6$salt$" + "a" * 86, "sha512"),
        ("$y$j9T$salt$" + "a" * 43, "yescrypt"),
        ("$7$CU..../....salt$" + "a" * 43, "scrypt"),
        ("$9$whatever$abc", "unknown"),
        ("5f4dcc3b5aa765d61d8327deb882cf99", "unknown"),  # a bare MD5 digest
        ("admin", "plain"),
        ("", "empty"),
        ("!", "locked"),
        ("*", "locked"),
    ],
)
def test_every_crypt_scheme(field: str, scheme: str) -> None:
    assert crypt_scheme(field) == scheme


def test_irz_empty_salt_md5_is_root_and_extended_des_is_computed() -> None:
    assert guess("$1$$oCLuEVgI1iAqOA8pwkzAg1").password == "root"
    bsdi = crypt_hash("admin", "_J9..abcd")
    assert bsdi is not None and crypt_scheme(bsdi) == "bsdi"
    assert guess(bsdi).password == "admin"
    assert guess(bsdi).password != "root"  # negative: a different password does not match


def test_unknown_scheme_is_inconclusive_with_its_shape(tree: Tree) -> None:
    r = tree(
        {"/etc/passwd": "root:x:0:0::/root:/bin/sh\n", "/etc/shadow": "root:$9$ab$cdefgh:1::::::\n"}
    )
    for check in ("credentials.weak-hash", "credentials.default-password"):
        f = run(check, r)
        assert f.verdict == Verdict.INCONCLUSIVE, check
        assert "unknown scheme ($9$, 12 characters)" in f.evidence[0].note
    assert hash_shape("$9$ab$cdefgh") == "$9$, 12 characters"


def test_plain_text_password_in_passwd(tree: Tree) -> None:
    r = tree({"/etc/passwd": "root:admin:0:0::/root:/bin/sh\n"})
    assert run("credentials.weak-hash", r).verdict == Verdict.FAIL
    f = run("credentials.default-password", r)
    assert f.verdict == Verdict.FAIL
    assert "'admin' (plain)" in f.evidence[0].note
    strong = tree({"/etc/passwd": "root:Xq7#pL9!vR2z:0:0::/root:/bin/sh\n"})
    assert run("credentials.default-password", strong).verdict == Verdict.PASS


def test_accounts_anywhere_in_the_tree(tree: Tree) -> None:
    md5_root = "$1$$oCLuEVgI1iAqOA8pwkzAg1"
    r = tree(
        {
            "/etc/passwd": "->/mnt/rwfs/etc/passwd",  # dangling: the run-time partition
            "/etc/defaults/passwd": "root:x:0:0::/root:/bin/sh\n",
            "/etc/defaults/shadow": f"root:{md5_root}:1::::::\n",
            "/etc/httpd.conf": f"A:*\n/cgi-bin:admin:{md5_root}\n",
            "/www/cgi-bin/.htpasswd": "web:admin\n",
            "/usr/share/doc/x/passwd": "root::0:0::/root:/bin/sh\n",  # documentation
        }
    )
    f = run("credentials.default-password", r)
    assert f.verdict == Verdict.FAIL
    assert paths(f) == {"/etc/defaults/shadow", "/etc/httpd.conf", "/www/cgi-bin/.htpasswd"}
    assert run("credentials.empty-password", r).verdict == Verdict.PASS  # not the doc copy


def test_passwd_without_its_shadow_is_inconclusive(tree: Tree) -> None:
    r = tree({"/etc/passwd": "root:x:0:0::/root:/bin/sh\n"})
    for check in ("credentials.empty-password", "credentials.default-password"):
        assert run(check, r).verdict == Verdict.INCONCLUSIVE, check


# --- the start-up graph -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tty", "verdict"),
    [
        ("ttyS0", Verdict.FAIL),
        ("ttyAMA0", Verdict.FAIL),
        ("ttyHS0", Verdict.FAIL),
        ("ttyMSM0", Verdict.FAIL),
        ("ttySAK0", Verdict.FAIL),
        ("tts/0", Verdict.FAIL),
        ("tty1", Verdict.PASS),  # a virtual console on a screen
    ],
)
def test_serial_console_names(tree: Tree, tty: str, verdict: Verdict) -> None:
    r = tree({"/etc/inittab": f"{tty}::respawn:/bin/sh\n"})
    assert run("credentials.serial-console", r).verdict == verdict


def test_scripts_called_by_rcs_are_followed_and_comments_are_not(tree: Tree) -> None:
    r = tree(
        {
            "/etc/inittab": "::sysinit:/etc/init.d/rcS\n",
            RCS: "#!/bin/sh\n#telnetd\n/etc/init.d/rc.local\n",
            "/etc/init.d/rc.local": "#!/bin/sh\nservices.sh start &\n",
            "/usr/sbin/services.sh": "#!/bin/sh\n# utelnetd -p 23\ntcpsvd 0 21 ftpd -w / &\n",
            "/usr/sbin/app": ELF,
        }
    )
    ftp = run("services.ftp", r)
    assert ftp.verdict == Verdict.FAIL
    assert ftp.evidence[0].path == "/usr/sbin/services.sh"
    chain = [(e.path, e.line) for e in ftp.evidence[1:]]
    assert chain == [("/etc/inittab", 1), (RCS, 3), ("/etc/init.d/rc.local", 2)]
    # the commented lines start nothing; everything else was followed: PASS
    assert run("services.telnet", r).verdict == Verdict.PASS


def test_start_up_named_at_run_time_or_on_another_partition_is_inconclusive(tree: Tree) -> None:
    loop = tree(
        {
            RCS: "#!/bin/sh\n/bin/app &\nfor i in ftp http; do service_${i}_start & done\n",
            "/bin/app": "#!/bin/sh\necho\n",
        }
    )
    assert run("services.telnet", loop).verdict == Verdict.INCONCLUSIVE
    elsewhere = tree(
        {
            RCS: "#!/bin/sh\n/bin/app.sh\n/usr/sbin/service.sh start\n",
            "/bin/app.sh": "#!/bin/sh\n",
            "/usr/": "",
        }
    )
    f = run("services.telnet", elsewhere)
    assert f.verdict == Verdict.INCONCLUSIVE
    assert f.evidence[0].excerpt == "/usr/sbin/service.sh start"


def test_commands_in_a_compiled_start_up_program(tree: Tree) -> None:
    applet = {"/usr/sbin/telnetd": "->/bin/busybox", "/bin/busybox": ELF}
    vendord = ELF + b"\0telnetd -l /bin/sh &\0"
    r = tree({RCS: "#!/bin/sh\nvendord &\n", "/bin/vendord": vendord} | applet)
    f = run("services.telnet", r)
    assert f.verdict == Verdict.INCONCLUSIVE  # a command in its strings: may run
    assert f.evidence[0].path == "/bin/vendord"
    assert f.evidence[0].excerpt == "telnetd -l /bin/sh &"
    clean = tree({RCS: "#!/bin/sh\nvendord &\n", "/bin/vendord": ELF + b"\0hello -x\0"} | applet)
    assert run("services.telnet", clean).verdict == Verdict.PASS


# --- vendor update mechanisms -----------------------------------------------------------------

WRITE = "mtd write /tmp/fw.bin firmware\n"


@pytest.mark.parametrize(
    ("body", "verdict", "words"),
    [
        ("verify_upgrade() {\n    # done elsewhere\n    return 0\n}\nverify_upgrade\n" + WRITE,
         Verdict.FAIL, "returns success without checking"),
        ("md5sum -c /mnt/fw.md5 || exit 1\n" + WRITE, Verdict.FAIL, "checks only a checksum"),
        (WRITE, Verdict.FAIL, "without any verification"),
        ("openssl dgst -sha256 -verify /etc/key.pem -signature fw.sig fw.bin || exit 1\n" + WRITE,
         Verdict.PASS, "verifies a signature"),
        ("# openssl dgst -verify /etc/key.pem fw.bin\n" + WRITE, Verdict.FAIL, "without any"),
    ],
)  # fmt: skip
def test_vendor_update_script(tree: Tree, body: str, verdict: Verdict, words: str) -> None:
    r = tree({"/usr/sbin/fw_upgrade.sh": "#!/bin/sh\n" + body})
    f = run("updates.signature", r)
    assert f.verdict == verdict
    assert words in f.summary
    assert run("updates.mechanism", r).verdict == Verdict.PASS


def test_a_script_named_upgrade_that_writes_no_flash_is_no_updater(tree: Tree) -> None:
    r = tree({"/usr/sbin/upgrade_check.sh": "#!/bin/sh\nwget -q http://x/version\n"})
    assert run("updates.mechanism", r).verdict == Verdict.INCONCLUSIVE
    assert run("updates.signature", r).verdict == Verdict.INCONCLUSIVE


# --- vendor defaults --------------------------------------------------------------------------


def test_vendor_default_rules_and_their_negatives(tree: Tree) -> None:
    r = tree(
        {
            "/etc/nsswitch.conf": "passwd: compat\nshadow: files\n",
            "/etc/login.defs": "PASS_MAX_DAYS 99999\n",
            "/etc/app/settings.json": '{\n  "admin_password": "admin",\n  "mode": "x"\n}\n',
            "/etc/app/users.xml": "<user><password>s3cr3tV4lue</password></user>\n",
            "/etc/wlan.cfg": "# Password=admin\nWscPinCode=12345670\nAuthMode=OPEN\n",
            "/usr/share/doc/app/README": "password=admin\n",
        }
    )
    f = run("credentials.vendor-defaults", r)
    assert f.verdict == Verdict.FAIL
    found = {(e.path, e.line, e.note) for e in f.evidence}
    assert found == {
        ("/etc/app/settings.json", 2, "clear-text password, a well-known default ('ad***')"),
        ("/etc/app/users.xml", 1, "clear-text password"),
        ("/etc/wlan.cfg", 2, "fixed WPS PIN (the same on every unit; brute-forced in hours)"),
        ("/etc/wlan.cfg", 3, "Wi-Fi without security by default"),
    }
    clean = tree({"/etc/nsswitch.conf": "passwd: compat\n", "/etc/a.conf": "# password=admin\n"})
    assert run("credentials.vendor-defaults", clean).verdict == Verdict.PASS


def test_here_documents_are_data(tree: Tree) -> None:
    script = "#!/bin/sh\ncat > /tmp/opts <<EOF\ntelnetd -l /bin/sh\n$OPTIONS\nEOF\npppd call vpn\n"
    r = tree({RCS: script, "/bin/app.sh": "#!/bin/sh\n", "/usr/sbin/pppd": ELF})
    assert run("services.telnet", r).verdict == Verdict.PASS


def test_uboot_update_script_and_android_update_engine(tree: Tree) -> None:
    script = "tftp 0x81000000 fw.bin\nsf erase 0 0x100000\nsf write 0x81000000 0 0x100000\n"
    uboot = tree({"/boot/update.scr": script})
    assert run("updates.mechanism", uboot).verdict == Verdict.PASS
    f = run("updates.signature", uboot)
    assert f.verdict == Verdict.INCONCLUSIVE
    assert f.evidence[0].line == 3
    android = tree({"/system/bin/update_engine": ELF})
    assert run("updates.signature", android).verdict == Verdict.INCONCLUSIVE
    key = "/etc/update_engine/update-payload-key.pub.pem"
    keyed = tree({"/system/bin/update_engine": ELF, key: "-----BEGIN PUBLIC KEY-----\n"})
    assert run("updates.signature", keyed).verdict == Verdict.PASS


def test_settings_that_decide_a_start_are_evidence(tree: Tree) -> None:
    script = (
        "#!/bin/sh\n. /etc/defaults/settings.remote\n"
        'start() {\n  [ "$REMOTE_TELNET" != "1" ] && exit 0\n  telnetd -p $REMOTE_TELNET_PORT\n}\n'
    )
    r = tree(
        {
            "/etc/init.d/S65telnetd": script,
            "/etc/defaults/settings.remote": "REMOTE_SSH=1\nREMOTE_TELNET=1\nPORT=23\n",
        }
    )
    f = run("services.telnet", r)
    assert f.verdict == Verdict.FAIL
    settings = [
        (e.line, e.excerpt) for e in f.evidence if e.path == "/etc/defaults/settings.remote"
    ]
    assert settings == [(2, "REMOTE_TELNET=1")]  # tested by the script; the port is not tested


def test_a_service_under_another_name_is_known_by_its_component(tree: Tree) -> None:
    from assay.checks import CheckContext, get_check
    from assay.model.component import Component

    r = tree({RCS: "#!/bin/sh\n/usr/sbin/fileshare -d &\n", "/usr/sbin/fileshare": ELF})
    vsftpd = Component("vsftpd", "3.0.3", locations=("/usr/sbin/fileshare",))
    f = get_check("services.ftp").run(CheckContext(rootfs=[r], components=[vsftpd]))
    assert f.verdict == Verdict.FAIL
    assert "identified by the catalog: fileshare is vsftpd" in f.evidence[0].note
    assert run("services.ftp", r).verdict == Verdict.PASS  # without the catalog: a name only


def test_start_up_is_followed_into_a_partition_mounted_on_an_empty_folder(tree: Tree) -> None:
    from assay.checks import CheckContext, get_check

    root = tree({RCS: "#!/bin/sh\n/usr/sbin/service.sh start &\n", "/usr/": ""}, label="root")
    usr = tree({"/sbin/service.sh": "#!/bin/sh\n/usr/sbin/utelnetd -p 2323 &\n"}, label="usr")
    usr.root.joinpath("sbin/utelnetd").write_bytes(ELF)
    f = get_check("services.telnet").run(CheckContext(rootfs=[root, usr]))
    assert f.verdict == Verdict.FAIL
    assert (f.evidence[0].path, f.evidence[0].excerpt) == (
        "/usr/sbin/service.sh",
        "/usr/sbin/utelnetd -p 2323 &",
    )
    # without the second partition the same start-up cannot be followed
    assert run("services.telnet", root).verdict == Verdict.INCONCLUSIVE


def test_a_cgi_upgrade_handler_under_any_name(tree: Tree) -> None:
    cgi = (
        '#!/bin/sh\ncase "$QUERY_STRING" in\n "Kernel_upgrade")\n'
        "  new=`md5sum uImage.bin`\n  /bin/flashcp uImage.bin /dev/mtd1\n  ;;\nesac\n"
    )
    r = tree({"/var/www/cgi-bin/toolbox.cgi": cgi})
    f = run("updates.signature", r)
    assert f.verdict == Verdict.FAIL
    assert "toolbox.cgi checks only a checksum" in f.summary
    # a CGI that writes flash but says nothing of an upgrade (a settings store) is not one
    settings = tree({"/www/cgi-bin/save.cgi": "#!/bin/sh\ndd if=/tmp/cfg of=/dev/mtd4\n"})
    assert run("updates.mechanism", settings).verdict == Verdict.INCONCLUSIVE


def test_runit_and_s6_run_scripts(tree: Tree) -> None:
    runit = tree(
        {
            "/etc/sv/telnet/run": "#!/bin/sh\nexec telnetd -F -p 23\n",
            "/etc/service/telnet": "->/etc/sv/telnet",
            "/etc/sv/ftp/run": "#!/bin/sh\nexec vsftpd\n",  # defined, not enabled
        }
    )
    f = run("services.telnet", runit)
    assert f.verdict == Verdict.FAIL
    assert "(runit/s6)" in f.evidence[0].note
    assert run("services.ftp", runit).verdict != Verdict.FAIL
