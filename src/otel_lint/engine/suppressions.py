"""``# noqa`` comments and file-level ``# otel-lint: file-ignore[...]`` directives."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from otel_lint.project.source import source_lines

_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
_FILE_IGNORE = re.compile(r"#\s*otel-lint:\s*file-ignore(?:\[(?P<codes>[^\]]*)\])?")


@dataclass(frozen=True)
class Noqa:
    """A ``# noqa`` comment: on ``line``, for ``codes`` (empty: every code)."""

    line: int
    column: int
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Suppressions:
    by_line: dict[int, Noqa] = field(default_factory=dict)
    #: Codes or prefixes ignored for the whole file; ``("",)`` ignores everything.
    file_codes: tuple[str, ...] = ()

    def suppresses(self, code: str, line: int) -> bool:
        if any(code.startswith(prefix) for prefix in self.file_codes):
            return True
        noqa = self.by_line.get(line)
        return noqa is not None and (not noqa.codes or code in noqa.codes)


def _codes(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(code.upper() for code in re.split(r"[,\s]+", text.strip()) if code)


def find_suppressions(text: str) -> Suppressions:
    """Every suppression in ``text``. Cheap when there is none."""
    if "noqa" not in text and "otel-lint:" not in text:
        return Suppressions()
    by_line: dict[int, Noqa] = {}
    file_codes: list[str] = []
    for number, line in enumerate(source_lines(text), start=1):
        if "#" not in line:
            continue
        directive = _FILE_IGNORE.search(line)
        if directive is not None:
            codes = _codes(directive.group("codes"))
            file_codes.extend(codes or ("",))
            continue
        noqa = _NOQA.search(line)
        if noqa is not None:
            by_line[number] = Noqa(number, noqa.start() + 1, _codes(noqa.group("codes")))
    return Suppressions(by_line, tuple(file_codes))
