"""Identifiers for components: PURLs (built with packageurl-python, so every character is
encoded as the PURL specification says) and CPE 2.3 formatted-string values."""

from __future__ import annotations

import re

from packageurl import PackageURL

# CPE 2.3 formatted strings take letters, digits and ``._-`` as they are; any other printable
# ASCII character is escaped with a backslash. Whitespace has no escaped form, so it becomes
# ``_`` (as NVD writes spaces in names); other characters outside printable ASCII likewise.
_CPE_PLAIN = re.compile(r"[A-Za-z0-9._-]")


def cpe_escape(value: str) -> str:
    out = []
    for ch in value:
        if _CPE_PLAIN.match(ch):
            out.append(ch)
        elif ch.isspace() or not (0x21 <= ord(ch) < 0x7F):
            out.append("_")
        else:
            out.append("\\" + ch)
    return "".join(out)


def purl(name: str, version: str = "", kind: str = "generic", namespace: str = "") -> str:
    """A PURL string; ``version`` "" leaves the version out."""
    return PackageURL(
        type=kind, namespace=namespace or None, name=name, version=version or None
    ).to_string()


def purl_with_version(template: str, version: str) -> str:
    """A signature's PURL template (``pkg:generic/busybox@{version}``) with a version."""
    base = PackageURL.from_string(template.replace("{version}", "0"))
    return PackageURL(
        type=base.type,
        namespace=base.namespace,
        name=base.name,
        version=version or None,
        qualifiers=base.qualifiers,
        subpath=base.subpath,
    ).to_string()
