"""Single-blob firmware: a Zigbee OTA file and a U-Boot image, built here from their format
specifications, give an assessment (exit 0) with the header's manufacturer and version."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from assay.extract.blob import recognise

ASSAY = Path(sys.executable).parent / "assay"
PAYLOAD = (
    b"\x00" * 64 + b"BusyBox v1.31.1 (2020-01-01 00:00:00 UTC) multi-call binary" + b"\x00" * 64
)


def zigbee_ota(maker: int, image_type: int, version: int, text: bytes, payload: bytes) -> bytes:
    """A ZCL OTA upgrade file: 56-byte header, then one upgrade-image sub-element."""
    element = struct.pack("<HI", 0x0000, len(payload)) + payload
    total = 56 + len(element)
    header = struct.pack(
        "<IHHHHHIH32sI",
        0x0BEEF11E,  # OTA upgrade file identifier
        0x0100,  # header version
        56,  # header length
        0x0000,  # field control: no optional fields
        maker,
        image_type,
        version,
        0x0002,  # Zigbee stack version (Zigbee PRO)
        text.ljust(32, b"\0"),
        total,
    )
    return header + element


def uimage(name: bytes, payload: bytes, when: int) -> bytes:
    """A legacy U-Boot image header (64 bytes, big-endian, header CRC over itself)."""
    fields = (0x27051956, 0, when, len(payload), 0x80000000, 0x80000000, zlib.crc32(payload))
    head = struct.pack(">7I4B32s", *fields, 5, 5, 2, 0, name.ljust(32, b"\0"))
    crc = zlib.crc32(head)
    return head[:4] + struct.pack(">I", crc) + head[8:] + payload


def _scan(image: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    run = subprocess.run(
        [str(ASSAY), "scan", str(image), "--out", str(out), "--no-vulns", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return json.loads((out / "assessment.json").read_text())


def test_zigbee_ota_header_is_read(tmp_path: Path) -> None:
    image = tmp_path / "plug.ota"
    image.write_bytes(zigbee_ota(0x117C, 0x2101, 0x23086631, b"IKEA plug 2.3.086", PAYLOAD))
    blob = recognise(image)
    assert blob is not None and blob.kind == "zigbee-ota"
    assert blob.identity.vendor == "IKEA of Sweden"
    assert blob.identity.firmware_version == "0x23086631"
    assert blob.facts["image_type"] == "0x2101"


@pytest.mark.slow
def test_zigbee_ota_file_gives_an_assessment(tmp_path: Path) -> None:
    image = tmp_path / "sensor.ota"
    image.write_bytes(zigbee_ota(0xBEEF, 0x0001, 0x00000102, b"", PAYLOAD))
    assessment = _scan(image, tmp_path / "out")
    ident = assessment["identity"]
    assert ident["vendor"] == "Zigbee manufacturer code 0xBEEF"
    assert ident["firmware_version"] == "0x00000102"
    assert assessment["facts"]["blob"]["kind"] == "zigbee-ota"
    assert any("single-blob" in p["message"] for p in assessment["problems"])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mkimage") is None, reason="mkimage (u-boot-tools) not here")
def test_mkimage_uboot_image_gives_an_assessment(tmp_path: Path) -> None:
    data = tmp_path / "payload.bin"
    data.write_bytes(PAYLOAD * 4)
    image = tmp_path / "firmware.uimg"
    subprocess.run(
        ["mkimage", "-A", "arm", "-O", "linux", "-T", "firmware", "-C", "none",
         "-a", "0x80008000", "-e", "0x80008000", "-n", "AcmeCam fw v2.4.1", "-d", str(data),
         str(image)],
        check=True, capture_output=True,
    )  # fmt: skip
    assessment = _scan(image, tmp_path / "out")
    ident = assessment["identity"]
    assert ident["model"] == "AcmeCam fw v2.4.1"
    assert ident["firmware_version"] == "2.4.1"
    assert ident["arch"] == "arm"
    assert assessment["facts"]["blob"]["type"] == "firmware"


def test_uimage_header_crc_is_checked(tmp_path: Path) -> None:
    good = uimage(b"Linux-3.10.14", PAYLOAD, 1_500_000_000)
    image = tmp_path / "good.img"
    image.write_bytes(good)
    blob = recognise(image)
    assert blob is not None
    assert (blob.identity.firmware_version, blob.identity.build_date) == ("3.10.14", "2017-07-14")
    bad = bytearray(good)
    bad[40] ^= 0xFF  # one byte of the name changed: the header CRC no longer holds
    image.write_bytes(bytes(bad))
    assert recognise(image) is None


def test_near_misses_are_not_blobs(tmp_path: Path) -> None:
    for name, data in {
        "e9.bin": b"\xe9" + os.urandom(4000),  # an ESP magic byte and nothing plausible
        "ota.bin": struct.pack("<IH", 0x0BEEF11E, 0x0200) + b"\0" * 100,  # wrong header version
        "text.bin": b"hello world\n" * 100,
    }.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert recognise(path) is None, name


def test_real_single_blobs(shared_data: Path) -> None:
    """The ESP8266 clock's flash dump, Belkin's bare kernel and binwalk's Matter OTA sample."""
    fw = shared_data / "firmware"
    esp = recognise(fw / "vendor-corpus/esp8266-303wifilc01/backup.bin")
    assert esp is not None and esp.kind == "esp8266-image" and esp.facts["app_offset"] == "0x1000"
    kernel = recognise(fw / "vendor-corpus/belkin-f9k1015/2818")
    assert kernel is not None and kernel.kind == "linux-kernel"
    matter = recognise(fw / "binwalk-test-inputs/matter_ota.bin")
    assert matter is not None and matter.identity.vendor == "Matter vendor id 0x1234"
    assert matter.identity.firmware_version == "1.2.120.0"
    assert recognise(fw / "vendor-corpus/linksys-wrt120n/FW_WRT120N_1.0.07.002_US.bin") is None
