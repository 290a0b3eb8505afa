"""Hostile declarations are refused quickly, in little memory, with one line and exit 3.

The bombs run in a child process under an address-space and CPU limit (``bounded``), so a
regression fails the test instead of taking the machine down.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.errors import InputError
from assay.registry.inputs import parse_declaration
from assay.safeload import load_json, load_yaml
from bounded import run_bounded

# Nine anchors of nine aliases each, over a list of nine words: 9**10 leaves when expanded.
LEVELS = zip("abcdefghi", "bcdefghij", strict=True)
BOMB = "a: &a [l,l,l,l,l,l,l,l,l]\n" + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in LEVELS
)
DEEP_YAML = "a: " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_JSON = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
SELF_ALIAS = "a: &a [1, *a]\n"


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
    run = run_bounded(["-c", TIMED, str(bomb)], tmp_path)
    assert run.code == 0, run.stderr
    seconds, message = run.stdout.splitlines()
    assert float(seconds) < 1.0
    assert run.peak_mib < 100, f"peak {run.peak_mib:.0f} MiB"
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
    run = run_bounded(["assay", "declaration", "check", str(path)], tmp_path)
    assert run.code == 3, run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and expected in run.stderr


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
