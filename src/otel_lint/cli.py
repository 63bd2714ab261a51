"""The ``otel-lint`` command: arguments in, a run, output and an exit code out.

Exit codes: 0 no findings, 1 findings, 2 a usage, configuration or internal error, or fixes that
could not be written.
"""

from __future__ import annotations

# The rest of otel-lint is imported inside the functions that need it: `--help`, `--version`,
# `rules` and a run answered from the cache start without loading the parser, pydantic or YAML.
import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from otel_lint.findings import Severity
from otel_lint.output.formats import FORMATS, MACHINE_FORMATS
from otel_lint.output.formats.escapes import printable

if TYPE_CHECKING:
    from otel_lint.findings import Finding
    from otel_lint.output.formats.text import SourceLines
    from otel_lint.runner import ProjectSettings, RunOptions, RunOutcome

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
#: Severities from the most serious; ``--fail-on`` takes one and counts those before it too.
_LEVELS = (Severity.ERROR, Severity.WARNING, Severity.INFO)


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: the run stops as for Ctrl-C, and its workers with it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, frame: object) -> None:
    raise _Stopped(signum)


@contextlib.contextmanager
def _stopping_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise ``_Stopped`` meanwhile (by default they would end this process at
    once and leave its workers running)."""
    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {name: signal.signal(getattr(signal, name), _raise_stopped) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


class _UsageError(Exception):
    """Options that do not go together; the message says which (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"otel-lint: error: {message}\n")


def _codes(value: str) -> list[str]:
    from otel_lint.catalogue.files import CODE_OR_PREFIX, unknown_selectors

    codes = [part.strip().upper() for part in value.split(",") if part.strip()]
    bad = [code for code in codes if not CODE_OR_PREFIX.match(code)]
    if bad:
        raise argparse.ArgumentTypeError(f"not a rule code or prefix: {', '.join(bad)}")
    # A typo in a CI gate's --select must not switch the gate off without a word.
    unknown = unknown_selectors(codes)
    if unknown:
        raise argparse.ArgumentTypeError("; ".join(unknown))
    return codes


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds (0 or more): {value}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    from otel_lint import __version__

    parser = _Parser(prog="otel-lint", description="Lint OpenTelemetry instrumentation in Python.")
    parser.add_argument("--version", action="version", version=f"otel-lint {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = commands.add_parser("check", help="check files and directories")
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[],
        help="files and directories (default: .); `-` reads the source from standard input",
    )
    check.add_argument(
        "--select", type=_codes, help="codes or prefixes to enable (replaces the configured list)"
    )
    check.add_argument("--ignore", type=_codes, default=[], help="codes or prefixes to disable")
    check.add_argument(
        "--extend-select", type=_codes, default=[], help="codes or prefixes to enable as well"
    )
    check.add_argument(
        "--output-format",
        choices=list(FORMATS),
        default="text",
        help="text (with source), concise or grouped (a line per finding), json, json-lines, "
        "sarif, github (annotations), gitlab (code quality), junit, rdjson (reviewdog), pylint",
    )
    check.add_argument(
        "--fix", action="store_true", help="apply the safe fixes, then report what is left"
    )
    check.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when there are findings"
    )
    check.add_argument(
        "--stdin-filename",
        type=Path,
        metavar="PATH",
        help="read the source from standard input and judge it as PATH (its configuration and "
        "per-file-ignores apply); with --fix, print the fixed source",
    )
    check.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as a unified diff and change nothing (exit 1 if there are any)",
    )
    check.add_argument(
        "--show-fixes",
        action="store_true",
        help="list the fixes applied (with --fix) or available, per file and rule",
    )
    check.add_argument(
        "--add-noqa",
        action="store_true",
        help="add a `# noqa: CODE` comment to every line with a finding, then report how many",
    )
    check.add_argument(
        "--statistics",
        action="store_true",
        help="print only the number of findings of each rule (with [*] where fixable)",
    )
    check.add_argument(
        "--fail-on",
        choices=[level.value for level in _LEVELS],
        default=None,
        help="exit 1 only for findings at or above this severity (error > warning > info; "
        "default: any finding)",
    )
    check.add_argument(
        "--jobs", "-j", type=int, default=None, help="worker processes (default: CPU count)"
    )
    check.add_argument("--config", type=Path, help="a pyproject.toml (or bare TOML table) to use")
    check.add_argument(
        "--baseline", type=Path, help="report only findings not recorded in this file"
    )
    check.add_argument(
        "--write-baseline", type=Path, help="record the current findings in this file"
    )
    check.add_argument(
        "--no-cache", action="store_true", help="do not read or write the results cache"
    )
    check.add_argument(
        "--file-time-limit",
        type=_seconds,
        metavar="SECONDS",
        help="seconds a file may take per started MiB before it is an OTL000 (default 10; 0: none)",
    )
    check.add_argument(
        "--follow-symlinks",
        action="store_true",
        default=None,
        help="follow symlinks to directories, and to files outside the directories walked",
    )
    check.add_argument(
        "--report-unused-noqa",
        action="store_true",
        default=None,
        help="report `# noqa` comments that suppress nothing (OTL001)",
    )
    check.add_argument(
        "--show-settings",
        action="store_true",
        help="print, for each project, its configuration, rules, kind and facts, then stop",
    )
    check.add_argument(
        "--preview",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the rules in preview too (right less than 9 times in 10 on real code)",
    )

    commands.add_parser(
        "clean", help="remove what otel-lint cached (runs remove entries unused for 30 days)"
    )
    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument(
        "--output-format",
        choices=["text", "json"],
        default="text",
        help="json: a list of {code, name, severity, fixable, preview, summary, family}",
    )
    rule = commands.add_parser("rule", help="show one rule's documentation and examples")
    rule.add_argument("code", type=str.upper)
    return parser


def _colour(stream: object) -> bool:
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and bool(stream.isatty())


def _source_line_reader(
    digests: dict[str, str] | None = None,
    changed: set[str] | None = None,
    sources: dict[str, bytes] | None = None,
) -> SourceLines:
    """Source lines for the code frames, read from each file only while it holds the bytes its
    findings judged (``digests``): a file replaced since is named in ``changed`` and shows none.
    A source not read from disk (standard input) is given in ``sources``.
    """
    from otel_lint.engine.results import content_digest
    from otel_lint.project.source import UnreadableSource, decode_source, source_lines
    from otel_lint.regular_files import read_regular_file

    cache: dict[str, list[str] | None] = {}

    def read(path: str, line: int) -> str | None:
        if path not in cache:
            cache[path] = None
            # Not a pipe or a device: reading one could block forever (an OTL000 names it).
            with contextlib.suppress(OSError, UnreadableSource):
                given = (sources or {}).get(path)
                data = given if given is not None else read_regular_file(path)
                expected = (digests or {}).get(path)
                if expected is not None and content_digest(data) != expected:
                    if changed is not None:
                        changed.add(path)
                    return None
                cache[path] = source_lines(decode_source(data).text)
        lines = cache[path]
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]

    return read


def _stdin_path(arguments: argparse.Namespace) -> Path | None:
    """The path standard input is judged as, or None when the paths are read from disk.

    As in ruff: ``-`` among the paths, or ``--stdin-filename`` with no path, reads standard input.
    """
    dash = Path("-")
    if dash not in arguments.paths and not (arguments.stdin_filename and not arguments.paths):
        return None
    if len(arguments.paths) > 1:
        raise _UsageError("`-` (standard input) cannot be checked with other paths")
    for option in ("add_noqa", "show_settings"):
        if getattr(arguments, option):
            flag = "--" + option.replace("_", "-")
            raise _UsageError(f"{flag} cannot be used on standard input")
    return arguments.stdin_filename or dash


def _run_check(arguments: argparse.Namespace) -> int:
    from otel_lint.runner import RunOptions, run_lint, show_settings

    if arguments.add_noqa and (arguments.fix or arguments.diff):
        raise _UsageError("--add-noqa cannot be used with --fix or --diff")
    stdin_path = _stdin_path(arguments)
    paths = [stdin_path] if stdin_path is not None else arguments.paths or [Path(".")]
    options = RunOptions(
        paths=tuple(paths),
        select=tuple(arguments.select) if arguments.select else None,
        ignore=tuple(arguments.ignore),
        extend_select=tuple(arguments.extend_select),
        config=arguments.config,
        jobs=arguments.jobs,
        fix=arguments.fix,
        baseline=arguments.baseline,
        write_baseline=arguments.write_baseline,
        report_unused_noqa=arguments.report_unused_noqa,
        use_cache=not arguments.no_cache,
        follow_symlinks=arguments.follow_symlinks,
        file_time_limit=arguments.file_time_limit,
        preview=arguments.preview,
        diff=arguments.diff,
        stdin=sys.stdin.buffer.read() if stdin_path is not None else None,
    )
    if arguments.show_settings:
        print(_settings_text(show_settings(options)))
        return EXIT_CLEAN
    if arguments.add_noqa:
        return _run_add_noqa(options)
    outcome = run_lint(options)
    for note in outcome.notes:
        _tell(f"otel-lint: warning: {note}")
    if arguments.diff:
        return _show_diff(arguments, outcome)
    if options.stdin is not None and arguments.fix:
        return _fix_stdin(arguments, outcome)
    for fixed in outcome.fixed:
        noun = "fix" if fixed.fixes == 1 else "fixes"
        _tell(f"Fixed {fixed.path}: {fixed.fixes} {noun} applied")
    for unwritten in outcome.unwritten:
        _tell(
            f"otel-lint: error: could not write the fixes to {unwritten.path}: "
            f"{unwritten.reason}; the file is unchanged"
        )
    if outcome.baseline_written is not None:
        _tell(f"Wrote {outcome.baseline_written} findings to {arguments.write_baseline}")
    code = _exit_code(arguments, outcome)
    try:
        _show(arguments, outcome)
        if arguments.show_fixes:
            _show_fixes(arguments, outcome)
    except BrokenPipeError:
        # The reader stopped reading (``| head -1``): the findings stand, and so does the exit
        # code a ``pipefail`` step depends on. Python's flush at exit must not fail again.
        _stop_writing(sys.stdout)
        return code
    return code


def _run_add_noqa(options: RunOptions) -> int:
    """``--add-noqa``: every finding's line gets a ``# noqa`` for its code, as ruff adds them;
    exit 0 when every one was added, 1 when a line could hold none, 2 when a file was not
    written."""
    from otel_lint.output.noqa import add_noqa_to_files
    from otel_lint.runner import run_lint

    outcome = run_lint(options)
    done = add_noqa_to_files(outcome.findings, outcome.source_digests)
    for path, line, reason in done.refused:
        _tell(f"otel-lint: warning: {path}:{line}: no `# noqa` added: {reason}")
    for path, reason in done.unwritten:
        _tell(f"otel-lint: error: could not add `# noqa` to {path}: {reason}; it is unchanged")
    _tell(f"Added {done.added} noqa directive{'' if done.added == 1 else 's'}.")
    if done.unwritten:
        return EXIT_ERROR
    return EXIT_FINDINGS if done.refused else EXIT_CLEAN


def _exit_code(arguments: argparse.Namespace, outcome: RunOutcome) -> int:
    if outcome.unwritten:
        return EXIT_ERROR
    if arguments.exit_zero or arguments.write_baseline is not None:
        return EXIT_CLEAN
    return EXIT_FINDINGS if _failing(outcome.findings, arguments.fail_on) else EXIT_CLEAN


def _show_diff(arguments: argparse.Namespace, outcome: RunOutcome) -> int:
    """``--diff``: each file's fixes as a unified diff on stdout, nothing written, as ruff does;
    exit 1 when there is a fix (0 with ``--exit-zero``), 2 when one could not be worked out."""
    import difflib

    fixes = 0
    for plan in outcome.plans:
        old = [line.rstrip("\r\n") for line in plan.old_text.splitlines(keepends=True)]
        new = [line.rstrip("\r\n") for line in plan.new_text.splitlines(keepends=True)]
        label = printable(plan.label)
        for line in difflib.unified_diff(old, new, label, label, lineterm=""):
            print(printable(line))
        print()
        fixes += plan.fixes
    for unwritten in outcome.unwritten:
        _tell(f"otel-lint: error: cannot fix {unwritten.path}: {unwritten.reason}")
    sys.stdout.flush()
    if fixes:
        _tell(f"Would fix {fixes} finding{'' if fixes == 1 else 's'}.")
    else:
        _tell("No findings would be fixed.")
    if outcome.unwritten:
        return EXIT_ERROR
    return EXIT_FINDINGS if fixes and not arguments.exit_zero else EXIT_CLEAN


def _fix_stdin(arguments: argparse.Namespace, outcome: RunOutcome) -> int:
    """``--fix`` of standard input, as ruff: the fixed source on stdout (the source unchanged when
    nothing was fixed), the findings left on stderr."""
    buffer = getattr(sys.stdout, "buffer", None)
    source = next(iter(outcome.sources.values()), b"")
    if buffer is None:  # a stream replaced by text only (a test's capture)
        sys.stdout.write(source.decode("utf-8", "surrogateescape"))
    else:
        sys.stdout.flush()
        buffer.write(source)
        buffer.flush()
    with contextlib.redirect_stdout(sys.stderr):
        _show(arguments, outcome)
        if arguments.show_fixes:
            _show_fixes(arguments, outcome)
    for unwritten in outcome.unwritten:
        _tell(f"otel-lint: error: cannot fix {unwritten.path}: {unwritten.reason}")
    return _exit_code(arguments, outcome)


def _show_fixes(arguments: argparse.Namespace, outcome: RunOutcome) -> None:
    """``--show-fixes``: the fixes applied (``--fix``) or available, per file and rule, as ruff
    lists them; on stdout under text output, on stderr under a format a program reads."""
    per_file: dict[str, Counter[tuple[str, str]]] = {}
    if arguments.fix:
        for fixed in outcome.fixed:
            per_file.setdefault(fixed.path, Counter()).update(dict(fixed.by_rule))
    else:
        for finding in outcome.findings:
            if finding.fix is not None:
                per_file.setdefault(finding.path, Counter())[finding.code, finding.name] += 1
    total = sum(sum(counts.values()) for counts in per_file.values())
    noun = "finding" if total == 1 else "findings"
    if arguments.fix:
        lines = [f"Fixed {total} {noun}:" if total else "No findings were fixed."]
    else:
        lines = [f"{total} {noun} fixable with `otel-lint check --fix`:" if total else ""]
    for path in sorted(per_file):
        lines.append(f"- {printable(path)}:")
        for (code, name), count in sorted(per_file[path].items()):
            lines.append(f"    {count} x {code} ({printable(name)})")
    text = "\n".join(line for line in lines if line)
    if text:
        print(text, file=sys.stdout if arguments.output_format == "text" else sys.stderr)


def _failing(findings: Sequence[Finding], fail_on: str | None) -> bool:
    """Whether the findings fail the run: any, or with ``--fail-on``, one at or above it."""
    if fail_on is None:
        return bool(findings)
    threshold = _LEVELS.index(Severity(fail_on))
    return any(_LEVELS.index(finding.severity) <= threshold for finding in findings)


@dataclass(frozen=True)
class RuleCount:
    """One row of ``--statistics``: a rule, how many findings, how many of them are fixable."""

    code: str
    name: str
    count: int
    fixable_count: int


def rule_counts(findings: Sequence[Finding]) -> list[RuleCount]:
    """Findings counted per rule, the most frequent first (then by code), as ruff sorts them."""
    counts = Counter((f.code, f.name) for f in findings)
    fixable = Counter((f.code, f.name) for f in findings if f.fix is not None)
    rows = [RuleCount(code, name, n, fixable[code, name]) for (code, name), n in counts.items()]
    return sorted(rows, key=lambda row: (-row.count, row.code, row.name))


def statistics_text(findings: Sequence[Finding]) -> str:
    """The ``--statistics`` table as ruff prints it: count, code, ``[*]`` or ``[ ]`` (when any
    rule is fixable), name; then the total and the fix hint."""
    rows = rule_counts(findings)
    if not rows:
        return "All checks passed!"
    count_width = max(len(str(row.count)) for row in rows)
    code_width = max(len(row.code) for row in rows)
    any_fixable = any(row.fixable_count for row in rows)
    lines = []
    for row in rows:
        mark = ("[*] " if row.fixable_count else "[ ] ") if any_fixable else ""
        lines.append(
            f"{row.count:>{count_width}}\t{row.code:<{code_width}}\t{mark}{printable(row.name)}"
        )
    total = sum(row.count for row in rows)
    lines.append(f"Found {total} finding{'' if total == 1 else 's'}.")
    if any_fixable:
        lines.append("[*] fixable with `otel-lint check --fix`")
    return "\n".join(lines)


def statistics_json(findings: Sequence[Finding]) -> str:
    """The ``--statistics`` table for a program (``--output-format json``), as ruff's keys."""
    return json.dumps(
        [
            {
                "code": row.code,
                "name": row.name,
                "count": row.count,
                "fixable": row.fixable_count > 0,
                "fixable_count": row.fixable_count,
            }
            for row in rule_counts(findings)
        ],
        indent=2,
        ensure_ascii=True,
    )


def _show(arguments: argparse.Namespace, outcome: RunOutcome) -> None:
    from otel_lint.output.formats import FORMATS

    if arguments.statistics:
        # As ruff: the table instead of the findings, as JSON when JSON is asked for.
        if arguments.output_format == "json":
            _write_utf8(statistics_json(outcome.findings) + "\n")
        else:
            print(statistics_text(outcome.findings))
        sys.stdout.flush()
        if outcome.baselined:
            _tell(f"({outcome.baselined} findings hidden by the baseline)")
        return
    render = FORMATS[arguments.output_format]
    rules = lambda: outcome.rules  # noqa: E731 - read only by formats that describe the rules
    changed: set[str] = set()
    reader = _source_line_reader(outcome.source_digests, changed, outcome.sources)
    output = render(outcome.findings, rules, reader, _colour(sys.stdout))
    if output:
        if arguments.output_format in MACHINE_FORMATS:
            _write_utf8(output + "\n")
        else:
            print(output)
    sys.stdout.flush()
    for path in sorted(changed):
        _tell(f"otel-lint: warning: {path} changed after it was checked; its lines are not shown")
    if outcome.baselined:
        _tell(f"({outcome.baselined} findings hidden by the baseline)")


def _tell(message: str) -> None:
    """One line for the person running otel-lint, on stderr, with any file's text escaped."""
    print(printable(message), file=sys.stderr)


def _write_utf8(text: str) -> None:
    """Machine-read output as UTF-8 whatever the locale says: under ``LC_ALL=C`` a text stream
    would write ``\\xe9`` for ``é`` inside a JSON string, which is not JSON. A name that is not
    valid UTF-8 reaches here as a lone surrogate and is written as ``\\udcff``: in a JSON string
    that escape reads back as the same name."""
    data = text.encode("utf-8", errors="backslashreplace")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a stream replaced by text only (a test's capture)
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()


def _stop_writing(stream: object) -> None:
    """Point ``stream``'s descriptor at /dev/null, so the flush at exit has nowhere to fail."""
    fileno = getattr(stream, "fileno", None)
    if fileno is None:
        return
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fileno())
        os.close(devnull)


def _settings_text(projects: Sequence[ProjectSettings]) -> str:
    """What ``--show-settings`` prints: one block per project."""
    from otel_lint.project.facts import SPAN_CALL  # with the runner, which imported it already

    blocks = []
    for project in projects:
        lines = [
            f"project {project.folder}",
            f"  configuration: {project.configuration or 'none (defaults)'}",
            f"  rules on ({len(project.codes)}): {' '.join(project.codes)}",
        ]
        if project.held_back:
            lines.append(f"  in preview, off without --preview: {' '.join(project.held_back)}")
        several = len(project.services) > 1
        if several:
            lines.append("  kind: decided per service, from its facts and the root's (below)")
        else:
            lines.append(f"  kind: {project.kind}: {project.kind_reason}")
        lines.append("  facts, per service:" if project.facts else "  facts: none")
        for service, facts in project.services.items():
            if service == ".":  # project.services.ROOT_SERVICE
                lines.append("  service . (the root: its facts count for every service)")
            else:
                lines.append(f"  service {printable(service)}")
            if several and service in project.kinds:
                kind, reason = project.kinds[service]
                lines.append(f"    kind: {kind}: {printable(reason)}")
            if not facts:
                lines.append("    none")
            # Calls from logging hooks and id helpers, one fact each: hundreds in tracing code.
            calls = sum(fact.startswith(SPAN_CALL) for fact in facts)
            for fact, places in sorted(facts.items()):
                if fact.startswith(SPAN_CALL):
                    continue
                more = f" and {len(places) - 5} more" if len(places) > 5 else ""
                lines.append(f"    {fact}: {printable(', '.join(places[:5]))}{more}")
            if calls:
                plural = "s" if calls != 1 else ""
                lines.append(
                    f"    {SPAN_CALL} {calls} call{plural} of logging hooks and id helpers"
                )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _run_clean() -> int:
    from otel_lint.cache.store import cache_directory
    from otel_lint.cache.upkeep import clean

    directory = cache_directory()
    removed = clean(directory)
    print(f"Removed {removed} cache file{'' if removed == 1 else 's'} from {directory}")
    return EXIT_CLEAN


def _run_rules(output_format: str) -> int:
    from otel_lint.catalogue.model import load_rules
    from otel_lint.checks import fixable

    rules = load_rules()
    if output_format == "json":
        from otel_lint.output.formats.rule_list import render_rules_json

        _write_utf8(render_rules_json(rules) + "\n")
        return EXIT_CLEAN
    width = max(len(rule.name) for rule in rules)
    print(f"{'code':<7} {'name':<{width}} {'severity':<8} fix  tier     family")
    for rule in rules:
        fix = "yes" if fixable(rule.code, rule.fix) else "no"
        tier = "preview" if rule.preview else "default"
        print(
            f"{rule.code:<7} {rule.name:<{width}} {rule.severity.value:<8} {fix:<4} {tier:<8} "
            f"{rule.family}"
        )
    return EXIT_CLEAN


def _run_rule(code: str) -> int:
    from otel_lint.catalogue.model import load_rules
    from otel_lint.checks import fixable

    rule = next((r for r in load_rules() if r.code == code or r.name == code.lower()), None)
    if rule is None:
        print(f"otel-lint: error: no rule {code}; `otel-lint rules` lists them", file=sys.stderr)
        return EXIT_ERROR
    docs = rule.docs
    parts = [
        f"# {rule.code} {rule.name} ({rule.severity.value}, {rule.family})",
        f"## What it finds\n{docs.what.strip()}",
        f"## Why it matters\n{docs.why.strip()}",
        f"## Example\n{docs.example.rstrip()}",
        f"## Instead\n{docs.instead.rstrip()}",
        f"## What it does not flag\n{docs.boundary.strip()}",
        "## Flagged\n"
        + "\n---\n".join(
            (e.code or "\n".join(f"# {n}\n{t}" for n, t in (e.files or {}).items())).rstrip()
            for e in rule.examples.invalid
        ),
        "## Not flagged\n"
        + "\n---\n".join(
            (e.code or "\n".join(f"# {n}\n{t}" for n, t in (e.files or {}).items())).rstrip()
            for e in rule.examples.valid
        ),
    ]
    if fixable(rule.code, rule.fix):
        parts.insert(1, "Fixable with `--fix`.")
    if rule.preview is not None:
        measured = rule.preview
        parts.insert(
            1,
            f"In preview: runs only with `--preview` (or `preview = true`). On code nobody here "
            f"wrote it was right {measured.precision:.0%} of the time ({measured.right} right, "
            f"{measured.wrong} wrong of {measured.judged} judged findings; {measured.measured}). "
            f"What it still gets wrong: {measured.still_wrong.strip()}",
        )
    print("\n\n".join(parts))
    return EXIT_CLEAN


def _never_fail_on_odd_names() -> None:
    """Let output carry paths that are not valid text (``b"\\xff.py"`` on Linux) as escapes.

    Such a name reaches Python as a lone surrogate, which a strict UTF-8 stream refuses to print.
    In JSON the escape reads back as the same name.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; never lets a traceback reach the user."""
    from otel_lint.catalogue.files import RuleFileError
    from otel_lint.config.settings import ConfigError
    from otel_lint.output.baseline import BaselineError

    if argv is None:
        # A process of its own (the console script, python -m otel_lint): pydantic validates our
        # rule files and settings only, so no other package's pydantic plugin is loaded. Loading
        # them imports whatever they import (logfire's reads ./pyproject.toml at import, and
        # waited forever on a pipe of that name) and costs a cold start time for nothing.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    _never_fail_on_odd_names()
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "check":
            with _stopping_on_signals():
                return _run_check(arguments)
        if arguments.command == "rules":
            return _run_rules(arguments.output_format)
        if arguments.command == "clean":
            return _run_clean()
        return _run_rule(arguments.code)
    except (ConfigError, BaselineError, RuleFileError, _UsageError) as error:
        for line in str(error).splitlines() or [""]:
            _tell(f"otel-lint: error: {line}")
        return EXIT_ERROR
    except _Stopped as stopped:
        return 128 + stopped.signum  # as a shell reports a process the signal ended
    except KeyboardInterrupt:
        print("otel-lint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _stop_writing(sys.stdout)
        return EXIT_ERROR  # not a clean run: nobody saw its end
    except Exception as error:  # the last line of defence: a message, not a traceback
        _tell(f"otel-lint: internal error: {type(error).__name__}: {error}")
        print("Please report this with the file that caused it.", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
