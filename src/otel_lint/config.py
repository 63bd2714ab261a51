"""The ``[tool.otel-lint]`` table of pyproject.toml, validated, and where to find it."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import pathspec
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from otel_lint.findings import Severity
from otel_lint.rule_files import CODE_OR_PREFIX

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the key."""


def _check_pattern(pattern: str) -> str:
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except ValueError:
        raise ValueError(f"{pattern!r} is not a gitignore-style pattern") from None
    return pattern


def _check_selectors(value: list[str]) -> list[str]:
    bad = [item for item in value if not CODE_OR_PREFIX.match(item)]
    if bad:
        raise ValueError(f"expected rule codes or prefixes such as OTL201 or OTL2, got {bad}")
    return value


class Settings(BaseModel):
    """Everything a user can set, in the table or on the command line."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    select: list[str] = Field(default_factory=lambda: ["ALL"])
    ignore: list[str] = Field(default_factory=list)
    extend_select: list[str] = Field(default_factory=list, alias="extend-select")
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict, alias="per-file-ignores")
    exclude: list[Annotated[str, AfterValidator(_check_pattern)]] = Field(default_factory=list)
    #: Severity overrides by code, e.g. ``{ OTL104 = "warning" }``.
    severity: dict[str, Severity] = Field(default_factory=dict)
    #: The project's own attribute namespaces, e.g. ``["acme"]`` or ``["acme.*"]``.
    namespaces: list[str] = Field(default_factory=list)
    #: Identifiers the project knows to be bounded (``tenant_tier``, ``region``).
    bounded: list[str] = Field(default_factory=list)
    #: Instrumentations to treat as active (``requests``, ``flask``, or ``*``).
    instrumentations: list[str] = Field(default_factory=list)
    #: Report suppression comments that suppress nothing (as OTL001).
    report_unused_noqa: bool = Field(default=False, alias="report-unused-noqa")
    #: Follow symlinks to directories, and to files outside the tree walked.
    follow_symlinks: bool = Field(default=False, alias="follow-symlinks")
    #: Seconds a file may take per started MiB of source before it is an OTL000 (0: no limit).
    file_time_limit: float = Field(default=10.0, ge=0, allow_inf_nan=False, alias="file-time-limit")

    _validate_select = field_validator("select", "ignore", "extend_select")(
        classmethod(lambda cls, v: _check_selectors(v))
    )

    @field_validator("per_file_ignores")
    @classmethod
    def _per_file(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for pattern, codes in value.items():
            _check_pattern(pattern)
            _check_selectors(codes)
        return value

    @field_validator("severity")
    @classmethod
    def _severity_codes(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        _check_selectors(list(value))
        return value


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


def describe_validation_error(error: ValidationError, source: str) -> str:
    """One line per problem, each naming the key as the user wrote it."""
    lines = []
    for problem in error.errors():
        key = ".".join(toml_key(part) for part in problem["loc"]) or "(table)"
        if problem["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key `{key}`")
        else:
            lines.append(f"{source}: `{key}`: {problem['msg']}")
    return "\n".join(lines)


def parse_settings(table: Any, source: str) -> Settings:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [tool.otel-lint] must be a table")
    try:
        return Settings.model_validate(table)
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, source)) from None


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
