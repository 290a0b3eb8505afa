"""What the image says about itself: OS, kernel, hardware model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Identity:
    """The product's own identity as read from the image (all fields optional)."""

    os_name: str = ""  # e.g. "OpenWrt"
    os_version: str = ""  # e.g. "12.09"
    os_id: str = ""  # os-release ID, e.g. "openwrt"
    os_build: str = ""  # e.g. "r36088"
    kernel_version: str = ""  # e.g. "3.3.8"
    arch: str = ""  # e.g. "ar71xx", "mips_24kc"
    vendor: str = ""  # hardware vendor, e.g. "TP-Link"
    model: str = ""  # hardware model, e.g. "TL-WR703N"
    hardware_version: str = ""  # e.g. "v1"
    firmware_version: str = ""  # the image's own version, e.g. from an OTA header
    build_date: str = ""  # ISO date the image header says it was built
    evidence: tuple[str, ...] = ()  # paths/headers each fact came from

    def to_dict(self) -> dict[str, Any]:
        return {
            "os_name": self.os_name,
            "os_version": self.os_version,
            "os_id": self.os_id,
            "os_build": self.os_build,
            "kernel_version": self.kernel_version,
            "arch": self.arch,
            "vendor": self.vendor,
            "model": self.model,
            "hardware_version": self.hardware_version,
            # only when an image header gave them (older assessments have neither key)
            **({"firmware_version": self.firmware_version} if self.firmware_version else {}),
            **({"build_date": self.build_date} if self.build_date else {}),
            "evidence": list(self.evidence),
        }
