"""The README cannot drift from the code: commands, exit codes, the two first commands."""

from __future__ import annotations

import re
from pathlib import Path

from assay import errors
from assay.cli import COMMAND_MODULES

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]


def test_every_command_is_in_the_usage() -> None:
    usage = README.split("## Usage", 1)[1].split("##", 1)[0]
    for name in COMMAND_MODULES:
        assert re.search(rf"^assay {name}\b", usage, re.M), name


def test_exit_code_table_matches_the_error_classes() -> None:
    table = README.split("## Exit codes", 1)[1].split("##", 1)[0]
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)}
    codes = {
        cls.exit_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.AssayError)
    }
    assert codes | {errors.EXIT_OK, errors.EXIT_FINDINGS} == documented
