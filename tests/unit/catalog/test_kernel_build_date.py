"""The build date at the end of a kernel banner (the ledger's release date)."""

from __future__ import annotations

import pytest

from assay.catalog.kernel import build_date

# the rest of real banners after "Linux version X (builder)": OpenWrt 12.09's ar71xx kernel,
# then typical SMP/PREEMPT builds with a named or numeric timezone
CASES = [
    (
        b" (gcc version 4.6.3 20120201 (prerelease) (Linaro GCC 4.6-2012.02) ) "
        b"#1 Sat Mar 23 16:49:30 UTC 2013\n",
        "2013-03-23",
    ),
    (b" (gcc version 8.3.0 (Debian 8.3.0-6)) #1 SMP Debian 4.19.98-1 (2020-01-26)\n", ""),
    (b" (gcc version 9.3.0) #1 SMP PREEMPT Tue Jan  5 10:00:00 CET 2021\n", "2021-01-05"),
    (b" (gcc) #3 Wed Jul 4 09:15:02 2012\n", "2012-07-04"),
    (b" (gcc) #1 nothing else\nMon Jan 1 00:00:00 UTC 2001", ""),  # not on the banner line
    (b" (gcc) #1 Thu Jan 1 00:00:00 UTC 1970\n", ""),  # an unset clock: before Linux existed
    (b" (gcc) #1 Sat Feb 30 12:00:00 UTC 2013\n", ""),  # no such day
]


@pytest.mark.parametrize(("tail", "expected"), CASES)
def test_build_date(tail: bytes, expected: str) -> None:
    assert build_date(tail) == expected
