"""Judgments: a person's verdict on one finding, kept in ``judgments/<package>.tsv``.

A row is ``code``, ``path:line``, ``verdict``, ``reason``, ``text`` (the stripped source line), tab
separated, after a header row. A judgment finds its finding again by code, path and line text (the
nearest line with that text, so an edit above it does not orphan it), and only failing that by
code and ``path:line``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from realworld.lint import Finding, normalise_text

JUDGMENTS_FOLDER = Path(__file__).with_name("judgments")
HEADER = ("code", "location", "verdict", "reason", "text")


class Verdict(enum.Enum):
    TRUE = "TRUE"
    FALSE = "FALSE"
    DEBATABLE = "DEBATABLE"


class JudgmentsError(Exception):
    """A judgments file that cannot be read; the message names the file and the row."""


@dataclass(frozen=True)
class Judgment:
    package: str
    code: str
    path: str
    line: int
    verdict: Verdict
    reason: str
    text: str


@dataclass(frozen=True)
class Comparison:
    """Findings and judgments of one run, paired up."""

    judged: tuple[tuple[Finding, Judgment], ...]
    unjudged: tuple[Finding, ...]
    disappeared: tuple[Judgment, ...]  # judged once, no longer found


def parse_judgments(package: str, text: str, source: str = "<judgments>") -> tuple[Judgment, ...]:
    """The rows of one package's TSV; blank lines and lines starting with ``#`` are skipped."""
    judgments: list[Judgment] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        if tuple(field.strip().lower() for field in fields[:2]) == HEADER[:2]:
            continue
        where = f"{source}:{number}"
        if len(fields) not in (4, 5):
            raise JudgmentsError(f"{where}: expected {len(HEADER)} tab-separated fields")
        code, location, verdict, reason = (field.strip() for field in fields[:4])
        path, separator, line = location.rpartition(":")
        if not separator or not line.isdigit() or not path:
            raise JudgmentsError(f"{where}: location {location!r} is not path:line")
        try:
            judged = Verdict(verdict.upper())
        except ValueError:
            raise JudgmentsError(
                f"{where}: verdict {verdict!r} is not TRUE, FALSE or DEBATABLE"
            ) from None
        if not reason:
            raise JudgmentsError(f"{where}: a verdict needs its one-line reason")
        line_text = normalise_text(fields[4]) if len(fields) == 5 else ""
        judgments.append(Judgment(package, code, path, int(line), judged, reason, line_text))
    return tuple(judgments)


def load_judgments(package: str, folder: Path = JUDGMENTS_FOLDER) -> tuple[Judgment, ...]:
    path = folder / f"{package}.tsv"
    if not path.is_file():
        return ()
    return parse_judgments(package, path.read_text(encoding="utf-8"), str(path))


def judgment_row(finding: Finding, verdict: str = "VERDICT", reason: str = "REASON") -> str:
    """The TSV row a judge fills in for ``finding`` (tabs in the text would split it: spaces)."""
    location = f"{finding.path}:{finding.line}"
    return "\t".join((finding.code, location, verdict, reason, finding.text.replace("\t", " ")))


def compare(findings: Sequence[Finding], judgments: Iterable[Judgment]) -> Comparison:
    """Pair each judgment with at most one finding, and each finding with at most one judgment."""
    remaining = sorted(findings)
    pending = list(judgments)
    pairs: list[tuple[Finding, Judgment]] = []
    # By text first, over every judgment, so a judgment whose line moved cannot lose its finding
    # to one that merely sits at the old line number.
    for by_text in (True, False):
        still_pending: list[Judgment] = []
        for judgment in pending:
            match = _best_match(judgment, remaining, by_text)
            if match is None:
                still_pending.append(judgment)
                continue
            remaining.remove(match)
            pairs.append((match, judgment))
        pending = still_pending
    pairs.sort(key=lambda pair: pair[0])
    return Comparison(tuple(pairs), tuple(remaining), tuple(pending))


def _best_match(judgment: Judgment, findings: Sequence[Finding], by_text: bool) -> Finding | None:
    if by_text:
        if not judgment.text:
            return None
        candidates = [
            finding
            for finding in findings
            if (finding.code, finding.path, finding.text)
            == (judgment.code, judgment.path, judgment.text)
        ]
    else:
        candidates = [
            finding
            for finding in findings
            if (finding.code, finding.path, finding.line)
            == (judgment.code, judgment.path, judgment.line)
        ]
    if not candidates:
        return None
    # `findings` is sorted, so among equally near lines the first column wins: rows for the same
    # code on one line pair with its findings in column order.
    return min(candidates, key=lambda finding: abs(finding.line - judgment.line))
