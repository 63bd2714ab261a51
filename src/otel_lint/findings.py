"""What the linter reports: findings, their positions, and the fixes that come with them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum


class Severity(str, Enum):
    """How bad a finding is. SARIF and GitHub levels derive from it."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Fix:
    """A replacement of the characters ``start_offset:end_offset`` of a file by ``content``.

    Offsets count characters in the decoded text; lines and columns are 1-based, columns in
    characters, as in every output format.
    """

    content: str
    start_offset: int
    end_offset: int
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Finding:
    """One problem at one place in one file."""

    code: str
    name: str
    message: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    fingerprint: str = ""
    fix: Fix | None = None
    #: Project facts that must hold (``fact``) or must not (``!fact``) for this finding to stand.
    requires: tuple[str, ...] = field(default=(), compare=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)
