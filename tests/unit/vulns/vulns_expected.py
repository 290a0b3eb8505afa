"""The CVEs of the WR703N's package versions, read by hand from each NVD record's
configurations (2002-2016 yearly files + the 2023-2024 modified feeds)."""

# Hand-checked against each record's configurations (NVD 2002-2016 + modified feeds):
EXPECTED = {
    # <= 1.19.4 (boundary, including), <= 1.20.2, < 1.25.1; not 1.1.1 (2006-1058), 1.01 (2006-5050)
    "busybox": {"CVE-2011-2716", "CVE-2013-1813", "CVE-2016-6301"},
    # <= 2.62 (boundary), <= 2.65, <= 2.73, <= 2.75;
    # not < 2.21, <= 2.49, 2.25, 2.43, 2.14-2.20, 2.29
    "dnsmasq": {"CVE-2012-3411", "CVE-2013-0198", "CVE-2015-3294", "CVE-2015-8899"},
    # 0.52..2012.54 (including), < 2013.59 (x2), <= 2015.71; not < 0.43, < 0.47, <= 0.47, < 0.49
    "dropbear": {"CVE-2012-0920", "CVE-2013-4421", "CVE-2013-4434", "CVE-2016-3116"},
    # <= 1.4.21; not < 1.2.4 (2001-1387, 2001-1388)
    "iptables": {"CVE-2012-2663"},
    # pppd: <= 2.4.6 (x2); not <= 2.4.4 (2006-2194), 2.4.1 (2004-1002, 2004-2695)
    "ppp": {"CVE-2014-3158", "CVE-2015-3310"},
    # the exact version 5.1.4 is listed
    "lua": {"CVE-2014-5461"},
}
NOT_EXPECTED = {
    "busybox": {"CVE-2006-1058", "CVE-2006-5050"},
    "dnsmasq": {"CVE-2005-0877", "CVE-2009-2957", "CVE-2009-2958", "CVE-2008-3214"},
    "dropbear": {"CVE-2004-2486", "CVE-2005-4178", "CVE-2006-1206", "CVE-2007-1099"},
    "iptables": {"CVE-2001-1387", "CVE-2001-1388"},
    "ppp": {"CVE-2006-2194", "CVE-2004-1002", "CVE-2004-2695"},
}
