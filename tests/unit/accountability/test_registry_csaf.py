"""Issue 6's check: a CSAF VEX exported from the registry (every firmware of the product in
one product tree) validates against the CSAF 2.0 schema and the mandatory tests, and
re-imports to the same statuses (real WR703N package list, real NVD records)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reaudit_world import T0, World, counted

from assay.accountability.advisory import product_csaf
from assay.accountability.reaudit import reaudit
from assay.accountability.registered import with_states
from assay.accountability.states import product_states
from assay.cli import main
from assay.present.vex import Status, csaf_problems, import_vex
from assay.present.vex import resolve as resolve_vex
from assay.present.vex.schemas import csaf_validator, schema_errors
from assay.registry.records import NotFound

SLUG = "tp-link-tl-wr703n-v1"


def _registered(world: World) -> str:
    """Two firmware (the second with a newer dropbear) and a VEX statement on a kernel CVE;
    returns the suppressed CVE."""
    doc = world.scan()
    world.registry.add(doc)
    newer = world.with_dropbear("2020.80-1")
    world.registry.add(world.scan(build="r40000", comps=newer))
    kernel = next(c for c in world.components if c.name == "linux")
    target = sorted(v["id"] for v in counted(doc) if v["component"] == kernel.ref)[0]
    statement = world.kernel_statement(target, "the vulnerable code is not built into this kernel")
    reaudit(world.registry, world.store, now=T0, statements=[statement])
    return target


def test_registry_csaf_vex_validates_and_reimports(world: World, tmp_path: Path) -> None:
    suppressed = _registered(world)
    doc = product_csaf(world.registry, SLUG, now=T0)
    assert schema_errors(csaf_validator(), doc) == [] and csaf_problems(doc) == []
    versions = [b["name"] for b in doc["product_tree"]["branches"][0]["branches"][0]["branches"]]
    assert versions == ["OpenWrt 12.09 r36088", "OpenWrt 12.09 r40000"]
    path = tmp_path / "registry.csaf.json"
    path.write_text(json.dumps(doc))
    statements = import_vex(json.loads(path.read_text()))
    with world.registry.sessions() as session:
        states = product_states(session, [1])
    for firmware_id in (1, 2):  # (assessment ids follow firmware ids here)
        own = [s for s in states if s.firmware.id == firmware_id and s.state != "withdrawn"]
        carried = with_states(
            world.registry.assessment(firmware_id).document, own, ("open", "fixed", "suppressed")
        )
        expected = {
            (s.finding.vuln_id, s.finding.component): (
                Status.NOT_AFFECTED if s.state == "suppressed" else Status.AFFECTED
            )
            for s in own
        }
        assert Status.NOT_AFFECTED in expected.values()
        # the re-imported statements give every finding the firmware carries its status again
        got = {(r.vulnerability, r.component): r.status for r in resolve_vex(carried, statements)}
        assert got == expected, firmware_id
    by = {(s.vulnerability, s.status) for s in statements}
    assert (suppressed, Status.NOT_AFFECTED) in by
    not_affected = [s for s in statements if s.status is Status.NOT_AFFECTED]
    assert {s.justification for s in not_affected} == {"vulnerable_code_not_present"}
    assert len(not_affected) == 2  # one per firmware: both carry that kernel
    fixed = {s.vulnerability for s in statements if s.status is Status.FIXED}
    old_doc = world.registry.assessment(1).document
    dropbear = {v["id"] for v in counted(old_doc) if "dropbear" in v["component"]}
    assert fixed == dropbear  # r40000 as a whole is fixed for the old dropbear's CVEs
    fixes = [
        s
        for s in statements
        if s.status is Status.AFFECTED and s.vulnerability in dropbear and s.action
    ]
    assert fixes and all("OpenWrt 12.09 r40000" in s.action for s in fixes)


def test_export_from_the_command_line(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _registered(world)
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    out = tmp_path / "advisory.json"
    args = ["vex", "export", SLUG, "--registry", url, "--format", "csaf-advisory"]
    assert main([*args, "--out", str(out)]) == 0
    assert main(["vex", "validate", str(out)]) == 0
    assert "valid csaf" in capsys.readouterr().out
    assert main(["vex", "export", "no-such-product", "--registry", url]) == 3
    assert "no-such-product" in capsys.readouterr().err
    with pytest.raises(NotFound):
        product_csaf(world.registry, "no-such-product")
