"""The ``[tool.otel-lint]`` table of pyproject.toml, validated, and where to find it."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otel_lint.findings import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    """Everything a user can set, in the table or on the command line (defaults: nothing set).

    Validated from the table by ``config_schema.SettingsTable`` (pydantic), which is imported
    only when a table's contents were not seen before: most runs read a remembered result.
    """

    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    #: Severity overrides by code, e.g. ``{ OTL104 = "warning" }``.
    severity: dict[str, Severity] = field(default_factory=dict)
    #: The project's own attribute namespaces, e.g. ``["acme"]`` or ``["acme.*"]``.
    namespaces: list[str] = field(default_factory=list)
    #: Identifiers the project knows to be bounded (``tenant_tier``, ``region``).
    bounded: list[str] = field(default_factory=list)
    #: Instrumentations to treat as active (``requests``, ``flask``, or ``*``).
    instrumentations: list[str] = field(default_factory=list)
    #: Report suppression comments that suppress nothing (as OTL001).
    report_unused_noqa: bool = False
    #: Follow symlinks to directories, and to files outside the tree walked.
    follow_symlinks: bool = False
    #: Seconds a file may take per started MiB of source before it is an OTL000 (0: no limit).
    file_time_limit: float = 10.0


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(part: str | int) -> str:
    """A key as TOML spells it: bare when it can be, else quoted with escapes (``"tests/*"``)."""
    if isinstance(part, int):
        return str(part)  # an index into a list
    if _BARE_KEY.fullmatch(part):
        return part
    return '"' + "".join(_toml_character(c) for c in part) + '"'


def _toml_character(character: str) -> str:
    # Anything unprintable is escaped, so a message line never breaks or hides a character.
    if character in '"\\':
        return "\\" + character
    if character.isprintable():
        return character
    point = ord(character)
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def parse_settings(table: Any, source: str) -> Settings:
    """The settings a table holds; ConfigError naming each bad key otherwise."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [tool.otel-lint] must be a table")
    if not table:
        return Settings()
    from otel_lint.result_cache import keyed_path, read_pickled, write_pickled

    try:
        entry = keyed_path("config", json.dumps(table, sort_keys=True, ensure_ascii=False))
    except (TypeError, ValueError):  # TOML dates and times: validated every time
        entry = None
    remembered = read_pickled(entry, Settings) if entry is not None else None
    if remembered is not None:
        return remembered
    from otel_lint.config_schema import validate

    settings = validate(table, source)
    if entry is not None:
        write_pickled(entry, settings)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
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


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.otel-lint]`` table, walking up from ``start``."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _configures_otel_lint(pyproject):
            return pyproject
    return None


def project_root(start: Path, config_path: Path | None) -> Path:
    """The folder whose files make up the project: the config's, else the git root, else start."""
    if config_path is not None:
        return config_path.parent
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder
