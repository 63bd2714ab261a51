"""How rules find their candidates: one merged search per file, and the prefilters and narrowings
that skip rules, or parts of them, in files that lack some text.

The merged search must find, for every rule, exactly the nodes the rule's own ``find_all`` finds;
a prefilter or narrowing must never lose a finding. Both are checked over every rule's examples
(and this repository's example services); the same comparison over the benchmark corpus is a
manual step (see bench/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from ast_grep_py import Config, SgNode, SgRoot

from otel_lint.catalogue.files import RuleFileError
from otel_lint.catalogue.model import load_rule_file, load_rules
from otel_lint.conventions.registry import Registry
from otel_lint.engine.analysis import analyze_text, apply_suppressions
from otel_lint.engine.results import resolve
from otel_lint.engine.search import _plan, candidates
from otel_lint.findings import Finding

RULES = load_rules()
#: The same rules without prefilters or narrowings: every rule searches every file in full.
UNFILTERED = tuple(rule.model_copy(update={"prefilter": None, "narrowing": None}) for rule in RULES)
REPOSITORY = Path(__file__).parents[1]


def _example_projects() -> Iterator[tuple[str, dict[str, str]]]:
    for rule in RULES:
        for kind in ("invalid", "valid"):
            for number, example in enumerate(getattr(rule.examples, kind), start=1):
                files = example.files or {example.file or "example.py": example.code or ""}
                yield f"{rule.code}-{kind}-{number}", files


EXAMPLES = dict(_example_projects())


def _python_sources() -> Iterator[tuple[str, str]]:
    for name, files in EXAMPLES.items():
        for path, text in files.items():
            if path.endswith(".py"):
                yield f"{name}:{path}", text
    for source in sorted((REPOSITORY / "examples").rglob("*.py")):
        yield str(source.relative_to(REPOSITORY)), source.read_text(encoding="utf-8")


def _spans(nodes: list[SgNode]) -> list[tuple[int, int, str]]:
    return [(n.range().start.index, n.range().end.index, n.kind()) for n in nodes]


def test_merged_search_finds_what_each_rule_finds_alone() -> None:
    differences = []
    for name, text in _python_sources():
        root = SgRoot(text, "python").root()
        merged = candidates(root, text, UNFILTERED)
        for rule, found in zip(UNFILTERED, merged, strict=True):
            matcher = rule.matcher()
            alone = root.find_all(cast(Config, matcher)) if matcher else []
            if _spans(found) != _spans(alone):
                differences.append(f"{name} {rule.code}: {_spans(found)} != {_spans(alone)}")
    assert differences == []


def _lint(files: dict[str, str], rules: tuple[Any, ...], registry: Registry) -> list[Finding]:
    results = [
        apply_suppressions(analyze_text(path, text, rules, registry), text)
        for path, text in files.items()
        if path.endswith(".py")
    ]
    return list(resolve(results).findings)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_prefilters_skip_no_file_with_a_finding(name: str, registry: Registry) -> None:
    files = EXAMPLES[name]
    unfiltered = _lint(files, UNFILTERED, registry)
    by_code = {rule.code: rule for rule in RULES}
    skipped = [
        f"{finding.code} in {finding.path}"
        for finding in unfiltered
        if not by_code[finding.code].may_report(files[finding.path])
    ]
    assert skipped == []
    assert _lint(files, RULES, registry) == unfiltered


@pytest.mark.parametrize("rule", [r for r in RULES if r.prefilter], ids=lambda r: r.code)
def test_every_invalid_example_passes_its_rules_prefilter(rule: Any) -> None:
    for example in rule.examples.invalid:
        files = example.files or {example.file or "example.py": example.code or ""}
        assert any(rule.may_report(text) for path, text in files.items() if path.endswith(".py"))


def _rule(tmp_path: Path, code: str, body: str) -> Any:
    """A rule file with the given matcher part, loaded as the engine loads rules."""
    path = tmp_path / f"{code}.yaml"
    path.write_text(
        f"code: {code}\nname: rule-{code.lower()}\nseverity: warning\nmessage: m\n{body}"
        "docs: {what: w, why: w, example: e, instead: i, boundary: b}\n"
        "examples: {invalid: ['x'], valid: ['y']}\n",
        encoding="utf-8",
    )
    return load_rule_file(path)


def test_rules_binding_the_same_metavariables_keep_their_own_captures(tmp_path: Path) -> None:
    # Merged into one search, the second rule's $A and $B would have to equal the first's.
    first = _rule(tmp_path, "OTL901", "rule: {pattern: 'f($A, $B)'}\n")
    second = _rule(tmp_path, "OTL902", "rule: {pattern: 'f($B, $A)'}\n")
    root = SgRoot("f(1, 2)\n", "python").root()
    (one,), (two,) = candidates(root, "f(1, 2)\n", [first, second])
    assert (one["A"].text(), two["A"].text()) == ("1", "2")


def test_rules_whose_patterns_bind_nothing_share_the_one_search(tmp_path: Path) -> None:
    # A pattern without a metavariable (``follows: {pattern: "("}``) binds nothing: such rules
    # join the merged search instead of paying their own compile and walk per file.
    first = _rule(tmp_path, "OTL901", "rule: {kind: integer, follows: {pattern: '('}}\n")
    second = _rule(tmp_path, "OTL902", "rule: {kind: call}\n")
    binding = _rule(tmp_path, "OTL903", "rule: {pattern: 'f($A, 2)'}\n")
    text = "f(1, 2)\n"
    plan = _plan((first, second, binding))
    assert [position for position, _ in plan.alone] == [2]
    found = candidates(SgRoot(text, "python").root(), text, [first, second, binding])
    assert [[node.text() for node in nodes] for nodes in found] == [["1"], ["f(1, 2)"], ["f(1, 2)"]]


def test_a_rule_matching_unnamed_nodes_is_found_in_the_merged_search(tmp_path: Path) -> None:
    keyword = _rule(tmp_path, "OTL901", "rule: {regex: '^with$'}\n")
    call = _rule(tmp_path, "OTL902", "rule: {kind: call}\n")
    text = "with f(): pass\n"
    found = candidates(SgRoot(text, "python").root(), text, [keyword, call])
    assert [[node.kind() for node in nodes] for nodes in found] == [["with"], ["call"]]


def test_a_prefilter_skips_files_without_its_strings(tmp_path: Path) -> None:
    rule = _rule(tmp_path, "OTL901", "rule: {kind: call}\nprefilter: [needle]\n")
    for text, expected in (("f()\n", []), ("f()\nneedle = 1\n", ["f()"])):
        (found,) = candidates(SgRoot(text, "python").root(), text, [rule])
        assert [node.text() for node in found] == expected


def test_a_narrowing_searches_files_without_its_strings_with_the_narrower_rule(
    tmp_path: Path,
) -> None:
    rule = _rule(
        tmp_path,
        "OTL901",
        "rule: {any: [{kind: call}, {kind: integer}]}\n"
        "narrowing: {absent: [needle], rule: {kind: call}}\n",
    )
    for text, expected in (("f(1)\n", ["f(1)"]), ("f(1)\nneedle\n", ["f(1)", "1"])):
        (found,) = candidates(SgRoot(text, "python").root(), text, [rule])
        assert [node.text() for node in found] == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("prefilter", "[]"),
        ("prefilter", "['']"),
        ("prefilter", "needle"),
        ("narrowing", "{absent: [], rule: {kind: call}}"),
        ("narrowing", "{absent: [needle], rule: {}}"),
        ("narrowing", "{absent: [needle]}"),
    ],
)
def test_an_empty_or_malformed_prefilter_is_refused(tmp_path: Path, field: str, value: str) -> None:
    with pytest.raises(RuleFileError, match=rf"(?s)OTL901\.yaml: .*{field}"):
        _rule(tmp_path, "OTL901", f"rule: {{kind: call}}\n{field}: {value}\n")
