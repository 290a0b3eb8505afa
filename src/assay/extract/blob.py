"""Single-blob firmware: an update file that is one image, not a file system.

A U-Boot legacy image (``uImage``), a Zigbee OTA file (Zigbee Cluster Library OTA header),
a Matter OTA file, an ESP8266 or ESP-IDF application image (or a full ESP8266 flash dump) and
a bare Linux kernel are recognised by their headers. ``recognise`` reads the header into an
``Identity`` (manufacturer, product, version, build date) and says which bytes are the
payload, so the catalog can scan them for signatures instead of refusing the file.

Every header is checked before it is believed (a CRC, a magic and plausible fields), so a file
that merely starts with the same byte is not taken for one of these formats.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assay.model.identity import Identity

HEAD_LIMIT = 64 * 1024
SCAN_LIMIT = 64 * 1024 * 1024
UIMAGE_MAGIC = 0x27051956
ZIGBEE_OTA_MAGIC = 0x0BEEF11E
MATTER_OTA_MAGIC = 0x1BEEF11E
ESP_IMAGE_MAGIC = 0xE9
ESP_APP_DESC_MAGIC = 0xABCD5432
KERNEL_BANNER = re.compile(rb"Linux version \d+\.\d+")
VERSION_IN_NAME = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+){1,3}(?:[-_.]?(?:rc|beta)\d*)?)(?![\w.])")

# U-Boot's image.h numbers (only the common ones; others are shown as numbers)
UIMAGE_OS = {1: "OpenBSD", 2: "NetBSD", 3: "FreeBSD", 5: "Linux", 14: "VxWorks", 16: "QNX",
             17: "U-Boot", 18: "RTEMS"}  # fmt: skip
UIMAGE_ARCH = {1: "alpha", 2: "arm", 3: "x86", 4: "ia64", 5: "mips", 6: "mips64", 7: "ppc",
               8: "s390", 9: "sh", 10: "sparc", 11: "sparc64", 12: "m68k", 14: "microblaze",
               15: "nios2", 16: "blackfin", 17: "avr32", 22: "arm64", 24: "x86_64",
               25: "xtensa", 26: "riscv"}  # fmt: skip
UIMAGE_TYPE = {1: "standalone", 2: "kernel", 3: "ramdisk", 4: "multi", 5: "firmware",
               6: "script", 7: "filesystem", 8: "flat_dt"}  # fmt: skip
# Zigbee manufacturer codes (Connectivity Standards Alliance list); unknown codes are shown
ZIGBEE_MANUFACTURERS = {0x1002: "Silicon Labs (Ember)", 0x100B: "Signify (Philips)",
                        0x1037: "NXP (Jennic)", 0x115F: "Lumi (Xiaomi/Aqara)",
                        0x117C: "IKEA of Sweden"}  # fmt: skip


@dataclass(frozen=True)
class Blob:
    """A recognised single-blob image: what its header says and where its payload lies."""

    kind: (
        str  # u-boot-uimage | zigbee-ota | matter-ota | esp8266-image | esp-idf-app | linux-kernel
    )
    identity: Identity
    facts: dict[str, str] = field(default_factory=dict)
    payload: tuple[int, int] = (0, 0)  # offset and length of the bytes to scan


def recognise(path: Path) -> Blob | None:
    """The single-blob format of ``path`` with its header read, or None."""
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_LIMIT)
        size = path.stat().st_size
    except OSError:
        return None
    for reader in (_uimage, _zigbee_ota, _matter_ota, _esp):
        blob = reader(head, size)
        if blob is not None:
            return blob
    with path.open("rb") as fh:
        if KERNEL_BANNER.search(fh.read(SCAN_LIMIT)):
            return Blob("linux-kernel", Identity(evidence=("Linux kernel banner",)), {}, (0, size))
    return None


def payload_bytes(path: Path, blob: Blob) -> bytes:
    offset, length = blob.payload
    with path.open("rb") as fh:
        fh.seek(offset)
        return fh.read(min(length, SCAN_LIMIT))


def _date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat() if epoch > 0 else ""


def _uimage(head: bytes, size: int) -> Blob | None:
    if len(head) < 64 or struct.unpack_from(">I", head)[0] != UIMAGE_MAGIC:
        return None
    magic, hcrc, when, dsize, load, entry, dcrc, os_, arch, kind, comp = struct.unpack_from(
        ">7I4B", head
    )
    if zlib.crc32(head[:4] + b"\0\0\0\0" + head[8:64]) != hcrc:
        return None
    name = head[32:64].split(b"\0", 1)[0].decode("latin-1").strip()
    version = VERSION_IN_NAME.search(name)
    facts = {
        "format": "U-Boot legacy image (uImage)",
        "name": name,
        "os": UIMAGE_OS.get(os_, f"os {os_}"),
        "arch": UIMAGE_ARCH.get(arch, f"arch {arch}"),
        "type": UIMAGE_TYPE.get(kind, f"type {kind}"),
        "data_size": str(dsize),
        "load_address": f"0x{load:08x}",
        "entry_point": f"0x{entry:08x}",
        "data_crc32": f"0x{dcrc:08x}",
        "created": datetime.fromtimestamp(when, UTC).isoformat() if when else "",
    }
    identity = Identity(
        model=name,
        arch=facts["arch"],
        firmware_version=version.group(1) if version else "",
        build_date=_date(when),
        evidence=("U-Boot image header",),
    )
    return Blob("u-boot-uimage", identity, facts, (64, min(dsize, max(size - 64, 0))))


def _zigbee_ota(head: bytes, size: int) -> Blob | None:
    if len(head) < 56 or struct.unpack_from("<I", head)[0] != ZIGBEE_OTA_MAGIC:
        return None
    _, hver, hlen, control, maker, itype, fver, stack = struct.unpack_from("<IHHHHHIH", head)
    if hver != 0x0100 or not 56 <= hlen <= len(head):
        return None
    text = head[20:52].split(b"\0", 1)[0].decode("latin-1").strip()
    total = struct.unpack_from("<I", head, 52)[0]
    maker_name = ZIGBEE_MANUFACTURERS.get(maker, f"Zigbee manufacturer code 0x{maker:04X}")
    facts = {
        "format": "Zigbee OTA upgrade file (ZCL OTA header)",
        "manufacturer_code": f"0x{maker:04X}",
        "image_type": f"0x{itype:04X}",
        "file_version": f"0x{fver:08X}",
        "zigbee_stack_version": f"0x{stack:04X}",
        "header_string": text,
        "total_image_size": str(total),
        "field_control": f"0x{control:04X}",
    }
    identity = Identity(
        vendor=maker_name,
        model=f"image type 0x{itype:04X}" + (f" ({text})" if text else ""),
        firmware_version=f"0x{fver:08X}",
        evidence=("Zigbee OTA header",),
    )
    return Blob("zigbee-ota", identity, facts, (hlen, max(min(total, size) - hlen, 0)))


def _matter_ota(head: bytes, size: int) -> Blob | None:
    if len(head) < 16 or struct.unpack_from("<I", head)[0] != MATTER_OTA_MAGIC:
        return None
    total, hsize = struct.unpack_from("<QI", head, 4)
    if total != size or not 0 < hsize <= len(head) - 16:
        return None
    tags = _tlv_context_tags(head[16 : 16 + hsize])
    if 0 not in tags or 2 not in tags:
        return None
    vendor, product, version = int(tags[0]), int(tags.get(1, 0)), int(tags[2])
    version_text = str(tags.get(3, "")) or str(version)
    facts = {
        "format": "Matter OTA image",
        "vendor_id": f"0x{vendor:04X}",
        "product_id": f"0x{product:04X}",
        "software_version": str(version),
        "software_version_string": str(tags.get(3, "")),
        "payload_size": str(tags.get(4, "")),
    }
    identity = Identity(
        vendor=f"Matter vendor id 0x{vendor:04X}",
        model=f"product id 0x{product:04X}",
        firmware_version=version_text,
        evidence=("Matter OTA header",),
    )
    start = 16 + hsize
    return Blob("matter-ota", identity, facts, (start, size - start))


def _tlv_context_tags(data: bytes) -> dict[int, int | str | bytes]:
    """Context-tagged scalars of a Matter TLV structure (enough for the OTA header)."""
    out: dict[int, int | str | bytes] = {}
    i = 1 if data[:1] == b"\x15" else 0  # anonymous structure
    while i < len(data):
        control = data[i]
        if control == 0x18:  # end of container
            break
        kind, tag_form = control & 0x1F, control >> 5
        i += 1
        if tag_form != 1:  # only 1-byte context tags appear in the OTA header
            return out
        tag = data[i]
        i += 1
        if kind <= 0x07:  # signed (0-3) or unsigned (4-7) integer of 1, 2, 4, 8 bytes
            width = 1 << (kind & 0x03)
            out[tag] = int.from_bytes(data[i : i + width], "little", signed=kind < 0x04)
            i += width
        elif 0x0C <= kind <= 0x13:  # UTF-8 (0x0C-0x0F) or byte string, 1/2/4/8-byte length
            width = 1 << (kind & 0x03)
            length = int.from_bytes(data[i : i + width], "little")
            i += width
            raw = data[i : i + length]
            out[tag] = raw.decode("utf-8", "replace") if kind <= 0x0F else raw
            i += length
        elif kind in (0x08, 0x09, 0x14):  # booleans, null
            continue
        else:
            return out
    return out


def _esp(head: bytes, size: int) -> Blob | None:
    """An ESP8266/ESP32 image at 0, or a full ESP8266 flash dump (bootloader at 0, app at
    0x1000), checked by its segment headers."""
    for offset in (0x1000, 0):
        if _esp_header_ok(head, offset):
            break
    else:
        return None
    desc = head[offset + 32 : offset + 32 + 256]
    if len(desc) >= 256 and struct.unpack_from("<I", desc)[0] == ESP_APP_DESC_MAGIC:
        version, project, built, date, idf = (
            desc[16:48], desc[48:80], desc[80:96], desc[96:112], desc[112:144]
        )  # fmt: skip
        fields = [
            x.split(b"\0", 1)[0].decode("latin-1") for x in (version, project, built, date, idf)
        ]
        facts = {"format": "ESP-IDF application image", "version": fields[0],
                 "project": fields[1], "built": f"{fields[3]} {fields[2]}".strip(),
                 "esp_idf": fields[4]}  # fmt: skip
        identity = Identity(
            vendor="Espressif (ESP-IDF)",
            model=fields[1],
            os_name="ESP-IDF",
            os_id="esp-idf",
            os_version=fields[4].lstrip("v"),
            firmware_version=fields[0],
            evidence=("ESP-IDF application description",),
        )
        return Blob("esp-idf-app", identity, facts, (0, size))
    segments, mode = head[offset + 1], head[offset + 2]
    entry = struct.unpack_from("<I", head, offset + 4)[0]
    facts = {
        "format": "ESP8266 application image" + (" in a full flash dump" if offset else ""),
        "app_offset": f"0x{offset:x}",
        "segments": str(segments),
        "flash_mode": str(mode),
        "entry_point": f"0x{entry:08x}",
    }
    identity = Identity(arch="xtensa-lx106", evidence=(f"ESP8266 image header at 0x{offset:x}",))
    return Blob("esp8266-image", identity, facts, (0, size))


def _esp_header_ok(head: bytes, offset: int) -> bool:
    if len(head) < offset + 24 or head[offset] != ESP_IMAGE_MAGIC:
        return False
    segments, mode = head[offset + 1], head[offset + 2]
    entry = struct.unpack_from("<I", head, offset + 4)[0]
    if not 1 <= segments <= 16 or mode > 5 or not 0x40000000 <= entry < 0x40400000:
        return False
    load, length = struct.unpack_from("<II", head, offset + 8)
    # ESP8266: no extended header; ESP32 images have 16 more header bytes before segments
    if 0x3F000000 <= load < 0x50000000 and 0 < length < 0x1000000:
        return True
    load, length = struct.unpack_from("<II", head, offset + 24)
    return bool(0x3F000000 <= load < 0x50000000 and 0 < length < 0x1000000)
