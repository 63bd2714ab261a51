"""Where a cold otel-lint run's matching time goes: parse, syntax check, the rule search, each rule.

Runs in one process over the first N Python files under a folder (no workers, no cache), timing
CPU. The search is measured as the engine runs it (``engine.search.candidates``: the rules a file
can report under, after prefilters and narrowings, merged into one ``find_all``), with what
compiling those configs alone costs (``find_all`` on an empty tree: ast-grep-py compiles the config
it is given on every call). Then each rule on its own, in full, to show which rules cost most to
match.
Usage: python bench/rule_costs.py FOLDER [N]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import cast

from ast_grep_py import Config, SgRoot

from otel_lint.catalogue.model import load_rules
from otel_lint.engine.analysis import syntax_error
from otel_lint.engine.search import candidates, search_configs


def main(folder: Path, limit: int) -> None:
    rules = load_rules()
    files = sorted(folder.rglob("*.py"))[:limit]
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in files]
    lines = sum(text.count("\n") for text in texts)
    print(f"{len(texts)} files, {lines} lines, {len(rules)} rules")
    clock = time.process_time
    started = clock()
    roots = [SgRoot(text, "python").root() for text in texts]
    parse = clock() - started
    started = clock()
    for root in roots:
        syntax_error(root)
    syntax = clock() - started
    started = clock()
    for text, root in zip(texts, roots, strict=True):
        candidates(root, text, rules)
    search = clock() - started
    configs = [search_configs(text, rules) for text in texts]
    empty = SgRoot("", "python").root()
    started = clock()
    for file_configs in configs:
        for config in file_configs:
            empty.find_all(config)
    compile_only = clock() - started
    print(
        f"parse {parse:.2f} s, syntax_error {syntax:.2f} s, rule search {search:.2f} s, of which "
        f"compiling its configs (find_all on an empty tree) {compile_only:.2f} s"
    )
    searched = Counter(sum(rule.may_report(text) for rule in rules if rule.rule) for text in texts)
    shown = ", ".join(f"{count} files {n}" for n, count in sorted(searched.items()))
    print(f"rules searched per file (after prefilters): {shown}")
    cost: dict[str, float] = {}
    for rule in rules:
        matcher = rule.matcher()
        if matcher is None:
            continue
        started = clock()
        for root in roots:
            root.find_all(cast(Config, matcher))
        cost[rule.code] = clock() - started
    total = sum(cost.values())
    print(f"each rule on its own, in full, in every file: {total:.2f} s")
    for code, seconds in sorted(cost.items(), key=lambda item: item[1], reverse=True)[:8]:
        print(f"  {code} {seconds:.2f} s ({100 * seconds / total:.0f}%)")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 10**9)
