"""A whole lint run as a plain function: configuration, selection, files, engine, fixes, baseline.

The command line only turns arguments into ``RunOptions`` and a ``RunOutcome`` into output and an
exit code; tests call ``run_lint`` directly.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pathspec

from otel_lint.cache import results as result_cache
from otel_lint.cache.upkeep import prune_when_due
from otel_lint.catalogue.files import preview_codes, rule_codes
from otel_lint.checks import CheckSettings
from otel_lint.config.loader import find_config, project_root, read_config_file
from otel_lint.config.settings import Settings, specificity
from otel_lint.engine import results
from otel_lint.findings import Finding
from otel_lint.output.baseline import new_findings, read_baseline, write_baseline
from otel_lint.project.context import context_facts, fact_origins
from otel_lint.project.discovery import Discovered, Target, discover, relative_path
from otel_lint.project.facts import APPLICATION_SIGN, LIBRARY_SIGN, PACKAGED, holds
from otel_lint.project.services import ROOT_SERVICE, Repositories, service_map
from otel_lint.regular_files import read_regular_file

if TYPE_CHECKING:
    from otel_lint.catalogue.model import Rule
    from otel_lint.output.fixes import FixedFile, FixPlan, UnwrittenFix

# The engine (parser, rule models, checks) and the fixer are imported where a file must be
# checked or fixed: a run that the results cache answers whole needs neither.


@dataclass(frozen=True)
class RunOptions:
    """What the user asked for; None means "as the configuration says"."""

    paths: tuple[Path, ...] = (Path("."),)
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    config: Path | None = None
    jobs: int | None = None
    fix: bool = False
    baseline: Path | None = None
    write_baseline: Path | None = None
    report_unused_noqa: bool | None = None
    use_cache: bool = True
    follow_symlinks: bool | None = None
    #: Seconds per started MiB of source; 0 for no limit.
    file_time_limit: float | None = None
    #: Run the rules in preview too (None: as the configuration says).
    preview: bool | None = None
    #: Work out the fixes without writing them (``--diff``): ``RunOutcome.plans`` holds them.
    diff: bool = False
    #: The source read from standard input, judged as the one path in ``paths`` (which need not
    #: exist): that path's configuration and per-file ignores apply, and nothing is written.
    stdin: bytes | None = None


@dataclass(frozen=True)
class RunOutcome:
    findings: tuple[Finding, ...]
    files: int
    #: The codes of the rules that ran.
    codes: tuple[str, ...]
    fixed: tuple[FixedFile, ...] = ()
    #: Files whose fixes could not be written (left as they were), and why.
    unwritten: tuple[UnwrittenFix, ...] = ()
    baseline_written: int | None = None
    #: How many findings the baseline accounted for and hid.
    baselined: int = 0
    #: The facts of the projects whose findings depended on facts (others are not collected).
    facts: frozenset[str] = field(default_factory=frozenset)
    #: Things the user should know that are not findings (a selected rule that did not run).
    notes: tuple[str, ...] = ()
    #: The digest of the bytes each file's findings judged, by label: a source line is shown
    #: under a finding only from those bytes.
    source_digests: dict[str, str] = field(default_factory=dict)
    #: The fixes worked out and not written (``--diff``, or ``--fix`` of standard input).
    plans: tuple[FixPlan, ...] = ()
    #: Sources judged that are not read from disk (standard input, fixed after ``--fix``), by
    #: label: the lines shown under their findings, and what ``--fix`` of standard input prints.
    sources: dict[str, bytes] = field(default_factory=dict)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules that ran (read from the rule files on first use: SARIF describes them)."""
        # Here, not at the top: only SARIF needs the rule pages, and reading them needs pydantic.
        from otel_lint.catalogue.model import load_rules

        return tuple(rule for rule in load_rules() if rule.code in self.codes)


def _ignores(code: str, selectors: Sequence[str]) -> bool:
    """Whether an ignore list turns ``code`` off by itself (per-file ignores, OTL000).

    OTL000 says a file was never checked. Ignoring everything or every ``OTL`` code does not hide
    that; only a selector of its own family (``OTL0``, ``OTL00``, ``OTL000``) does.
    """
    least = len(results.UNREADABLE) - 2 if code == results.UNREADABLE else 0
    return specificity(code, selectors) >= least


def enabled_codes(
    codes: Sequence[str],
    select: Sequence[str],
    ignore: Sequence[str],
    preview: frozenset[str] = frozenset(),
) -> list[str]:
    """Codes that are on: the most specific selector wins, as in ruff (OTL2 + ignore OTL201).

    OTL000 is on whatever ``select`` says, unless ``ignore`` names its family (``_ignores``) and
    no more specific selector turns it back on. The codes in ``preview`` (the rules in preview,
    when preview is off) are never on: as in ruff, selecting one does not run it.
    """
    unreadable = results.UNREADABLE
    off = _ignores(unreadable, ignore) and (
        specificity(unreadable, ignore) >= specificity(unreadable, select)
    )
    first = [] if off else [unreadable]
    on = [c for c in codes if specificity(c, select) > specificity(c, ignore)]
    return first + [c for c in on if c not in preview]


def preview_notes(select: Sequence[str], preview: frozenset[str]) -> tuple[str, ...]:
    """What to tell a user who named a rule in preview while preview is off."""
    named = sorted(code for code in preview if code in select)
    return tuple(
        f"{code} is in preview and did not run: add --preview (or `preview = true`) to run it"
        for code in named
    )


def _start(paths: Sequence[Path]) -> Path:
    """Where the search for the configuration starts: the folder holding every path given.

    Not the first path: the settings, and so the findings, must not depend on the order of the
    paths (pre-commit and editors pass them in any order).
    """
    if not paths:
        return Path(".").absolute()
    absolute = [Path(os.path.abspath(path)) for path in paths]
    if len(absolute) == 1:
        return absolute[0]
    try:
        return Path(os.path.commonpath(absolute))
    except ValueError:  # on Windows, paths on two drives share no folder
        return Path(".").absolute()


def load_settings(options: RunOptions) -> tuple[Settings, Path]:
    """The settings that apply, and the project root. Raises ConfigError with the key named."""
    start = _start(options.paths)
    config_path = options.config or find_config(start)
    settings = read_config_file(config_path) if config_path else Settings()
    root = project_root(start, config_path)
    return settings, root


def _per_file_ignored(settings: Settings) -> list[tuple[pathspec.PathSpec[Any], list[str]]]:
    return [
        (pathspec.GitIgnoreSpec.from_lines([pattern]), codes)
        for pattern, codes in settings.per_file_ignores.items()
    ]


def _postprocess(
    findings: Sequence[Finding],
    targets: Sequence[Target],
    settings: Settings,
    root: Path,
    codes: set[str],
) -> list[Finding]:
    per_file = _per_file_ignored(settings)
    where = {t.label: relative_path(t.path, root) or t.path.as_posix() for t in targets}
    kept = []
    for finding in findings:
        if finding.code not in codes and finding.code != results.UNUSED_NOQA:
            continue
        relative = where.get(finding.path, finding.path)
        if any(
            spec.match_file(relative) and _ignores(finding.code, ignored)
            for spec, ignored in per_file
        ):
            continue
        severity = settings.severity.get(finding.code)
        kept.append(finding.with_severity(severity) if severity else finding)
    return kept


def _fix_plans(
    findings: Sequence[Finding],
    targets: Sequence[Target],
    codes: Sequence[str],
    check_settings: CheckSettings,
    facts_of: dict[str, frozenset[str]],
) -> list[FixPlan | UnwrittenFix]:
    """The fixes of each file with a fixable finding, worked out and not written."""
    # Here, not at the top: a run with nothing to fix never imports the parser or the rules.
    from otel_lint.cache.rules import engine_rules
    from otel_lint.conventions.registry import load_registry
    from otel_lint.engine import analysis as engine
    from otel_lint.engine.deployment_files import analyze_deployment, deployment_kind
    from otel_lint.engine.modules import ProjectModules
    from otel_lint.output.fixes import plan_fix

    registry = load_registry()
    rules = [rule for rule in engine_rules() if rule.code in codes]
    by_label = {t.label: t for t in targets}
    fixable = sorted({f.path for f in findings if f.fix is not None})
    done: list[FixPlan | UnwrittenFix] = []
    for label in fixable:
        target = by_label.get(label)
        if target is None:
            continue
        facts = facts_of.get(label, frozenset())

        def lint(
            text: str, label: str = label, facts: frozenset[str] = facts, path: Path = target.path
        ) -> list[Finding]:
            deployed = None if label.endswith(".py") else deployment_kind(label, text)
            if deployed is not None:
                result = analyze_deployment(label, text, deployed, rules, registry, check_settings)
            else:
                modules = ProjectModules(path)
                result = engine.apply_suppressions(
                    engine.analyze_text(
                        label, text, rules, registry, check_settings, modules=modules
                    ),
                    text,
                )
            return [f for f in result.findings if all(holds(r, facts) for r in f.requires)]

        try:
            data = target.data if target.data is not None else read_regular_file(target.path)
        except OSError:
            continue  # it went away since it was checked: nothing to fix
        # Read once, here: whether it is Python decides how each round of fixes is checked.
        text = data.decode("utf-8", errors="replace")
        python = label.endswith(".py") or deployment_kind(label, text) is None
        outcome = plan_fix(label, target.path, lint, data, python=python)
        if outcome is not None:
            done.append(outcome)
    return done


def _repositories(
    targets: Sequence[Target], root: Path, settings: Settings
) -> dict[Path, list[Target]]:
    """Targets grouped by repository (``project.services``): facts never cross repositories."""
    finder = Repositories(root if settings.services else None)
    groups: dict[Path, list[Target]] = {}
    for target in targets:
        folder = finder.of(os.path.dirname(os.path.abspath(target.path))) or root.absolute()
        groups.setdefault(folder, []).append(target)
    return groups


def _depends_on_facts(result: results.FileResult) -> bool:
    """Whether any of the file's findings, reported or suppressed, requires project facts."""
    return any(f.requires for f in result.findings) or any(f.requires for f, _ in result.suppressed)


def _resolve_by_service(
    checked: Sequence[results.FileResult],
    groups: dict[tuple[Path, str], list[Target]],
    context: dict[tuple[Path, str], set[str]],
    shared: dict[Path, set[str]],
    unused: bool,
) -> tuple[results.RunResult, dict[tuple[Path, str], frozenset[str]]]:
    """Resolve each service's findings against that service's facts only.

    ``groups`` holds the checked files of each (repository, service); ``context`` the facts of
    the service's other files; ``shared`` the facts of each repository that count for all of its
    services (its root service's files, checked or not).
    """
    by_label = {result.label: result for result in checked}
    findings: list[Finding] = []
    facts: dict[tuple[Path, str], frozenset[str]] = {}
    for (repository, service), members in groups.items():
        group = [by_label[t.label] for t in members if t.label in by_label]
        extra = context[repository, service] | shared[repository]
        resolved = results.resolve(group, extra, report_unused_noqa=unused)
        findings.extend(resolved.findings)
        facts[repository, service] = resolved.facts
    # Paths that could not be checked belong to no service: their OTL000 stands on its own.
    grouped = {t.label for group in groups.values() for t in group}
    findings.extend(f for r in checked if r.label not in grouped for f in r.findings)
    findings.sort(key=Finding.sort_key)
    every = frozenset().union(*facts.values())
    return results.RunResult(tuple(findings), len(checked), every), facts


def _service_facts(
    checked: Sequence[results.FileResult],
    targets: Sequence[Target],
    settings: Settings,
    root: Path,
    options: RunOptions,
) -> tuple[
    dict[tuple[Path, str], list[Target]], dict[tuple[Path, str], set[str]], dict[Path, set[str]]
]:
    """The checked files of each (repository, service), each service's own facts, and each
    repository's facts that count for all its services (see ``_resolve_by_service``)."""
    by_label = {result.label: result for result in checked}
    configured = {f"instrumented:{name}" for name in settings.instrumentations}
    if settings.kind is not None:
        configured.add(f"kind:{settings.kind}")
    groups: dict[tuple[Path, str], list[Target]] = {}
    context: dict[tuple[Path, str], set[str]] = {}
    shared: dict[Path, set[str]] = {}
    for repository, members in _repositories(targets, root, settings).items():
        shared[repository] = set(configured)
        # The other files are read only where a finding depends on what they show (or where
        # fixes will be judged again): most pre-commit runs never need them, nor services.
        wanted = options.fix or any(
            _depends_on_facts(by_label[t.label]) for t in members if t.label in by_label
        )
        if not wanted:
            groups[repository, ROOT_SERVICE] = members
            context[repository, ROOT_SERVICE] = set()
            continue
        files = [t.path for t in members]
        shown = context_facts(repository, files, settings.exclude, use_cache=options.use_cache)
        services = service_map(repository, shown.marked, settings.services, root)
        for path, is_folder, facts in shown.facts:
            service = services.of(path, folder=is_folder)
            if service == ROOT_SERVICE:
                shared[repository] |= facts
            else:
                context.setdefault((repository, service), set()).update(facts)
        for target in members:
            service = services.of(target.path)
            groups.setdefault((repository, service), []).append(target)
            context.setdefault((repository, service), set())
            result = by_label.get(target.label)
            if service == ROOT_SERVICE and result is not None:
                shared[repository] |= result.facts
    return groups, context, shared


def _check(
    found: Discovered,
    codes: Sequence[str],
    settings: CheckSettings,
    options: RunOptions,
    time_limit: float | None,
) -> list[results.FileResult]:
    """Every file's result, and one ``OTL000`` result for each path that could not be checked.

    Results in the cache are read here; only the other files go to the engine (and its workers).
    """
    targets = found.targets
    cached = (
        result_cache.cached_results(targets, tuple(codes), settings) if options.use_cache else {}
    )
    missing = [target for target in targets if target.label not in cached]
    if missing:
        # Here, not at the top: a run answered from the cache never imports the parser.
        from otel_lint.engine.workers import check_files

        fresh = check_files(missing, codes, settings, options.jobs, options.use_cache, time_limit)
        cached.update((result.label, result) for result in fresh)
    changed = [t for t in targets if not _still_holds(t, cached[t.label])]
    if changed:
        # Replaced while it was checked: its findings would be shown under another file's lines.
        # Checked once more; a file that changes again is an OTL000, not old findings.
        from otel_lint.engine.workers import check_files

        again = check_files(changed, codes, settings, options.jobs, options.use_cache, time_limit)
        for target, result in zip(changed, again, strict=True):
            cached[target.label] = (
                result
                if _still_holds(target, result)
                else results.FileResult(
                    target.label,
                    findings=(
                        results.unreadable(
                            target.label, "it changed while it was being checked; run again"
                        ),
                    ),
                )
            )
    return [cached[target.label] for target in targets] + [
        results.FileResult(p.label, findings=(results.unreadable(p.label, p.reason),))
        for p in found.problems
    ]


def _still_holds(target: Target, result: results.FileResult) -> bool:
    """Whether the file still holds the bytes its result judged (a result without findings, or
    of a file that could not be read, has nothing to show under the file's lines)."""
    if not result.source_digest or not result.findings or target.data is not None:
        return True
    try:
        data = read_regular_file(target.path)
    except OSError:
        return False
    return results.content_digest(data) == result.source_digest


@dataclass(frozen=True)
class ProjectSettings:
    """What a run decided for one project, and why: what ``--show-settings`` prints."""

    folder: Path
    configuration: Path | None
    codes: tuple[str, ...]
    held_back: tuple[str, ...]
    kind: str
    kind_reason: str
    #: Each fact the project's files show, with the files and lines (``path:line``) that show it.
    facts: dict[str, list[str]]
    #: The same per service (``project.services``): the root service (``.``) first, whose facts
    #: count for every service.
    services: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    #: Each service's kind and the reason: the rules judge a service by its own facts and the
    #: root's (a library folder beside an application in one repository is a library).
    kinds: dict[str, tuple[str, str]] = field(default_factory=dict)


def _kind(settings: Settings, config: Path | None, facts: dict[str, list[str]]) -> tuple[str, str]:
    """The project's kind (``application`` or ``library``) and the reason, as the rules see it."""
    if settings.kind is not None:
        return settings.kind, f"set by `kind` in {config}"

    def files(fact: str) -> str:
        return ", ".join(facts[fact][:3]) + (" ..." if len(facts[fact]) > 3 else "")

    if LIBRARY_SIGN in facts:
        return "library", f"an OpenTelemetry instrumentation ({files(LIBRARY_SIGN)})"
    if PACKAGED in facts and APPLICATION_SIGN not in facts:
        return "library", f"builds a distribution ({files(PACKAGED)}) that nothing here deploys"
    if APPLICATION_SIGN in facts:
        return "application", f"deployed or run by {files(APPLICATION_SIGN)}"
    return "application", "nothing shows a library, the default"


def show_settings(options: RunOptions) -> list[ProjectSettings]:
    """For each project of the named paths: its configuration, rules, kind and facts."""
    groups = separate_projects(options.paths) if options.config is None else [options.paths]
    shown: list[ProjectSettings] = []
    for group in groups:
        one = replace(options, paths=group)
        settings, root = load_settings(one)
        config = options.config or find_config(_start(group))
        select, ignore, held = _selection(options, settings)
        codes = enabled_codes(rule_codes(), select, ignore, held)
        # The rules in preview this selection would run if preview were on.
        held_here = tuple(sorted(set(enabled_codes(sorted(held), select, ignore)) & held))
        found = discover(group, settings.exclude, root)
        finder = Repositories(root if settings.services else None)
        folders = {finder.of(t.path.absolute().parent) or root for t in found.targets}
        for folder in sorted(folders) or [root]:
            origins, marked = fact_origins(folder, settings.exclude)
            services = service_map(folder, marked, settings.services, root)
            facts: dict[str, list[str]] = {}
            by_service: dict[str, dict[str, list[str]]] = {ROOT_SERVICE: {}}
            # A repository inside this one (a package with its own pyproject.toml) is shown as
            # its own project, as its files are judged: not again as a service of this one.
            nested = [
                other.relative_to(folder).as_posix()
                for other in folders
                if other != folder and folder in other.parents
            ]
            for where, is_folder, fact, label, line in origins:
                if any(label == n or label.startswith(f"{n}/") for n in nested):
                    continue
                service = services.of(where, folder=is_folder)
                facts.setdefault(fact, []).append(label)
                by_service.setdefault(service, {}).setdefault(fact, []).append(f"{label}:{line}")
            for fact, labels in facts.items():
                facts[fact] = list(dict.fromkeys(labels))
            kind, reason = _kind(settings, config, facts)
            shared = by_service.get(ROOT_SERVICE, {})
            kinds = {}
            for service, own in by_service.items():
                seen = {fact: list(places) for fact, places in shared.items()}
                for fact, places in own.items() if service != ROOT_SERVICE else ():
                    seen.setdefault(fact, []).extend(places)
                kinds[service] = _kind(settings, config, seen)
            shown.append(
                ProjectSettings(
                    folder, config, tuple(codes), held_here, kind, reason, facts, by_service, kinds
                )
            )
    return shown


def separate_projects(paths: Sequence[Path]) -> list[tuple[Path, ...]]:
    """The named paths grouped by the project each belongs to, in the order of their first path.

    Two checkouts named in one run are linted as two runs: each with its own configuration, root
    and facts, so a path's findings are those it has alone, and the folder above both (a home or
    temporary folder) is never taken for a project and walked.
    """
    finder = Repositories()
    groups: dict[Path | None, list[Path]] = {}
    for path in sorted(set(paths)):
        absolute = Path(os.path.abspath(path))
        folder = absolute if os.path.isdir(absolute) else absolute.parent
        groups.setdefault(finder.of(folder), []).append(path)
    return [tuple(group) for group in groups.values()]


def run_lint(options: RunOptions) -> RunOutcome:
    """One complete run. Raises ConfigError or BaselineError for the CLI to report (exit 2)."""
    groups = separate_projects(options.paths) if options.config is None else [options.paths]
    if len(groups) < 2:
        return _lint(options)
    # The baseline is read and written once, over every project's findings.
    baseline = read_baseline(options.baseline) if options.baseline else None
    alone = replace(options, baseline=None, write_baseline=None)
    outcomes = [_lint(replace(alone, paths=group)) for group in groups]
    findings = [finding for outcome in outcomes for finding in outcome.findings]
    written, baselined, findings = _apply_baseline(options, findings, baseline)
    return RunOutcome(
        findings=tuple(findings),
        files=sum(outcome.files for outcome in outcomes),
        codes=tuple(sorted({code for outcome in outcomes for code in outcome.codes})),
        fixed=tuple(fixed for outcome in outcomes for fixed in outcome.fixed),
        unwritten=tuple(unwritten for outcome in outcomes for unwritten in outcome.unwritten),
        baseline_written=written,
        baselined=baselined,
        facts=frozenset().union(*(outcome.facts for outcome in outcomes)),
        notes=tuple(dict.fromkeys(note for outcome in outcomes for note in outcome.notes)),
        source_digests={k: v for outcome in outcomes for k, v in outcome.source_digests.items()},
        plans=tuple(plan for outcome in outcomes for plan in outcome.plans),
    )


def _apply_baseline(
    options: RunOptions, findings: list[Finding], baseline: Counter[tuple[str, str, str]] | None
) -> tuple[int | None, int, list[Finding]]:
    """Write the baseline if asked, then hide what ``baseline`` holds: (written, hidden, kept)."""
    written = None
    if options.write_baseline is not None:
        write_baseline(options.write_baseline, findings)
        written = len(findings)
    if baseline is None:
        return written, 0, findings
    fresh = new_findings(findings, baseline)
    return written, len(findings) - len(fresh), fresh


def _selection(
    options: RunOptions, settings: Settings
) -> tuple[list[str], list[str], frozenset[str]]:
    """The selectors and ignores that apply, and the rules held back because preview is off."""
    select = list(options.select) if options.select is not None else list(settings.select)
    select += [*settings.extend_select, *options.extend_select]
    ignore = [*settings.ignore, *options.ignore]
    use_preview = options.preview if options.preview is not None else settings.preview
    return select, ignore, frozenset() if use_preview else preview_codes()


def _lint(options: RunOptions) -> RunOutcome:
    """A run over paths of one project (or of one configuration given with --config)."""
    settings, root = load_settings(options)
    select, ignore, held_back = _selection(options, settings)
    codes = set(enabled_codes(rule_codes(), select, ignore, held_back))
    codes_run = [code for code in rule_codes() if code in codes]
    check_settings = CheckSettings(tuple(settings.namespaces), tuple(settings.bounded))
    follow = (
        options.follow_symlinks if options.follow_symlinks is not None else settings.follow_symlinks
    )
    # Read first: a bad baseline is an error before any file is checked.
    baseline = read_baseline(options.baseline) if options.baseline else None
    if options.stdin is not None:
        # Judged as the path named, whether or not it exists or is excluded (as ruff does
        # without --force-exclude): an editor asks about the buffer it holds.
        (named,) = options.paths
        label = named.as_posix()
        found = Discovered((Target(label, named, data=options.stdin),), ())
    else:
        found = discover(options.paths, settings.exclude, root, follow_symlinks=follow)
    targets = found.targets

    limit = (
        options.file_time_limit if options.file_time_limit is not None else settings.file_time_limit
    )
    time_limit = limit or None  # 0: no limit
    checked = _check(found, codes_run, check_settings, options, time_limit)
    unused = (
        options.report_unused_noqa
        if options.report_unused_noqa is not None
        else settings.report_unused_noqa
    )
    groups, context, shared = _service_facts(checked, targets, settings, root, options)
    resolved, service_facts = _resolve_by_service(checked, groups, context, shared, unused)
    findings = _postprocess(resolved.findings, targets, settings, root, codes)

    fixed: tuple[FixedFile, ...] = ()
    unwritten: tuple[UnwrittenFix, ...] = ()
    plans: tuple[FixPlan, ...] = ()
    if (options.fix or options.diff) and any(f.fix is not None for f in findings):
        from otel_lint.output.fixes import FixedFile, FixPlan, write_fix

        facts_of = {t.label: service_facts[key] for key, members in groups.items() for t in members}
        planned = _fix_plans(findings, targets, codes_run, check_settings, facts_of)
        plans = tuple(plan for plan in planned if isinstance(plan, FixPlan))
        unwritten = tuple(plan for plan in planned if not isinstance(plan, FixPlan))
        if options.fix and options.stdin is not None and not options.diff:
            # Standard input is never written anywhere: the fixed source is the output.
            fixed = tuple(FixedFile(p.label, p.fixes, p.by_rule) for p in plans)
            if plans:
                found = Discovered((replace(targets[0], data=plans[0].after),), ())
        elif options.fix and not options.diff:
            writes = [write_fix(plan) for plan in plans]
            fixed = tuple(w for w in writes if isinstance(w, FixedFile))
            unwritten += tuple(w for w in writes if not isinstance(w, FixedFile))
            plans = ()
        if fixed:
            checked = _check(found, codes_run, check_settings, options, time_limit)
            resolved, service_facts = _resolve_by_service(checked, groups, context, shared, unused)
            findings = _postprocess(resolved.findings, targets, settings, root, codes)

    written, baselined, findings = _apply_baseline(options, findings, baseline)
    prune_when_due()  # --no-cache runs still write the registry and the validated rules
    return RunOutcome(
        findings=tuple(findings),
        files=len(targets),
        codes=tuple(codes_run),
        fixed=fixed,
        unwritten=unwritten,
        baseline_written=written,
        baselined=baselined,
        facts=resolved.facts,
        notes=preview_notes(select, held_back),
        source_digests={r.label: r.source_digest for r in checked if r.source_digest},
        plans=plans,
        sources={t.label: t.data for t in found.targets if t.data is not None},
    )
