"""``assay mud generate`` and ``assay mud check`` on the bundled image and real MUD files."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.environment.mudfile import check, generate, validate

ROOT = Path(__file__).resolve().parents[3]
URL = "https://sample-router-works.example/mud/wr703n.json"


@pytest.fixture(scope="module")
def assessment(wr703n_scan: Path) -> Path:
    return wr703n_scan / "assessment.json"


def test_real_mud_files_validate_and_the_invalid_one_does_not(shared_data: Path) -> None:
    mud = shared_data / "mud"
    for name in (
        "mud.yang.go/lightbulb2000.json",  # the RFC's own example
        "mud.yang.go/amazonEchoMud.json",
        "mud.yang.go/wemoswitchMud.json",
        "cisco-mud-manager/Luminaire_150.json",
        "osmud/ieft-draft.json",
    ):
        assert validate(json.loads((mud / name).read_text())) == [], name
    # the suite's deliberately invalid file: draft container name, ethertype as a string
    errors = validate(json.loads((mud / "mud.yang.go/invalidAmazonEchoMud.json").read_text()))
    assert any("ietf-access-control-list:acls" in e for e in errors)
    # draft-era naming, and an ACL type that is no RFC 8519 identity with a date without zone
    errors = validate(json.loads((mud / "osmud/lightbulb2000.json").read_text()))
    assert errors == ["(top): 'ietf-access-control-list:acls' is a required property"]
    errors = validate(json.loads((mud / "namib-unsw/MUD-Profile-example.json").read_text()))
    assert any("'ipv4' is not one of" in e for e in errors)
    assert any("last-update" in e and "date-time" in e for e in errors)


def test_generated_file_is_valid_and_allows_what_the_firmware_needs(assessment: Path) -> None:
    doc = generate(json.loads(assessment.read_text()), URL, ["api.sample-router-works.example"])
    assert validate(doc) == []
    aces = {a["name"]: a["aces"]["ace"] for a in doc["ietf-access-control-list:acls"]["acl"]}
    to_ports = sorted(e["matches"]["tcp"]["destination-port"]["port"] for e in aces["assay-v4to"])
    # telnetd on 23 (root has no password), dropbear on 22, uhttpd on 80 (the scan finds them)
    assert to_ports == [22, 23, 80]
    hosts = {e["matches"]["ipv4"]["ietf-acldns:dst-dnsname"] for e in aces["assay-v4fr"]}
    # opkg's feed host from /etc/opkg.conf, and the cloud endpoint given
    assert hosts == {"downloads.openwrt.org", "api.sample-router-works.example"}
    # a file generated from the firmware has nothing to say against it
    assert check(doc, json.loads(assessment.read_text()), ["api.sample-router-works.example"]) == []


def test_check_finds_a_planted_over_broad_acl(assessment: Path) -> None:
    found = json.loads(assessment.read_text())
    doc = generate(found, URL, [])
    broad = copy.deepcopy(doc)
    acl = broad["ietf-access-control-list:acls"]["acl"][0]
    acl["aces"]["ace"].append(
        {
            "name": "planted",
            "matches": {"ipv4": {"protocol": 6}},
            "actions": {"forwarding": "accept"},
        }
    )
    extra_port: dict[str, Any] = copy.deepcopy(
        broad["ietf-access-control-list:acls"]["acl"][1]["aces"]["ace"][0]
    )
    extra_port["name"] = "debug"
    extra_port["matches"]["tcp"]["destination-port"]["port"] = 8080
    broad["ietf-access-control-list:acls"]["acl"][1]["aces"]["ace"].append(extra_port)
    rows = check(broad, found, [])
    kinds = {(r["kind"], r["entry"]) for r in rows}
    assert ("over-broad", "assay-v4fr/planted") in kinds
    assert ("any-port", "assay-v4fr/planted") in kinds
    assert any(r["kind"] == "unneeded-port" and "tcp/8080" in r["detail"] for r in rows)
    assert len(rows) == 3


def test_check_cli_exit_codes(assessment: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "assay",
            "mud",
            "generate",
            str(assessment),
            "--mud-url",
            URL,
            "--out",
            str(good),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "assay", "mud", "check", str(good), str(assessment)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "nothing more" in done.stdout
    doc = json.loads(good.read_text())
    del doc["ietf-access-control-list:acls"]["acl"][1]["aces"]["ace"][0]  # drop ssh
    good.write_text(json.dumps(doc))
    done = subprocess.run(
        [sys.executable, "-m", "assay", "mud", "check", str(good), str(assessment)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "tcp/22" in done.stdout and "not-allowed" in done.stdout
