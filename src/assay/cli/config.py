"""Where a command's options come from: flags > environment (``ASSAY_*``) > configuration
file (``.assay.yaml`` in the working directory, or ``--config FILE``) > built-in defaults.

The file is a YAML mapping whose keys are the command's long option names without the dashes
(``fail-on``, ``output``, ``vex``, ``timeout``...), read with the bounded loader; an unknown
key or a value of the wrong kind stops the command with a one-line error naming the key. An
option given several times (``output``, ``fail-on``, ``vex``) takes a list (or one value);
a flag (``no-vulns``) takes true or false. Relative paths in the file are relative to the
file's folder. Each option's environment variable is ``ASSAY_`` and its long name in capitals
with underscores (``ASSAY_FAIL_ON``); a repeatable option's variable holds its values
separated by spaces (paths: by ``:``). A source replaces, never extends, the one below it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from assay.errors import UsageError
from assay.safeload import load_yaml, read_file

CONFIG_NAME = ".assay.yaml"
MAX_BYTES = 1024 * 1024
# options without a variable: ASSAY_REGISTRY_URL already names the registry's database
NO_ENV = frozenset({"config", "help", "registry-url"})
NOT_IN_FILE = frozenset({"config", "help"})
F = TypeVar("F", bound=Callable[..., Any])


def long_name(param: click.Parameter) -> str:
    """``fail-on`` for ``--fail-on`` ("" when the option has no long name)."""
    names = [o for o in param.opts if o.startswith("--")]
    return names[0][2:] if names else ""


def env_name(name: str) -> str:
    return "ASSAY_" + name.upper().replace("-", "_")


def with_environment(command: click.Command) -> click.Command:
    """Give every option of ``command`` without one its ``ASSAY_*`` variable."""
    for param in command.params:
        name = long_name(param)
        if isinstance(param, click.Option) and param.envvar is None and name not in NO_ENV:
            param.envvar = env_name(name)
    return command


def config_option(function: F) -> F:
    """The ``--config FILE`` option: read before every other option, its values become the
    defaults the flags and the environment override."""
    option = click.option(
        "--config",
        type=click.Path(path_type=Path, dir_okay=False),
        envvar="ASSAY_CONFIG",
        is_eager=True,
        expose_value=False,
        callback=_load,
        help=f"Option defaults from this YAML file (default: {CONFIG_NAME} in the working "
        "directory). Flags > ASSAY_* variables > file > defaults.",
    )
    return option(function)


def _load(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    path = value
    if path is None:
        if not Path(CONFIG_NAME).is_file():
            return None
        path = Path(CONFIG_NAME)
    ctx.default_map = {**(ctx.default_map or {}), **defaults(ctx.command, path)}
    ctx.meta["assay.config"] = path
    return path


def defaults(command: click.Command, path: Path) -> dict[str, Any]:
    """The option defaults a configuration file gives, by parameter name, checked."""
    what = f"config file {path.name}"
    data = load_yaml(read_file(path, what, max_bytes=MAX_BYTES), what, max_bytes=MAX_BYTES)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{what}: expected a mapping of option names to values", _hint(command))
    options = {
        long_name(p): p
        for p in command.params
        if isinstance(p, click.Option) and long_name(p) and long_name(p) not in NOT_IN_FILE
    }
    out: dict[str, Any] = {}
    for key, value in data.items():
        param = options.get(str(key))
        if param is None or param.name is None:
            close = difflib.get_close_matches(str(key).replace("_", "-"), options, n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"{what}: unknown key {str(key)!r}{guess}", _hint(command))
        out[param.name] = _value(param, value, f"{what}: {key}", path.parent)
    return out


def _hint(command: click.Command) -> str:
    return f"keys are the long option names of assay {command.name} (see --help)"


def _value(param: click.Option, value: Any, where: str, base: Path) -> Any:
    if param.is_flag and not param.multiple:
        if not isinstance(value, bool):
            raise UsageError(f"{where}: expected true or false, got {value!r}")
        return value
    if param.multiple:
        items = value if isinstance(value, list) else [value]
        return [_one(param, item, where, base) for item in items]
    return _one(param, value, where, base)


def _one(param: click.Option, value: Any, where: str, base: Path) -> Any:
    kind = param.type
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UsageError(f"{where}: expected {_kind(kind)}, got {value!r}")
    if isinstance(kind, click.types.IntParamType) and not isinstance(value, int):
        raise UsageError(f"{where}: expected a whole number, got {value!r}")
    if isinstance(kind, click.types.FloatParamType):
        try:
            return float(value)
        except ValueError:
            raise UsageError(f"{where}: expected a number, got {value!r}") from None
    if isinstance(kind, click.Path):
        return _relative(str(value), base)
    if long_name(param) == "output" and "=" in str(value):  # FORMAT=FILE: the FILE is a path
        fmt, _, file = str(value).partition("=")
        return f"{fmt}={_relative(file, base)}" if file.strip() else str(value)
    return value if isinstance(kind, click.types.IntParamType) else str(value)


def _relative(text: str, base: Path) -> str:
    path = Path(text.strip()).expanduser()
    return str(path if path.is_absolute() else base / path)


def _kind(kind: click.ParamType[Any]) -> str:
    if isinstance(kind, click.types.IntParamType):
        return "a whole number"
    if isinstance(kind, click.types.FloatParamType):
        return "a number"
    if isinstance(kind, click.Path):
        return "a path"
    return "text"
