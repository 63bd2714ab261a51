"""Validation of the ``[tool.otel-lint]`` table with pydantic, into ``config.settings.Settings``.

Imported only when a table's contents were not seen (and remembered) before.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from dataclasses import fields
from typing import Annotated, Any, Literal

import pathspec
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from otel_lint.catalogue.files import CODE_OR_PREFIX, unknown_selectors
from otel_lint.config.settings import ConfigError, Settings, toml_key
from otel_lint.findings import Severity

_SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _check_pattern(pattern: str) -> str:
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except (ValueError, re.error):  # re.error: a character range backwards, "[z-a]"
        raise ValueError(f"{pattern!r} is not a gitignore-style pattern") from None
    return pattern


def _check_selectors(value: list[str]) -> list[str]:
    bad = [item for item in value if not CODE_OR_PREFIX.match(item)]
    if bad:
        raise ValueError(f"expected rule codes or prefixes such as OTL201 or OTL2, got {bad}")
    unknown = unknown_selectors(value)
    if unknown:
        raise ValueError("; ".join(unknown))
    return value


class SettingsTable(BaseModel):
    """The ``[tool.otel-lint]`` table as users write it: kebab-case keys, nothing unknown."""

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
    # Strict: `true` is no number of seconds, and "yes" or 1 is no TOML boolean.
    report_unused_noqa: bool = Field(default=False, alias="report-unused-noqa", strict=True)
    #: Follow symlinks to directories, and to files outside the tree walked.
    follow_symlinks: bool = Field(default=False, alias="follow-symlinks", strict=True)
    #: Seconds a file may take per started MiB of source before it is an OTL000 (0: no limit).
    file_time_limit: float = Field(
        default=10.0, ge=0, allow_inf_nan=False, alias="file-time-limit", strict=True
    )
    #: Run the rules in preview too.
    preview: bool = Field(default=False, strict=True)
    #: What the project is; unset: decided from its files (see ``project.facts.is_library``).
    kind: Literal["application", "library"] | None = None
    #: Services by the folders that make them up (see ``config.settings.Settings.services``).
    services: dict[str, list[str]] = Field(default_factory=dict)

    _validate_select = field_validator("select", "ignore", "extend_select")(
        classmethod(lambda cls, v: _check_selectors(v))
    )

    @field_validator("per_file_ignores")
    @classmethod
    def _per_file(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for pattern, codes in value.items():
            try:
                _check_pattern(pattern)
                _check_selectors(codes)
            except ValueError as error:  # the message names the table; name the key too
                raise ValueError(f"`{toml_key(pattern)}`: {error}") from None
        return value

    @field_validator("services")
    @classmethod
    def _service_folders(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        owner: dict[str, str] = {}
        for name, paths in value.items():
            where = f"`{toml_key(name)}`"
            if not _SERVICE_NAME.fullmatch(name):
                raise ValueError(f"{where}: a service name is letters, digits, `.`, `_` or `-`")
            if not paths:
                raise ValueError(f"{where}: name at least one folder")
            for path in paths:
                normal = posixpath.normpath(path.replace("\\", "/"))
                if posixpath.isabs(normal) or normal == ".." or normal.startswith("../"):
                    raise ValueError(
                        f"{where}: {path!r} must be a path inside the project, relative to the "
                        "configuration's folder"
                    )
                if normal in owner and owner[normal] != name:
                    raise ValueError(
                        f"{where}: {path!r} is also in `{toml_key(owner[normal])}`; a folder "
                        "belongs to one service (leave a shared folder out: its facts then count "
                        "for every service)"
                    )
                owner[normal] = name
        return value

    @field_validator("severity")
    @classmethod
    def _severity_codes(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        _check_selectors(list(value))
        return value


def validate(table: dict[str, Any], source: str) -> Settings:
    """The settings ``table`` holds; ConfigError with one line per bad key otherwise."""
    try:
        model = SettingsTable.model_validate(table)
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, source)) from None
    return Settings(**{f.name: getattr(model, f.name) for f in fields(Settings)})


def _did_you_mean(location: tuple[int | str, ...]) -> str:
    """`` ; did you mean `namespaces`?`` for a misspelt top-level key, else nothing."""
    if len(location) != 1 or not isinstance(location[0], str):
        return ""
    keys = [field.alias or name for name, field in SettingsTable.model_fields.items()]
    closest = difflib.get_close_matches(location[0], keys, n=1, cutoff=0.6)
    return f"; did you mean `{closest[0]}`?" if closest else ""


def describe_validation_error(error: ValidationError, source: str) -> str:
    """One line per problem, each naming the key as the user wrote it."""
    lines = []
    for problem in error.errors():
        key = ".".join(toml_key(part) for part in problem["loc"]) or "(table)"
        if problem["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key `{key}`{_did_you_mean(problem['loc'])}")
        else:
            lines.append(f"{source}: `{key}`: {problem['msg']}")
    return "\n".join(lines)
