"""The real-world precision harness: ``python bench/realworld/run.py [--package NAME] [--sample]``.

Downloads the releases pinned in ``packages.toml`` (into a cache outside the repository), lints each
as a project of its own, pairs the findings with the committed judgments and prints per-rule
precision, what is not judged yet, and judged findings that disappeared. See README.md beside it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Run as a script: make the `realworld` package (this folder) importable by its name.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from realworld.fetch import DEFAULT_CACHE, FetchError, source_root
from realworld.judgments import (
    JUDGMENTS_FOLDER,
    Comparison,
    JudgmentsError,
    compare,
    judgment_row,
    load_judgments,
)
from realworld.lint import Finding, LintError, lint_project
from realworld.pins import PACKAGES_FILE, Pin, PinsError, load_pins
from realworld.precision import render_table, rule_modes, tally
from realworld.sampling import SAMPLE_SIZE, sample

EXIT_OK, EXIT_BROKEN = 0, 2


@dataclass(frozen=True)
class PackageResult:
    pin: Pin
    findings: tuple[Finding, ...]
    comparison: Comparison


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/realworld/run.py",
        description="otel-lint's precision on pinned real-world packages, from judgments.",
    )
    parser.add_argument(
        "--package",
        action="append",
        default=[],
        metavar="NAME",
        help="only this package (repeatable; default: every package in packages.toml)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"where releases are downloaded and unpacked (default: {DEFAULT_CACHE})",
    )
    parser.add_argument(
        "--pins",
        type=Path,
        default=PACKAGES_FILE,
        help="the list of pinned packages (default: packages.toml beside this script)",
    )
    parser.add_argument(
        "--judgments",
        type=Path,
        default=JUDGMENTS_FOLDER,
        help="the folder of <package>.tsv judgment files",
    )
    parser.add_argument(
        "--list-unjudged",
        action="store_true",
        help="print the findings not judged yet, per package, with a TSV row to fill in",
    )
    parser.add_argument(
        "--sample",
        action="store_true",
        help=f"mark the findings that must be judged (all of a rule in a package up to "
        f"{SAMPLE_SIZE}, else {SAMPLE_SIZE} evenly spread); with --list-unjudged, list only those",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        pins = _selected(load_pins(arguments.pins), arguments.package)
    except (PinsError, OSError) as error:
        print(f"realworld: error: {arguments.pins}: {error}", file=sys.stderr)
        return EXIT_BROKEN
    results: list[PackageResult] = []
    problems: list[str] = []
    for pin in pins:
        try:
            results.append(_run_package(pin, arguments.cache, arguments.judgments))
        except (FetchError, LintError, JudgmentsError) as error:
            # The other packages still count; the run as a whole is reported as broken.
            problems.append(str(error))
            print(f"realworld: error: {error}", file=sys.stderr)
    sampled = sample(finding for result in results for finding in result.findings)
    print(_report(results, sampled, arguments.sample, arguments.list_unjudged))
    if problems:
        print(f"\nrealworld: {len(problems)} package(s) failed:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem.splitlines()[0]}", file=sys.stderr)
        return EXIT_BROKEN
    return EXIT_OK


def _selected(pins: Sequence[Pin], names: Sequence[str]) -> tuple[Pin, ...]:
    if not names:
        return tuple(pins)
    known = {pin.name: pin for pin in pins}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise PinsError(f"not listed: {', '.join(unknown)}")
    return tuple(known[name] for name in names)


def _run_package(pin: Pin, cache: Path, judgments_folder: Path) -> PackageResult:
    judgments = load_judgments(pin.name, judgments_folder)
    root = source_root(pin, cache)
    print(f"linting {pin.requirement} ...", file=sys.stderr, flush=True)
    findings = lint_project(pin.name, root)
    return PackageResult(pin, findings, compare(findings, judgments))


def _report(
    results: Sequence[PackageResult],
    sampled: frozenset[Finding],
    show_sample: bool,
    list_unjudged: bool,
) -> str:
    chosen = sampled if show_sample else frozenset[Finding]()
    tallies = tally((result.comparison for result in results), chosen)
    sections = [render_table(tallies, rule_modes(), show_sample)]
    sections.append(_per_package(results, sampled if show_sample else None))
    disappeared = [
        f"  {j.package}\t{j.code}\t{j.path}:{j.line}\t{j.verdict.value}\t{j.reason}"
        for result in results
        for j in result.comparison.disappeared
    ]
    if disappeared:
        sections.append("Judged findings that disappeared:\n" + "\n".join(disappeared))
    if list_unjudged:
        sections.append(_unjudged_listing(results, sampled if show_sample else None))
    return "\n\n".join(sections)


def _per_package(results: Sequence[PackageResult], sampled: frozenset[Finding] | None) -> str:
    lines = ["Per package (findings, judged, unjudged" + (", to judge)" if sampled else ")")]
    for result in results:
        comparison = result.comparison
        row = (
            f"  {result.pin.requirement:<58} {len(result.findings):>5} "
            f"{len(comparison.judged):>5} {len(comparison.unjudged):>5}"
        )
        if sampled is not None:
            row += f" {sum(f in sampled for f in comparison.unjudged):>5}"
        lines.append(row)
    return "\n".join(lines)


def _unjudged_listing(results: Sequence[PackageResult], sampled: frozenset[Finding] | None) -> str:
    blocks: list[str] = []
    for result in results:
        listed = [f for f in result.comparison.unjudged if sampled is None or f in sampled]
        if not listed:
            continue
        noun = "to judge (sample)" if sampled is not None else "unjudged"
        lines = [
            f"== {result.pin.requirement}: {len(result.findings)} findings, "
            f"{len(listed)} {noun} -> judgments/{result.pin.name}.tsv"
        ]
        for finding in listed:
            lines.append(f"{finding.code}\t{finding.path}:{finding.line}\t{finding.message}")
            lines.append(f"    {judgment_row(finding)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) if blocks else "Nothing left to judge."


if __name__ == "__main__":
    sys.exit(main())
