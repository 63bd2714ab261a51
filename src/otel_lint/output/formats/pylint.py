"""pylint's parseable one-line shape, ``path:line: [CODE] message``, for tools that read it."""

from __future__ import annotations

from collections.abc import Sequence

from otel_lint.findings import Finding
from otel_lint.output.formats.escapes import printable


def render_pylint(findings: Sequence[Finding]) -> str:
    return "\n".join(
        f"{printable(f.path)}:{f.line}: [{f.code}] {printable(f.message)}" for f in findings
    )
