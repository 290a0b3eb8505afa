"""The OS, kernel and hardware as the root filesystem names them."""

from __future__ import annotations

import re

from assay.catalog.cpe_map import cpe23
from assay.catalog.ids import purl
from assay.extract.rootfs import RootFS
from assay.model.component import Component
from assay.model.identity import Identity


def _shell_vars(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().isidentifier():
            values[key.strip()] = value.strip().strip("\"'")
    return values


# a release number: digits first ("12.09", "2013.02", "15.05.1", "21.02.0-rc1"); never a
# codename ("Chaos Calmer", "reboot") nor a moving target ("SNAPSHOT")
RELEASE = re.compile(r"^\d+(?:\.\d+)*(?:[-.]?(?:rc|beta|alpha)\d*)?$", re.IGNORECASE)
NUMBER_IN = re.compile(r"(?<![\w.])(\d+(?:\.\d+)+)(?![\w.])")
# distributions whose own name is an OS id here; any other DISTRIB_ID on an OpenWrt base is a
# vendor SDK, named as itself with OpenWrt as its parent
OPENWRT_IDS = {"openwrt": "openwrt", "lede": "openwrt"}
ISSUE = re.compile(r"^(?:Welcome to )?(Buildroot|OpenWrt|Poky|Yocto|Angstrom)\S* (\d+(?:\.\d+)+)\b")


def release(value: str) -> str:
    """``value`` if it is a release number, else the number inside it, else ""."""
    value = value.strip()
    if RELEASE.match(value):
        return value
    found = NUMBER_IN.search(value)
    return found.group(1) if found else ""


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def identify_rootfs(rootfs: RootFS) -> Identity:
    """The OS as the tree names it: ``/etc/openwrt_release`` (or ``/etc/openwrt_version``),
    ``os-release``, Android's ``build.prop``, else ``/etc/issue``; plus ``/etc/device_model``.
    The kernel is not read here: the kernel component decides it (see ``kernel.py``)."""
    fields: dict[str, str] = {}
    evidence: list[str] = []
    owrt = rootfs.read_text("/etc/openwrt_release", 65536)
    if owrt:
        v = _shell_vars(owrt)
        distrib = v.get("DISTRIB_ID", "OpenWrt") or "OpenWrt"
        own = OPENWRT_IDS.get(distrib.lower())
        fields.update(
            os_name=distrib if own else f"{distrib} (derived from OpenWrt)",
            os_id=own or _slug(distrib),
            os_version=release(v.get("DISTRIB_RELEASE", "")),
            os_build=v.get("DISTRIB_REVISION", ""),
            arch=v.get("DISTRIB_TARGET", ""),
        )
        evidence.append("/etc/openwrt_release")
    elif rootfs.read_text("/etc/openwrt_version", 256):
        text = (rootfs.read_text("/etc/openwrt_version", 256) or "").strip()
        fields.update(os_name="OpenWrt", os_id="openwrt", os_version=release(text))
        if not fields["os_version"]:
            fields["os_build"] = text
        evidence.append("/etc/openwrt_version")
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        osr = rootfs.read_text(path, 65536)
        if osr:
            v = _shell_vars(osr)
            fields.setdefault("os_name", v.get("NAME", ""))
            fields.setdefault("os_id", v.get("ID", ""))
            number = release(v.get("VERSION_ID", "")) or release(v.get("VERSION", ""))
            if not fields.get("os_version"):
                fields["os_version"] = number
            if v.get("BUILD_ID"):
                fields.setdefault("os_build", v["BUILD_ID"])
            if v.get("OPENWRT_BOARD"):
                fields.setdefault("arch", v["OPENWRT_BOARD"])
            evidence.append(path)
            break
    if not fields.get("os_id"):
        _android_or_issue(rootfs, fields, evidence)
    model = rootfs.read_text("/etc/device_model", 256) or ""
    if model.strip():
        fields["model"] = model.strip()
        evidence.append("/etc/device_model")
    return Identity(**{k: v for k, v in fields.items() if v}, evidence=tuple(evidence))


def _android_or_issue(rootfs: RootFS, fields: dict[str, str], evidence: list[str]) -> None:
    for path in ("/system/build.prop", "/build.prop", "/default.prop"):
        text = rootfs.read_text(path, 262144)
        props = {
            k.strip(): v.strip()
            for k, sep, v in (line.partition("=") for line in (text or "").splitlines())
            if sep and not k.startswith("#")
        }
        if props.get("ro.build.version.release"):
            fields.update(
                os_name="Android",
                os_id="android",
                os_version=release(props["ro.build.version.release"]),
                os_build=props.get("ro.build.display.id", ""),
            )
            evidence.append(path)
            return
    issue = (rootfs.read_text("/etc/issue", 1024) or "").strip()
    match = ISSUE.match(issue)
    if match:
        fields.update(
            os_name=match.group(1), os_id=_slug(match.group(1)), os_version=match.group(2)
        )
        evidence.append("/etc/issue")


# os-release ID -> NVD CPE part:vendor:product of the distribution itself. Only firmware
# distributions whose own code NVD files under that name: NVD lists general-purpose
# distributions (debian_linux, ubuntu_linux) as "affected" in records about the packages they
# ship, so giving them a CPE would match every such record to the distribution as a whole.
OS_CPES = {
    "openwrt": "o:openwrt:openwrt",
}


def os_component(identity: Identity) -> Component | None:
    """The distribution as a component (its own CVEs are filed against it). Without a release
    number (a snapshot build) it is still listed, with its build and no version or CPE: a CPE
    without a version would match every record filed against the distribution."""
    if not identity.os_id or not (identity.os_version or identity.os_build):
        return None
    pvp = OS_CPES.get(identity.os_id, "") if identity.os_version else ""
    props = [("build", identity.os_build)] if identity.os_build else []
    if "(derived from " in identity.os_name:
        props.append(("parent", identity.os_name.split("(derived from ", 1)[1].rstrip(")")))
    return Component(
        name=identity.os_id,
        version=identity.os_version,
        type="operating-system",
        purl=purl(identity.os_id, identity.os_version),
        cpe=cpe23(pvp, identity.os_version) if pvp else "",
        found_by=("os-release",),
        locations=tuple(e for e in identity.evidence if e.startswith("/")),
        description=" ".join(x for x in (identity.os_name, identity.os_version) if x),
        properties=tuple(props),
    )
