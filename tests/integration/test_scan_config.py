"""``.assay.yaml`` / ``--config`` and ``ASSAY_*``: flags > environment > file > defaults.

A bad ``--fail-on`` rule stops the scan before it starts with an error that quotes the rule,
so which source won is visible without scanning; one real scan shows the file's values used.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.cli import main


def _error(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["scan", "no-such-image.bin", *args])
    return code, capsys.readouterr().err.strip()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("ASSAY_FAIL_ON", "ASSAY_CONFIG", "ASSAY_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_flags_beat_environment_beat_file_beat_defaults(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # defaults: no rule at all, so the scan goes on and stops at the missing image
    code, err = _error(capsys)
    assert code == 3 and "no-such-image.bin" in err and "--fail-on" not in err

    (workdir / ".assay.yaml").write_text("fail-on: [from-file]\ntimeout: 30\n")
    code, err = _error(capsys)
    assert code == 2 and "--fail-on from-file: not a rule" in err

    monkeypatch.setenv("ASSAY_FAIL_ON", "from-env")
    code, err = _error(capsys)
    assert code == 2 and "--fail-on from-env: not a rule" in err

    code, err = _error(capsys, "--fail-on", "from-flag")
    assert code == 2 and "--fail-on from-flag: not a rule" in err


def test_config_option_and_variable_name_another_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / ".assay.yaml").write_text("fail-on: from-cwd\n")
    (workdir / "ci").mkdir()
    (workdir / "ci/assay.yaml").write_text("fail-on: [high, from-ci]\n")
    code, err = _error(capsys, "--config", "ci/assay.yaml")
    assert code == 2 and "--fail-on from-ci: not a rule" in err
    monkeypatch.setenv("ASSAY_CONFIG", "ci/assay.yaml")
    code, err = _error(capsys)
    assert code == 2 and "--fail-on from-ci: not a rule" in err


def test_paths_in_the_file_are_relative_to_it(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "ci").mkdir()
    (workdir / "ci/assay.yaml").write_text("vex: [statements.json]\n")
    code, err = _error(capsys, "--config", "ci/assay.yaml")
    assert code == 3 and "cannot read ci/statements.json: does not exist" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fail_on: high", "unknown key 'fail_on' (did you mean 'fail-on'?)"),
        ("colour: false", "unknown key 'colour'"),
        ("timeout: soon", "timeout: expected a number, got 'soon'"),
        ("max-depth: 2.5", "max-depth: expected a whole number, got 2.5"),
        ("no-vulns: 3", "no-vulns: expected true or false, got 3"),
        ("vex: {a: 1}", "vex: expected a path, got {'a': 1}"),
        ("- high", "expected a mapping of option names to values"),
        ("fail-on: [high", "is not valid YAML"),
    ],
)
def test_bad_file_is_one_line_naming_the_key(
    workdir: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    (workdir / ".assay.yaml").write_text(text + "\n")
    code, err = _error(capsys)
    assert code in (2, 3) and message in err, err
    assert err.startswith("assay: error: config file .assay.yaml") and "\n" not in err


def test_a_scan_uses_the_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tree with an empty root password; the file asks for the JSON output and fails on
    critical checks; the environment then turns the gate off."""
    root = workdir / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc/shadow").write_text("root::16000:0:99999:7:::\n")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (workdir / "ci").mkdir()
    (workdir / "ci/assay.yaml").write_text(
        "no-vulns: true\nfail-on: check:critical\noutput: [json=out/a.json]\nquiet: true\n"
    )
    assert main(["scan", str(root), "--config", "ci/assay.yaml"]) == 1
    err = capsys.readouterr().err
    assert "check credentials.empty-password: failed, severity critical" in err
    document = json.loads((workdir / "ci/out/a.json").read_text())
    assert document["vulnerabilities"] == [] and "vulnerability_store" not in document["facts"]
    assert not (workdir / "assay-out").exists()  # -o from the file: no --out set

    monkeypatch.setenv("ASSAY_FAIL_ON", "none")
    assert main(["scan", str(root), "--config", "ci/assay.yaml"]) == 0


def test_shell_completion_through_the_entry_point(tmp_path: Path) -> None:
    """``_ASSAY_COMPLETE=bash_source assay`` (docs/ci.md) prints the script, and completing
    ``assay scan --ig`` offers the new option."""
    import os
    import subprocess
    import sys

    code = "import sys; from assay.cli import main; sys.argv[0] = 'assay'; sys.exit(main())"
    run = [sys.executable, "-c", code]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    script = subprocess.run(
        run, env={**env, "_ASSAY_COMPLETE": "bash_source"}, capture_output=True, text=True
    )
    assert script.returncode == 0 and "_assay_completion()" in script.stdout
    words = {"_ASSAY_COMPLETE": "bash_complete", "COMP_WORDS": "assay scan --ig", "COMP_CWORD": "2"}
    done = subprocess.run(run, env={**env, **words}, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.split() == ["plain,--ignore"]
