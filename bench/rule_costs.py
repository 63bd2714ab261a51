"""Where a cold otel-lint run's matching time goes: parse, syntax check, and find_all per rule.

Runs in one process over the first N Python files under a folder (no workers, no cache), and
measures separately what compiling each rule's config costs (find_all on an empty tree: ast-grep-py
compiles the dict it is given on every call). Usage: python bench/rule_costs.py FOLDER [N]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from ast_grep_py import SgRoot

from otel_lint.engine import syntax_error
from otel_lint.rule_model import load_rules


def main(folder: Path, limit: int) -> None:
    rules = load_rules()
    files = sorted(folder.rglob("*.py"))[:limit]
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in files]
    lines = sum(text.count("\n") for text in texts)
    print(f"{len(texts)} files, {lines} lines, {len(rules)} rules")
    started = time.perf_counter()
    roots = [SgRoot(text, "python").root() for text in texts]
    parse = time.perf_counter() - started
    started = time.perf_counter()
    for root in roots:
        syntax_error(root)
    syntax = time.perf_counter() - started
    cost: Counter[str] = Counter()
    for rule in rules:
        matcher = rule.matcher()
        if matcher is None:
            continue
        started = time.perf_counter()
        for root in roots:
            for _ in root.find_all(matcher):  # type: ignore[arg-type]
                pass
        cost[rule.code] = time.perf_counter() - started
    empty = SgRoot("", "python").root()
    started = time.perf_counter()
    for _ in texts:
        for rule in rules:
            matcher = rule.matcher()
            if matcher is not None:
                empty.find_all(matcher)  # type: ignore[arg-type]
    compile_only = time.perf_counter() - started
    total = sum(cost.values())
    print(
        f"parse {parse:.2f} s, syntax_error {syntax:.2f} s, find_all over all rules {total:.2f} s, "
        f"of which compiling the rule configs (find_all on an empty tree) {compile_only:.2f} s"
    )
    for code, seconds in cost.most_common(8):
        print(f"  {code} {seconds:.2f} s ({100 * seconds / total:.0f}% of find_all)")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 10**9)
