"""crypt(3) through libxcrypt's crypt_rn, against hashes made by another implementation
(OpenSSL's ``openssl passwd``, shown per case)."""

from __future__ import annotations

import pytest

from assay.checks.views.passwords import crypt_hash, guess

OPENSSL = [
    # openssl passwd -1 -salt abcdefgh admin
    ("admin", "$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/"),
    # openssl passwd -5 -salt saltsalt root
    ("root", "$5$saltsalt$WLULcjGb361y/Bqz7vlF6palp.BldUHqPDoBcf37xmB"),
    # openssl passwd -6 -salt saltsalt 1234
    (
        "1234",
        "$6$saltsalt$/alWecYH7Ry7BmdtYwV3ObFkYwJ96i4zoGSMR09J7xkAoFGB7iwoQytRgpR6rkCCVBVNkvTdkdDjhKYVJ8L2T.",
    ),
]


@pytest.mark.parametrize(("password", "hashed"), OPENSSL)
def test_same_hash_as_openssl(password: str, hashed: str) -> None:
    assert crypt_hash(password, hashed) == hashed
    assert crypt_hash(password + "x", hashed) != hashed


@pytest.mark.parametrize(("password", "hashed"), OPENSSL)
def test_default_passwords_are_found(password: str, hashed: str) -> None:
    found = guess(hashed)
    assert found.password == password and found.supported


def test_unknown_scheme_and_nul_bytes_are_not_computed() -> None:
    assert crypt_hash("admin", "$nope$salt$") is None
    assert crypt_hash("ad\0min", "$1$abcdefgh$") is None
    assert guess("$nope$salt$hash").supported is False
