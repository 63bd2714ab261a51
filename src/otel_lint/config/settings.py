"""What a user can set: the settings value and its error, importing nothing else of otel-lint."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from otel_lint.findings import Severity


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
    #: Run the rules in preview too (those right less than 9 times in 10 on real code).
    preview: bool = False
    #: What the project is, ``"application"`` or ``"library"``; unset (None): decided from the
    #: project's files (``project.facts.is_library``). Application rules judge applications only.
    kind: str | None = None
    #: Services named by the folders (or deployment files) that make them up, relative to the
    #: configuration's folder: ``{"billing": ["services/billing", "libs/billing-core"]}``.
    #: Overrides the folders ``project.services`` would pick.
    services: dict[str, list[str]] = field(default_factory=dict)


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


def specificity(code: str, selectors: Iterable[str]) -> int:
    """The length of the longest selector naming ``code`` (ALL counts 0), or -1 if none does.

    The most specific selector wins, as in ruff: ``select = ["OTL2"]`` with ``ignore =
    ["OTL201"]`` turns OTL201 off. The linter and the plugin's strict mode both decide so.
    """
    best = -1
    for selector in selectors:
        if selector == "ALL":
            best = max(best, 0)
        elif code.startswith(selector):
            best = max(best, len(selector))
    return best
