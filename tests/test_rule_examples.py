"""Every rule's own examples, run through the real engine: the YAML is the rule's test."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_lint.catalogue.compiled import checked
from otel_lint.catalogue.files import rules_directory
from otel_lint.catalogue.model import InvalidExample, Rule, ValidExample, load_rules
from otel_lint.checks import all_checks, check, fixable
from otel_lint.conventions.registry import Registry
from otel_lint.engine.analysis import analyze_text, apply_suppressions
from otel_lint.engine.deployment_files import analyze_deployment, deployment_kind
from otel_lint.engine.modules import ProjectModules
from otel_lint.engine.results import FileResult, resolve
from otel_lint.findings import Finding
from otel_lint.output.fixes import fix_until_stable

RULES = load_rules()


def _case_iter(kind: str, *, fixed_only: bool) -> Iterator[object]:
    for rule in RULES:
        examples = getattr(rule.examples, kind)
        for number, example in enumerate(examples, start=1):
            if fixed_only and getattr(example, "fixed", None) is None:
                continue
            yield pytest.param(rule, example, id=f"{rule.code}-{kind}-{number}")


def _cases(kind: str, *, fixed_only: bool = False) -> list[object]:
    """pytest params of each rule's examples of a kind; with fixed_only, those with a ``fixed``."""
    return list(_case_iter(kind, fixed_only=fixed_only))


def _analyze(name: str, text: str, registry: Registry, folder: Path) -> FileResult | None:
    """One example file's result as a run has it: Python, or a deployment file's settings (the
    file's name says which: ``file: docker-compose.yml``); None for a file only read for facts
    (a requirements file)."""
    if name.endswith(".py"):
        modules = ProjectModules(folder / name)
        return apply_suppressions(analyze_text(name, text, RULES, registry, modules=modules), text)
    kind = deployment_kind(name, text)
    if kind is None:
        return None
    return analyze_deployment(name, text, kind, list(checked(RULES)), registry)


def lint_example(example: InvalidExample | ValidExample, registry: Registry) -> list[Finding]:
    """Lint an example as a project: one file, or several with their facts merged.

    The files are written to a folder first, so constants imported from one another are read as
    a run reads them (``engine/modules.py``).
    """
    files = example.files or {example.file or "example.py": example.code or ""}
    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            (Path(folder) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(folder) / name).write_text(text, encoding="utf-8")
        results = [
            result
            for name, text in files.items()
            if (result := _analyze(name, text, registry, Path(folder))) is not None
        ]
    from otel_lint.project.facts import text_facts

    extra = set().union(*(text_facts(t) for n, t in files.items() if not n.endswith(".py")))
    return list(resolve(results, extra).findings)


def test_every_rule_has_examples_and_docs() -> None:
    assert RULES, "no rules were loaded"
    for rule in RULES:
        assert len(rule.examples.invalid) >= 3, f"{rule.code} needs three invalid examples"
        assert len(rule.examples.valid) >= 3, f"{rule.code} needs three valid examples"
        assert rule.docs.boundary.strip()


@pytest.mark.parametrize(("rule", "example"), _cases("invalid"))
def test_invalid_example_is_flagged(
    rule: Rule, example: InvalidExample, registry: Registry
) -> None:
    findings = lint_example(example, registry)
    mine = [f for f in findings if f.code == rule.code]
    others = [f for f in findings if f.code != rule.code]
    assert len(mine) == example.expect, [f.message for f in findings]
    # An invalid example shows its own rule only, so each example documents one mistake.
    assert others == [], [f"{f.code}: {f.message}" for f in others]


@pytest.mark.parametrize(("rule", "example"), _cases("valid"))
def test_valid_example_is_silent(rule: Rule, example: ValidExample, registry: Registry) -> None:
    findings = lint_example(example, registry)
    assert [f"{f.code}: {f.message}" for f in findings if f.code == rule.code] == []


@pytest.mark.parametrize(
    ("rule", "example"),
    _cases("invalid", fixed_only=True),
)
def test_fix_produces_the_documented_text(
    rule: Rule, example: InvalidExample, registry: Registry, tmp_path: Path
) -> None:
    assert example.code is not None
    name = example.file or "example.py"
    python = name.endswith(".py")

    def lint(text: str) -> list[Finding]:
        result = _analyze(name, text, registry, tmp_path)
        return list(result.findings) if result is not None else []

    outcome = fix_until_stable(example.code, lint, python=python)
    assert outcome.text == example.fixed
    again = fix_until_stable(outcome.text, lint, python=python)
    assert again.applied == 0, "fixing is not idempotent"


def test_rule_files_are_the_only_rules(tmp_path: Path) -> None:
    """A rule file is named after its code and rule names are unique, so a copied rule file
    cannot shadow another, and the file names alone say which codes exist."""
    from otel_lint.catalogue.files import RuleFileError, rule_codes
    from otel_lint.catalogue.model import load_rules as load

    assert rule_codes() == tuple(rule.code for rule in RULES)
    source = next(rules_directory().glob("OTL*.yaml"))
    code = source.stem
    (tmp_path / "OTL900.yaml").write_text(source.read_text())
    with pytest.raises(
        RuleFileError, match=f"OTL900.yaml: a rule file is named after its code \\({code}\\)"
    ):
        load(tmp_path)
    (tmp_path / "OTL900.yaml").write_text(source.read_text().replace(code, "OTL900"))
    (tmp_path / code).with_suffix(".yaml").write_text(source.read_text())
    assert rule_codes(tmp_path) == tuple(sorted((code, "OTL900")))
    with pytest.raises(RuleFileError, match="share the name"):
        load(tmp_path)


def test_rules_carry_only_the_utils_they_use() -> None:
    """ast-grep compiles every util it is given on each search; unused ones only cost time."""
    import yaml

    from otel_lint.catalogue.compiled import util_names as _matches
    from otel_lint.catalogue.files import rules_directory

    shared = {
        yaml.safe_load(p.read_text())["id"] for p in (rules_directory() / "utils").glob("*.yaml")
    }
    for rule in RULES:
        carried = set(rule.utils or {}) & shared
        narrowed = rule.narrowing.rule if rule.narrowing else None
        reachable = _matches([rule.rule, narrowed, rule.constraints, rule.utils])
        assert carried <= reachable, f"{rule.code} carries unused utils {carried - reachable}"


def test_the_engines_rules_are_remembered_and_a_damaged_entry_is_read_around(
    _isolated_cache: Path,
) -> None:
    import json

    from otel_lint.cache.rules import engine_rules
    from otel_lint.cache.store import read_value
    from otel_lint.catalogue.compiled import CheckedRule, checked

    expected = tuple(checked(RULES))
    assert [r.matcher() for r in expected] == [r.matcher() for r in RULES]
    assert engine_rules.__wrapped__() == expected  # past the in-process memo: fills the cache
    (entry,) = (_isolated_cache / "rules").iterdir()
    assert read_value(entry, tuple[CheckedRule, ...]) == expected
    assert engine_rules.__wrapped__() == expected  # read from it
    for damage in (b"\x80\x04garbage", b"", json.dumps(["not", "rules"]).encode(), b"[]"):
        entry.write_bytes(damage)
        assert engine_rules.__wrapped__() == expected


# --- one identity per rule: the YAML, its check and its snapshot agree -------------------------

_SNAPSHOTS = Path(__file__).parent / "rule_snapshots"
_UPDATE = os.environ.get("OTEL_LINT_UPDATE_SNAPSHOTS") == "1"


def _snapshot(rule: Rule, registry: Registry) -> str:
    """What the rule reports on each of its flagged examples: position, message and fix."""
    lines = [
        f"# {rule.code} {rule.name}: the findings of each flagged example, in order.",
        "# Regenerate with OTEL_LINT_UPDATE_SNAPSHOTS=1 and read the diff before committing.",
    ]
    for number, example in enumerate(rule.examples.invalid, start=1):
        lines.append(f"invalid {number}")
        for finding in lint_example(example, registry):
            mark = " [*]" if finding.fix is not None else ""
            lines.append(
                f"  {finding.path}:{finding.line}:{finding.column}-{finding.end_line}:"
                f"{finding.end_column} {finding.code}{mark} {finding.message}"
            )
            if finding.fix is not None:
                lines.append(
                    f"    fix {finding.fix.line}:{finding.fix.column}: {finding.fix.content!r}"
                )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_flagged_examples_match_their_snapshot(rule: Rule, registry: Registry) -> None:
    """Messages and positions, not only counts: a changed message or a shifted span shows as a
    diff against ``tests/rule_snapshots/<code>.txt``."""
    path = _SNAPSHOTS / f"{rule.code}.txt"
    actual = _snapshot(rule, registry)
    if _UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual)
    assert path.exists(), f"no snapshot for {rule.code}: run with OTEL_LINT_UPDATE_SNAPSHOTS=1"
    assert actual == path.read_text()


def test_every_snapshot_belongs_to_a_rule() -> None:
    assert {path.stem for path in _SNAPSHOTS.glob("*.txt")} == {rule.code for rule in RULES}


def test_every_check_is_registered_under_a_rule_code_that_has_a_file() -> None:
    assert set(all_checks()) <= {rule.code for rule in RULES}
    with pytest.raises(ValueError, match="rule code"):
        check("deprecated_attribute_key")


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_fixable_is_declared_where_the_examples_show_fixes(rule: Rule, registry: Registry) -> None:
    """A rule is fixable (its YAML has a ``fix`` template or its check says ``fixes=True``)
    exactly when its examples document a fix, and no finding of an unfixable rule carries one."""
    documented = any(example.fixed is not None for example in rule.examples.invalid)
    assert fixable(rule.code, rule.fix) == documented
    if not documented:
        for example in rule.examples.invalid:
            fixed = [f for f in lint_example(example, registry) if f.fix is not None]
            assert fixed == [], f"{rule.code} fixes without declaring it: {fixed}"
