"""The IoT Sentinel dataset's device folders: ``<Device>/_iotdevice-mac.txt``, one MAC each.

Read as a device list (see ``devices_csv``): every device hangs off one gateway of the
testbed; two folders with one MAC are a device seen only through its hub (the door sensor
behind the D-Link home hub, the Hue switch behind the Hue bridge), which then hangs off it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.environment.importers import devices_csv
from assay.environment.model import Environment
from assay.errors import InputError


def merge(env: Environment, path: Path, options: dict[str, Any]) -> None:
    files = sorted(path.rglob("_iotdevice-mac.txt")) if path.is_dir() else []
    if not files:
        raise InputError(
            f"{path}: no <Device>/_iotdevice-mac.txt files", "give the captures folder"
        )
    lines = []
    for file in files:
        mac = file.read_text("utf-8", errors="replace").strip()[:17]
        lines.append(f"{file.parent.name}\t{mac}")
    # the testbed's own gateway is not in the folders (EdnetGateway is a device)
    devices_csv.merge_text(env, "\n".join(lines), path.name, {"device": "gateway", **options})
