"""The registry, the run_checks entry point, crash containment, the docs and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from checks_helpers import Tree

from assay.checks import CheckContext, FunctionCheck, builtin_checks, get_check, run_checks
from assay.checks.docs import render_markdown
from assay.checks.interface import Check, load_metadata
from assay.checks.registry import FUNCTIONS
from assay.errors import UsageError
from assay.extract.rootfs import RootFS
from assay.model.assessment import Assessment, Target
from assay.model.check import Verdict

ROOT = Path(__file__).resolve().parents[3]


def test_every_check_has_metadata_and_a_function() -> None:
    assert set(load_metadata()) == set(FUNCTIONS)
    checks = builtin_checks()
    assert len(checks) == 24
    for check in checks:
        assert isinstance(check, Check)
        assert check.title and check.rationale and check.fix and check.serves
        assert check.id.split(".")[0] in {
            "credentials",
            "secrets",
            "services",
            "updates",
            "hardening",
            "files",
        }


def test_docs_are_in_sync_with_the_metadata() -> None:
    doc = (ROOT / "docs" / "checks.md").read_text()
    assert doc == render_markdown(list(load_metadata().values())), (
        "run: .venv/bin/python -m assay.checks.docs > docs/checks.md"
    )


def test_unknown_check_id_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no check with id 'credentials.nope'"):
        get_check("credentials.nope")


def test_run_checks_on_an_assessment(wr703n_rootfs: RootFS) -> None:
    assessment = Assessment(Target("wr703n.bin", "image"), "0.1.0", "2026-01-01T00:00:00Z")
    findings = run_checks([wr703n_rootfs], assessment)
    assert [f.check for f in findings] == [c.id for c in builtin_checks()]
    assert all(f.title and f.fix and f.severity for f in findings)
    as_json = json.loads(json.dumps([f.to_dict() for f in findings]))
    telnet = next(f for f in as_json if f["check"] == "services.telnet")
    assert telnet["verdict"] == "FAIL"
    assert telnet["evidence"][0]["path"] == "/etc/init.d/telnet"


def test_a_crashing_check_becomes_inconclusive(tree: Tree) -> None:
    def broken(ctx: CheckContext) -> object:
        raise RuntimeError("parser exploded")

    check = FunctionCheck(get_check("services.telnet").info, broken)  # type: ignore[arg-type]
    from assay.checks import run_context

    [finding] = run_context(CheckContext(rootfs=[tree({"/etc/hosts": ""})]), checks=[check])
    assert finding.verdict == Verdict.INCONCLUSIVE
    assert finding.summary == "the check failed: RuntimeError: parser exploded"


def test_no_root_filesystem_is_inconclusive() -> None:
    assessment = Assessment(Target("x.bin", "image"), "0.1.0", "2026-01-01T00:00:00Z")
    findings = run_checks([], assessment)
    assert {f.verdict for f in findings} == {Verdict.INCONCLUSIVE}
    assert findings[0].summary == "No root filesystem was unpacked."


def test_several_root_filesystems_are_named_in_the_evidence(tree: Tree) -> None:
    good = tree({"/etc/passwd": "root:x:0:0::/:/bin/sh\n"}, "rootfs-a")
    bad = tree({"/etc/passwd": "root::0:0::/:/bin/sh\n"}, "rootfs-b")
    [finding] = [
        f
        for f in run_checks([good, bad], Assessment(Target("x", "image"), "0", "t"))
        if f.check == "credentials.empty-password"
    ]
    assert finding.verdict == Verdict.FAIL
    assert finding.evidence[0].note.startswith("[rootfs-b]")


def test_cli(tmp_path: Path, tree: Tree) -> None:
    pytest.importorskip("assay.cli.scan", reason="assay.cli needs the scan command module")
    from assay.cli import main

    assert main(["checks", "list"]) == 0
    assert main(["checks", "show", "services.telnet"]) == 0
    assert main(["checks", "show", "nope"]) == UsageError.exit_code
    assert main(["checks", "run", str(tmp_path / "missing")]) == 3
    root = tree({"/etc/passwd": "root::0:0::/:/bin/sh\n"})
    assert main(["checks", "run", "--json", str(root.root)]) == 0
