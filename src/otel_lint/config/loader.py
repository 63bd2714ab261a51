"""The ``[tool.otel-lint]`` table of pyproject.toml, validated, and where to find it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from otel_lint.cache.keys import keyed_path
from otel_lint.cache.store import read_value, write_value
from otel_lint.config.settings import ConfigError, Settings
from otel_lint.regular_files import read_regular_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]


def parse_settings(table: Any, source: str) -> Settings:
    """The settings a table holds; ConfigError naming each bad key otherwise."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [tool.otel-lint] must be a table")
    if not table:
        return Settings()
    try:
        entry = keyed_path("config", json.dumps(table, sort_keys=True, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):  # TOML dates and times: validated every time
        entry = None
    remembered: Settings | None = read_value(entry, Settings) if entry is not None else None
    if remembered is not None:
        return remembered
    # Here, not at the top: pydantic is imported only for a table not validated before.
    from otel_lint.config.schema import validate

    settings = validate(table, source)
    if entry is not None:
        write_value(entry, Settings, settings)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = read_regular_file(path)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not UTF-8 text (line {line})") from None
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # The message ends "(at line 3, column 1)", or "(at end of document)": name a line then too.
        lines = text.count("\n") + (not text.endswith("\n"))  # as TOML counts: only \n ends one
        last = f"(at the end of the document, line {max(1, lines)})"
        message = str(error).replace("(at end of document)", last)
        raise ConfigError(f"{path}: not valid TOML: {message}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not read: arrays or tables nested too deeply") from None
    return document


def _tool_table(data: dict[str, Any], path: Path) -> Any:
    """``[tool.otel-lint]`` however it is spelt (header, dotted keys, inline table), or None."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table")
    return tool.get("otel-lint")


def read_config_file(path: Path) -> Settings:
    """The settings in ``path`` (a pyproject.toml, or an otel-lint.toml with a bare table)."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = _tool_table(data, path)
        return parse_settings({} if table is None else table, f"{path} [tool.otel-lint]")
    return parse_settings(data, str(path))


def _configures_otel_lint(pyproject: Path) -> bool:
    """Whether this pyproject.toml is ours to read. A broken one is (to report it, with its line),
    as pytest and ruff do: whatever it was meant to say, the run cannot know it."""
    try:
        return _tool_table(_read_toml(pyproject), pyproject) is not None
    except ConfigError:
        return True


def _answers(question: Callable[[], bool]) -> bool:
    """``path.is_dir`` and the like, False where pathlib raises: a path too long for the system,
    or inside a folder that cannot be searched, is no folder and holds no configuration (the run
    then reports it as an OTL000)."""
    try:
        return question()
    except OSError:
        return False


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.otel-lint]`` table, walking up from ``start``."""
    folder = start if _answers(start.is_dir) else start.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if _answers(pyproject.is_file) and _configures_otel_lint(pyproject):
            return pyproject
    return None


def project_root(start: Path, config_path: Path | None) -> Path:
    """The folder whose files make up the project: the config's, else the git root, else start."""
    if config_path is not None:
        return config_path.parent
    folder = start if _answers(start.is_dir) else start.parent
    for candidate in (folder, *folder.parents):
        if _answers((candidate / ".git").exists):
            return candidate
    return folder
