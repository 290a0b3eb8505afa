"""Credentials checks on small crafted trees: each PASS and FAIL."""

from __future__ import annotations

import warnings

from checks_helpers import Tree, paths, run

from assay.checks.views.accounts import crypt_scheme
from assay.checks.views.passwords import guess
from assay.model.check import Verdict

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

# made with `openssl passwd` (an implementation independent of the one we verify with)
MD5_ADMIN = "$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/"
SHA256_1234 = "$5$abcdefgh$BAQylJEATll/bWbTxYtmJLX/qZpM1JPI8g9Fh9yhxA4"
SHA512_ROOT = (
    "$6$abcdefgh$cnW4XDznaFa1hR9LnqrjoiAqed87oTXop3rUra"
    "OEgMC9xZ8cZ4bnv81B/PgWNFtDN0PNbtGZlCIhm8Jws2OPr0"
)
SHA512_STRONG = (
    "$6$abcdefgh$CYMsjiRCV6JLZoQWcvXvyNtIF4v.3v2cPujs4N"
    "xNfKXIh1uNvDNRlVNez4S3LPiZctLhHmKwKGZDvuLm7C/D31"
)
DES_ADMIN = "abOV.DfJmdnYw"  # traditional DES crypt of "admin", salt "ab"

PASSWD = "root:x:0:0:root:/root:/bin/sh\ndaemon:*:1:1:daemon:/var:/bin/false\n"


def _shadow(root_field: str) -> str:
    return f"root:{root_field}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"


def test_empty_password_fails_with_the_shadow_line(tree: Tree) -> None:
    r = tree({"/etc/passwd": PASSWD, "/etc/shadow": _shadow("")})
    f = run("credentials.empty-password", r)
    assert f.verdict == Verdict.FAIL
    assert f.evidence[0].path == "/etc/shadow"
    assert f.evidence[0].line == 1
    assert f.evidence[0].excerpt.startswith("root::")


def test_locked_or_hashed_root_passes(tree: Tree) -> None:
    r = tree({"/etc/passwd": PASSWD, "/etc/shadow": _shadow(SHA512_STRONG)})
    assert run("credentials.empty-password", r).verdict == Verdict.PASS
    # without OpenWrt's login.sh, "x" in shadow is just an unusable hash: locked
    r = tree({"/etc/passwd": PASSWD, "/etc/shadow": _shadow("x")})
    assert run("credentials.empty-password", r).verdict == Verdict.PASS


def test_empty_password_of_an_account_without_shell_is_not_a_login(tree: Tree) -> None:
    passwd = "root:x:0:0:root:/root:/bin/sh\nftp::55:55:ftp:/home/ftp:/bin/false\n"
    r = tree({"/etc/passwd": passwd, "/etc/shadow": _shadow("!")})
    assert run("credentials.empty-password", r).verdict == Verdict.PASS


def test_empty_password_in_passwd_itself(tree: Tree) -> None:
    r = tree({"/etc/passwd": "admin::0:0:admin:/:/bin/sh\n"})
    f = run("credentials.empty-password", r)
    assert f.verdict == Verdict.FAIL
    assert paths(f) == {"/etc/passwd"}


def test_no_passwd_is_inconclusive(tree: Tree) -> None:
    r = tree({"/etc/hostname": "device\n"})
    assert run("credentials.empty-password", r).verdict == Verdict.INCONCLUSIVE


def test_default_password_is_found_in_each_scheme(tree: Tree) -> None:
    bcrypt_admin = crypt.crypt("admin", "$2b$05$abcdefghijklmnopqrstuu")
    bcrypt_2a = crypt.crypt("password", "$2a$05$abcdefghijklmnopqrstuu")
    bcrypt_2y = crypt.crypt("1234", "$2y$05$abcdefghijklmnopqrstuu")
    for hashed, password in [
        (bcrypt_2a, "password"),
        (bcrypt_2y, "1234"),
        (MD5_ADMIN, "admin"),
        (SHA256_1234, "1234"),
        (SHA512_ROOT, "root"),
        (DES_ADMIN, "admin"),
        (bcrypt_admin, "admin"),
    ]:
        r = tree({"/etc/passwd": PASSWD, "/etc/shadow": _shadow(hashed)})
        f = run("credentials.default-password", r)
        assert f.verdict == Verdict.FAIL, hashed
        assert f"'{password}'" in f.evidence[0].note
        assert hashed not in f.evidence[0].excerpt  # the hash is shortened in the report


def test_unguessable_password_passes(tree: Tree) -> None:
    r = tree({"/etc/passwd": PASSWD, "/etc/shadow": _shadow(SHA512_STRONG)})
    f = run("credentials.default-password", r)
    assert f.verdict == Verdict.PASS
    assert guess(SHA512_STRONG).tried == guess(SHA512_STRONG).total > 50


def test_weak_hash_schemes(tree: Tree) -> None:
    assert [crypt_scheme(h) for h in (MD5_ADMIN, DES_ADMIN, SHA512_ROOT, "", "!", "*")] == [
        "md5",
        "des",
        "sha512",
        "empty",
        "locked",
        "locked",
    ]
    r = tree({"/etc/passwd": PASSWD, "/etc/shadow": _shadow(MD5_ADMIN)})
    f = run("credentials.weak-hash", r)
    assert f.verdict == Verdict.FAIL
    assert "md5 crypt" in f.evidence[0].note
    r = tree({"/etc/passwd": PASSWD, "/etc/shadow": _shadow(SHA512_STRONG)})
    assert run("credentials.weak-hash", r).verdict == Verdict.PASS
    r = tree({"/etc/passwd": PASSWD, "/etc/shadow": _shadow("!")})
    assert run("credentials.weak-hash", r).verdict == Verdict.NOT_APPLICABLE


def test_extra_uid0(tree: Tree) -> None:
    passwd = PASSWD + "toor:x:0:0:backdoor:/root:/bin/sh\n"
    f = run("credentials.extra-uid0", tree({"/etc/passwd": passwd}))
    assert f.verdict == Verdict.FAIL
    assert f.evidence[0].line == 3
    assert run("credentials.extra-uid0", tree({"/etc/passwd": PASSWD})).verdict == Verdict.PASS


def test_serial_console_shell_in_inittab(tree: Tree) -> None:
    inittab = "::sysinit:/etc/init.d/rcS\nttyS0::askfirst:-/bin/sh\n"
    f = run("credentials.serial-console", tree({"/etc/inittab": inittab}))
    assert f.verdict == Verdict.FAIL
    assert (f.evidence[0].path, f.evidence[0].line) == ("/etc/inittab", 2)
    getty = "::sysinit:/etc/init.d/rcS\nttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n"
    assert run("credentials.serial-console", tree({"/etc/inittab": getty})).verdict == Verdict.PASS
    autologin = "console::respawn:/sbin/getty -n -l /bin/sh -L 115200 ttyS0\n"
    assert run("credentials.serial-console", tree({"/etc/inittab": autologin})).verdict == (
        Verdict.FAIL
    )
    assert run("credentials.serial-console", tree({"/etc/hosts": ""})).verdict == (
        Verdict.NOT_APPLICABLE
    )


def test_vendor_default_credentials(tree: Tree) -> None:
    r = tree(
        {
            "/etc/nvram.default": (
                "lan_ipaddr=192.168.1.1\nhttp_passwd=admin\nwl0_wpa_psk=12345678\n"
            ),
            "/etc/config/system": "config system\n\toption hostname 'x'\n",
            "/etc/config/dropbear": "config dropbear\n\toption PasswordAuth 'on'\n",
        }
    )
    f = run("credentials.vendor-defaults", r)
    assert f.verdict == Verdict.FAIL
    assert [(e.path, e.line) for e in f.evidence] == [
        ("/etc/nvram.default", 2),
        ("/etc/nvram.default", 3),
    ]
    assert f.evidence[0].excerpt == "http_passwd=ad***"  # masked in the report
    clean = tree(
        {
            "/etc/config/dropbear": "config dropbear\n\toption PasswordAuth 'on'\n",
            # password *settings* are not passwords
            "/etc/login.defs": "PASS_MAX_DAYS 99999\nPASS_MIN_LEN 5\nENCRYPT_METHOD SHA512\n",
            "/etc/ssh/sshd_config": "PasswordAuthentication yes\nPermitEmptyPasswords no\n",
            "/etc/init.d/setpw": "#!/bin/sh\npassword=admin\n",  # scripts are not config
        }
    )
    assert run("credentials.vendor-defaults", clean).verdict == Verdict.PASS
    ppp = tree({"/etc/ppp/chap-secrets": "# client server secret\nisp-user * s3cr3t *\n"})
    f = run("credentials.vendor-defaults", ppp)
    assert f.verdict == Verdict.FAIL
    assert f.evidence[0].excerpt == "isp-user * s3**** *"


def test_nvram_blob_and_busybox_httpd_credentials(tree: Tree) -> None:
    blob = b"\0".join(
        [b"lan_ipaddr=192.168.0.1", b"lan_netmask=255.255.255.0", b"wan_proto=dhcp",
         b"http_username=admin", b"http_passwd=password", b"wl0_ssid=vendor"]
    ) + b"\0\0"  # fmt: skip
    httpd = f"A:*\n/cgi-bin:admin:{MD5_ADMIN}\n/adm:root:toor\n/priv:me:{SHA512_STRONG}\n"
    r = tree({"/etc/nvram.defaults.bin": blob, "/etc/httpd.conf": httpd})
    f = run("credentials.vendor-defaults", r)
    assert f.verdict == Verdict.FAIL
    found = [(e.path, e.line, e.note) for e in f.evidence]
    assert found == [
        ("/etc/httpd.conf", 2, "web login admin with the default password 'admin'"),
        ("/etc/httpd.conf", 3, "web login root with a clear-text password"),
        ("/etc/nvram.defaults.bin", None, "clear-text password, a well-known default ('pa******')"),
    ]
    assert f.evidence[2].excerpt == "http_passwd=pa******"
