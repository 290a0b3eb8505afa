"""Importers: real formats turned into the environment model, one module a format.

Each importer has one verb, ``merge(env, path, options)``, which adds what the file says to
``env`` and records what it could not use in ``env.problems``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from assay.environment.model import Environment
from assay.errors import InputError

FORMATS = {
    "graphml": "graphml",
    "zigbee2mqtt": "zigbee2mqtt",
    "mud": "mud",
    "devices-csv": "devices_csv",
    "brick": "brick",
    "iot-sentinel": "sentinel",
}


def merge_import(env: Environment, fmt: str, path: Path, options: dict[str, Any]) -> None:
    """Merge the file at ``path`` (of format ``fmt``) into ``env``."""
    if fmt not in FORMATS:
        raise InputError(f"unknown environment format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    if not path.exists():
        raise InputError(f"cannot read {path}", "check the import path")
    module = importlib.import_module(f"assay.environment.importers.{FORMATS[fmt]}")
    module.merge(env, path, options)
