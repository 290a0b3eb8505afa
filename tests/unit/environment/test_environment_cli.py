"""``assay environment analyze`` as a user runs it: outputs, what-if flags, bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def assay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay", *args], capture_output=True, text=True, timeout=300
    )


def hostile_environment(tmp_path: Path) -> Path:
    doc = {
        "name": "Ward <b>7</b>",
        "functions": [{"id": "monitoring", "criticality": "critical"}],
        "nodes": [
            {"id": "up", "kind": "uplink"},
            {"id": "sw", "name": "<script>alert(1)</script>"},
        ],
        "devices": [
            {
                "id": "pump",
                "name": "Pump \u001b[31m",
                "functions": ["monitoring"],
                "components": [{"name": "busybox", "version": "1.19.4"}],
                "vulnerabilities": [
                    {"id": "CVE-2021-42374", "component": "busybox@1.19.4", "kev": False}
                ],
                "count": 3,
            },
        ],
        "links": [["up", "sw"], ["sw", "pump"]],
        "uplinks": ["up"],
    }
    path = tmp_path / "ward.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_outputs_and_what_if(tmp_path: Path) -> None:
    env = hostile_environment(tmp_path)
    done = assay(
        "environment",
        "analyze",
        str(env),
        "-o",
        f"json={tmp_path / 'r.json'}",
        "-o",
        f"html={tmp_path / 'r.html'}",
        "-o",
        "md",
        "--fail",
        "sw",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["single_points_of_failure"][0]["vertex"] == "up"
    assert result["what_if"]["functions"]["monitoring"] == {
        "criticality": "critical",
        "devices": 3,
        "reachable_before": 3,
        "reachable_after": 0,
        "lost": 3,
        "share_after": 0.0,
    }
    assert "| monitoring | critical | 3 / 3 | 0 / 3 |" in done.stdout
    html = (tmp_path / "r.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html
    svg = re.search(r"<svg .*?</svg>", html, re.S)
    assert svg is not None
    ET.fromstring(svg.group(0))  # the drawing is well-formed XML even with hostile labels


def test_bad_input_is_one_line_with_exit_3(tmp_path: Path) -> None:
    env = tmp_path / "env.yaml"
    env.write_text("devices:\n  - {id: a}\nlinks: [[a, b]]\n")
    done = assay("environment", "analyze", str(env))
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "'b' is neither a device nor a node" in done.stderr
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]  # nine anchors of nine aliases each
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    env.write_text("\n".join(lines) + "\n")
    done = assay("environment", "analyze", str(env))
    assert done.returncode == 3 and "refused as unsafe" in done.stderr
    env.write_text("devices: [{id: a, colour: red}]\n")
    done = assay("environment", "analyze", str(env))
    assert done.returncode == 3 and "devices/0" in done.stderr
    done = assay("environment", "analyze", str(ROOT / "README.md"), "-o", "pdf")
    assert done.returncode == 2 and "unknown output format" in done.stderr
