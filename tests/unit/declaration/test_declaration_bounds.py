"""Hostile declarations are refused quickly, in little memory, with one line and exit 3.

The bombs run in a child process under an address-space and CPU limit, so a regression
fails the test instead of taking the machine down; the child's peak memory comes from
``wait4``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from assay.errors import InputError
from assay.registry.inputs import parse_declaration
from assay.safeload import load_json, load_yaml

# Nine anchors of nine aliases each, over a list of nine words: 9**10 leaves when expanded.
LEVELS = zip("abcdefghi", "bcdefghij", strict=True)
BOMB = "a: &a [l,l,l,l,l,l,l,l,l]\n" + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in LEVELS
)
DEEP_YAML = "a: " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_JSON = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
SELF_ALIAS = "a: &a [1, *a]\n"
MEMORY_LIMIT = 1 << 30  # the child may not grow past 1 GiB at all
SRC = str(Path(__file__).resolve().parents[3] / "src")


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (30, 30))


def _run(args: list[str], tmp_path: Path) -> tuple[int, str, str, float]:
    """Exit code, stdout, stderr and peak memory (MiB) of a Python child under limits."""
    out, err = tmp_path / "out", tmp_path / "err"
    env = {**os.environ, "PYTHONPATH": SRC}
    with out.open("w") as o, err.open("w") as e:
        child = subprocess.Popen(
            [sys.executable, *args], stdout=o, stderr=e, preexec_fn=_limits, env=env
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, out.read_text(), err.read_text(), usage.ru_maxrss / 1024


def test_bomb_is_small_and_would_expand_to_hundreds_of_millions() -> None:
    assert len(BOMB) < 400 and BOMB.count("*") == 81


TIMED = """
import sys, time
from pathlib import Path
from assay.declaration import loader
from assay.errors import InputError
start = time.perf_counter()
try:
    loader.check(Path(sys.argv[1]))
except InputError as err:
    print(f"{time.perf_counter() - start:.3f}")
    print(err.message)
"""


def test_yaml_bomb_is_refused_in_under_a_second_and_100_mb(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    code, out, err, peak = _run(["-c", TIMED, str(bomb)], tmp_path)
    assert code == 0, err
    seconds, message = out.splitlines()
    assert float(seconds) < 1.0
    assert peak < 100, f"peak {peak:.0f} MiB"
    assert "expands to more than" in message and "aliases" in message


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        (BOMB, ".yaml", "expands to more than 1000000 nodes"),
        (DEEP_YAML, ".yaml", "nested deeper than 64 levels"),
        (DEEP_JSON, ".json", "nested deeper than"),
        (SELF_ALIAS, ".yaml", "alias that contains itself"),
        ("a: " + "9" * 5000 + "\n", ".yaml", "holds a value that cannot be read"),
    ],
)
def test_cli_refuses_with_one_line_and_exit_3(
    tmp_path: Path, text: str, suffix: str, expected: str
) -> None:
    path = tmp_path / f"hostile{suffix}"
    path.write_text(text)
    code, _out, err, _peak = _run(["-m", "assay", "declaration", "check", str(path)], tmp_path)
    assert code == 3, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and expected in err


@pytest.mark.parametrize("text", [BOMB, DEEP_YAML, DEEP_JSON, SELF_ALIAS])
def test_registry_refuses_the_same_documents(text: str) -> None:
    with pytest.raises(InputError, match="refused as unsafe"):
        parse_declaration(text.encode(), "d.yaml")


def test_devices_are_not_read_as_declarations(tmp_path: Path) -> None:
    from assay.declaration import check

    with pytest.raises(InputError, match="not a regular file"):
        check(Path("/dev/zero"))


def test_few_aliases_are_fine() -> None:
    doc = "base: &b {name: x, version: '1'}\nitems: [*b, *b, *b]\n"
    assert load_yaml(doc, "d")["items"][2] == {"name": "x", "version": "1"}


def test_json_depth_limit_is_the_callers() -> None:
    nested = "[" * 80 + "]" * 80
    with pytest.raises(InputError, match="deeper than 64"):
        load_json(nested, "doc")
    assert load_json(nested, "doc", max_depth=100)
