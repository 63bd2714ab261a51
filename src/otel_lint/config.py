"""The ``[tool.otel-lint]`` table of pyproject.toml, validated, and where to find it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from otel_lint.findings import Severity
from otel_lint.rule_model import CODE_OR_PREFIX

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the key."""


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
    exclude: list[str] = Field(default_factory=list)
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

    _validate_select = field_validator("select", "ignore", "extend_select")(
        classmethod(lambda cls, v: _check_selectors(v))
    )

    @field_validator("per_file_ignores")
    @classmethod
    def _per_file(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for codes in value.values():
            _check_selectors(codes)
        return value

    @field_validator("severity")
    @classmethod
    def _severity_codes(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        _check_selectors(list(value))
        return value


def describe_validation_error(error: ValidationError, source: str) -> str:
    """One line per problem, each naming the key as the user wrote it."""
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"]) or "(table)"
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


def read_config_file(path: Path) -> Settings:
    """The settings in ``path`` (a pyproject.toml, or an otel-lint.toml with a bare table)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("otel-lint", {})
        return parse_settings(table, f"{path} [tool.otel-lint]")
    return parse_settings(data, str(path))


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.otel-lint]`` table, walking up from ``start``."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                if "[tool.otel-lint" in pyproject.read_text(encoding="utf-8", errors="replace"):
                    return pyproject
            except OSError:
                continue
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
