"""Where Assay keeps its data: ``ASSAY_HOME`` if set, else the user data directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """Assay's data directory (created on first use)."""
    home = os.environ.get("ASSAY_HOME", "").strip()
    path = Path(home).expanduser() if home else Path(platformdirs.user_data_dir("assay"))
    path.mkdir(parents=True, exist_ok=True)
    return path
