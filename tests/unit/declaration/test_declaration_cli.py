"""``assay declaration init|check`` and ``assay norms list|show`` through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assay.cli import main

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "declarations" / "openwrt-wr703n.sample.yaml"


def test_init_writes_a_template_that_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "declaration.yaml"
    assert main(["declaration", "init", "--out", str(out)]) == 0
    assert main(["declaration", "check", str(out)]) == 0
    assert "valid declaration" in capsys.readouterr().out
    assert main(["declaration", "init", "--out", str(out)]) == 2  # no silent overwrite
    assert "already exists" in capsys.readouterr().err
    assert main(["declaration", "init", "--out", str(out), "--force"]) == 0


def test_init_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["declaration", "init"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["schema_version"] == "1"


def test_check_lists_every_problem_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'schema_version: "1"\nmanufacturer: {name: X}\nproduct: {name: P, model: M}\n'
        "support: {end_date: someday}\n"
    )
    assert main(["declaration", "check", str(bad)]) == 3
    err = capsys.readouterr().err.splitlines()
    assert f"{bad}: manufacturer.contact: is required; add it" in err
    assert any(line.startswith(f"{bad}: support.end_date: must be a date") for line in err)
    assert err[-1].startswith("assay: error: declaration bad.yaml has 2 problem(s)")


def test_check_reads_real_security_txt_files(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = shared_data / "security-txt" / "rfc9116-era"
    assert main(["declaration", "check", str(folder / "4mica.io.security.txt")]) == 1
    out = capsys.readouterr().out
    assert "finding: no Expires field" in out
    assert "not valid under RFC 9116" in out


def test_check_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["declaration", "check", str(SAMPLE)]) == 0
    assert "3 requirement statement(s)" in capsys.readouterr().out


def test_norms_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["norms", "list", "--norm", "psti"]) == 0
    out = capsys.readouterr().out
    assert "psti:1" in out and "psti:3" in out and "en303645" not in out
    assert main(["norms", "show", "en303645:5.1-1"]) == 0
    out = capsys.readouterr().out
    assert "V2.1.1 M C(1); V3.1.3 MF(a)" in out
    assert "check:credentials.empty-password" in out
    assert "psti:1" in out  # crosswalk
    assert main(["norms", "show", "5.3-13"]) == 0  # bare id when unambiguous
    assert main(["norms", "show", "1"]) == 2  # psti:1 or nistir8425:1
    assert "ambiguous" in capsys.readouterr().err
    assert main(["norms", "list", "--norm", "iso"]) == 2
