"""The Dockerfile and the GitHub Action, checked without a container engine (the suite does
not need one; docs/ci.md says how the image was built once with podman): the Dockerfile
installs exactly the Makefile's extractors from what the build context holds, and the action's
own shell steps, run with a stand-in for ``docker run`` that calls this checkout's ``assay``,
scan, write SARIF and gate."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _joined(text: str) -> str:
    """Continuation lines joined, as make and the Dockerfile parser read them."""
    return re.sub(r"\\\n", " ", text)


def _makefile_list(name: str) -> list[str]:
    match = re.search(rf"^{name} := (.*)$", _joined((ROOT / "Makefile").read_text()), re.M)
    assert match, name
    return match.group(1).split()


def _instructions() -> list[tuple[str, str]]:
    lines = [line for line in _joined(DOCKERFILE).splitlines() if not line.startswith("#")]
    return [(w.split()[0].upper(), w.split(None, 1)[1]) for w in lines if w.strip()]


def test_dockerfile_base_is_debian_12() -> None:
    (base,) = [arg for name, arg in _instructions() if name == "FROM"]
    assert re.fullmatch(r"debian:12(-slim)?", base)


def test_dockerfile_installs_exactly_the_makefile_extractors() -> None:
    (arg,) = [a for name, a in _instructions() if name == "ARG" and a.startswith("APT_EXTRACTORS")]
    words = shlex.split(arg.split("=", 1)[1])[0].split()
    assert words == _makefile_list("APT_EXTRACTORS")
    (install,) = [a for name, a in _instructions() if name == "RUN" and "apt-get install" in a]
    assert "$APT_EXTRACTORS" in install and "python3-venv" in install


def _ignored(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` out of the build context (its last matching rule
    wins, ``!`` re-includes)."""
    out = False
    for rule in (ROOT / ".dockerignore").read_text().splitlines():
        rule = rule.strip()
        if not rule or rule.startswith("#"):
            continue
        keep = rule.startswith("!")
        pattern = rule.lstrip("!").rstrip("/")
        if pattern == "*" or path == pattern or path.startswith(pattern + "/"):
            out = not keep
    return out


def test_dockerfile_copies_files_that_exist_and_reach_the_context() -> None:
    copies = [arg.split()[:-1] for name, arg in _instructions() if name == "COPY"]
    sources = [s for sources in copies for s in sources]
    assert sorted(sources) == ["LICENSE", "README.md", "pyproject.toml", "src"]
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not _ignored(source), source
    # what pip needs to build the project: its readme and licence are named in pyproject
    assert 'readme = "README.md"' in (ROOT / "pyproject.toml").read_text()


def test_dockerfile_runs_the_installed_entry_point() -> None:
    (entry,) = [json.loads(a) for name, a in _instructions() if name == "ENTRYPOINT"]
    assert entry == ["assay"]
    assert 'assay = "assay.cli:main"' in (ROOT / "pyproject.toml").read_text()
    assert "/opt/assay/bin/pip install /tmp/assay-src" in _joined(DOCKERFILE)


def _action() -> dict[str, Any]:
    action: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return action


def test_action_is_composite_and_uploads_sarif() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    upload = next(s for s in steps if "uses" in s)
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif }}"
    assert "always()" in upload["if"]
    build = next(s for s in steps if "docker build" in s.get("run", ""))
    assert '"$GITHUB_ACTION_PATH"' in build["run"] and (ROOT / "Dockerfile").is_file()
    for step in steps:  # inputs reach shell scripts through env only (no injection)
        assert "${{" not in step.get("run", ""), step["name"]
    used = json.dumps(steps)
    for name in action["inputs"]:
        assert f"inputs.{name}" in used, name


def _step(name: str) -> dict[str, Any]:
    return next(s for s in _action()["runs"]["steps"] if s["name"] == name)


DOCKER_STANDIN = """#!/bin/sh
# docker build: nothing to do; docker run ... IMAGE ARGS: this checkout's assay on ARGS
[ "$1" = run ] || exit 0
shift
while [ "$1" != assay-action:local ]; do shift; done
shift
exec "$ASSAY_PYTHON" -m assay "$@"
"""


@pytest.mark.parametrize(("fail_on", "code"), [("check:critical", 1), ("", 0)])
def test_action_scan_step_scans_writes_sarif_and_gates(
    tmp_path: Path, fail_on: str, code: int
) -> None:
    workspace = tmp_path / "workspace"
    root = workspace / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc/shadow").write_text("root::16000:0:99999:7:::\n")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    vex = ROOT / "tests/data/vex/wr703n-dropbear.openvex.json"
    (workspace / "statements.vex.json").write_text(vex.read_text())
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(DOCKER_STANDIN)
    (bin_dir / "docker").chmod(0o755)
    outputs = tmp_path / "github_output"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join(sys.path),
        "ASSAY_PYTHON": sys.executable,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_ACTION_PATH": str(ROOT),
        **{k: str(v) for k, v in _step("Scan")["env"].items()},
    }
    env.update(
        TARGET="rootfs", SARIF="out/assay.sarif", FAIL_ON=fail_on, DECLARATION="",
        VEX="statements.vex.json", IGNORE="", ARGS="--no-vulns",
    )  # fmt: skip
    script = _step("Scan")["run"]
    proc = subprocess.run(
        ["bash", "-e", "-c", script], cwd=workspace, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr  # the step itself never fails: the gate does
    assert f"exit-code={code}" in outputs.read_text()
    sarif = json.loads((workspace / "out/assay.sarif").read_text())
    rules = [r["ruleId"] for r in sarif["runs"][0]["results"]]
    assert "credentials.empty-password" in rules
    assert "credentials.empty-password" in proc.stdout  # the table in the log
    if fail_on:
        assert "--fail-on tripped" in proc.stderr
    gate = subprocess.run(
        ["bash", "-e", "-c", _step("Gate (--fail-on)")["run"]],
        env={**os.environ, "CODE": str(code)},
        capture_output=True,
        text=True,
    )
    assert gate.returncode == code
