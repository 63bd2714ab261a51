"""Per-rule precision over the judged findings, and the table the harness prints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from realworld.judgments import Comparison, Verdict
from realworld.lint import Finding

RULES_FOLDER = Path(__file__).resolve().parents[2] / "src" / "otel_lint" / "catalogue" / "rules"


@dataclass
class Tally:
    """Counts for one rule (or the total) over every package compared."""

    findings: int = 0
    true: int = 0
    false: int = 0
    debatable: int = 0
    unjudged: int = 0
    to_judge: int = 0  # unjudged and in the sample
    disappeared: int = 0

    @property
    def judged(self) -> int:
        return self.true + self.false + self.debatable

    @property
    def precision(self) -> float | None:
        """TRUE / (TRUE + FALSE); DEBATABLE counts neither way, and nothing judged is no figure."""
        decided = self.true + self.false
        return self.true / decided if decided else None

    def add(self, other: Tally) -> None:
        self.findings += other.findings
        self.true += other.true
        self.false += other.false
        self.debatable += other.debatable
        self.unjudged += other.unjudged
        self.to_judge += other.to_judge
        self.disappeared += other.disappeared


@dataclass
class Tallies:
    by_rule: dict[str, Tally] = field(default_factory=dict)

    def rule(self, code: str) -> Tally:
        return self.by_rule.setdefault(code, Tally())

    def total(self, codes: Iterable[str] | None = None) -> Tally:
        """Every rule's counts added up, or those of ``codes`` only."""
        wanted = None if codes is None else set(codes)
        total = Tally()
        for code, tally in self.by_rule.items():
            if wanted is None or code in wanted:
                total.add(tally)
        return total


def tally(comparisons: Iterable[Comparison], sampled: frozenset[Finding] = frozenset()) -> Tallies:
    """Count findings, verdicts and gaps per rule over the comparisons of all packages."""
    tallies = Tallies()
    for comparison in comparisons:
        for finding, judgment in comparison.judged:
            counts = tallies.rule(finding.code)
            counts.findings += 1
            if judgment.verdict is Verdict.TRUE:
                counts.true += 1
            elif judgment.verdict is Verdict.FALSE:
                counts.false += 1
            else:
                counts.debatable += 1
        for finding in comparison.unjudged:
            counts = tallies.rule(finding.code)
            counts.findings += 1
            counts.unjudged += 1
            counts.to_judge += finding in sampled
        for judgment in comparison.disappeared:
            tallies.rule(judgment.code).disappeared += 1
    return tallies


def rule_modes(folder: Path = RULES_FOLDER) -> dict[str, str]:
    """``preview`` for each rule whose YAML sets a true ``preview:``, else ``default``."""
    modes: dict[str, str] = {}
    for path in sorted(folder.glob("OTL*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        preview = isinstance(document, dict) and bool(document.get("preview"))
        modes[path.stem] = "preview" if preview else "default"
    return modes


def render_table(tallies: Tallies, modes: Mapping[str, str], show_sample: bool) -> str:
    """A fixed-width table, one row per rule seen, then the total."""
    columns = ["rule", "mode", "findings", "judged", "true", "false", "debatable", "precision"]
    columns += ["unjudged", "disappeared"] + (["to judge"] if show_sample else [])
    rows = [columns]
    for code in sorted(tallies.by_rule):
        rows.append(_row(code, modes.get(code, "default"), tallies.by_rule[code], show_sample))
    default = [code for code in tallies.by_rule if modes.get(code, "default") == "default"]
    rows.append(_row("default rules", "", tallies.total(default), show_sample))
    rows.append(_row("total", "", tallies.total(), show_sample))
    widths = [max(len(row[index]) for row in rows) for index in range(len(columns))]
    lines = [
        "  ".join(
            cell.ljust(width) if index < 2 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 2, "-" * len(lines[0]))
    return "\n".join(lines)


def _row(code: str, mode: str, counts: Tally, show_sample: bool) -> list[str]:
    precision = counts.precision
    row = [
        code,
        mode,
        str(counts.findings),
        str(counts.judged),
        str(counts.true),
        str(counts.false),
        str(counts.debatable),
        "-" if precision is None else f"{precision:.0%}",
        str(counts.unjudged),
        str(counts.disappeared),
    ]
    return row + ([str(counts.to_judge)] if show_sample else [])
