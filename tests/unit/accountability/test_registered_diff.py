"""``assay diff`` of registered firmware: the registry's own versions, their vulnerabilities as
the re-audit sees them now (real WR703N package list, real NVD records)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from reaudit_world import T0, World, counted

from assay.accountability.reaudit import reaudit
from assay.accountability.registered import diff_registered, is_reference
from assay.cli import cli, main

SLUG = "tp-link-tl-wr703n-v1"
OLD, NEW = f"{SLUG}@OpenWrt 12.09 r36088", f"{SLUG}@OpenWrt 12.09 r40000"


def _two_versions(world: World) -> dict[str, Any]:
    doc = world.scan()
    world.registry.add(doc)
    newer = world.with_dropbear("2020.80-1")
    world.registry.add(world.scan(build="r40000", comps=newer))
    return doc


def test_diff_of_registered_versions_follows_the_reaudit(
    world: World, feeds: tuple[Path, Path], tmp_path: Path
) -> None:
    doc = _two_versions(world)
    reaudit(world.registry, world.store, now=T0)
    first = diff_registered(world.registry, OLD, NEW)
    assert [(c.name, c.change) for c in first.components] == [("dropbear", "upgraded")]
    dropbear = {v["id"] for v in counted(doc) if "dropbear" in v["component"]}
    assert {v.id for v in first.fixed()} == dropbear and not first.introduced()
    assert "CVE-2016-5195" not in first.still_open  # not in the records up to 2012
    # the feeds change: the diff sees the re-audit's findings, not the stale scans
    world.store.import_paths([feeds[1]])
    reaudit(world.registry, world.store, now=T0.replace(hour=11))
    later = diff_registered(world.registry, OLD, NEW)
    assert "CVE-2016-5195" in later.still_open  # Dirty COW, in both kernels 3.3.8
    assert {v.id for v in later.fixed()} >= dropbear

    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    runner = CliRunner()
    res = runner.invoke(cli, ["diff", OLD, NEW, "--registry", url, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["summary"]["upgraded"] == 1 and data["summary"]["fixed"] == len(later.fixed())
    assert data["still_open"] == list(later.still_open)
    newest = world.registry.product(SLUG).firmware[0].sha256
    res = runner.invoke(cli, ["diff", OLD, f"{SLUG}@sha256:{newest}", "--registry", url])
    assert res.exit_code == 0 and "dropbear" in res.output, res.output


def test_bad_names_of_registered_firmware(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_versions(world)
    copy = world.scan()  # the same version again, in another image file
    copy["target"]["sha256"] = "ef" * 32
    world.registry.add(copy)
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"

    def error(*args: str) -> tuple[int, str]:
        code = main(["diff", *args, "--registry", url])
        err = capsys.readouterr().err.strip()
        assert err.startswith("assay: error: ") and "\n" not in err
        return code, err

    code, err = error(f"{SLUG}@9.9", NEW)
    assert code == 3 and "has no registered firmware '9.9'" in err and "r40000" in err
    code, err = error(OLD, NEW)
    assert code == 2 and "2 registered firmware" in err
    assert f"{SLUG}@sha256:efefefef" in err  # the hint names each one
    code, err = error("no-such@1.0", NEW)
    assert code == 3 and "no product 'no-such'" in err
    code, err = error(str(tmp_path / "missing.json"), NEW)
    assert code == 3 and "does not exist" in err
    assert not is_reference("dir/file@2") and is_reference("slug@1.0")
