"""The ``otel-lint`` command: arguments in, a run, output and an exit code out.

Exit codes: 0 no findings, 1 findings, 2 a usage, configuration or internal error, or fixes that
could not be written.
"""

from __future__ import annotations

# The rest of otel-lint is imported inside the functions that need it: `--help`, `--version`,
# `rules` and a run answered from the cache start without loading the parser, pydantic or YAML.
import argparse
import contextlib
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from otel_lint.output.formats.escapes import printable

if TYPE_CHECKING:
    from otel_lint.output.formats.text import SourceLines
    from otel_lint.runner import ProjectSettings, RunOutcome

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
#: Formats a program reads: always written as UTF-8, whatever the locale.
MACHINE_FORMATS = frozenset({"json", "sarif"})


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
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")])
    check.add_argument(
        "--select", type=_codes, help="codes or prefixes to enable (replaces the configured list)"
    )
    check.add_argument("--ignore", type=_codes, default=[], help="codes or prefixes to disable")
    check.add_argument(
        "--extend-select", type=_codes, default=[], help="codes or prefixes to enable as well"
    )
    check.add_argument(
        "--output-format", choices=["text", "json", "sarif", "github"], default="text"
    )
    check.add_argument(
        "--fix", action="store_true", help="apply the safe fixes, then report what is left"
    )
    check.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when there are findings"
    )
    check.add_argument("--statistics", action="store_true", help="count findings per rule")
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
    commands.add_parser("rules", help="list every rule")
    rule = commands.add_parser("rule", help="show one rule's documentation and examples")
    rule.add_argument("code", type=str.upper)
    return parser


def _colour(stream: object) -> bool:
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and bool(stream.isatty())


def _source_line_reader() -> SourceLines:
    from otel_lint.project.source import UnreadableSource, decode_source, source_lines
    from otel_lint.regular_files import read_regular_file

    cache: dict[str, list[str] | None] = {}

    def read(path: str, line: int) -> str | None:
        if path not in cache:
            cache[path] = None
            # Not a pipe or a device: reading one could block forever (an OTL000 names it).
            with contextlib.suppress(OSError, UnreadableSource):
                cache[path] = source_lines(decode_source(read_regular_file(path)).text)
        lines = cache[path]
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]

    return read


def _run_check(arguments: argparse.Namespace) -> int:
    from otel_lint.runner import RunOptions, run_lint, show_settings

    options = RunOptions(
        paths=tuple(arguments.paths),
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
    )
    if arguments.show_settings:
        print(_settings_text(show_settings(options)))
        return EXIT_CLEAN
    outcome = run_lint(options)
    for note in outcome.notes:
        _tell(f"otel-lint: warning: {note}")
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
    if outcome.unwritten:
        code = EXIT_ERROR
    elif arguments.exit_zero or arguments.write_baseline is not None:
        code = EXIT_CLEAN
    else:
        code = EXIT_FINDINGS if outcome.findings else EXIT_CLEAN
    try:
        _show(arguments, outcome)
    except BrokenPipeError:
        # The reader stopped reading (``| head -1``): the findings stand, and so does the exit
        # code a ``pipefail`` step depends on. Python's flush at exit must not fail again.
        _stop_writing(sys.stdout)
        return code
    return code


def _show(arguments: argparse.Namespace, outcome: RunOutcome) -> None:
    from otel_lint.output.formats import FORMATS

    render = FORMATS[arguments.output_format]
    rules = lambda: outcome.rules  # noqa: E731 - read only by formats that describe the rules
    output = render(outcome.findings, rules, _source_line_reader(), _colour(sys.stdout))
    if output:
        if arguments.output_format in MACHINE_FORMATS:
            _write_utf8(output + "\n")
        else:
            print(output)
    if arguments.statistics:
        counts = Counter((f.code, f.name) for f in outcome.findings)
        for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            print(
                f"{count:>5}\t{code}\t{name}",
                file=sys.stderr if arguments.output_format != "text" else sys.stdout,
            )
    sys.stdout.flush()
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
    blocks = []
    for project in projects:
        lines = [
            f"project {project.folder}",
            f"  configuration: {project.configuration or 'none (defaults)'}",
            f"  rules on ({len(project.codes)}): {' '.join(project.codes)}",
        ]
        if project.held_back:
            lines.append(f"  in preview, off without --preview: {' '.join(project.held_back)}")
        lines.append(f"  kind: {project.kind}: {project.kind_reason}")
        lines.append("  facts, per service:" if project.facts else "  facts: none")
        for service, facts in project.services.items():
            if service == ".":  # project.services.ROOT_SERVICE
                lines.append("  service . (the root: its facts count for every service)")
            else:
                lines.append(f"  service {printable(service)}")
            if not facts:
                lines.append("    none")
            for fact, places in sorted(facts.items()):
                more = f" and {len(places) - 5} more" if len(places) > 5 else ""
                lines.append(f"    {fact}: {printable(', '.join(places[:5]))}{more}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _run_clean() -> int:
    from otel_lint.cache.store import cache_directory
    from otel_lint.cache.upkeep import clean

    directory = cache_directory()
    removed = clean(directory)
    print(f"Removed {removed} cache file{'' if removed == 1 else 's'} from {directory}")
    return EXIT_CLEAN


def _run_rules() -> int:
    from otel_lint.catalogue.model import load_rules
    from otel_lint.checks import fixable

    rules = load_rules()
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
            return _run_rules()
        if arguments.command == "clean":
            return _run_clean()
        return _run_rule(arguments.code)
    except (ConfigError, BaselineError, RuleFileError) as error:
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
