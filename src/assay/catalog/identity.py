"""The OS, kernel and hardware as the root filesystem names them."""

from __future__ import annotations

from assay.catalog.cpe_map import cpe23
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


def identify_rootfs(rootfs: RootFS) -> Identity:
    """Read ``/etc/openwrt_release``, ``os-release`` and ``/lib/modules``."""
    fields: dict[str, str] = {}
    evidence: list[str] = []
    owrt = rootfs.read_text("/etc/openwrt_release", 65536)
    if owrt:
        v = _shell_vars(owrt)
        fields.update(
            os_name=v.get("DISTRIB_ID", "OpenWrt"),
            os_id="openwrt",
            os_version=v.get("DISTRIB_RELEASE", ""),
            os_build=v.get("DISTRIB_REVISION", ""),
            arch=v.get("DISTRIB_TARGET", ""),
        )
        evidence.append("/etc/openwrt_release")
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        text = rootfs.read_text(path, 65536)
        if text:
            v = _shell_vars(text)
            fields.setdefault("os_name", v.get("NAME", ""))
            fields.setdefault("os_id", v.get("ID", ""))
            fields.setdefault("os_version", v.get("VERSION_ID", ""))
            if v.get("OPENWRT_BOARD"):
                fields.setdefault("arch", v["OPENWRT_BOARD"])
            evidence.append(path)
            break
    model = rootfs.read_text("/etc/device_model", 256) or ""
    if model.strip():
        fields["model"] = model.strip()
        evidence.append("/etc/device_model")
    return Identity(**{k: v for k, v in fields.items() if v}, evidence=tuple(evidence))


# os-release ID -> NVD CPE part:vendor:product of the distribution itself. Only firmware
# distributions whose own code NVD files under that name: NVD lists general-purpose
# distributions (debian_linux, ubuntu_linux) as "affected" in records about the packages they
# ship, so giving them a CPE would match every such record to the distribution as a whole.
OS_CPES = {
    "openwrt": "o:openwrt:openwrt",
}


def os_component(identity: Identity) -> Component | None:
    """The distribution as a component (its own CVEs are filed against it)."""
    if not identity.os_id or not identity.os_version:
        return None
    pvp = OS_CPES.get(identity.os_id, "")
    return Component(
        name=identity.os_id,
        version=identity.os_version,
        type="operating-system",
        purl=f"pkg:generic/{identity.os_id}@{identity.os_version}",
        cpe=cpe23(pvp, identity.os_version) if pvp else "",
        found_by=("os-release",),
        locations=tuple(e for e in identity.evidence if e.startswith("/etc/")),
        description=" ".join(x for x in (identity.os_name, identity.os_version) if x),
        properties=(("build", identity.os_build),) if identity.os_build else (),
    )
