"""What checking produces, and how a project's file results become its findings.

Kept apart from the engine (which parses and runs the rules) so that a run answered from the
results cache, and the cache itself, need neither the parser nor the rule models.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from otel_lint.catalogue.files import closest_code, known_codes
from otel_lint.engine.suppressions import Noqa
from otel_lint.findings import Finding, Severity
from otel_lint.project import facts as project_facts

UNREADABLE = "OTL000"
UNUSED_NOQA = "OTL001"


@dataclass(frozen=True)
class FileResult:
    """What one file contributed: its findings, the ones its comments suppressed, its facts."""

    label: str
    findings: tuple[Finding, ...] = ()
    suppressed: tuple[tuple[Finding, Noqa | None], ...] = ()
    noqa: tuple[Noqa, ...] = ()
    facts: frozenset[str] = frozenset()
    #: ``content_digest`` of the bytes judged: the run confirms the file still holds them before
    #: its findings are shown under the file's lines ("" for a file that could not be read).
    source_digest: str = ""
    #: The project's other modules whose constants the checks read: (path, digest of its bytes).
    #: A cached result holds only while each is unchanged.
    depends: tuple[tuple[str, str], ...] = ()


def content_digest(data: bytes) -> str:
    """Which bytes a result judged: a file replaced meanwhile has another digest."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class RunResult:
    findings: tuple[Finding, ...]
    files: int
    facts: frozenset[str] = field(default_factory=frozenset)


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def dependencies_hold(result: FileResult, digests: dict[str, str | None] | None = None) -> bool:
    """Whether every module a result depends on still has the bytes it was read with.

    ``digests`` remembers each file's digest within one run (many files import one module).
    """
    known = {} if digests is None else digests
    for path, wanted in result.depends:
        if path not in known:
            try:
                with open(path, "rb") as handle:
                    known[path] = content_digest(handle.read())
            except OSError:
                known[path] = None
        if known[path] != wanted:
            return False
    return True


def point_finding(
    code: str, name: str, message: str, severity: Severity, label: str, line: int, column: int
) -> Finding:
    """A finding about a place rather than a span of code; its message is its identity."""
    return Finding(
        code=code,
        name=name,
        message=message,
        severity=severity,
        path=label,
        line=line,
        column=column,
        end_line=line,
        end_column=column,
        fingerprint=digest(message),
    )


def unreadable(label: str, reason: str, line: int = 1, column: int = 1) -> Finding:
    message = f"file could not be checked: {reason}"
    return point_finding(
        UNREADABLE, "unreadable-file", message, Severity.ERROR, label, line, column
    )


def resolve(
    results: Iterable[FileResult], extra_facts: Iterable[str] = (), report_unused_noqa: bool = False
) -> RunResult:
    """Merge facts, drop findings whose requirements the project does not meet, sort."""
    results = list(results)
    facts = frozenset(extra_facts).union(*(r.facts for r in results))

    def stands(finding: Finding) -> bool:
        return all(project_facts.holds(req, facts) for req in finding.requires)

    findings = [f for r in results for f in r.findings if stands(f)]
    known = set(known_codes())
    for result in results:
        used = {noqa.line for finding, noqa in result.suppressed if noqa and stands(finding)}
        for noqa in result.noqa:
            # Reported whatever `report-unused-noqa` says, as ruff's RUF100 names unknown codes:
            # a misspelt code suppresses nothing and reads as if it did.
            unknown = [
                c for c in noqa.codes if c.upper().startswith("OTL") and c.upper() not in known
            ]
            if unknown:
                findings.append(_unknown_in_noqa(result.label, noqa, unknown))
            elif report_unused_noqa and noqa.line not in used:
                findings.append(_unused_noqa(result.label, noqa))
    findings.sort(key=Finding.sort_key)
    return RunResult(tuple(findings), len(results), facts)


def _unknown_in_noqa(label: str, noqa: Noqa, unknown: list[str]) -> Finding:
    named = ", ".join(
        f"`{code}` (did you mean `{closest}`?)" if (closest := closest_code(code)) else f"`{code}`"
        for code in unknown
    )
    message = f"this `# noqa` names no rule: {named}"
    return point_finding(
        UNUSED_NOQA, "unused-noqa", message, Severity.INFO, label, noqa.line, noqa.column
    )


def _unused_noqa(label: str, noqa: Noqa) -> Finding:
    codes = ", ".join(noqa.codes) if noqa.codes else "any code"
    message = f"this `# noqa` ({codes}) suppresses nothing; remove it"
    return point_finding(
        UNUSED_NOQA, "unused-noqa", message, Severity.INFO, label, noqa.line, noqa.column
    )
